package community

import "time"

// Membership is the kind of membership a person holds.
type Membership string

// Memberships (docs/openapi.yaml).
const (
	MembershipRegular      Membership = "regular"      // 正会員: a current public servant; needs approval
	MembershipSupporting   Membership = "supporting"   // 賛助会員: anyone; active once verified
	MembershipOrganization Membership = "organization" // 団体正会員: a public body; needs approval
)

// Valid reports whether m is a known membership.
func (m Membership) Valid() bool {
	return m == MembershipRegular || m == MembershipSupporting || m == MembershipOrganization
}

// Label is the Japanese name of the membership.
func (m Membership) Label() string {
	switch m {
	case MembershipRegular:
		return "正会員"
	case MembershipSupporting:
		return "賛助会員"
	case MembershipOrganization:
		return "団体正会員"
	}
	return string(m)
}

// NeedsApproval reports whether an organizer must approve this membership.
func (m Membership) NeedsApproval() bool { return m != MembershipSupporting }

// MemberStatus is where a member is in their life.
type MemberStatus string

// Member statuses.
const (
	MemberUnverified      MemberStatus = "unverified"
	MemberPendingApproval MemberStatus = "pending_approval"
	MemberActive          MemberStatus = "active"
	MemberSuspended       MemberStatus = "suspended"
	MemberWithdrawn       MemberStatus = "withdrawn"
)

// Role is what a member may do.
type Role string

// Roles.
const (
	RoleMember    Role = "member"
	RoleOrganizer Role = "organizer"
)

// Preferences are a member's email choices.
type Preferences struct {
	Reminders     bool `json:"reminders"`
	Announcements bool `json:"announcements"`
}

// Consent records what a member agreed to, for 特定電子メール法.
type Consent struct {
	Terms         bool      `json:"terms"`
	Announcements bool      `json:"announcements"`
	FormVersion   string    `json:"form_version"`
	AgreedAt      time.Time `json:"agreed_at"`
	IP            string    `json:"ip"`
	// AnnouncementsChangedAt is when the member last changed their answer
	// on announcements after signing up (my page, or an opt-out link);
	// Announcements then holds that answer. nil while the signup's stands.
	AnnouncementsChangedAt *time.Time `json:"announcements_changed_at,omitempty"`
}

// Member is a person (or, for organization members, a body's contact person).
type Member struct {
	ID            string
	Email         string
	Name          string
	NameKana      string
	Membership    Membership
	Affiliation   string
	Department    string
	JobCategory   string
	PublicServant bool
	BirthDate     *time.Time // date only, in Asia/Tokyo; only for age eligibility
	Status        MemberStatus
	Role          Role
	Preferences   Preferences
	Consent       Consent
	CreatedAt     time.Time
	UpdatedAt     time.Time
	VerifiedAt    *time.Time
	ApprovedAt    *time.Time
	// EligibilityRequest is the member's pending request to change
	// PublicServant and BirthDate once they are locked (eligibility.go).
	EligibilityRequest *EligibilityRequest
	// EligibilityApproval is the claim an organizer last approved; nil for
	// a member whose claim no organizer has looked at (self-declared).
	EligibilityApproval *EligibilityApproval
	// SessionsEndedAt ends every session started at or before it: set when
	// the member is suspended, so the sessions they held stay ended after a
	// reinstatement too (they sign in again).
	SessionsEndedAt *time.Time
	// MailSuppressed is set while the member's address is on the mail
	// suppression list (it bounced permanently, or they complained), so
	// organizers see why mail does not reach them; nil otherwise.
	MailSuppressed *Suppression
	// Calendar is the member's personal calendar feed (calendar.go); nil
	// while they have none.
	Calendar *CalendarFeed
	// Version is the store's write counter as read. A change is written
	// only if nobody wrote in between, so a stale copy (a session's
	// snapshot, a concurrent click) never undoes a newer change such as a
	// withdrawal. 0 means "not read from the store".
	Version int64
}

// AgeOn returns the member's age in whole years on the calendar day of t in
// Tokyo, and false when the birth date is unknown. A person born on 29 February
// turns a year older on 1 March in common years, as Japanese law counts it.
func (m *Member) AgeOn(t time.Time) (int, bool) {
	if m.BirthDate == nil {
		return 0, false
	}
	return AgeOn(*m.BirthDate, t), true
}

// AgeOn returns the age in whole years of someone born on birth, on the
// calendar day of t in Tokyo.
func AgeOn(birth, t time.Time) int {
	by, bm, bd := birth.In(Tokyo).Date()
	ty, tm, td := t.In(Tokyo).Date()
	age := ty - by
	if tm < bm || (tm == bm && td < bd) {
		age--
	}
	return age
}
