package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Member is the member's own view of themselves.
type Member struct {
	ID            string      `json:"id"`
	Email         string      `json:"email"`
	Name          string      `json:"name"`
	NameKana      string      `json:"name_kana"`
	Membership    string      `json:"membership"`
	Status        string      `json:"status"`
	Role          string      `json:"role"`
	Affiliation   string      `json:"affiliation"`
	Department    string      `json:"department"`
	JobCategory   string      `json:"job_category"`
	PublicServant bool        `json:"public_servant"`
	BirthDate     *string     `json:"birth_date"`
	Preferences   preferences `json:"preferences"`
	CreatedAt     string      `json:"created_at"`
	// EligibilityLocked: public_servant and birth_date change only through
	// an organizer now; EligibilityRequest is the member's pending request.
	EligibilityLocked  bool                `json:"eligibility_locked"`
	EligibilityRequest *EligibilityRequest `json:"eligibility_request"`
}

// EligibilityRequest is a pending request to change the eligibility claim.
type EligibilityRequest struct {
	PublicServant bool      `json:"public_servant"`
	BirthDate     *string   `json:"birth_date"`
	Reason        string    `json:"reason"`
	RequestedAt   time.Time `json:"requested_at"`
}

// EligibilityApproval is the claim an organizer approved, and who.
type EligibilityApproval struct {
	PublicServant bool      `json:"public_servant"`
	BirthDate     *string   `json:"birth_date"`
	By            string    `json:"by"`
	At            time.Time `json:"at"`
}

func day(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.In(community.Tokyo).Format("2006-01-02")
	return &s
}

type preferences struct {
	Reminders     bool `json:"reminders"`
	Announcements bool `json:"announcements"`
}

// MemberJSON presents a member to themselves (or to an organizer).
func MemberJSON(m *community.Member) Member {
	out := Member{
		ID: m.ID, Email: m.Email, Name: m.Name, NameKana: m.NameKana, Membership: string(m.Membership),
		Status: string(m.Status), Role: string(m.Role), Affiliation: m.Affiliation, Department: m.Department,
		JobCategory: m.JobCategory, PublicServant: m.PublicServant,
		Preferences: preferences{m.Preferences.Reminders, m.Preferences.Announcements},
		CreatedAt:   m.CreatedAt.In(community.Tokyo).Format(time.RFC3339),
	}
	if m.Role == "" {
		out.Role = string(community.RoleMember)
	}
	out.BirthDate = day(m.BirthDate)
	out.EligibilityLocked = m.EligibilityLocked()
	if r := m.EligibilityRequest; r != nil {
		out.EligibilityRequest = &EligibilityRequest{PublicServant: r.PublicServant, BirthDate: day(r.BirthDate), Reason: r.Reason,
			RequestedAt: r.RequestedAt.In(community.Tokyo)}
	}
	return out
}
