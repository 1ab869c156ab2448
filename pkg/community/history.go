package community

import (
	"context"
)

// EventHistory lists the events the community has held (開催履歴), the
// latest first, as the community lists its past 私塾: a page at a time,
// each page one index read whatever the number of events ever held.
//
// Cancelled events are not in it: they were never held, and a history that
// marked them 中止 would read as a record of failures rather than of what
// took place (the upcoming list shows recent cancellations, where people
// who planned to go need to learn of them). Drafts are never in it either.
type EventHistory struct {
	Store HistoryStore
	Clock Clock
}

// HistoryStore is what the history reads.
type HistoryStore interface {
	// HeldEvents returns up to q.Limit published events of q.Kind (every
	// kind when "") that started before q.To, the latest first, with one
	// Query per page; q.From is ignored. Invalid (reasons "invalid_limit",
	// "invalid_cursor").
	HeldEvents(ctx context.Context, q EventQuery) (EventPage, error)
}

// HistoryQuery picks a page of the history.
type HistoryQuery struct {
	Kind   Kind   // "" for every kind
	Limit  int    // 1–100; 0 means 20
	Cursor string // opaque, from the previous page; "" for the latest
}

// Page returns a page of events that started before now, the latest first,
// as v may see them (View: restricted events carry no secrets), and the
// cursor of the next (older) page, "" at the end. An event under way is in
// it, since the upcoming list shows only events yet to start. Invalid
// (reasons "invalid_limit", "invalid_kind", "invalid_cursor").
func (h *EventHistory) Page(ctx context.Context, v Viewer, q HistoryQuery) ([]EventView, string, error) {
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 1 || q.Limit > 100 {
		return nil, "", ErrInvalidLimit
	}
	if q.Kind != "" && !q.Kind.Valid() {
		return nil, "", ErrInvalidKind
	}
	page, err := h.Store.HeldEvents(ctx, EventQuery{Kind: q.Kind, To: h.Clock.Now(), Limit: q.Limit, Cursor: q.Cursor})
	if err != nil {
		return nil, "", err
	}
	views := make([]EventView, 0, len(page.Events))
	for _, e := range page.Events {
		// Nobody is treated as holding a seat: the event is over, and a
		// history has no use for a join link.
		views = append(views, View(e, v, false))
	}
	return views, page.NextCursor, nil
}
