package community

import (
	"context"
	"time"
)

// Mail that SES reports as permanently undeliverable (a hard bounce) or as
// unwanted (a complaint) must not be sent again: mailing such addresses
// harms the sender's reputation and, past a point, gets the SES account
// paused. The bounce handler (BouncesFunction) records each such address on
// the suppression list; the mailer asks the list before every send; a member
// whose address is on it carries a mark organizers see. Proving the address
// works again — following a mailed verification or sign-in link — clears both.

// SuppressionReason says why mail to an address stopped.
type SuppressionReason string

// Suppression reasons (docs/openapi.yaml, MailSuppressed.reason).
const (
	SuppressedBounce    SuppressionReason = "bounce"    // a permanent bounce
	SuppressedComplaint SuppressionReason = "complaint" // the recipient marked a mail as spam
)

// Suppression is why and since when mail to an address is suppressed.
type Suppression struct {
	Reason SuppressionReason
	At     time.Time
	// MessageID is SES's id of the mail that bounced or was complained
	// about, to find it in SES's own records; "" when unknown.
	MessageID string
}

// SuppressionList is what the mailer asks before every send.
type SuppressionList interface {
	// Suppressed reports whether mail to email (compared case-insensitively)
	// must not be sent: the address bounced permanently or complained, and
	// has not been confirmed since. Errors are the store's (wrapped; no
	// declared reason).
	Suppressed(ctx context.Context, email string) (bool, error)
}

// Suppressor is what the bounce handler records with.
type Suppressor interface {
	// Suppress puts email (compared case-insensitively) on the suppression
	// list, replacing what was recorded for it before, and marks the member
	// who holds the address, if any (Member.MailSuppressed). The list keeps
	// only a keyed digest of the address. Recording the same notification
	// twice is harmless. Errors are the store's (wrapped; no declared reason).
	Suppress(ctx context.Context, email string, s Suppression) error
}

// clearSuppression removes m's suppression mark once m proved to hold the
// address again (a sign-in link followed); the store drops the address
// from the suppression list in the same write. A member without a mark is
// not written. Conflict (reason "member_changed") when another write kept
// winning.
func (s *Members) clearSuppression(ctx context.Context, m *Member) error {
	if m.MailSuppressed == nil {
		return nil
	}
	return RetryOn(memberAttempts, func() error {
		fresh, err := s.Store.Member(ctx, m.ID)
		if err != nil {
			return err
		}
		if fresh.MailSuppressed == nil || NormalizeEmail(fresh.Email) != NormalizeEmail(m.Email) {
			return nil
		}
		fresh.MailSuppressed = nil
		return s.Store.UpdateMember(ctx, fresh)
	}, ErrMemberChanged)
}
