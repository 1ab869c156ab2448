package mail

import (
	"context"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.AdminNotifier = (*Notifier)(nil)

// Approved tells a member an organizer approved the membership.
func (n *Notifier) Approved(ctx context.Context, mem *community.Member) error {
	m, err := n.Composer.Approved(mem.Email, mem.Name, mem.Membership)
	return n.send(ctx, m, err)
}

// Rejected tells an applicant the membership was not approved.
func (n *Notifier) Rejected(ctx context.Context, to community.Recipient, reason string) error {
	m, err := n.Composer.Rejected(to.Email, to.Name, reason)
	return n.send(ctx, m, err)
}

// EventCancelled tells a registrant the organizers cancelled e.
func (n *Notifier) EventCancelled(ctx context.Context, to community.Recipient, e *community.Event, reason string) error {
	m, err := n.Composer.EventCancelled(to.Email, to.Name, e, reason)
	return n.send(ctx, m, err)
}

// OrganizerMessage sends an organizer's message about e to someone
// registered for it. unsubscribe, when set, is the one-click opt-out that
// stops further messages about e for that registration: it becomes the
// mail's opt-out link and its List-Unsubscribe headers (RFC 8058).
func (n *Notifier) OrganizerMessage(ctx context.Context, to community.Recipient, e *community.Event, subject, body, unsubscribe string) error {
	m, err := n.Composer.OrganizerMessage(to.Email, to.Name, e, subject, body, unsubscribe)
	return n.send(ctx, m, err)
}
