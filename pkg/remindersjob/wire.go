package remindersjob

import "github.com/sorae/tabane/pkg/app"

// Wire builds RemindersFunction's handler: each scheduled invocation sends
// the due reminders and tops up the occurrences of every series.
func Wire(d *app.Deps) (*Handler, error) {
	sweep, err := d.Reminders()
	if err != nil {
		return nil, err
	}
	return New(sweep, d.Config.SendRatePerSec, d.Log), nil
}
