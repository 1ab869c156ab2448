package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
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
	wantBody(t, open, `<th scope="col">決め方</th>`, `<td>伊勢崎市民会館</td><td>抽選</td>`, `<td>先着順</td>`,
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
