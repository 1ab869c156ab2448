// Package mailing wires what sends mail: the SES client, the notifier
// (Japanese MIME mails through SES SendRawEmail), their pacing, and every
// domain service that mails. Only the functions that mail import it, so the
// read-only EventsFunction carries neither SES nor the mail templates.
package mailing

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
)

// Deps adds the mailing side to a function's app.Deps. Like app.Deps it
// builds on first use and is not safe for concurrent construction.
type Deps struct {
	*app.Deps

	ses      *ses.Client
	notifier *mail.Notifier
	regs     *community.Registrations
	members  *community.Members
}

// New returns the mailing side of d.
func New(d *app.Deps) *Deps { return &Deps{Deps: d} }

// SES returns the SES client.
func (d *Deps) SES() *ses.Client {
	if d.ses == nil {
		d.ses = ses.NewFromConfig(d.AWS, func(o *ses.Options) {
			if d.Endpoints.SES != "" {
				o.BaseEndpoint = aws.String(d.Endpoints.SES)
			}
		})
	}
	return d.ses
}

// Notifier returns the mailer: Japanese mails sent through SES.
func (d *Deps) Notifier() (*mail.Notifier, error) {
	if d.notifier == nil {
		composer, err := mail.NewComposer(d.Config)
		if err != nil {
			return nil, fmt.Errorf("app: mail composer: %w", err)
		}
		d.notifier = &mail.Notifier{Composer: composer, Sender: mail.NewSender(d.SES(), d.Clock)}
	}
	return d.notifier, nil
}

// sendMargin is how long before the function's deadline an organizer's
// bulk send stops starting new mails, so the sends in flight, their
// bookkeeping and the answer still fit.
const sendMargin = 5 * time.Second

// Pacing paces organizers' bulk mail at the configured SES rate.
func (d *Deps) Pacing() func(ctx context.Context) community.Pace {
	return mail.Pacing(d.Config.SendRatePerSec, sendMargin)
}

// Registrations returns the registrations service.
func (d *Deps) Registrations() (*community.Registrations, error) {
	if d.regs == nil {
		n, err := d.Notifier()
		if err != nil {
			return nil, err
		}
		store := d.Store()
		d.regs = &community.Registrations{
			Events: store, Regs: store, Members: store, Notifier: n, Clock: d.Clock, Links: d.Links(), Log: d.Log,
		}
	}
	return d.regs, nil
}

// Members returns the membership service: signup, sign-in, profile,
// withdrawal (which cancels the member's future registrations).
func (d *Deps) Members() (*community.Members, error) {
	if d.members == nil {
		n, err := d.Notifier()
		if err != nil {
			return nil, err
		}
		regs, err := d.Registrations()
		if err != nil {
			return nil, err
		}
		d.members = &community.Members{
			Store: d.Store(), Notifier: n, Clock: d.Clock, Links: d.Links(),
			Secrets: auth.Secrets{Key: d.Config.SessionSecret}, Sessions: d.Sessions(),
			BeforeWithdraw: regs.CancelFutureFor,
		}
	}
	return d.members, nil
}

// EventAdmin returns event administration: drafts, edits, publishing,
// cancelling.
func (d *Deps) EventAdmin() (*community.EventAdmin, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.EventAdmin{
		Store: d.Store(), Notifier: n, RegNotifier: n, Links: d.Links(), Clock: d.Clock,
		Pacing: d.Pacing(), Log: d.Log,
	}, nil
}

// MemberAdmin returns membership approvals.
func (d *Deps) MemberAdmin() (*community.MemberAdmin, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.MemberAdmin{Store: d.Store(), Notifier: n, Clock: d.Clock, Log: d.Log}, nil
}

// Attendance returns attendee lists, check-in and cancelling a
// registration on its registrant's behalf.
func (d *Deps) Attendance() (*community.Attendance, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Attendance{Store: d.Store(), RegNotifier: n, Links: d.Links(), Clock: d.Clock, Log: d.Log}, nil
}

// Messages returns organizers' messages to an event's attendees.
func (d *Deps) Messages() (*community.Messages, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Messages{
		Store: d.Store(), Notifier: n, Clock: d.Clock,
		Pacing: d.Pacing(), Log: d.Log,
	}, nil
}

// Reminders returns the reminder sweep; it also tops up every series.
func (d *Deps) Reminders() (*community.Reminders, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Reminders{
		Store: d.Store(), Notifier: n, Links: d.Links(), Clock: d.Clock, Log: d.Log,
		EnsureSeries: d.SeriesAdmin().EnsureAllSeries,
	}, nil
}
