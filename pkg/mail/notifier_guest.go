package mail

import (
	"context"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.GuestNotifier = (*Notifier)(nil)

// GuestConfirmation mails a guest's confirmation link; to.Name is never used.
func (n *Notifier) GuestConfirmation(ctx context.Context, to community.Recipient, e *community.Event, confirmLink string) error {
	m, err := n.Composer.GuestConfirmation(to.Email, e, confirmLink)
	return n.send(ctx, m, err)
}
