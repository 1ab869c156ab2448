package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/sorae/tabane/pkg/community"
)

// pageSize is how many events one list page shows.
const pageSize = 20

type eventListData struct {
	Months  []monthGroup
	NextURL string
	Later   bool // this is not the first page
	// Cancelled lists events that were called off and would have been
	// upcoming, shown as 中止 on the first page.
	Cancelled []eventCard
}

// eventList shows upcoming events by month, a page at a time.
func (h *Handler) eventList(ctx context.Context, r *request) response {
	cursor := r.query.Get("cursor")
	views, next, err := h.events.List(ctx, r.viewer, community.EventQuery{Limit: pageSize, Cursor: cursor})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := eventListData{Months: groupByMonth(views, h.clock.Now()), Later: cursor != ""}
	if cursor == "" {
		// Someone who planned to go should find out here, not only by mail.
		cancelled, err := h.events.Cancelled(ctx, r.viewer, 10)
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		for _, v := range cancelled {
			d.Cancelled = append(d.Cancelled, newEventCard(v, h.clock.Now()))
		}
	}
	if next != "" {
		d.NextURL = "/?" + url.Values{"cursor": {next}}.Encode()
	}
	return h.render(ctx, r, http.StatusOK, "events", "イベント一覧", "events", d)
}

// eventDetail shows one event with its registration panel. Unknown,
// malformed and draft ids are all 404.
func (h *Handler) eventDetail(ctx context.Context, r *request) response {
	return h.eventPage(ctx, r, r.params["id"], http.StatusOK, func(p *applyPanel) {
		// The notice is for the place cancelled, unless it was taken again
		// since; the person's other frames stay listed beside it.
		done := r.query.Get("cancelled")
		if done == "" {
			return
		}
		if done == "1" {
			done = community.DefaultFrameID
		}
		if !slices.ContainsFunc(p.Mine, func(s regStatus) bool { return s.FrameID == done }) {
			p.Notice = "申込を取り消しました。"
		}
	})
}
