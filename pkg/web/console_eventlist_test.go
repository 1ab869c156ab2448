package web

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

var boardRowRE = regexp.MustCompile(`<tr data-event="([0-9a-z]+)">`)

// The list of every event shows drafts, published and cancelled events,
// upcoming and past, the latest start first, a page at a time, each event
// once; the first page offers 「新しいイベント」.
func TestConsoleEventList(t *testing.T) {
	e, org, member := consoleEnv(t)
	type want struct {
		id    string
		start time.Time
	}
	var all []want
	statuses := []community.EventStatus{community.EventPublished, community.EventDraft, community.EventCancelled}
	for i := range 2*community.EventListLimit + 5 {
		// Spread over the past and the future, statuses mixed, two events
		// on one start now and then (the id breaks the tie).
		start := testNow.Add(time.Duration(i/2*3-40) * 24 * time.Hour)
		st := statuses[i%3]
		ev := e.createEvent(t, fmt.Sprintf("一覧確認の会 %02d", i), start, func(ev *community.Event) {
			ev.Status = st
			if st == community.EventCancelled {
				ev.CancelReason = "講師の都合"
			}
		})
		all = append(all, want{ev.ID, ev.StartsAt})
	}
	slices.SortFunc(all, func(a, b want) int {
		if c := b.start.Compare(a.start); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})

	if resp := e.do(t, get(t, "/admin/events", member)); resp.StatusCode != 403 {
		t.Errorf("member: %d", resp.StatusCode)
	}
	var seen []string
	next := "/admin/events"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("the pages never end")
		}
		resp := e.do(t, get(t, next, org))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", next, resp.StatusCode, resp.Body)
		}
		checkLabelsAndHeadings(t, next, resp.Body)
		if pages == 0 {
			if !strings.Contains(resp.Body, `href="/admin/events/new" id="new-event">新しいイベント</a>`) {
				t.Error("the first page has no 新しいイベント button")
			}
			if !strings.Contains(resp.Body, `<a href="/admin/events" aria-current="page">イベント</a>`) {
				t.Error("the console nav's イベント does not lead to the list")
			}
			for _, w := range []string{"下書き", "公開中", "中止"} {
				if !strings.Contains(resp.Body, w) {
					t.Errorf("the first page shows no %s event", w)
				}
			}
		}
		rows := boardRowRE.FindAllStringSubmatch(resp.Body, -1)
		if len(rows) > community.EventListLimit {
			t.Errorf("%s: %d rows, more than a page", next, len(rows))
		}
		for _, m := range rows {
			seen = append(seen, m[1])
		}
		next = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(resp.Body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	ids := make([]string, len(all))
	for i, w := range all {
		ids[i] = w.id
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("listed %d events in this order:\n%v\nwant %d, latest start first:\n%v", len(seen), seen, len(ids), ids)
	}

	for _, bad := range []string{"x", "12.nope", "-5." + all[0].id} {
		if resp := e.do(t, get(t, "/admin/events?before="+bad, org)); resp.StatusCode != 400 {
			t.Errorf("before=%s: %d, want 400", bad, resp.StatusCode)
		}
	}
}
