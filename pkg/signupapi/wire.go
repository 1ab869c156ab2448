package signupapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds SignupFunction's handler. Its mails (verification, sign-in
// links) go into the outbox with the writes that owe them, so it links
// neither SES nor the mail templates.
func Wire(d *app.Deps) (*Handler, error) {
	h := New(d.Members(), d.OptOuts(), d.Sessions(), d.Links(), d.Log)
	h.limit = d.WriteLimiter()
	h.Calendars, h.BaseURL = d.Calendars(), d.Config.BaseURL
	return h, nil
}
