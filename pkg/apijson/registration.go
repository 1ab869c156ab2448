package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Registration is the contract's Registration shape.
type Registration struct {
	RegistrationID   string  `json:"registration_id"`
	EventID          string  `json:"event_id"`
	Status           string  `json:"status"`
	WaitlistPosition *int    `json:"waitlist_position,omitempty"`
	CreatedAt        string  `json:"created_at"`
	CheckedInAt      *string `json:"checked_in_at"`
	// Answers are the registrant's own answers to the event's questions.
	Answers []community.Answer `json:"answers,omitempty"`
	// FrameID and FrameName say which 参加枠 the place is in; absent for
	// an event without frames.
	FrameID   string `json:"frame_id,omitempty"`
	FrameName string `json:"frame_name,omitempty"`
}

// InFrame adds the frame of r's event e to out.
func (out Registration) InFrame(e *community.Event, r *community.Registration) Registration {
	if e == nil || r.FrameID == community.DefaultFrameID {
		return out
	}
	out.FrameID = r.FrameID
	if f, err := e.Frame(r.FrameID); err == nil {
		out.FrameName = f.Name
	}
	return out
}

// RegistrationJSON presents r; position is shown only while waitlisted.
func RegistrationJSON(r *community.Registration, position int) Registration {
	out := Registration{
		RegistrationID: r.ID, EventID: r.EventID, Status: string(r.Status),
		CreatedAt: r.CreatedAt.In(community.Tokyo).Format(time.RFC3339),
	}
	if r.Status == community.RegistrationWaitlisted && position > 0 {
		out.WaitlistPosition = &position
	}
	if r.CheckedInAt != nil {
		s := r.CheckedInAt.In(community.Tokyo).Format(time.RFC3339)
		out.CheckedInAt = &s
	}
	out.Answers = r.Answers
	return out
}

// MyRegistration is one line of my registrations: the registration and its
// event as the member may see it (the join URL only with a seat).
type MyRegistration struct {
	Registration
	Event Event `json:"event"`
}
