package community

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Attendee is a registration with the person behind it, as organizers see it.
type Attendee struct {
	*Registration
	Name        string
	NameKana    string // members only
	Affiliation string // members only
	Email       string
	Guest       bool
	Withdrawn   bool // a member who left; their personal data is gone
	// MailSuppressed is the member's suppression mark: mail to them stopped
	// after a permanent bounce or a complaint. nil for guests.
	MailSuppressed *Suppression
	// WaitlistPosition is the 1-based place of a waitlisted registration, else 0.
	WaitlistPosition int
	// FrameName names the registration's 参加枠; "" for an event without frames.
	FrameName string
	// Organization is the name of the organization that nominated the
	// registrant (団体推薦, OrganizationName); "" for everyone who applied
	// on their own.
	Organization string
}

// AttendeeQuery selects a page of an event's registrations: the confirmed
// first, then the waitlisted (head first), then the cancelled, each in
// arrival order; or those of one Status.
type AttendeeQuery struct {
	Status RegistrationStatus // "" for all
	Limit  int                // 1–100; 0 means 50
	Cursor string
}

// AttendeePage is one page of attendees and the cursor of the next, "" at the end.
type AttendeePage struct {
	Event      *Event
	Attendees  []Attendee
	NextCursor string
}

var attendeeStatuses = []RegistrationStatus{RegistrationConfirmed, RegistrationWaitlisted, RegistrationCancelled}

// attendeeCursor is where a page of attendees ends: in which status, and
// the store's cursor inside it.
type attendeeCursor struct {
	Status RegistrationStatus `json:"s"`
	Inner  string             `json:"c,omitempty"`
}

func (c attendeeCursor) encode() string {
	b, _ := json.Marshal(c) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// Attendance is what organizers do with an event's registrations: list
// and export them, check people in, and cancel one on its registrant's
// behalf.
type Attendance struct {
	Store AttendanceStore
	Clock Clock
	// Log reports an audit entry that failed after the change was stored.
	Log *slog.Logger
}

// AttendanceStore is what attendance keeps and reads.
type AttendanceStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Registration, WaitlistPosition and CancelRegistration are as
	// RegistrationStore says.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	WaitlistPosition(ctx context.Context, r *Registration) (int, error)
	CancelRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *Registration, err error)
	// EventRegistrations returns a page of an event's registrations with
	// status, in arrival order (the waitlist head first). Invalid (reasons
	// "invalid_status", "invalid_limit", "invalid_cursor").
	EventRegistrations(ctx context.Context, eventID string, status RegistrationStatus, limit int, cursor string) ([]*Registration, string, error)
	// SetCheckIn records (at != nil) or clears (at == nil) a registration's
	// check-in and returns the registration. Checking in twice keeps the
	// first time. NotFound (reason "registration_not_found"); Closed
	// (reason "not_confirmed") when checking in one that is not confirmed,
	// or undoing the check-in of one cancelled since (its cancellation
	// took it off the event's checked-in count already).
	SetCheckIn(ctx context.Context, eventID, regID string, at *time.Time) (*Registration, error)
	// EventOrgSurveys returns the organizations' survey records of an
	// event, in the order they were handed over (orgsurveys.go).
	EventOrgSurveys(ctx context.Context, eventID string) ([]*OrgSurvey, error)
	MemberLookup
	AuditAppender
}

// Attendees returns a page of event id's registrations with the people
// behind them, one Query per status the page spans. The reading is
// audited: who looked at whose list, and how many people it showed.
func (a *Attendance) Attendees(ctx context.Context, v Viewer, id string, q AttendeeQuery) (AttendeePage, error) {
	if err := RequireOrganizer(v); err != nil {
		return AttendeePage{}, err
	}
	page, err := a.attendeePage(ctx, id, q)
	if err != nil {
		return AttendeePage{}, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationsView, "event", id,
		fmt.Sprintf("「%s」の参加者一覧を閲覧（%d件）", page.Event.Title, len(page.Attendees)))
	return page, nil
}

// attendeePage is Attendees without the audit entry, for the callers that
// read every page and record one entry for the whole.
func (a *Attendance) attendeePage(ctx context.Context, id string, q AttendeeQuery) (AttendeePage, error) {
	statuses := attendeeStatuses
	if q.Status != "" {
		if !slices.Contains(attendeeStatuses, q.Status) {
			return AttendeePage{}, ErrInvalidStatus.Messagef("status は confirmed, waitlisted, cancelled のいずれかです。")
		}
		statuses = []RegistrationStatus{q.Status}
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 100 {
		return AttendeePage{}, ErrInvalidLimit
	}
	start, inner := 0, ""
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c attendeeCursor
		if err != nil || json.Unmarshal(b, &c) != nil {
			return AttendeePage{}, ErrInvalidCursor
		}
		if start = slices.Index(statuses, c.Status); start < 0 {
			return AttendeePage{}, ErrInvalidCursor
		}
		inner = c.Inner
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return AttendeePage{}, err
	}
	page := AttendeePage{Event: e}
	var regs []*Registration
	for i := start; i < len(statuses) && len(regs) < q.Limit; i++ {
		got, next, err := a.Store.EventRegistrations(ctx, id, statuses[i], q.Limit-len(regs), inner)
		if err != nil {
			return AttendeePage{}, err
		}
		inner = ""
		regs = append(regs, got...)
		switch {
		case next != "":
			page.NextCursor = attendeeCursor{Status: statuses[i], Inner: next}.encode()
		case i+1 < len(statuses):
			page.NextCursor = attendeeCursor{Status: statuses[i+1]}.encode()
		default:
			page.NextCursor = ""
		}
		if next != "" {
			break
		}
	}
	page.Attendees, err = a.attendees(ctx, e, regs)
	return page, err
}

