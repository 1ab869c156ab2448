package mail

import (
	"context"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.ApplicationNotifier = (*Notifier)(nil)

// ApplicationReceived mails an application's receipt; never a join URL.
func (n *Notifier) ApplicationReceived(ctx context.Context, to community.Recipient, e *community.Event, applicationID, cancelLink string) error {
	m, err := n.Composer.ApplicationReceived(to.Email, to.Name, e, applicationID, cancelLink)
	return n.send(ctx, m, err)
}

// ApplicationSelected mails a won place with the calendar file.
func (n *Notifier) ApplicationSelected(ctx context.Context, to community.Recipient, e *community.Event, joinURL, cancelLink string) error {
	m, err := n.Composer.ApplicationSelected(to.Email, to.Name, e, joinURL, cancelLink, n.invite(e, joinURL))
	return n.send(ctx, m, err)
}

// ApplicationReserve mails a reserve place; never a join URL.
func (n *Notifier) ApplicationReserve(ctx context.Context, to community.Recipient, e *community.Event, position int, cancelLink string) error {
	m, err := n.Composer.ApplicationReserve(to.Email, to.Name, e, position, cancelLink)
	return n.send(ctx, m, err)
}

// ApplicationDeclined mails 落選・見送り; never a join URL.
func (n *Notifier) ApplicationDeclined(ctx context.Context, to community.Recipient, e *community.Event) error {
	m, err := n.Composer.ApplicationDeclined(to.Email, to.Name, e)
	return n.send(ctx, m, err)
}
