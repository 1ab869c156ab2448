package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

const multiOnlineURL = "https://zoom.example.com/j/multi-online"

// multiFrameEvent is an event whose people may hold places in its venue
// frame and its online frame at once; only the online frame has a join URL.
func (e *env) multiFrameEvent(t *testing.T, title string) *community.Event {
	t.Helper()
	return e.createEvent(t, title, jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: 5, Venue: &community.Venue{Name: "伊勢崎市民会館"}},
			{ID: "online", Name: "オンライン", Capacity: 5, OnlinePlatform: "Zoom", JoinURL: multiOnlineURL},
		}
		ev.MultipleFrames = true
	})
}

// A member registers in both frames: the event page and my page show
// each with its status and its own cancel button, the online join URL only
// beside the online seat; cancelling the online place keeps the venue's,
// and a venue-only registrant never sees the online URL.
func TestMultipleFramesMemberPages(t *testing.T) {
	e := newEnv(t)
	ev := e.multiFrameEvent(t, "研修 会場とオンラインの両方")
	m, session := e.member(t, "両方 太郎", community.MembershipSupporting)
	page := "/events/" + ev.ID
	for _, fid := range []string{"venue", "online"} {
		resp := e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, session)}, "frame_id": {fid}}, session))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "<h1>参加登録が完了しました</h1>")
		if fid == "venue" {
			// Holding the venue place, the online frame is still offered.
			after := e.do(t, get(t, page, session))
			wantBody(t, after, "会場：参加確定", `value="online">「オンライン」に申し込む`)
			wantNotBody(t, after, `value="venue">「会場」に申し込む`, multiOnlineURL)
		}
	}
	both := e.do(t, get(t, page, session))
	wantStatus(t, both, 200)
	wantBody(t, both, `<div class="mine-frame" data-frame="venue">`, `<div class="mine-frame" data-frame="online">`,
		"会場：参加確定", "オンライン：参加確定",
		`<input type="hidden" name="frame_id" value="venue">`, `<input type="hidden" name="frame_id" value="online">`)
	wantNotBody(t, both, `「会場」に申し込む`, `「オンライン」に申し込む`)
	if n := strings.Count(both.Body, multiOnlineURL); n != 1 {
		t.Errorf("the online join URL appears %d times on the event page, want once (beside the online seat)", n)
	}
	venueBlock := regexp.MustCompile(`(?s)<div class="mine-frame" data-frame="venue">.*?</div>`).FindString(both.Body)
	if strings.Contains(venueBlock, multiOnlineURL) {
		t.Error("the venue place shows the online join URL")
	}
	me := e.do(t, get(t, "/me", session))
	wantBody(t, me, "会場：参加確定", "オンライン：参加確定",
		`<input type="hidden" name="frame_id" value="venue">`, `<input type="hidden" name="frame_id" value="online">`)

	// Cancel the online place from the event page: the venue's stays.
	resp := e.do(t, post(t, cancelPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, session)}, "frame_id": {"online"}}, session))
	wantStatus(t, resp, 303)
	after := e.do(t, get(t, resp.Headers["Location"], session))
	wantBody(t, after, "申込を取り消しました。", "会場：参加確定", `value="online">「オンライン」に申し込む`)
	wantNotBody(t, after, "オンライン：参加確定", multiOnlineURL)
	held, err := e.store.MemberEventRegistrations(context.Background(), ev.ID, m.ID)
	if err != nil || len(held) != 1 || held[0].FrameID != "venue" || held[0].Status != community.RegistrationConfirmed {
		t.Fatalf("held after cancelling online: %+v, %v", held, err)
	}
	wantNotBody(t, e.do(t, get(t, "/me", session)), multiOnlineURL, "オンライン：参加確定")

	// A cancel form without a frame, while two are held, cancels nothing.
	e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, session)}, "frame_id": {"online"}}, session))
	resp = e.do(t, post(t, cancelPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, session)}}, session))
	wantStatus(t, resp, 400)
	wantBody(t, resp, "参加枠を選んでください。")
	if held, _ := e.store.MemberEventRegistrations(context.Background(), ev.ID, m.ID); len(held) != 2 {
		t.Errorf("%d places after a cancel that named no frame, want 2", len(held))
	}

	// Someone only at the venue never sees the online join URL.
	_, other := e.member(t, "会場 花子", community.MembershipSupporting)
	wantStatus(t, e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, other)}, "frame_id": {"venue"}}, other)), 200)
	wantNotBody(t, e.do(t, get(t, page, other)), multiOnlineURL)
	wantNotBody(t, e.do(t, get(t, "/me", other)), multiOnlineURL)
}

