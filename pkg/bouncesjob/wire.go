package bouncesjob

import "github.com/sorae/tabane/pkg/app"

// Wire builds BouncesFunction's handler: it writes to the table only
// (suppressions, and outbox items SES confirms sent), and sends no mail, so
// it links neither SES nor the mail templates.
func Wire(d *app.Deps) (*Handler, error) {
	h := New(d.Store(), d.Clock, d.Log)
	h.Outbox = d.Store()
	return h, nil
}
