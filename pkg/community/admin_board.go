package community

import (
	"context"
	"slices"
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
