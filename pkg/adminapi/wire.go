package adminapi

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds AdminFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	events, err := m.EventAdmin()
	if err != nil {
		return nil, err
	}
	members, err := m.MemberAdmin()
	if err != nil {
		return nil, err
	}
	attendance, err := m.Attendance()
	if err != nil {
		return nil, err
	}
	messages, err := m.Messages()
	if err != nil {
		return nil, err
	}
	return New(Services{
		Events: events, Series: d.SeriesAdmin(), Members: members,
		Attendance: attendance, Messages: messages, Audit: d.AuditLog(),
	}, d.Sessions(), d.Keeper(), d.Log), nil
}
