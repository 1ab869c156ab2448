package apijson

import (
	"strconv"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// AdminEvent is the contract's Event as an organizer sees it (join URL
// included, drafts too), with the counters and times organizers work with.
type AdminEvent struct {
	Event
	// Frames shadows Event.Frames: organizers see each frame's join URL
	// and counters.
	Frames         []AdminFrame `json:"frames,omitempty"`
	ConfirmedCount int          `json:"confirmed_count"`
	WaitlistCount  int          `json:"waitlist_count"`
	CheckedInCount int          `json:"checked_in_count"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	// Survey is the after-event survey, null when the event has none.
	Survey *Survey `json:"survey"`
	// OrgSurvey is the survey each nominating organization is asked about
	// its staff, null when the event has none.
	OrgSurvey *Survey `json:"org_survey"`
	// Reconfirmation is the 参加予定の再確認, null when the event asks none.
	Reconfirmation *Reconfirmation `json:"reconfirmation"`
}

// AdminFrame is a frame as organizers see it.
type AdminFrame struct {
	Frame
	JoinURL        string `json:"join_url,omitempty"`
	ConfirmedCount int    `json:"confirmed_count"`
	WaitlistCount  int    `json:"waitlist_count"`
}

// AdminEventJSON presents e to organizer v.
func AdminEventJSON(e *community.Event, v community.Viewer) AdminEvent {
	var frames []AdminFrame
	for _, f := range e.Frames {
		frames = append(frames, AdminFrame{Frame: FrameJSON(e, f), JoinURL: f.JoinURL, ConfirmedCount: f.ConfirmedCount, WaitlistCount: f.WaitlistCount})
	}
	return AdminEvent{
		Frames:         frames,
		Event:          EventJSON(community.View(e, v, false)),
		ConfirmedCount: e.ConfirmedCount,
		WaitlistCount:  e.WaitlistCount,
		CheckedInCount: e.CheckedInCount,
		CreatedAt:      e.CreatedAt.In(community.Tokyo),
		UpdatedAt:      e.UpdatedAt.In(community.Tokyo),
		Survey:         SurveyJSON(e),
		OrgSurvey:      SurveyJSONFor(e, community.AudienceOrganizations),
		Reconfirmation: ReconfirmationJSON(e),
	}
}

// AdminEventsJSON presents a list of events to organizer v.
func AdminEventsJSON(list []*community.Event, v community.Viewer) []AdminEvent {
	out := make([]AdminEvent, 0, len(list))
	for _, e := range list {
		out = append(out, AdminEventJSON(e, v))
	}
	return out
}

// AdminRegistration is a registration as organizers see it: with
// check-in and cancellation times, which the registrant's own
// Registration leaves out.
type AdminRegistration struct {
	RegistrationID   string     `json:"registration_id"`
	EventID          string     `json:"event_id"`
	Status           string     `json:"status"`
	WaitlistPosition *int       `json:"waitlist_position,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	CheckedIn        bool       `json:"checked_in"`
	CheckedInAt      *time.Time `json:"checked_in_at"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	FrameID          string     `json:"frame_id,omitempty"`
	FrameName        string     `json:"frame_name,omitempty"`
}

// AdminRegistrationJSON presents r to organizers.
func AdminRegistrationJSON(r *community.Registration) AdminRegistration {
	return AdminRegistration{
		RegistrationID: r.ID, EventID: r.EventID, Status: string(r.Status),
		CreatedAt: r.CreatedAt.In(community.Tokyo), CheckedIn: r.CheckedInAt != nil,
		CheckedInAt: tokyo(r.CheckedInAt), CancelledAt: tokyo(r.CancelledAt), FrameID: r.FrameID,
	}
}

// Attendee is a registration with the person behind it.
type Attendee struct {
	AdminRegistration
	StatusLabel  string  `json:"status_label"`
	MemberID     *string `json:"member_id"`
	Guest        bool    `json:"guest"`
	Withdrawn    bool    `json:"withdrawn"`
	Name         string  `json:"name"`
	NameKana     string  `json:"name_kana"`
	Affiliation  string  `json:"affiliation"`
	Email        string  `json:"email"`
	RegisteredAt string  `json:"registered_at"` // Japan time for people: "2025/05/14 19:03"
	// MailSuppressed says why mail no longer reaches the member; null for
	// guests and for members mail reaches.
	MailSuppressed *MailSuppressed `json:"mail_suppressed"`
	// Answers are the registrant's answers to the event's questions, []
	// when none (or erased with a withdrawn member's personal data).
	Answers []community.Answer `json:"answers"`
}

// StatusLabel is how a registration's status reads in Japanese.
func StatusLabel(a community.Attendee) string {
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

// AttendeeJSON presents one attendee of an organizer's list.
func AttendeeJSON(a community.Attendee) Attendee {
	out := Attendee{
		AdminRegistration: AdminRegistrationJSON(a.Registration),
		StatusLabel:       StatusLabel(a),
		Guest:             a.Guest,
		Withdrawn:         a.Withdrawn,
		Name:              a.Name,
		NameKana:          a.NameKana,
		Affiliation:       a.Affiliation,
		Email:             a.Email,
		RegisteredAt:      a.CreatedAt.In(community.Tokyo).Format("2006/01/02 15:04"),
		MailSuppressed:    MailSuppressedJSON(a.MailSuppressed),
		Answers:           append([]community.Answer{}, a.Answers...),
	}
	if a.WaitlistPosition > 0 {
		pos := a.WaitlistPosition
		out.WaitlistPosition = &pos
	}
	out.FrameName = a.FrameName
	if a.MemberID != "" {
		id := a.MemberID
		out.MemberID = &id
	}
	return out
}

// AdminMember is a member as an organizer reviews them.
type AdminMember struct {
	Member
	StatusLabel  string     `json:"status_label"`
	HasBirthDate bool       `json:"has_birth_date"`
	VerifiedAt   *time.Time `json:"verified_at"`
	ApprovedAt   *time.Time `json:"approved_at"`
	// MailSuppressed says why mail no longer reaches the member, or null.
	MailSuppressed *MailSuppressed `json:"mail_suppressed"`
	// EligibilityApproval is the claim an organizer last approved (null:
	// self-declared, never reviewed). Its birth date, and a pending
	// request's, are shown: they are what the organizer decides on.
	EligibilityApproval *EligibilityApproval `json:"eligibility_approval"`
}

// AdminMemberJSON presents a member to organizers.
func AdminMemberJSON(m *community.Member) AdminMember {
	mj := MemberJSON(m)
	// The birth date is only for age eligibility; organizers see whether it
	// was given, not the date.
	mj.BirthDate = nil
	out := AdminMember{
		Member:       mj,
		HasBirthDate: m.BirthDate != nil,
		StatusLabel:  memberStatusLabel(m.Status),
		VerifiedAt:   tokyo(m.VerifiedAt),
		ApprovedAt:   tokyo(m.ApprovedAt),

		MailSuppressed: MailSuppressedJSON(m.MailSuppressed),
	}
	if a := m.EligibilityApproval; a != nil {
		out.EligibilityApproval = &EligibilityApproval{PublicServant: a.PublicServant, BirthDate: day(a.BirthDate), By: a.By, At: a.At.In(community.Tokyo)}
	}
	return out
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

// AuditEntryJSON presents one audit log entry.
func AuditEntryJSON(a *community.AuditEntry) AuditEntry {
	return AuditEntry{
		ID: a.ID, At: a.At.In(community.Tokyo), ActorID: a.ActorID, Action: a.Action,
		TargetType: a.TargetType, TargetID: a.TargetID, Summary: a.Summary,
	}
}
