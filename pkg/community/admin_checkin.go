package community

import (
	"context"
	"strings"
	"time"
)

// TokenCheckIn is the purpose of the signed check-in links in confirmed
// registrants' QR codes.
const TokenCheckIn = "checkin"

// CheckInLinks makes the signed links a confirmed registrant's QR code
// carries; an organizer's phone opens one to check them in.
type CheckInLinks interface {
	CheckInLink(eventID, regID string, until time.Time) string
}

// checkInGrace is how long after an event's end its check-in links still
// open: long enough for a late-running day, short enough that a code
// screenshotted and passed around is soon worth nothing.
const checkInGrace = 12 * time.Hour

// CheckInUntil is when check-in links for e stop working.
func CheckInUntil(e *Event) time.Time { return e.EndsAt.Add(checkInGrace) }

// HasCheckIn says whether e's confirmed registrants get a check-in code:
// only an event with a venue has a door to check in at.
func HasCheckIn(e *Event) bool { return e != nil && e.Venue != nil }

// CheckInAttendee returns event eventID and registration regID with the
// person behind it, for the page an organizer's phone opens from a QR
// code. NotFound (reasons "event_not_found", "registration_not_found").
func (a *Attendance) CheckInAttendee(ctx context.Context, v Viewer, eventID, regID string) (*Event, Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, Attendee{}, err
	}
	e, err := a.Store.Event(ctx, eventID)
	if err != nil {
		return nil, Attendee{}, err
	}
	r, err := a.Store.Registration(ctx, eventID, regID)
	if err != nil {
		return nil, Attendee{}, err
	}
	list, err := a.attendees(ctx, e, []*Registration{r})
	if err != nil {
		return nil, Attendee{}, err
	}
	return e, list[0], nil
}

// CheckInList returns event id's confirmed registrants whose name or
// ふりがな contains query (all of them for ""), for the door's list of
// people who have no code with them. It reads the confirmed only, a page
// of 100 at a time: bounded by the event's capacity.
func (a *Attendance) CheckInList(ctx context.Context, v Viewer, id, query string) (*Event, []Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	query = strings.Join(strings.Fields(query), "")
	var out []Attendee
	var e *Event
	q := AttendeeQuery{Status: RegistrationConfirmed, Limit: 100}
	for {
		page, err := a.attendeePage(ctx, id, q)
		if err != nil {
			return nil, nil, err
		}
		e = page.Event
		for _, at := range page.Attendees {
			if query == "" || matchName(at, query) {
				out = append(out, at)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	return e, out, nil
}

// matchName compares without spaces, so "いせさき はなこ" finds
// "いせさきはなこ" and the other way round.
func matchName(at Attendee, query string) bool {
	strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
	return strings.Contains(strip(at.Name), query) || strings.Contains(strip(at.NameKana), query)
}
