package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestGuestConfirmPages(t *testing.T) {
	e := newEnv(t)
	lecture := e.createEvent(t, "公開私塾 河川の話", jst(5, 14, 19, 0), func(ev *community.Event) { ev.Capacity = 30 })

	t.Run("ErrBadLink", func(t *testing.T) {
		for _, tok := range []string{"", "forged.AAAA", e.h.links.GuestConfirmToken(lecture.ID, community.NewID(testNow))} {
			resp := e.do(t, get(t, "/registrations/confirm?token="+url.QueryEscape(tok), ""))
			wantStatus(t, resp, 400)
			checkPageHeaders(t, resp)
			wantBody(t, resp, "有効期限（24時間）")
			wantNotBody(t, resp, `action="/registrations/confirm"`)
			resp = e.do(t, post(t, "/registrations/confirm", url.Values{"token": {tok}}, ""))
			wantStatus(t, resp, 400)
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		e := newEnv(t)
		ev := e.createEvent(t, "公開私塾 森の話", jst(5, 14, 19, 0), nil)
		email := localtest.UniqueEmail("slow")
		wantStatus(t, e.do(t, post(t, registerPath(ev), guestForm("遅い 人", email), "")), 200)
		link := e.mail.last(t, "guest_confirm", email)
		e.clock.Advance(community.GuestConfirmTTL)
		resp := e.do(t, post(t, "/registrations/confirm", url.Values{"token": {tokenOf(t, link)}}, ""))
		wantStatus(t, resp, 400)
		wantBody(t, resp, "有効期限（24時間）")
		if n := e.mail.count("confirmed", email); n != 0 {
			t.Errorf("an expired request registered (%d mails)", n)
		}
	})

	// Past the hourly limit per source IP the form is refused with 429
	// beside it; nothing more is mailed.
	t.Run("ErrTooManyRequests", func(t *testing.T) {
		for i := range community.GuestRequestsPerIP {
			resp := e.do(t, post(t, registerPath(lecture), guestForm("来訪 者", localtest.UniqueEmail("ip")), ""))
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, "確認メールをお送りしました") {
				t.Fatalf("request %d = %d", i+1, resp.StatusCode)
			}
		}
		email := localtest.UniqueEmail("over")
		resp := e.do(t, post(t, registerPath(lecture), guestForm("来訪 者", email), ""))
		wantStatus(t, resp, 429)
		wantReason(t, resp, "too_many_requests")
		wantBody(t, resp, `value="`+email+`"`)
		if n := e.mail.count("guest_confirm", email); n != 0 {
			t.Errorf("a refused request mailed %d links", n)
		}
	})
}
