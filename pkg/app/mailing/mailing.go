// Package mailing wires what sends mail: the SES client, the notifier
// (Japanese MIME mails through SES SendRawEmail) and the Mailroom that
// delivers outbox mails. Only the functions that mail import it, so the
// read-only EventsFunction carries neither SES nor the mail templates.
package mailing

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
)

// Deps adds the mailing side to a function's app.Deps. Like app.Deps it
// builds on first use and is not safe for concurrent construction.
type Deps struct {
	*app.Deps

	ses      *ses.Client
	notifier *mail.Notifier
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
		sender := mail.NewSender(d.SES(), d.Clock)
		sender.ConfigurationSet = d.Config.SESConfigurationSet
		sender.Rate = d.Config.SendRatePerSec
		d.notifier = &mail.Notifier{Composer: composer, Sender: sender}
	}
	return d.notifier, nil
}

// Mailroom returns the delivery of outbox mails: what the mailer and the
// mailer's re-drive run.
func (d *Deps) Mailroom() (*community.Mailroom, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Mailroom{Store: d.Store(), Notifier: n, Members: n, Admin: n, Guests: n, Reminders: n, Applications: n, Nominations: n,
		Suppressions: d.Store(), Links: d.Links(), OptOuts: d.Links(), Clock: d.Clock, Log: d.Log,
		Surveys: n, SurveyLinks: d.Links(), OrgSurveys: n, OrgSurveyLinks: d.Links(), CheckInLinks: d.Links(),
		Reconfirms: n, ReconfirmLinks: d.Links(), ReconfirmMarks: d.Store()}, nil
}