// attendees puts the people behind regs, and waitlist places, on them.
func (a *Attendance) attendees(ctx context.Context, e *Event, regs []*Registration) ([]Attendee, error) {
	_, members, err := recipients(ctx, a.Store, regs)
	if err != nil {
		return nil, err
	}
	// Nominating organizations are members too: one more batched read,
	// only when the page has nominees.
	var orgIDs []string
	for _, r := range regs {
		if r.OrganizationID != "" {
			orgIDs = append(orgIDs, r.OrganizationID)
		}
	}
	orgs := map[string]*Member{}
	if len(orgIDs) > 0 {
		if orgs, err = a.Store.MembersByID(ctx, orgIDs); err != nil {
			return nil, err
		}
	}
	out := make([]Attendee, 0, len(regs))
	pos, line := 0, ""
	for _, r := range regs {
		at := Attendee{Registration: r}
		if org := orgs[r.OrganizationID]; org != nil {
			at.Organization = OrganizationName(org)
		}
		if f, err := e.Frame(r.FrameID); err == nil && r.FrameID != DefaultFrameID {
			at.FrameName = f.Name
		}
		switch m := members[r.MemberID]; {
		case r.Guest != nil:
			at.Guest, at.Name, at.Email = true, r.Guest.Name, r.Guest.Email
		case m != nil && m.Status != MemberWithdrawn:
			at.Name, at.NameKana, at.Affiliation, at.Email = m.Name, m.NameKana, m.Affiliation, m.Email
			at.MailSuppressed = m.MailSuppressed
		default:
			at.Withdrawn = true
		}
		if r.Status == RegistrationWaitlisted {
			if pos == 0 || r.FrameID != line {
				// The first waitlisted of the page (and of each frame's run
				// of the waitlist) asks the table its place; the rest follow
				// it in order.
				line = r.FrameID
				if pos, err = a.Store.WaitlistPosition(ctx, r); err != nil {
					return nil, err
				}
			} else {
				pos++
			}
			at.WaitlistPosition = pos
		}
		out = append(out, at)
	}
	return out, nil
}

// ExportAttendees returns every registration of event id with the people
// behind them, confirmed first, then waitlisted, then cancelled, for a
// spreadsheet. The export is audited: it carries personal data out.
func (a *Attendance) ExportAttendees(ctx context.Context, v Viewer, id string) (*Event, []Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	var all []Attendee
	var e *Event
	q := AttendeeQuery{Limit: 100}
	for {
		page, err := a.attendeePage(ctx, id, q)
		if err != nil {
			return nil, nil, err
		}
		e = page.Event
		all = append(all, page.Attendees...)
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationsExport, "event", id, fmt.Sprintf("「%s」の参加者一覧を出力（%d件）", e.Title, len(all)))
	return e, all, nil
}

// CheckIn marks a confirmed registration as arrived. Checking in twice
// keeps the first time. Closed (reason "not_confirmed") for a registration
// that holds no seat.
func (a *Attendance) CheckIn(ctx context.Context, v Viewer, eventID, regID string) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	now := a.Clock.Now().UTC().Truncate(time.Millisecond)
	r, err := a.Store.SetCheckIn(ctx, eventID, regID, &now)
	if err != nil {
		return nil, err
	}
	if r.CheckedInAt != nil && r.CheckedInAt.Equal(now) {
		auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditCheckIn, "registration", regID, "受付済みにしました（イベント "+eventID+"）")
	}
	return r, nil
}

// UndoCheckIn clears a registration's check-in; undoing twice is harmless.
func (a *Attendance) UndoCheckIn(ctx context.Context, v Viewer, eventID, regID string) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	cur, err := a.Store.Registration(ctx, eventID, regID)
	if err != nil {
		return nil, err
	}
	if cur.CheckedInAt == nil {
		return cur, nil
	}
	r, err := a.Store.SetCheckIn(ctx, eventID, regID, nil)
	if err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditCheckInUndo, "registration", regID, "受付を取り消しました（イベント "+eventID+"）")
	return r, nil
}
