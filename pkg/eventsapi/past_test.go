package eventsapi

import (
	"context"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// TestPastList reads GET /api/events?when=past: held events only, the
// latest first, one Query a page across pages, no join URL for a member
// without a seat, and the parameters it refuses.
func TestPastList(t *testing.T) {
	e := newEnv(t)
	e.h.History = &community.EventHistory{Store: e.store, Clock: community.ClockFunc(func() time.Time { return now })}
	var held []*community.Event
	for i := range 7 {
		aud := community.AudiencePublic
		if i%2 == 1 {
			aud = community.AudienceRegular
		}
		held = append(held, event("過去の私塾 "+strconv.Itoa(i), community.KindLecture, aud, now.Add(-time.Duration(i+1)*96*time.Hour)))
	}
	meeting := event("過去の井戸端会議", community.KindMeeting, community.AudienceRegular, now.Add(-30*time.Hour))
	cancelled := event("中止の私塾", community.KindLecture, community.AudiencePublic, now.Add(-50*time.Hour))
	coming := event("これからの私塾", community.KindLecture, community.AudiencePublic, now.Add(50*time.Hour))
	later := event("さらに先の私塾", community.KindLecture, community.AudiencePublic, now.Add(500*time.Hour))
	e.seed(t, append(held, meeting, cancelled, coming, later)...)
	if _, _, err := e.store.CancelEvent(context.Background(), cancelled, "講師の都合", now); err != nil {
		t.Fatal(err)
	}
	want := []string{meeting.ID}
	for _, ev := range held {
		want = append(want, ev.ID)
	}

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		q := url.Values{"when": {"past"}, "limit": {"3"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		e.counter.Reset()
		req := withQuery(fixture(t, "list-bearer.json"), q.Encode())
		req.Headers["authorization"] = "Bearer " + tokSupporting
		b := decodeList(t, invoke(t, e.h, req))
		if calls := e.counter.Snapshot(); calls["DynamoDB.Query"] != 1 || e.counter.Total() != 1 {
			t.Errorf("page %d made %v calls, want one Query", pages, calls)
		}
		for _, ev := range b.Events {
			if _, ok := ev["join_url"]; ok {
				t.Errorf("%v carries a join URL", ev["title"])
			}
		}
		got = append(got, ids(b.Events)...)
		if b.NextCursor == nil {
			break
		}
		cursor = *b.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("held events, latest first (-want +got):\n%s", diff)
	}

	t.Run("Kind", func(t *testing.T) {
		b := decodeList(t, invoke(t, e.h, withQuery(fixture(t, "list-anonymous.json"), "when=past&kind=meeting")))
		if diff := cmp.Diff([]string{meeting.ID}, ids(b.Events)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if b.Events[0]["restricted"] != true {
			t.Error("a regular members' meeting is not restricted for an anonymous caller")
		}
	})
	t.Run("Upcoming", func(t *testing.T) {
		b := decodeList(t, invoke(t, e.h, withQuery(fixture(t, "list-anonymous.json"), "when=upcoming")))
		if diff := cmp.Diff([]string{coming.ID, later.ID}, ids(b.Events)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	list := func(raw string) httpapi.Request { return withQuery(fixture(t, "list-anonymous.json"), raw) }
	upcoming := decodeList(t, invoke(t, e.h, list("limit=1&from=2025-01-01")))
	if upcoming.NextCursor == nil {
		t.Fatal("no upcoming cursor")
	}
	for _, tt := range []struct {
		name, raw, code string
	}{
		{"UnknownWhen", "when=later", "invalid_parameter"},
		{"FromWithPast", "when=past&from=2025-01-01", "invalid_from"},
		{"ToWithPast", "when=past&to=2025-01-01", "invalid_to"},
		{"GarbageCursor", "when=past&cursor=abc", "invalid_cursor"},
		{"UpcomingCursor", "when=past&cursor=" + url.QueryEscape(*upcoming.NextCursor), "invalid_cursor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, invoke(t, e.h, list(tt.raw)), 400, tt.code)
		})
	}
}
