package mail

import (
	"context"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.NominationNotifier = (*Notifier)(nil)

// NominationConfirmation mails a nominee's confirmation link; to.Name is never used.
func (n *Notifier) NominationConfirmation(ctx context.Context, to community.Recipient, organization string, e *community.Event, confirmLink string, expires time.Time) error {
	m, err := n.Composer.NominationConfirmation(to.Email, organization, e, confirmLink, expires)
	return n.send(ctx, m, err)
}
