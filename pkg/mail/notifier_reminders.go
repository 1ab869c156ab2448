package mail

import (
	"context"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.ReminderNotifier = (*Notifier)(nil)

// Reminder mails a reminder that e starts in about startsIn. The join URL
// is the caller's (the sweep passes it only to confirmed registrants), and
// unsubscribe, when set, becomes the opt-out link and the List-Unsubscribe
// headers: a reminder is mail a member, or a guest for one registration,
// may turn off.
func (n *Notifier) Reminder(ctx context.Context, to community.Recipient, e *community.Event, startsIn time.Duration, joinURL, cancelLink, unsubscribe string) error {
	m, err := n.Composer.Reminder(to.Email, to.Name, e, startsIn, joinURL, cancelLink, unsubscribe)
	return n.send(ctx, m, err)
}

var _ community.SurveyNotifier = (*Notifier)(nil)
var _ community.OrgSurveyNotifier = (*Notifier)(nil)

// Survey mails the after-event survey request with its personal link.
func (n *Notifier) Survey(ctx context.Context, to community.Recipient, e *community.Event, link string, closesAt time.Time) error {
	m, err := n.Composer.Survey(to.Email, to.Name, e, link, closesAt)
	return n.send(ctx, m, err)
}

// OrgSurvey mails a nominating organization its survey about its staff.
func (n *Notifier) OrgSurvey(ctx context.Context, to community.Recipient, e *community.Event, staff []string, link string, closesAt time.Time) error {
	m, err := n.Composer.OrgSurvey(to.Email, to.Name, e, staff, link, closesAt)
	return n.send(ctx, m, err)
}

var _ community.ReconfirmNotifier = (*Notifier)(nil)

// Reconfirm mails the reconfirmation request with its keep and cancel links.
func (n *Notifier) Reconfirm(ctx context.Context, to community.Recipient, e *community.Event, deadline time.Time, keep, cancel string) error {
	m, err := n.Composer.Reconfirm(to.Email, to.Name, e, deadline, keep, cancel)
	return n.send(ctx, m, err)
}

// Released mails the notice that an unanswered reconfirmation released the seat.
func (n *Notifier) Released(ctx context.Context, to community.Recipient, e *community.Event, deadline time.Time) error {
	m, err := n.Composer.Released(to.Email, to.Name, e, deadline)
	return n.send(ctx, m, err)
}
