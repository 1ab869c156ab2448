package community

import "context"

// Recipient is who a mail goes to.
type Recipient struct {
	Name  string
	Email string
}

// Notifier sends the community's mails. pkg/mail implements it on SES. Every
// method returns Unavailable when the mail could not be handed over (e.g.
// SES throttling that outlasted the retries).
type Notifier interface {
	// Verification mails the double opt-in link to a new signup.
	Verification(ctx context.Context, to Recipient, link string) error
	// AlreadyRegistered tells an existing member that someone (probably they)
	// tried to sign up again, with a sign-in link instead of a second account.
	AlreadyRegistered(ctx context.Context, to Recipient, signInLink string) error
	// SignInLink mails a one-time sign-in link.
	SignInLink(ctx context.Context, to Recipient, link string) error
	// Welcome greets a member whose membership is now active.
	Welcome(ctx context.Context, m *Member) error
	// PendingApproval tells a verified member that an organizer will review them.
	PendingApproval(ctx context.Context, m *Member) error
}
