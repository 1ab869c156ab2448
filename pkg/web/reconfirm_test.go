package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

// reconfirmFixture is an event of two seats and a waitlist that asks
// 「参加予定ですか？」 three days before (5/7 19:00) with answers until the
// day before (5/9 19:00) and release on; two members hold the seats and
// were asked, a third waits.
type reconfirmFixture struct {
	ev                 *community.Event
	seat1, seat2, wait *community.Registration
	email1, waitEmail  string
	links              auth.Links
}

func newReconfirmFixture(t *testing.T, e *env) reconfirmFixture {
	t.Helper()
	ctx := context.Background()
	links := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}
	e.h.reconfirms = &community.Reconfirmations{Regs: e.regs, Store: e.store, Links: links, Clock: e.clock}
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = reconfirmMail{box: e.mail}, links, e.store
	ev := e.createEvent(t, "橋梁点検の実務", jst(5, 10, 19, 0), func(ev *community.Event) {
		ev.Capacity, ev.Waitlist = 2, true
		ev.Reconfirm = &community.Reconfirmation{DaysBefore: 3, DeadlineHours: 24, Release: true}
	})
	reg := func(name string) (*community.Registration, string) {
		m, _ := e.member(t, name, community.MembershipSupporting)
		res, err := e.regs.Register(ctx, community.Viewer{Member: m}, ev.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Registration, m.Email
	}
	f := reconfirmFixture{ev: ev, links: links}
	f.seat1, f.email1 = reg("確認 一郎")
	f.seat2, _ = reg("確認 二郎")
	f.wait, f.waitEmail = reg("待機 三郎")
	if f.wait.Status != community.RegistrationWaitlisted {
		t.Fatalf("the third is %s", f.wait.Status)
	}
	e.clock.Set(jst(5, 8, 9, 0))
	got, err := e.store.HandOverReconfirms(ctx, []community.Mail{
		community.ReconfirmMail(f.seat1, e.clock.Now()), community.ReconfirmMail(f.seat2, e.clock.Now())}, e.clock.Now())
	if err != nil || len(got) != 2 || got[0] != community.HandedOver || got[1] != community.HandedOver {
		t.Fatalf("hand over: %v %v", got, err)
	}
	return f
}

func (f reconfirmFixture) link(t *testing.T, r *community.Registration, answer string) string {
	t.Helper()
	return mustURI(t, f.links.ReconfirmLink(f.ev.ID, r.ID, answer))
}

func (f reconfirmFixture) token(r *community.Registration) string {
	return f.links.ReconfirmToken(f.ev.ID, r.ID)
}

