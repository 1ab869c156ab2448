package mail

import (
	"context"
	"fmt"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/ics"
)

// Notifier implements the domain's notifier interfaces by composing each
// mail and handing it to SES.
type Notifier struct {
	Composer *Composer
	Sender   *Sender
}

var (
	_ community.Notifier             = (*Notifier)(nil)
	_ community.RegistrationNotifier = (*Notifier)(nil)
)

func (n *Notifier) send(ctx context.Context, m *Message, err error) error {
	if err != nil {
		return fmt.Errorf("mail: compose: %w", err)
	}
	id, err := n.Sender.Send(ctx, m)
	if r := community.ReceiptOf(ctx); r != nil && err == nil {
		r.MessageID = id
	}
	return err
}

// Verification mails the double opt-in link.
func (n *Notifier) Verification(ctx context.Context, to community.Recipient, link string) error {
	m, err := n.Composer.Verification(to.Email, to.Name, link)
	return n.send(ctx, m, err)
}

// AlreadyRegistered tells an existing member about a repeated signup.
func (n *Notifier) AlreadyRegistered(ctx context.Context, to community.Recipient, signInLink string) error {
	m, err := n.Composer.AlreadyRegistered(to.Email, to.Name, signInLink)
	return n.send(ctx, m, err)
}

// SignInLink mails a one-time sign-in link.
func (n *Notifier) SignInLink(ctx context.Context, to community.Recipient, link string) error {
	m, err := n.Composer.SignInLink(to.Email, to.Name, link)
	return n.send(ctx, m, err)
}

// Welcome greets an active member.
func (n *Notifier) Welcome(ctx context.Context, mem *community.Member) error {
	m, err := n.Composer.Welcome(mem.Email, mem.Name, mem.Membership)
	return n.send(ctx, m, err)
}

// PendingApproval tells a verified member that approval is pending.
func (n *Notifier) PendingApproval(ctx context.Context, mem *community.Member) error {
	m, err := n.Composer.PendingApproval(mem.Email, mem.Name, mem.Membership)
	return n.send(ctx, m, err)
}

// invite is the calendar file attached for a confirmed seat; the join URL
// goes into it only because the recipient holds a seat.
func (n *Notifier) invite(e *community.Event, joinURL string) []byte {
	var opts []ics.Option
	if joinURL != "" {
		opts = append(opts, ics.WithJoinURL())
	}
	return ics.Single(e, n.Composer.BaseURL, ics.Publish, opts...)
}

// RegistrationConfirmed mails a confirmed seat with the calendar file.
func (n *Notifier) RegistrationConfirmed(ctx context.Context, to community.Recipient, e *community.Event, joinURL, cancelLink, checkInLink string) error {
	m, err := n.Composer.RegistrationConfirmed(to.Email, to.Name, e, joinURL, cancelLink, checkInLink, n.invite(e, joinURL))
	return n.send(ctx, m, err)
}

// Waitlisted mails a waitlist place; never a join URL.
func (n *Notifier) Waitlisted(ctx context.Context, to community.Recipient, e *community.Event, position int, cancelLink string) error {
	m, err := n.Composer.Waitlisted(to.Email, to.Name, e, position, cancelLink)
	return n.send(ctx, m, err)
}

// Promoted mails someone who moved from the waitlist to a seat.
func (n *Notifier) Promoted(ctx context.Context, to community.Recipient, e *community.Event, joinURL, cancelLink, checkInLink string) error {
	m, err := n.Composer.Promoted(to.Email, to.Name, e, joinURL, cancelLink, checkInLink, n.invite(e, joinURL))
	return n.send(ctx, m, err)
}

// RegistrationCancelled confirms a cancellation.
func (n *Notifier) RegistrationCancelled(ctx context.Context, to community.Recipient, e *community.Event) error {
	m, err := n.Composer.RegistrationCancelled(to.Email, to.Name, e)
	return n.send(ctx, m, err)
}
