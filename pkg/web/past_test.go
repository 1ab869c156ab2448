package web

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
)

// TestPastEvents reads the history as a visitor: held events latest first
// with their 令和 dates, kinds, audiences and speakers; nothing of a
// members-only event beyond what the upcoming list shows; no cancelled
// event, draft or event yet to come; the kind links; and clear 400 pages
// for a cursor or kind the page did not issue.
func TestPastEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now() // 令和7年5月1日(木) 10:00
	old := e.createEvent(t, "私塾 橋梁点検の基礎", jst(3, 12, 19, 0), func(ev *community.Event) {
		ev.Speakers = []string{"山田 太郎", "鈴木 一郎"}
	})
	members := e.createEvent(t, "井戸端会議 4月", jst(4, 8, 18, 0), func(ev *community.Event) {
		ev.Kind, ev.Audience = community.KindMeeting, community.AudienceRegular
		ev.Description = "内輪の話題: 予算要求の進め方"
		ev.Venue = &community.Venue{Name: "秘密の会議室", Address: "群馬県伊勢崎市今泉町2-410"}
		ev.OnlinePlatform, ev.JoinURL = "Zoom", "https://zoom.example/j/past-secret"
		ev.Notes = "録画・録音なし"
	})
	underWay := e.createEvent(t, "体験 現場見学会", now.Add(-30*time.Minute), func(ev *community.Event) {
		ev.Kind = community.KindFieldTrip
		ev.EndsAt = now.Add(2 * time.Hour)
	})
	cancelled := e.createEvent(t, "中止になった私塾", jst(4, 20, 19, 0), nil)
	if _, _, err := e.store.CancelEvent(ctx, cancelled, "講師の都合", now); err != nil {
		t.Fatal(err)
	}
	e.createEvent(t, "下書きの私塾", jst(4, 22, 19, 0), func(ev *community.Event) { ev.Status = community.EventDraft })
	e.createEvent(t, "これからの私塾", jst(5, 14, 19, 0), nil)
	e.createEvent(t, "昨年度の私塾", time.Date(2024, 12, 10, 19, 0, 0, 0, community.Tokyo), nil)

	resp := e.do(t, get(t, "/past", ""))
	wantStatus(t, resp, 200)
	checkPageHeaders(t, resp)
	wantBody(t, resp, "<h1>開催履歴</h1>",
		`<a href="/events/`+old.ID+`">私塾 橋梁点検の基礎</a>`, "令和7年3月12日(水) 19:00〜20:30", "講師・登壇者: 山田 太郎、鈴木 一郎",
		`<a href="/events/`+members.ID+`">井戸端会議 4月</a>`, "令和7年4月8日(火) 18:00〜19:30", "正会員限定",
		`<a href="/events/`+underWay.ID+`">体験 現場見学会</a>`, "開催中",
		"令和6年12月10日(火)", `<h2 id="past-令和7年4月">令和7年4月</h2>`, `<h2 id="past-令和6年12月">令和6年12月</h2>`,
		`<a href="/past" aria-current="page">開催履歴</a>`)
	wantNotBody(t, resp, "中止になった私塾", "下書きの私塾", "これからの私塾",
		"秘密の会議室", "今泉町", "past-secret", "予算要求", "録画・録音なし", "2025年", "2024年",
		"さらに前の開催履歴を見る", "最新の開催履歴に戻る")
	order := []string{"体験 現場見学会", "井戸端会議 4月", "私塾 橋梁点検の基礎", "昨年度の私塾"}
	for i := 1; i < len(order); i++ {
		if strings.Index(resp.Body, order[i-1]) > strings.Index(resp.Body, order[i]) {
			t.Errorf("%q is listed after %q: the latest must come first", order[i-1], order[i])
		}
	}
	if strings.Count(resp.Body, "開催中") != 1 {
		t.Errorf("開催中 appears %d times, want once (the event under way)", strings.Count(resp.Body, "開催中"))
	}

	t.Run("Member", func(t *testing.T) {
		// A regular member sees the same list: the history shows no venue
		// or link to anyone, as the upcoming list does not.
		_, session := e.member(t, "正会員 花子", community.MembershipRegular)
		resp := e.do(t, get(t, "/past", session))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "井戸端会議 4月")
		wantNotBody(t, resp, "秘密の会議室", "past-secret", "予算要求")
	})
	t.Run("Kind", func(t *testing.T) {
		resp := e.do(t, get(t, "/past?kind=meeting", ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "井戸端会議 4月", `<a class="tag kind" href="/past?kind=meeting" aria-current="page">井戸端会議</a>`)
		wantNotBody(t, resp, "私塾 橋梁点検の基礎", "体験 現場見学会")
	})
	t.Run("BadCursor", func(t *testing.T) {
		for _, c := range []string{"garbage", "eyJpIjoiR1NJMSJ9"} {
			resp := e.do(t, get(t, "/past?cursor="+c, ""))
			wantStatus(t, resp, 400)
			wantBody(t, resp, "ページの指定（cursor）が正しくありません。最初のページから読み直してください。")
		}
	})
	t.Run("UpcomingCursorIsRefused", func(t *testing.T) {
		// A cursor of the upcoming list names a place in the same index, at
		// or after now: history cursors only go back, so it is refused
		// rather than read from.
		for i := range 21 {
			e.createEvent(t, fmt.Sprintf("予定 %02d", i), jst(6, 1+i, 19, 0), nil)
		}
		list := e.do(t, get(t, "/", ""))
		m := regexp.MustCompile(`href="/\?cursor=([^"]+)"`).FindStringSubmatch(list.Body)
		if m == nil {
			t.Fatal("the upcoming list has no next page")
		}
		resp := e.do(t, get(t, "/past?cursor="+html.UnescapeString(m[1]), ""))
		wantStatus(t, resp, 400)
	})
	t.Run("BadKind", func(t *testing.T) {
		resp := e.do(t, get(t, "/past?kind=party", ""))
		wantStatus(t, resp, 400)
	})
	t.Run("Linked", func(t *testing.T) {
		resp := e.do(t, get(t, "/", ""))
		wantBody(t, resp, `<a href="/past">これまでに開催したイベント（開催履歴）</a>`, `<li><a href="/past">開催履歴</a></li>`)
	})
}