// A guest in both frames opens one frame's cancel link: the page offers
// the other frame too, with its own button, and cancelling it keeps the
// place the link was for.
func TestMultipleFramesGuestCancelLink(t *testing.T) {
	e := newEnv(t)
	ev := e.multiFrameEvent(t, "公開研修 両方の枠")
	email := localtest.UniqueEmail("multi-guest")
	for _, fid := range []string{"venue", "online"} {
		form := guestForm("両方 次郎", email)
		form.Set("frame_id", fid)
		wantStatus(t, e.confirmGuest(t, post(t, registerPath(ev), form, "")), 200)
	}
	link, _ := url.Parse(e.mail.last(t, "confirmed", email)) // the online place's
	onlineReg := e.byLink(t, link.String())
	if onlineReg.FrameID != "online" {
		t.Fatalf("the last confirmation is for %q", onlineReg.FrameID)
	}
	resp := e.do(t, get(t, link.RequestURI(), ""))
	wantStatus(t, resp, 200)
	wantBody(t, resp, "オンライン：参加確定", "ほかの参加枠の申込", "会場：参加確定", "この参加枠の申込を取り消す")
	m := regexp.MustCompile(`(?s)class="other-places".*?name="token" value="([^"]+)"`).FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatal("no token for the other frame on the cancel page")
	}
	done := e.do(t, post(t, "/cancel", url.Values{"token": {m[1]}}, ""))
	wantStatus(t, done, 200)
	wantBody(t, done, "<h1>申込を取り消しました</h1>", "ほかの参加枠の申込", "オンライン：参加確定")
	regs, err := e.store.AllRegistrations(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		if want := map[string]community.RegistrationStatus{"venue": community.RegistrationCancelled, "online": community.RegistrationConfirmed}[r.FrameID]; r.Status != want {
			t.Errorf("%s is %s, want %s", r.FrameID, r.Status, want)
		}
	}
}

// In Chromium: a member holding both frames sees both on the event page,
// the join link only in the online one; the online place's button cancels
// it alone, and the venue place (and no join link) stays.
func TestBrowserMultipleFrames(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	ev := e.multiFrameEvent(t, "研修 ブラウザで両方の枠")
	m, session := e.memberBySES(t, "画面 三郎")
	for _, fid := range []string{"venue", "online"} {
		if _, err := e.regs.RegisterIn(context.Background(), community.Viewer{Member: m}, ev.ID, fid, nil); err != nil {
			t.Fatalf("register in %s: %v", fid, err)
		}
	}
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	do("open the site", chromedp.Navigate(base+"/"))
	// The session as sign-in would set it (the value is all the server reads).
	read(chromedp.Evaluate[string](`document.cookie = "` + httpapi.LoopbackSessionCookie + `=` + session + `; path=/"`))
	do("open the event",
		chromedp.Navigate(base+"/events/"+ev.ID),
		chromedp.WaitVisible(css(`.mine-frame[data-frame="online"]`)),
		shot("multiframes-both"),
	)
	venue := read(chromedp.Text(css(`.mine-frame[data-frame="venue"]`)))
	online := read(chromedp.Text(css(`.mine-frame[data-frame="online"]`)))
	if !strings.Contains(venue, "会場：参加確定") || !strings.Contains(online, "オンライン：参加確定") {
		t.Fatalf("the places read %q and %q", venue, online)
	}
	href := read(chromedp.Evaluate[string](`(document.querySelector('.mine-frame[data-frame="online"] a[href^="https://"]') || {href: ""}).href`))
	if href != multiOnlineURL {
		t.Errorf("the online place's join link = %q", href)
	}
	if n := read(chromedp.Evaluate[string](`String(document.querySelectorAll('.mine-frame[data-frame="venue"] a[href^="https://"]').length)`)); n != "0" {
		t.Errorf("the venue place has %s join links", n)
	}
	do("cancel the online place",
		chromedp.Click(css(`.mine-frame[data-frame="online"] form button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("multiframes-online-cancelled"),
	)
	if got := read(chromedp.Text(css(".notice"))); !strings.Contains(got, "申込を取り消しました") {
		t.Errorf("notice = %q", got)
	}
	if got := read(chromedp.Text(css("main"))); !strings.Contains(got, "会場：参加確定") || strings.Contains(got, "オンライン：参加確定") {
		t.Errorf("after cancelling online the page reads %q", got)
	}
	if html := read(chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, multiOnlineURL) {
		t.Error("the venue-only registrant's page carries the online join URL")
	}
	held, err := e.store.MemberEventRegistrations(context.Background(), ev.ID, m.ID)
	if err != nil || len(held) != 1 || held[0].FrameID != "venue" {
		t.Fatalf("held after the click: %+v, %v", held, err)
	}
}

// memberBySES signs someone up and verifies them by the link the SES
// stand-in received (serveWithSES mails for real), and returns them with a
// session token.
func (e *env) memberBySES(t *testing.T, name string) (*community.Member, string) {
	t.Helper()
	ctx := context.Background()
	email := localtest.UniqueEmail("web-ses")
	err := e.members.Signup(ctx, community.SignupInput{
		Email: email, Name: name, NameKana: "てすと", Membership: community.MembershipSupporting,
		Affiliation: "伊勢崎市", Terms: true, Announcements: true, IP: "192.0.2.1",
	})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	if _, err := e.members.Verify(ctx, tokenOf(t, linkIn(t, localtest.WaitMail(t, email, 1), "/verify"))); err != nil {
		t.Fatalf("verify: %v", err)
	}
	m, err := e.store.MemberByEmail(ctx, email)
	if err != nil {
		t.Fatalf("member by email: %v", err)
	}
	token, _, err := e.sessions.Issue(ctx, m.ID)
	if err != nil {
		t.Fatalf("issue session: %v", err)
	}
	return m, token
}
