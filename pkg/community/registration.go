package community

import "time"

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

// Registration statuses.
const (
	RegistrationConfirmed  RegistrationStatus = "confirmed"
	RegistrationWaitlisted RegistrationStatus = "waitlisted"
	RegistrationCancelled  RegistrationStatus = "cancelled"
	// RegistrationApplied is an application awaiting selection or the
	// draw; RegistrationDeclined is 落選・見送り. A selected application
	// becomes confirmed, a reserve (補欠) waitlisted.
	RegistrationApplied  RegistrationStatus = "applied"
	RegistrationDeclined RegistrationStatus = "declined"
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
	// Decision is an organizer's verdict on an application, kept until the
	// 決定通知 turns it into the status; "" when undecided.
	Decision Decision
	// OrganizationID is the organization member who nominated the
	// registrant (団体推薦); Department and BirthDate are what it said of
	// them. Empty for everyone who applied on their own.
	OrganizationID string
	Department     string
	BirthDate      *time.Time
	// Answers are the registrant's answers to the event's questions, as
	// Form.CheckAnswers normalized them; personal data, erased with the rest.
	Answers []Answer
	// SurveySentAt is when the after-event survey was handed over to the
	// mailer for this registration (once); nil while not.
	SurveySentAt *time.Time
	// SurveyAnswers are the answers to the event's survey, as
	// Survey.Form.CheckAnswers normalized them, and SurveyAnsweredAt when
	// they were last given; personal data, erased with the rest.
	SurveyAnswers    []Answer
	SurveyAnsweredAt *time.Time
	// ReconfirmAskedAt is when the reconfirmation request was handed over
	// to the mailer (once); ReconfirmAnswer the answer (ReconfirmKeep,
	// ReconfirmCancel) and ReconfirmAnsweredAt when it was given
	// (reconfirm.go).
	ReconfirmAskedAt    *time.Time
	ReconfirmAnswer     string
	ReconfirmAnsweredAt *time.Time
	// ReconfirmMailedAt is when SES took the request: only a registrant
	// who was really mailed can lose the seat for not answering (an
	// address on the suppression list, or gone, never got the question).
	ReconfirmMailedAt *time.Time
	// CancelReason says why a cancelled registration was cancelled when
	// it was not its registrant's or an organizer's act:
	// CancelReasonUnanswered for a seat released to the waitlist.
	CancelReason string
}
