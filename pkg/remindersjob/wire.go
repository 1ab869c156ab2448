package remindersjob

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds RemindersFunction's handler: each scheduled invocation hands
// the due reminders over to the mailer, tops up the occurrences of every
// series and re-drives unsettled outbox mails (through the Mailroom: the
// only reason this function links SES).
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	sweep, err := m.Reminders()
	if err != nil {
		return nil, err
	}
	return New(sweep, d.Log), nil
}
