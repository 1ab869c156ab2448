package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// An event whose venue is drawn by lottery beside a first-come online
// frame: the page says how each frame decides, the venue's button applies,
// the online one registers; the applicant sees 申込中 for the venue, and
// after the draw the venue's button is gone while the online one stays.
func TestFrameModesPage(t *testing.T) {
	e := newEnv(t)
	const onlineURL = "https://zoom.example.com/j/frame-mixed"
	start := jst(5, 20, 9, 30)
	closes, drawAt := start.Add(-72*time.Hour), start.Add(-48*time.Hour)
	ev := e.createEvent(t, "会場は抽選の研修", start, func(ev *community.Event) {
		ev.RegistrationClosesAt = &closes
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: 2, Mode: community.ModeLottery, Venue: &community.Venue{Name: "伊勢崎市民会館"}},
			{ID: "online", Name: "オンライン", Capacity: 5, OnlinePlatform: "Zoom", JoinURL: onlineURL},
		}
		ev.Lottery = &community.Lottery{DrawAt: drawAt, FirstTimeWeight: 1, Commitment: strings.Repeat("cd", 32)}
	})
	page := "/events/" + ev.ID
	m, sm := e.member(t, "抽選 一子", community.MembershipSupporting)
	open := e.do(t, get(t, page, sm))
	wantStatus(t, open, 200)
	wantBody(t, open, `<th scope="col" class="mode">決め方</th>`, `<td>伊勢崎市民会館</td><td class="mode">抽選</td>`, `<td class="mode">先着順</td>`,
		`value="venue">「会場」に申し込む（抽選）</button>`, `value="online">「オンライン」に申し込む</button>`,
		"「会場」は抽選で参加者を決めます。", "参加枠ごと（会場 抽選・オンライン 先着順）", strings.Repeat("cd", 32))
	wantNotBody(t, open, onlineURL)

	resp := e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, sm)}, "frame_id": {"venue"}}, sm))
	wantStatus(t, resp, 200)
	wantBody(t, resp, "<h1>お申し込みを受け付けました</h1>", "申込ID:")
	wantNotBody(t, resp, onlineURL)
	r := e.registration(t, ev.ID, m.ID)
	if r == nil || r.Status != community.RegistrationApplied || r.FrameID != "venue" {
		t.Fatalf("stored %+v, want applied in venue", r)
	}
	me := e.do(t, get(t, "/me", sm))
	wantBody(t, me, "会場：申込中（抽選待ち）")
	wantNotBody(t, me, onlineURL)

	// Drawn: the venue closes, the online frame stays open first come.
	drawn := drawAt.Add(time.Minute)
	ev.Lottery.DrawnAt = &drawn
	if err := e.store.MarkDrawn(t.Context(), ev.ID, drawn); err != nil {
		t.Fatal(err)
	}
	_, other := e.member(t, "配信 花子", community.MembershipSupporting)
	after := e.do(t, get(t, page, other))
	wantBody(t, after, "<strong>抽選済み</strong>", `value="online">「オンライン」に申し込む</button>`)
	wantNotBody(t, after, `value="venue">`, "「会場」は抽選で参加者を決めます。")
}

// In Chromium, at phone and desktop size: the frames table says how each
// frame decides, the venue's button applies by lottery and the page then
// shows the application as 申込中 with its id, while the online frame
// still offers its own button.
func TestBrowserFrameModes(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	start := jst(5, 20, 9, 30)
	closes, drawAt := start.Add(-72*time.Hour), start.Add(-48*time.Hour)
	ev := e.createEvent(t, "現場見学会 会場は抽選", start, func(ev *community.Event) {
		ev.Kind, ev.RegistrationClosesAt, ev.MultipleFrames = community.KindFieldTrip, &closes, true
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: 20, Mode: community.ModeLottery, Venue: &community.Venue{Name: "伊勢崎市民会館", Address: "群馬県伊勢崎市"}},
			{ID: "online", Name: "オンライン", Capacity: 100, OnlinePlatform: "Zoom", JoinURL: "https://zoom.example.com/j/modes"},
			{ID: "party", Name: "懇親会", Capacity: 16, Mode: community.ModeSelection},
		}
		ev.Lottery = &community.Lottery{DrawAt: drawAt, FirstTimeWeight: 2, Reserves: 5, Commitment: strings.Repeat("9f", 32)}
	})
	m, session := e.memberBySES(t, "画面 抽選子")
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	do("open the site", chromedp.Navigate(base+"/"))
	read(chromedp.Evaluate[string](`document.cookie = "` + httpapi.LoopbackSessionCookie + `=` + session + `; path=/"`))
	do("open the event",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/events/"+ev.ID),
		chromedp.WaitVisible(css(`button[value="venue"]`)),
		shot("frame-modes-phone"),
		chromedp.EmulateViewport(1280, 900),
		shot("frame-modes-desktop"),
	)
	if got := read(chromedp.Text(css(`tr[data-frame="party"]`))); !strings.Contains(got, "選考") {
		t.Errorf("the party row reads %q", got)
	}
	// The event page has an h1 too: wait for what only the answer shows.
	do("apply for the venue",
		chromedp.Click(css(`button[value="venue"]`)),
		chromedp.WaitVisible(css(".notice")),
	)
	if got := read(chromedp.Text(css("h1"))); got != "お申し込みを受け付けました" {
		t.Errorf("after applying the page says %q", got)
	}
	do("back to the event",
		chromedp.Navigate(base+"/events/"+ev.ID),
		chromedp.WaitVisible(css(`.mine-frame[data-frame="venue"]`)),
		chromedp.EmulateViewport(390, 844),
		shot("frame-modes-applied-phone"),
	)
	if got := read(chromedp.Text(css(`.mine-frame[data-frame="venue"]`))); !strings.Contains(got, "会場：申込中（抽選待ち）") {
		t.Errorf("the venue place reads %q", got)
	}
	if n := read(chromedp.Evaluate[string](`String(document.querySelectorAll('button[value="online"]').length)`)); n != "1" {
		t.Errorf("%s buttons for the online frame beside the application", n)
	}
	if r := e.registration(t, ev.ID, m.ID); r == nil || r.Status != community.RegistrationApplied {
		t.Errorf("stored %+v", r)
	}
}
