package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// pastCard is a held event as the history lists it: the upcoming list's
// card (built from the same community.View, so a restricted event shows
// exactly what the upcoming list shows of it) with its speakers, which the
// event page shows everyone too.
type pastCard struct {
	eventCard
	Speakers []string
	UnderWay bool // started, not yet ended
}

// pastMonth is the held events of one Tokyo calendar month, latest first.
type pastMonth struct {
	Label  string // 令和7年5月
	Events []pastCard
}

// kindFilter is one of the history's kind links.
type kindFilter struct {
	Label, URL string
	Current    bool
}

type pastData struct {
	Months  []pastMonth
	Kinds   []kindFilter
	Kind    string // the kind shown, "" for all
	NextURL string // the older page, "" at the end
	Later   bool   // this is not the latest page
	Latest  string // the latest page of the same kind
}

// pastEvents shows the events held so far (開催履歴), the latest first, a
// page at a time; each page is one index read, and the 「さらに前」 link
// carries the store's opaque cursor. A cursor the store did not issue is
// a 400 page saying to start again from the latest page.
func (h *Handler) pastEvents(ctx context.Context, r *request) response {
	if h.history == nil {
		return h.notFound(ctx, r)
	}
	kind := community.Kind(r.query.Get("kind"))
	cursor := r.query.Get("cursor")
	views, next, err := h.history.Page(ctx, r.viewer, community.HistoryQuery{Kind: kind, Limit: pageSize, Cursor: cursor})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	now := h.clock.Now()
	d := pastData{Kind: string(kind), Later: cursor != "", Latest: pastURL(kind, "")}
	for _, v := range views {
		label := jadate.Month(v.StartsAt)
		if len(d.Months) == 0 || d.Months[len(d.Months)-1].Label != label {
			d.Months = append(d.Months, pastMonth{Label: label})
		}
		m := &d.Months[len(d.Months)-1]
		m.Events = append(m.Events, pastCard{
			eventCard: newEventCard(v, now),
			Speakers:  v.Speakers,
			UnderWay:  v.EndsAt.After(now),
		})
	}
	d.Kinds = append(d.Kinds, kindFilter{Label: "すべて", URL: pastURL("", ""), Current: kind == ""})
	for _, k := range community.Kinds {
		d.Kinds = append(d.Kinds, kindFilter{Label: k.Label(), URL: pastURL(k, ""), Current: kind == k})
	}
	if next != "" {
		d.NextURL = pastURL(kind, next)
	}
	return h.render(ctx, r, http.StatusOK, "past", "開催履歴", "past", d)
}

// pastURL is the history page of kind ("" for all) from cursor.
func pastURL(kind community.Kind, cursor string) string {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", string(kind))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return "/past"
	}
	return "/past?" + q.Encode()
}
