package adminapi

import (
	"strconv"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
)

// Event is the contract's Event as an organizer sees it (join URL
// included, drafts too), with the counters and times organizers work with.
type Event struct {
	apijson.Event
	ConfirmedCount int       `json:"confirmed_count"`
	WaitlistCount  int       `json:"waitlist_count"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// EventJSON presents e to organizer v.
func EventJSON(e *community.Event, v community.Viewer) Event {
	return Event{
		Event:          apijson.EventJSON(community.View(e, v, false)),
		ConfirmedCount: e.ConfirmedCount,
		WaitlistCount:  e.WaitlistCount,
		CreatedAt:      e.CreatedAt.In(community.Tokyo),
		UpdatedAt:      e.UpdatedAt.In(community.Tokyo),
	}
}

func eventsJSON(list []*community.Event, v community.Viewer) []Event {
	out := make([]Event, 0, len(list))
	for _, e := range list {
		out = append(out, EventJSON(e, v))
	}
	return out
}

// Registration is the contract's Registration shape.
type Registration struct {
	RegistrationID   string     `json:"registration_id"`
	EventID          string     `json:"event_id"`
	Status           string     `json:"status"`
	WaitlistPosition *int       `json:"waitlist_position,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	CheckedIn        bool       `json:"checked_in"`
	CheckedInAt      *time.Time `json:"checked_in_at"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
}

func registrationJSON(r *community.Registration) Registration {
	return Registration{
		RegistrationID: r.ID, EventID: r.EventID, Status: string(r.Status),
		CreatedAt: r.CreatedAt.In(community.Tokyo), CheckedIn: r.CheckedInAt != nil,
		CheckedInAt: tokyo(r.CheckedInAt), CancelledAt: tokyo(r.CancelledAt),
	}
}

// Attendee is a registration with the person behind it.
type Attendee struct {
	Registration
	StatusLabel  string  `json:"status_label"`
	MemberID     *string `json:"member_id"`
	Guest        bool    `json:"guest"`
	Withdrawn    bool    `json:"withdrawn"`
	Name         string  `json:"name"`
	NameKana     string  `json:"name_kana"`
	Affiliation  string  `json:"affiliation"`
	Email        string  `json:"email"`
	RegisteredAt string  `json:"registered_at"` // Japan time for people: "2025/05/14 19:03"
}

// statusLabel is how a registration's status reads in Japanese.
func statusLabel(a community.Attendee) string {
	switch a.Status {
	case community.RegistrationConfirmed:
		return "参加確定"
	case community.RegistrationWaitlisted:
		if a.WaitlistPosition > 0 {
			return "キャンセル待ち（" + strconv.Itoa(a.WaitlistPosition) + "番目）"
		}
		return "キャンセル待ち"
	case community.RegistrationCancelled:
		return "キャンセル"
	}
	return string(a.Status)
}

func attendeeJSON(a community.Attendee) Attendee {
	out := Attendee{
		Registration: registrationJSON(a.Registration),
		StatusLabel:  statusLabel(a),
		Guest:        a.Guest,
		Withdrawn:    a.Withdrawn,
		Name:         a.Name,
		NameKana:     a.NameKana,
		Affiliation:  a.Affiliation,
		Email:        a.Email,
		RegisteredAt: a.CreatedAt.In(community.Tokyo).Format("2006/01/02 15:04"),
	}
	if a.WaitlistPosition > 0 {
		pos := a.WaitlistPosition
		out.WaitlistPosition = &pos
	}
	if a.MemberID != "" {
		id := a.MemberID
		out.MemberID = &id
	}
	return out
}

// Member is a member as an organizer reviews them.
type Member struct {
	apijson.Member
	StatusLabel  string     `json:"status_label"`
	HasBirthDate bool       `json:"has_birth_date"`
	VerifiedAt   *time.Time `json:"verified_at"`
	ApprovedAt   *time.Time `json:"approved_at"`
}

func memberJSON(m *community.Member) Member {
	mj := apijson.MemberJSON(m)
	// The birth date is only for age eligibility; organizers see whether it
	// was given, not the date.
	mj.BirthDate = nil
	return Member{
		Member:       mj,
		HasBirthDate: m.BirthDate != nil,
		StatusLabel:  memberStatusLabel(m.Status),
		VerifiedAt:   tokyo(m.VerifiedAt),
		ApprovedAt:   tokyo(m.ApprovedAt),
	}
}

func memberStatusLabel(s community.MemberStatus) string {
	switch s {
	case community.MemberUnverified:
		return "メール未確認"
	case community.MemberPendingApproval:
		return "承認待ち"
	case community.MemberActive:
		return "有効"
	case community.MemberSuspended:
		return "停止中"
	case community.MemberWithdrawn:
		return "退会済み"
	}
	return string(s)
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Summary    string    `json:"summary"`
}

func auditJSON(a *community.AuditEntry) AuditEntry {
	return AuditEntry{
		ID: a.ID, At: a.At.In(community.Tokyo), ActorID: a.ActorID, Action: a.Action,
		TargetType: a.TargetType, TargetID: a.TargetID, Summary: a.Summary,
	}
}

func tokyo(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	x := t.In(community.Tokyo)
	return &x
}
