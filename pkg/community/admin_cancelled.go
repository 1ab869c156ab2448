package community

import "context"

// Cancelled returns up to limit (1–100; 0 means 20) cancelled events that
// have not started yet, soonest first, as v may see them, so that listings
// can show them as 中止 next to the upcoming ones.
func (s *Events) Cancelled(ctx context.Context, v Viewer, limit int) ([]EventView, error) {
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return nil, ErrInvalidLimit
	}
	page, err := s.Store.CancelledEvents(ctx, EventQuery{From: s.Clock.Now(), Limit: limit})
	if err != nil {
		return nil, err
	}
	views := make([]EventView, 0, len(page.Events))
	for _, e := range page.Events {
		// No join URL for anyone: the event will not take place.
		view := View(e, v, false)
		view.ShowJoinURL = false
		views = append(views, view)
	}
	return views, nil
}
