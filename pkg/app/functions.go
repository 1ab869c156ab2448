package app

import (
	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/membersapi"
	"github.com/sorae/tabane/pkg/reminders"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/web"
)

// Functions maps each AWS::Serverless::Function LogicalId in template.yaml to
// the constructor of its handler. functions/<name>/main.go looks its own up;
// the dev server builds them all. The coverage test in this package fails
// when a template function, route or schedule has no entry here.
var Functions = map[string]Constructor{
	"EventsFunction":    newEvents,
	"SignupFunction":    newSignup,
	"RsvpFunction":      newRsvp,
	"AdminFunction":     newAdmin,
	"RemindersFunction": newReminders,
	"WebFunction":       newWeb,
}

func newEvents(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	return eventsapi.New(s.Events, s.Sessions, d.Config, d.Log).Handle, nil
}

func newSignup(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	return membersapi.New(s.Members, s.Sessions, s.Links, d.Log).Handle, nil
}

func newRsvp(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	keeper := &idempotency.Keeper{Store: s.Store, Clock: d.Clock}
	return rsvpapi.New(s.Registrations, s.Sessions, keeper, d.Log).Handle, nil
}

func newAdmin(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	return adminapi.New(s.Admin, s.Sessions, d.Log).Handle, nil
}

// newReminders is the clock: each scheduled invocation sends the due
// reminders and tops up the occurrences of every series.
func newReminders(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	sweep := &community.Reminders{
		Store: s.Store, Notifier: s.Mailer, Links: s.Links, Clock: d.Clock, Log: d.Log,
		SendRate: d.Config.SendRatePerSec, EnsureSeries: s.Admin.EnsureAllSeries,
	}
	return reminders.New(sweep, d.Log).Handle, nil
}

func newWeb(d Deps) (any, error) {
	s, err := NewServices(d)
	if err != nil {
		return nil, err
	}
	return web.New(web.Options{
		Events:        s.Events,
		Members:       s.Members,
		Registrations: s.Registrations,
		Sessions:      s.Sessions,
		Config:        d.Config,
		Log:           d.Log,
		Clock:         d.Clock,
	}).Handle, nil
}