// The page behind the reconfirmation mail's links: opening it (as a mail
// scanner's prefetch does) shows the question and changes nothing; its
// 「参加します」 button records the answer, once however often pressed;
// its 「キャンセルします」 button cancels and gives the seat to the
// waitlist head at once; a forged, altered or other-purpose token is
// answered as an unknown link and changes nothing; after the deadline the
// keep answer is refused in words, the cancel still taken.
func TestReconfirmPage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := newReconfirmFixture(t, e)
	reg := func(r *community.Registration) *community.Registration {
		t.Helper()
		cur, err := e.store.Registration(ctx, f.ev.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cur
	}
	tally := func() community.EventTally {
		t.Helper()
		ev, err := e.store.Event(ctx, f.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Tally
	}
	before := tally()

	t.Run("GetChangesNothing", func(t *testing.T) {
		for _, answer := range []string{community.ReconfirmKeep, community.ReconfirmCancel} {
			for range 2 {
				page := e.do(t, get(t, f.link(t, f.seat1, answer), ""))
				wantStatus(t, page, 200)
				checkPageHeaders(t, page)
				checkLabelsAndHeadings(t, "reconfirm", page.Body)
				if page.Headers["Referrer-Policy"] != "no-referrer" {
					t.Errorf("Referrer-Policy %q: the token would leak to the event page", page.Headers["Referrer-Policy"])
				}
				wantBody(t, page, "<h1>参加予定のご確認</h1>", "「橋梁点検の実務」に参加される予定ですか？", "橋梁点検の実務", "令和7年5月10日(土) 19:00", "令和7年5月9日(金) 19:00", "未回答",
					`name="answer" value="cancel"`)
				if answer == community.ReconfirmKeep {
					wantBody(t, page, `<button type="submit">参加します</button>`)
				} else {
					wantBody(t, page, "やはり参加します")
				}
				wantNotBody(t, page, joinURL, f.email1, "確認 一郎")
			}
		}
		if r := reg(f.seat1); r.Status != community.RegistrationConfirmed || r.ReconfirmAnswer != "" {
			t.Errorf("opening the links changed the registration: %s %q", r.Status, r.ReconfirmAnswer)
		}
		if tl := tally(); tl != before {
			t.Errorf("opening the links changed the tally: %+v", tl)
		}
	})

	t.Run("Keep", func(t *testing.T) {
		for range 2 {
			resp := e.do(t, post(t, "/reconfirm", url.Values{"token": {f.token(f.seat1)}, "answer": {"keep"}}, ""))
			wantStatus(t, resp, 200)
			wantBody(t, resp, "参加されるとのご回答を承りました。", "<dd>参加します</dd>")
			wantNotBody(t, resp, `value="keep"`)
		}
		if r := reg(f.seat1); r.ReconfirmAnswer != community.ReconfirmKeep || r.ReconfirmAnsweredAt == nil || r.Status != community.RegistrationConfirmed {
			t.Errorf("after keep: %s %q", r.Status, r.ReconfirmAnswer)
		}
		if tl := tally(); tl.ReconfirmKept != before.ReconfirmKept+1 {
			t.Errorf("kept counted %d times", tl.ReconfirmKept-before.ReconfirmKept)
		}
		page := e.do(t, get(t, f.link(t, f.seat1, "keep"), ""))
		wantBody(t, page, "参加されるとのご回答をいただいています。")
	})

	t.Run("BadTokens", func(t *testing.T) {
		tok := f.token(f.seat2)
		other := auth.Links{Keys: auth.MustParseKeyring("another-secret-another-secret-32b")}
		for name, bad := range map[string]string{
			"Empty":       "",
			"Garbage":     "nope",
			"Altered":     tok[:len(tok)-3] + "abc",
			"OtherSecret": other.ReconfirmToken(f.ev.ID, f.seat2.ID),
			"CancelToken": f.links.CancelToken(f.ev.ID, f.seat2.ID),
			"Unknown":     f.links.ReconfirmToken(f.ev.ID, community.NewID(time.Now())),
		} {
			t.Run(name, func(t *testing.T) {
				page := e.do(t, get(t, "/reconfirm?answer=cancel&token="+url.QueryEscape(bad), ""))
				wantStatus(t, page, 404)
				wantBody(t, page, "再確認のリンクが正しくないか、申込が見つかりません。")
				for _, answer := range []string{"keep", "cancel"} {
					resp := e.do(t, post(t, "/reconfirm", url.Values{"token": {bad}, "answer": {answer}}, ""))
					wantStatus(t, resp, 404)
					wantBody(t, resp, "再確認のリンクが正しくないか、申込が見つかりません。")
				}
			})
		}
		if r := reg(f.seat2); r.Status != community.RegistrationConfirmed || r.ReconfirmAnswer != "" {
			t.Errorf("a bad token changed seat 2: %s %q", r.Status, r.ReconfirmAnswer)
		}
	})

	t.Run("AfterTheDeadline", func(t *testing.T) {
		e.clock.Set(jst(5, 9, 20, 0))
		page := e.do(t, get(t, f.link(t, f.seat2, "keep"), ""))
		wantStatus(t, page, 200)
		wantBody(t, page, "回答の期限（令和7年5月9日(金) 19:00）を過ぎたため、「参加します」のご回答は受け付けを終了しました。")
		wantNotBody(t, page, `value="keep"`)
		resp := e.do(t, post(t, "/reconfirm", url.Values{"token": {f.token(f.seat2)}, "answer": {"keep"}}, ""))
		wantStatus(t, resp, 422)
		wantBody(t, resp, `id="reconfirm-refused"`, "参加予定の確認の回答期限を過ぎたため、「参加します」のご回答は受け付けられませんでした。",
			`value="cancel"`)
		if r := reg(f.seat2); r.ReconfirmAnswer != "" || r.Status != community.RegistrationConfirmed {
			t.Errorf("a late keep changed seat 2: %s %q", r.Status, r.ReconfirmAnswer)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		for i := range 2 {
			resp := e.do(t, post(t, "/reconfirm", url.Values{"token": {f.token(f.seat2)}, "answer": {"cancel"}}, ""))
			wantStatus(t, resp, 200)
			if i == 0 {
				wantBody(t, resp, "への申込を取り消しました。お席はキャンセル待ちの方にお回しします。")
			}
			wantBody(t, resp, "<dd>取消済み</dd>")
		}
		// Past the deadline (AfterTheDeadline moved the clock) the link
		// still cancels, as a cancel link does until the start; it is a
		// cancellation then, no longer an answer to the request.
		if r := reg(f.seat2); r.Status != community.RegistrationCancelled || r.ReconfirmAnswer != "" {
			t.Errorf("after cancel: %s %q", r.Status, r.ReconfirmAnswer)
		}
		if r := reg(f.wait); r.Status != community.RegistrationConfirmed {
			t.Errorf("the waitlist head is %s, want confirmed", r.Status)
		}
		if n := e.mail.count("promoted", f.waitEmail); n != 1 {
			t.Errorf("%d promotion mails, want 1", n)
		}
		tl := tally()
		if tl.Cancelled != before.Cancelled+1 || tl.ReconfirmCancelled != before.ReconfirmCancelled {
			t.Errorf("tally after cancel %+v", tl)
		}
		page := e.do(t, get(t, f.link(t, f.seat2, "keep"), ""))
		wantBody(t, page, "この申込はすでに取り消されています。")
		wantNotBody(t, page, `<form method="post"`)
	})
}

// reconfirmMail records the reconfirmation mails in the env's mailbox:
// the request's keep link as "reconfirm", the release notice's event page
// as "released".
type reconfirmMail struct{ box *mailbox }

func (m reconfirmMail) Reconfirm(ctx context.Context, to community.Recipient, _ *community.Event, _ time.Time, keep, _ string) error {
	return m.box.record("reconfirm")(ctx, to, keep)
}

func (m reconfirmMail) Released(ctx context.Context, to community.Recipient, e *community.Event, _ time.Time) error {
	return m.box.record("released")(ctx, to, "/events/"+e.ID)
}
