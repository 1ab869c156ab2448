package rsvpapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds RsvpFunction's handler. It sends no mail itself: the mails a
// registration owes go into the outbox with it, so the function links
// neither SES nor the mail templates.
func Wire(d *app.Deps) (*Handler, error) {
	h := New(d.Registrations(), d.GuestRequests(), d.Sessions(), d.Keeper(), d.Log).WithSurveys(d.Surveys())
	h.noms = d.Nominations()
	h.limit = d.WriteLimiter()
	return h, nil
}