// nextPast is the 「さらに前」 link of a history page, "" on the last.
var nextPast = regexp.MustCompile(`<a href="(/past\?[^"]+)" rel="next">`)

// TestPastEventsPaging walks the history of 200 held events a page at a
// time and counts the DynamoDB calls of each page: one Query, never a Scan,
// on the last page as on the first, and every event exactly once, latest
// first.
func TestPastEventsPaging(t *testing.T) {
	calls := awsmetrics.NewCounter()
	e := newEnvWith(t, envOptions{Calls: calls})
	const held = 200
	seedPast(t, e, held)
	seen := map[string]bool{}
	var last string // the previous event's title; titles sort as their starts
	target, pages := "/past", 0
	for target != "" {
		pages++
		// The handler alone: e.do also delivers the outbox, which queries.
		calls.Reset()
		req := get(t, target, "")
		resp, err := e.h.Handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		apicontract.Check(t, req, resp)
		wantStatus(t, resp, 200)
		if q, n := calls.Count("DynamoDB.Query"), calls.Total(); q != 1 || n != 1 {
			t.Errorf("page %d: %d DynamoDB calls (%d Queries), want 1 Query: %v", pages, n, q, calls.Snapshot())
		}
		if s := calls.Count("DynamoDB.Scan"); s != 0 {
			t.Errorf("page %d scanned the table %d times", pages, s)
		}
		for _, m := range pastTitle.FindAllStringSubmatch(resp.Body, -1) {
			if seen[m[1]] {
				t.Errorf("%q listed twice", m[1])
			}
			if last != "" && m[1] >= last {
				t.Errorf("%q listed after %q: not latest first", m[1], last)
			}
			seen[m[1]], last = true, m[1]
		}
		target = ""
		if m := nextPast.FindStringSubmatch(resp.Body); m != nil {
			target = html.UnescapeString(m[1])
		}
		if pages > held {
			t.Fatal("the history does not end")
		}
	}
	if len(seen) != held || pages != held/pageSize {
		t.Errorf("saw %d events on %d pages, want %d on %d", len(seen), pages, held, held/pageSize)
	}
}

var pastTitle = regexp.MustCompile(`>(開催済み \d{3})</a>`)

// seedPast creates n held events, one every three days back from now.
func seedPast(t testing.TB, e *env, n int) {
	t.Helper()
	for i := range n {
		e.createEvent(t, fmt.Sprintf("開催済み %03d", n-i), testNow.Add(-time.Duration(i+1)*72*time.Hour), func(ev *community.Event) {
			ev.Speakers = []string{"講師 太郎"}
			if i%3 == 0 {
				ev.Audience = community.AudienceMembers
			}
		})
	}
}
