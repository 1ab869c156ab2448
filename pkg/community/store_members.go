package community

import (
	"context"
	"time"
)

// Token is the stored half of a single-use secret sent by mail (email
// verification, sign-in link). The store keeps it until ExpiresAt and hands
// it out once.
type Token struct {
	ID        string // lookup key: a digest of the secret in the link, never the secret itself
	Purpose   string // what it is for ("verify", "signin", …); a token works only for its purpose
	MemberID  string
	Data      string // opaque to the store
	CreatedAt time.Time
	ExpiresAt time.Time // second precision
}

// MemberPage is one page of members and the cursor of the next, "" at the end.
type MemberPage struct {
	Members    []*Member
	NextCursor string
}

// MembershipStore keeps what the member lifecycle needs beyond MemberStore:
// changes, the approval queue, withdrawal, single-use tokens and abuse limits.
type MembershipStore interface {
	// UpdateMember replaces a member's stored fields with m's (CreatedAt
	// excepted), moving the unique email with it. NotFound when unknown;
	// Conflict (reason "email_taken") when another member has the new email,
	// (reason "member_changed") when the member was written since m was read
	// (m.Version) or a concurrent write won. On success m.Version advances.
	// The mails the change owes go into the outbox in the same transaction.
	UpdateMember(ctx context.Context, m *Member, mails ...Mail) error
	// MembersByStatus returns members with status, oldest first. Invalid
	// (reason "invalid_cursor") for a cursor it did not issue for this status.
	MembersByStatus(ctx context.Context, status MemberStatus, limit int, cursor string) (MemberPage, error)
	// WithdrawMember marks a member withdrawn, erases their personal data
	// (email, names, affiliation, department, job, birth date, the
	// consent's source IP) and frees the
	// email, in one transaction; it returns what is kept. NotFound when
	// unknown; withdrawing twice is harmless.
	WithdrawMember(ctx context.Context, id string, now time.Time) (*Member, error)

	// PutToken stores a token until its ExpiresAt. Conflict when the id exists.
	// With mails (the mail carrying the token's link), token and mails are
	// written in one transaction.
	PutToken(ctx context.Context, t *Token, mails ...Mail) error
	// Token returns an unexpired token without using it up. NotFound
	// (reason "token_not_found") when unknown, used, of another purpose or expired.
	Token(ctx context.Context, id, purpose string, now time.Time) (*Token, error)
	// ConsumeToken deletes and returns an unexpired token; among concurrent
	// callers exactly one succeeds. NotFound (reason "token_not_found") when
	// unknown, used, of another purpose or expired.
	ConsumeToken(ctx context.Context, id, purpose string, now time.Time) (*Token, error)

	// Hit counts one attempt under key in the fixed window of length window
	// that contains now, and returns the attempts so far, this one included.
	// The key is stored only as a digest, so it may hold an email address.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}
