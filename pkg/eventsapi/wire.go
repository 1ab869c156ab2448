package eventsapi

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
)

// Wire builds EventsFunction's handler: read-only, so it makes a DynamoDB
// client and nothing that mails.
func Wire(d *app.Deps) (*Handler, error) {
	h := New(d.Events(), d.Sessions(), d.Config, d.Log)
	h.Lotteries = d.Applications()
	h.Certificates = d.Certificates()
	h.History = &community.EventHistory{Store: d.Store(), Clock: d.Clock}
	h.Calendars = d.Calendars()
	return h, nil
}
