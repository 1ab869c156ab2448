package remindersjob

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds RemindersFunction's handler: each scheduled invocation sends
// the due reminders and tops up the occurrences of every series.
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	sweep, err := m.Reminders()
	if err != nil {
		return nil, err
	}
	return New(sweep, d.Config.SendRatePerSec, d.Log), nil
}
