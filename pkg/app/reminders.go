package app

import "github.com/sorae/tabane/pkg/community"

// Reminders returns the reminder sweep: it hands due reminders over to the
// mailer as outbox mails, draws the lotteries due, and tops up every series. It sends nothing itself,
// so RemindersFunction links neither SES nor the mail templates.
func (d *Deps) Reminders() *community.Reminders {
	return &community.Reminders{
		Store: d.Store(), Clock: d.Clock, Log: d.Log,
		EnsureSeries:  d.SeriesAdmin().EnsureAllSeries,
		DrawLotteries: d.Applications().DrawDue,
		Retain:        d.Retention().Sweep,
		Reconfirms:    d.Store(),
	}
}

// Retention returns the erasing of personal data past its retention
// (community.RetentionPolicy), run by the reminder sweep.
func (d *Deps) Retention() *community.Retention {
	return &community.Retention{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}
