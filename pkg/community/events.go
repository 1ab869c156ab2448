package community

import (
	"context"
	"slices"
	"time"
)

// Events answers questions about events for one caller at a time, applying
// the visibility rules in one place for the API, the pages and the feeds.
type Events struct {
	Store Store
	Clock Clock
	// Regs tells whether a member holds a seat, which shows them the join
	// URL; nil means nobody is treated as confirmed.
	Regs RegistrationStore
}

// EventView is an event as one viewer may see it: secrets removed where the
// viewer may not have them.
type EventView struct {
	*Event
	Restricted  bool // the viewer may not attend
	ShowJoinURL bool
}

// View applies the visibility rules to e for v. The join URL is shown only to
// organizers and (once registrations exist) confirmed attendees; confirmed
// reports whether v holds a confirmed seat.
func View(e *Event, v Viewer, confirmed bool) EventView {
	return EventView{
		Event:      e,
		Restricted: !v.MayAttend(e) && !v.Organizer(),
		// A suspended member keeps their registration but not the link.
		ShowJoinURL: e.JoinURL != "" && (v.Organizer() || (confirmed && v.Member != nil && v.Member.Status == MemberActive)),
	}
}

// List returns a page of upcoming published events as v may see them.
func (s *Events) List(ctx context.Context, v Viewer, q EventQuery) ([]EventView, string, error) {
	now := s.Clock.Now()
	if q.From.IsZero() || q.From.Before(now) {
		q.From = now
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 1 || q.Limit > 100 {
		return nil, "", ErrInvalidLimit
	}
	if q.Kind != "" && !q.Kind.Valid() {
		return nil, "", ErrInvalidKind
	}
	if !q.To.IsZero() && !q.To.After(q.From) {
		return []EventView{}, "", nil
	}
	page, err := s.Store.UpcomingEvents(ctx, q)
	if err != nil {
		return nil, "", err
	}
	seats, err := s.seats(ctx, v, page.Events)
	if err != nil {
		return nil, "", err
	}
	views := make([]EventView, 0, len(page.Events))
	for _, e := range page.Events {
		views = append(views, View(e, v, seats[e.ID]))
	}
	return views, page.NextCursor, nil
}

// Get returns one event as v may see it. Drafts are NotFound to all but organizers.
func (s *Events) Get(ctx context.Context, v Viewer, id string) (EventView, error) {
	e, err := s.Store.Event(ctx, id)
	if err != nil {
		return EventView{}, err
	}
	if !e.VisibleTo(v) {
		return EventView{}, ErrEventNotFound
	}
	confirmed := false
	if v.Member != nil && s.Regs != nil && e.JoinURL != "" {
		held, err := s.Regs.MemberEventRegistrations(ctx, e.ID, v.Member.ID)
		if err != nil {
			return EventView{}, err
		}
		for _, r := range held {
			confirmed = confirmed || r.Status == RegistrationConfirmed
		}
	}
	return View(e, v, confirmed), nil
}

// seats returns which of events v holds a confirmed seat at: one Query over
// the page's date range for a member with a join URL to show, none for
// anyone else.
func (s *Events) seats(ctx context.Context, v Viewer, events []*Event) (map[string]bool, error) {
	if v.Member == nil || s.Regs == nil || len(events) == 0 {
		return nil, nil
	}
	anyLink := false
	for _, e := range events {
		anyLink = anyLink || e.JoinURL != ""
	}
	if !anyLink {
		return nil, nil
	}
	regs, err := s.Regs.MemberRegistrationsBetween(ctx, v.Member.ID, events[0].StartsAt, events[len(events)-1].StartsAt)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(regs))
	for _, r := range regs {
		if r.Status == RegistrationConfirmed {
			out[r.EventID] = true
		}
	}
	return out, nil
}

// PublicFeed returns the public events starting from now on, for the
// iCalendar feed, in start order: the published ones, and the cancelled
// ones too, so that a subscribed calendar learns of the cancellation
// instead of keeping a meeting that will not happen.
func (s *Events) PublicFeed(ctx context.Context, horizon time.Duration) ([]*Event, error) {
	now := s.Clock.Now()
	var out []*Event
	for _, list := range []func(context.Context, EventQuery) (EventPage, error){s.Store.UpcomingEvents, s.Store.CancelledEvents} {
		q := EventQuery{From: now, To: now.Add(horizon), Limit: 100}
		for {
			page, err := list(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, e := range page.Events {
				if e.Audience == AudiencePublic {
					out = append(out, e)
				}
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	slices.SortStableFunc(out, func(a, b *Event) int { return a.StartsAt.Compare(b.StartsAt) })
	return out, nil
}
