package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// A reconfirmation as its registrants meet it: the request and the release
// notice read back from the SES stand-in (text and HTML: the question,
// the deadline as the pages write dates, both links, no join URL), then
// the request's keep link opened in Chromium at a phone's size and a
// desktop's, its button pressed, and a cancel link too.
func TestBrowserReconfirm(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	bg := context.Background()
	n, ok := e.room.Notifier.(*mail.Notifier)
	if !ok {
		t.Fatalf("the env's notifier is %T", e.room.Notifier)
	}
	links := auth.Links{BaseURL: base, Keys: e.cfg.Keys}
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = n, links, e.store
	e.h.reconfirms = &community.Reconfirmations{Regs: e.regs, Store: e.store, Links: links, Clock: e.clock}

	ev := e.createEvent(t, "橋梁点検の実務（第3回）", jst(5, 10, 19, 0), func(ev *community.Event) {
		ev.Capacity, ev.Waitlist = 2, true
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
		ev.Reconfirm = &community.Reconfirmation{DaysBefore: 3, DeadlineHours: 24, Release: true}
	})
	guest := func(name string) *community.Registration {
		t.Helper()
		now := e.clock.Now()
		cur, err := e.store.Event(bg, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
			Guest: &community.Guest{Name: name, Email: localtest.UniqueEmail("reconfirm")}}
		if err := e.store.Register(bg, cur, r); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		return r
	}
	keeper, silent := guest("前橋 一郎"), guest("桐生 三郎")
	communitytest.Deliver(t, e.room)

	e.clock.Set(jst(5, 7, 19, 1))
	var asks []community.Mail
	for _, r := range []*community.Registration{keeper, silent} {
		asks = append(asks, community.ReconfirmMail(r, e.clock.Now()))
	}
	if _, err := e.store.HandOverReconfirms(bg, asks, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	communitytest.Deliver(t, e.room)
	dir := os.Getenv("TABANE_WEB_SCREENSHOTS")
	keep := ""
	check := func(file string, r *community.Registration, subject string, wants ...string) localtest.Mail {
		t.Helper()
		var got []localtest.Mail
		for _, m := range localtest.MailTo(t, r.Guest.Email) {
			if strings.Contains(m.Subject, subject) {
				got = append(got, m)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d mails %q to %s, want 1", len(got), subject, r.Guest.Name)
		}
		m := got[0]
		for _, part := range []string{m.Body.Text, m.Body.HTML} {
			for _, w := range wants {
				if !strings.Contains(part, w) {
					t.Errorf("%q lacks %q:\n%s", m.Subject, w, part)
				}
			}
			if strings.Contains(part, "zoom.example.com") {
				t.Errorf("%q carries the join URL", m.Subject)
			}
		}
		if dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "mail-"+file+".txt"), []byte(m.Subject+"\n\n"+m.Body.Text), 0o644)
			_ = os.WriteFile(filepath.Join(dir, "mail-"+file+".html"), []byte(m.Body.HTML), 0o644)
		}
		return m
	}
	req := check("reconfirm", keeper, "参加予定のご確認", "参加予定ですか", "橋梁点検の実務（第3回）", "令和7年5月10日(土) 19:00",
		"回答の期限", "令和7年5月9日(金) 19:00", "/reconfirm?token=")
	keep = linkIn(t, []localtest.Mail{req}, "/reconfirm")
	if !strings.HasSuffix(keep, "answer=keep") && !strings.Contains(req.Body.Text, keep+"&answer=keep") {
		t.Errorf("the first link is not the keep link: %s", keep)
	}

	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	both := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			return chromedp.Void{}, chromedp.Do(ctx,
				chromedp.EmulateViewport(390, 844), shot(name+"-phone"),
				chromedp.EmulateViewport(1280, 900), shot(name+"-desktop"),
				chromedp.EmulateViewport(390, 844))
		}
	}
	keepURL := links.ReconfirmLink(ev.ID, keeper.ID, community.ReconfirmKeep)
	do("open the keep link", chromedp.Navigate(keepURL), chromedp.WaitVisible(css("h1")), both("reconfirm-keep"))
	if got := read(chromedp.Text(css("main"))); !strings.Contains(got, "未回答") || !strings.Contains(got, "令和7年5月9日(金) 19:00") {
		t.Errorf("the page before answering:\n%s", got)
	}
	do("press 参加します", chromedp.Click(css(`form button[type="submit"]`)), chromedp.WaitVisible(css(".notice")), both("reconfirm-kept"))
	if got := read(chromedp.Text(css(".notice"))); !strings.Contains(got, "参加されるとのご回答を承りました") {
		t.Errorf("after keeping: %q", got)
	}
	if r, _ := e.store.Registration(bg, ev.ID, keeper.ID); r.ReconfirmAnswer != community.ReconfirmKeep {
		t.Errorf("the click kept nothing: %q", r.ReconfirmAnswer)
	}
	do("open the cancel link", chromedp.Navigate(links.ReconfirmLink(ev.ID, silent.ID, community.ReconfirmCancel)),
		chromedp.WaitVisible(css("h1")), both("reconfirm-cancel"))

	// The deadline passes: silent's seat is released (somebody waits).
	waiter := guest("渋川 四郎")
	communitytest.Deliver(t, e.room)
	e.clock.Set(jst(5, 9, 19, 2))
	if _, _, err := e.store.ReleaseUnanswered(bg, ev.ID, silent.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	communitytest.Deliver(t, e.room)
	check("released", silent, "参加予定の確認に回答がなかった", "橋梁点検の実務（第3回）", "令和7年5月10日(土) 19:00", "令和7年5月9日(金) 19:00")
	if r, _ := e.store.Registration(bg, ev.ID, waiter.ID); r.Status != community.RegistrationConfirmed {
		t.Errorf("the waiter is %s", r.Status)
	}
	do("the released person opens their link", chromedp.Navigate(links.ReconfirmLink(ev.ID, silent.ID, community.ReconfirmKeep)),
		chromedp.WaitVisible(css(".notice")), both("reconfirm-released"))
}
