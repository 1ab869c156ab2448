package web

import (
	"net/url"
	"testing"

	"github.com/sorae/tabane/pkg/community"
)

// An event with frames: the page lists each frame with its seats and a
// button per frame; a member's click registers in that frame, and the
// confirmation page and my page name it, with no other frame's join URL.
func TestRegisterInFrame(t *testing.T) {
	e := newEnv(t)
	const onlineURL = "https://zoom.example.com/j/frame-online"
	ev := e.createEvent(t, "研修 会場とオンライン", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: 1, Venue: &community.Venue{Name: "伊勢崎市民会館"}},
			{ID: "online", Name: "オンライン", Capacity: 5, OnlinePlatform: "Zoom", JoinURL: onlineURL},
		}
	})
	m, session := e.member(t, "会場 太郎", community.MembershipSupporting)
	page := "/events/" + ev.ID
	before := e.do(t, get(t, page, session))
	wantStatus(t, before, 200)
	wantBody(t, before, `<tr data-frame="venue"><th scope="row">会場</th><td>伊勢崎市民会館</td><td class="seats"><strong>残り1席</strong></td></tr>`,
		`name="frame_id" value="venue">「会場」に申し込む</button>`, `name="frame_id" value="online">「オンライン」に申し込む</button>`)
	wantNotBody(t, before, onlineURL)
	// The capacity line is the frames', not an event-wide "no limit" beside
	// the frames' seats added up.
	wantBody(t, before, "<dd>参加枠ごと（会場 1名・オンライン 5名）</dd>")
	wantNotBody(t, before, "定員なし")

	csrf := e.pageCSRF(t, page, session)
	resp := e.do(t, post(t, registerPath(ev), url.Values{"csrf": {csrf}, "frame_id": {"venue"}}, session))
	wantStatus(t, resp, 200)
	wantBody(t, resp, "<h1>参加登録が完了しました</h1>", "<dt>参加枠</dt>\n<dd>会場</dd>", "伊勢崎市民会館")
	wantNotBody(t, resp, onlineURL)
	if r := e.registration(t, ev.ID, m.ID); r == nil || r.FrameID != "venue" || r.Status != community.RegistrationConfirmed {
		t.Fatalf("registration = %+v, want confirmed in venue", r)
	}
	me := e.do(t, get(t, "/me", session))
	wantStatus(t, me, 200)
	wantBody(t, me, "会場：参加確定")
	wantNotBody(t, me, onlineURL)

	// The venue is full now: its button is gone, the online one stays.
	_, other := e.member(t, "配信 花子", community.MembershipSupporting)
	after := e.do(t, get(t, page, other))
	wantBody(t, after, "<strong>満席</strong>", `value="online">「オンライン」に申し込む`)
	wantNotBody(t, after, `value="venue">`)

	// No frame named on an event with two: refused, with the reason.
	resp = e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, other)}}, other))
	wantReason(t, resp, "frame_required")
}
