package community

import (
	"context"
	"slices"
	"strings"
	"time"
)

// EventBoard lists events for the organizers' dashboard: what is coming,
// drafts and cancellations included, and the latest past events. It reads
// a bounded number of index pages whatever the number of events ever held.
type EventBoard struct {
	Store EventBoardStore
	Clock Clock
}

// EventBoardStore is what the dashboard reads: one index page each.
type EventBoardStore interface {
	// UpcomingEvents is as Store says.
	UpcomingEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// CancelledEvents returns cancelled events by start, as UpcomingEvents.
	CancelledEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// DraftEvents returns drafts by start, as UpcomingEvents.
	DraftEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// PastEvents returns up to limit published events that started before
	// before, the latest first. Invalid (reason "invalid_limit").
	PastEvents(ctx context.Context, before time.Time, limit int) ([]*Event, error)
	EventsByStartDesc
}

// Board is the dashboard's events.
type Board struct {
	// Upcoming are published, draft and cancelled events that have not
	// started, by start; More says there were more than one page held.
	Upcoming []*Event
	More     bool
	// Past are the latest published events that have started, latest first.
	Past []*Event
}

// BoardLimit is how many upcoming events of each status, and how many past
// events, the dashboard shows.
const BoardLimit = 50

// draftLookback keeps a draft whose start passed unnoticed on the board for
// a while, so that the organizer sees it and moves or deletes it.
const draftLookback = 30 * 24 * time.Hour

// Board returns the dashboard's events for organizer v.
func (b *EventBoard) Board(ctx context.Context, v Viewer) (*Board, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	now := b.Clock.Now()
	out := &Board{}
	for _, list := range []struct {
		read func(context.Context, EventQuery) (EventPage, error)
		from time.Time
	}{
		{b.Store.UpcomingEvents, now},
		{b.Store.DraftEvents, now.Add(-draftLookback)},
		{b.Store.CancelledEvents, now},
	} {
		page, err := list.read(ctx, EventQuery{From: list.from, Limit: BoardLimit})
		if err != nil {
			return nil, err
		}
		out.Upcoming = append(out.Upcoming, page.Events...)
		out.More = out.More || page.NextCursor != ""
	}
	sortByStart(out.Upcoming)
	past, err := b.Store.PastEvents(ctx, now, BoardLimit)
	if err != nil {
		return nil, err
	}
	out.Past = past
	return out, nil
}

func sortByStart(es []*Event) {
	slices.SortStableFunc(es, func(a, b *Event) int { return a.StartsAt.Compare(b.StartsAt) })
}

// EventMark is a place in the console's list of every event: the start,
// then the id, as the listing indexes sort them. The zero mark is the top.
type EventMark struct {
	StartsAt time.Time
	ID       string
}

// Mark is where e sits in the list of every event.
func (e *Event) Mark() EventMark { return EventMark{StartsAt: e.StartsAt, ID: e.ID} }

// EventList is one page of every event, the latest start first.
type EventList struct {
	Events []*Event
	// Next is where the next page starts (after its last event); nil on
	// the last page.
	Next *EventMark
}

// EventListLimit is how many events a page of the console's list shows.
const EventListLimit = 30

// EventsByStartDesc is what the list of every event reads: events of one
// status that start before a mark, the latest first, one index Query.
type EventsByStartDesc interface {
	// EventsBefore returns up to limit (1–100) events of status st whose
	// (start, id) comes before mark (every one for the zero mark), the
	// latest first. Invalid (reason "invalid_limit").
	EventsBefore(ctx context.Context, st EventStatus, mark EventMark, limit int) ([]*Event, error)
}

// List returns a page of every event, drafts and cancellations included,
// upcoming and past alike, the latest start first, from after mark (the
// zero mark: the top). It reads one bounded Query per status, whatever the
// number of events ever held: each asks for one more than a page, so the
// merged page knows whether another follows.
func (b *EventBoard) List(ctx context.Context, v Viewer, mark EventMark, limit int) (*EventList, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	if limit < 1 || limit >= maxListLimit {
		return nil, ErrInvalidLimit
	}
	var all []*Event
	for _, st := range []EventStatus{EventPublished, EventDraft, EventCancelled} {
		es, err := b.Store.EventsBefore(ctx, st, mark, limit+1)
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
	}
	slices.SortFunc(all, func(x, y *Event) int {
		if c := y.StartsAt.Compare(x.StartsAt); c != 0 {
			return c
		}
		return strings.Compare(y.ID, x.ID)
	})
	out := &EventList{Events: all}
	if len(all) > limit {
		// Every status read more than this page could hold, or ran out:
		// what is cut here is exactly what the next page reads again.
		out.Events = all[:limit]
		m := out.Events[limit-1].Mark()
		out.Next = &m
	}
	return out, nil
}

// maxListLimit bounds a page of the list (the store's Query limit).
const maxListLimit = 100
