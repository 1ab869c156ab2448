package community

import "time"

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

// Registration statuses.
const (
	RegistrationConfirmed  RegistrationStatus = "confirmed"
	RegistrationWaitlisted RegistrationStatus = "waitlisted"
	RegistrationCancelled  RegistrationStatus = "cancelled"
)

// Guest is a non-member attending a public event.
type Guest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Registration is one person's place at one event.
type Registration struct {
	ID       string
	EventID  string
	MemberID string // empty for a guest
	Guest    *Guest // nil for a member
	Status   RegistrationStatus
	// FrameID is the 参加枠 the registration holds a place in; "" is the
	// event's default frame (an event without frames).
	FrameID       string
	WaitlistSeq   int64     // arrival order among the waitlisted; 0 when never waitlisted
	EventStartsAt time.Time // copied from the event so a member's list sorts without reading events
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CheckedInAt   *time.Time
	CancelledAt   *time.Time
	RemindersSent []string
	// OptOuts are the lists the registrant stopped for this registration
	// by the link in a mail (ListReminders, ListMessages; OptOuts.Stop).
	OptOuts []string
}
