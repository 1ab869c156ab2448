package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Reconfirmation is an event's 参加予定の再確認 as organizers set and see
// it (docs/openapi.yaml, Reconfirmation): days_before, and either
// deadline_hours (before the start) or deadline_at; ask_at and
// deadline are computed.
type Reconfirmation struct {
	DaysBefore    int        `json:"days_before"`
	DeadlineHours *int       `json:"deadline_hours,omitempty"`
	DeadlineAt    *time.Time `json:"deadline_at,omitempty"`
	Release       bool       `json:"release"`
	AskAt         *time.Time `json:"ask_at,omitempty"`
	Deadline      *time.Time `json:"deadline,omitempty"`
}

// ReconfirmationJSON presents e's setting; nil when it asks none.
func ReconfirmationJSON(e *community.Event) *Reconfirmation {
	r := e.Reconfirm
	if r == nil {
		return nil
	}
	out := &Reconfirmation{DaysBefore: r.DaysBefore, Release: r.Release, DeadlineAt: tokyo(r.DeadlineAt)}
	if r.DeadlineAt == nil {
		h := r.DeadlineHours
		out.DeadlineHours = &h
	}
	if ask := community.ReconfirmAskAt(e); !ask.IsZero() {
		a, d := ask.In(community.Tokyo), community.ReconfirmDeadline(e).In(community.Tokyo)
		out.AskAt, out.Deadline = &a, &d
	}
	return out
}

// ReconfirmationFrom reads a setting as organizers send it (nil: none).
func ReconfirmationFrom(r *Reconfirmation) *community.Reconfirmation {
	if r == nil {
		return nil
	}
	out := &community.Reconfirmation{DaysBefore: r.DaysBefore, DeadlineAt: r.DeadlineAt, Release: r.Release}
	if r.DeadlineHours != nil {
		out.DeadlineHours = *r.DeadlineHours
	}
	return out
}

// Attendance is the contract's Attendance: an event's figures for
// organizers, from the event's counters.
type Attendance struct {
	EventID     string                `json:"event_id"`
	Confirmed   int                   `json:"confirmed"`
	Waitlisted  int                   `json:"waitlisted"`
	CheckedIn   int                   `json:"checked_in"`
	CheckInRate *float64              `json:"check_in_rate"`
	Cancelled   int                   `json:"cancelled"`
	Released    int                   `json:"released"`
	NoShows     *int                  `json:"no_shows"`
	Reconfirm   *ReconfirmationCounts `json:"reconfirmation"`
}

// ReconfirmationCounts are the answers to an event's reconfirmation.
type ReconfirmationCounts struct {
	Asked      int  `json:"asked"`
	Answered   int  `json:"answered"`
	Kept       int  `json:"kept"`
	Cancelled  int  `json:"cancelled"`
	Unanswered int  `json:"unanswered"`
	Release    bool `json:"release"`
}

// AttendanceJSON presents f.
func AttendanceJSON(f *community.AttendanceFigures) Attendance {
	out := Attendance{EventID: f.Event.ID, Confirmed: f.Confirmed, Waitlisted: f.Waitlist, CheckedIn: f.CheckedIn,
		CheckInRate: f.CheckInRate, Cancelled: f.Cancelled, Released: f.Released, NoShows: f.NoShows}
	if r := f.Reconfirm; r != nil {
		out.Reconfirm = &ReconfirmationCounts{Asked: r.Asked, Answered: r.Answered, Kept: r.Kept, Cancelled: r.Cancelled,
			Unanswered: r.Unanswered, Release: r.Release}
	}
	return out
}
