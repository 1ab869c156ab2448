package remindersjob

import "github.com/sorae/tabane/pkg/app"

// Wire builds RemindersFunction's handler: each scheduled invocation hands
// the due reminders over to the mailer and tops up the occurrences of every
// series. It sends no mail (the mailer re-drives what the stream did not
// deliver), so it links neither SES nor the mail templates.
func Wire(d *app.Deps) (*Handler, error) {
	return New(d.Reminders(), d.Log), nil
}
