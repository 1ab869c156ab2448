package community

import (
	"context"
	"time"
)

// EventQuery selects upcoming published events, ordered by start.
type EventQuery struct {
	Kind   Kind      // "" for every kind
	From   time.Time // inclusive lower bound on StartsAt (the service defaults it to now)
	To     time.Time // exclusive upper bound on StartsAt; zero for none
	Limit  int       // 1–100
	Cursor string    // opaque, from a previous EventPage; "" for the first page
}

// EventPage is one page of events and the cursor of the next, "" at the end.
type EventPage struct {
	Events     []*Event
	NextCursor string
}

// EventStore keeps events.
type EventStore interface {
	// CreateEvent stores a new event. Conflict when the id exists.
	CreateEvent(ctx context.Context, e *Event) error
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// UpcomingEvents returns published events starting in [From, To), by
	// start time, with one Query per page. Invalid for a cursor it did not issue.
	UpcomingEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// CancelledEvents returns cancelled events starting in [From, To), by
	// start time, with one Query per page, so listings can show them as 中止.
	CancelledEvents(ctx context.Context, q EventQuery) (EventPage, error)
}

// Session is a signed-in browser or program.
type Session struct {
	ID        string
	MemberID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MemberStore keeps members and their sessions.
type MemberStore interface {
	// CreateMember stores a new member; the email is unique case-insensitively.
	// Conflict (reason "email_taken") when another member has the email.
	CreateMember(ctx context.Context, m *Member) error
	// Member returns a member by id. NotFound when unknown.
	Member(ctx context.Context, id string) (*Member, error)
	// MemberByEmail returns the member with this email, compared
	// case-insensitively. NotFound when none.
	MemberByEmail(ctx context.Context, email string) (*Member, error)
	// CreateSession stores a session. Conflict when the id exists.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns an unexpired session. NotFound when unknown, revoked or expired.
	Session(ctx context.Context, id string, now time.Time) (*Session, error)
	// DeleteSession revokes a session; deleting an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error
}

// Store is everything the domain keeps. pkg/store/dynamo implements it.
type Store interface {
	EventStore
	MemberStore
	MembershipStore
}
