package web

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
)

// Wire builds WebFunction's handler. The pages send no mail themselves:
// what they cause goes into the outbox, and the mailer sends it.
func Wire(d *app.Deps) (*Handler, error) {
	return New(Options{
		Events: d.Events(), Members: d.Members(), Registrations: d.Registrations(), GuestRequests: d.GuestRequests(), Nominations: d.Nominations(), OptOuts: d.OptOuts(), Sessions: d.Sessions(),
		Surveys: d.Surveys(), OrgSurveys: d.OrgSurveys(), Attendance: d.Attendance(), Messages: d.Messages(),
		Config: d.Config, Log: d.Log, Clock: d.Clock, Limiter: d.WriteLimiter(),
		EventAdmin: d.EventAdmin(), Board: &community.EventBoard{Store: d.Store(), Clock: d.Clock},
		MemberAdmin: d.MemberAdmin(), AuditLog: d.AuditLog(), Series: d.SeriesAdmin(),
		Calendars:       d.Calendars(),
		Certificates:    d.Certificates(),
		History:         &community.EventHistory{Store: d.Store(), Clock: d.Clock},
		Reconfirmations: d.Reconfirmations(),
	}), nil
}
