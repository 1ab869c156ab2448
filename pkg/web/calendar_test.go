package web

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"testing"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

var calendarURLField = regexp.MustCompile(`<input type="text" id="calendar-url" class="calendar-url" value="([^"]+)" readonly`)

// TestMyPageCalendar drives my page's カレンダー連携 buttons as a browser
// without JavaScript would: plain form posts with the CSRF token.
func TestMyPageCalendar(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, session := e.member(t, "暦 連携子", community.MembershipSupporting)
	csrf := e.csrfOf(t, session)
	cals := &community.Calendars{Store: e.store, Clock: e.clock, Secrets: auth.Secrets{Keys: e.cfg.Keys}}
	works := func(t *testing.T, u string) bool {
		t.Helper()
		_, _, err := cals.Feed(ctx, tokenOfURL(t, u))
		if err != nil && community.ErrorCode(err) != community.NotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	form := func(action string) url.Values {
		return url.Values{"csrf": {csrf}, "form": {"calendar"}, "action": {action}}
	}
	shownURL := func(t *testing.T) string {
		t.Helper()
		page := e.do(t, get(t, "/me", session))
		wantStatus(t, page, 200)
		mm := calendarURLField.FindStringSubmatch(page.Body)
		if mm == nil {
			return ""
		}
		return html.UnescapeString(mm[1])
	}

	page := e.do(t, get(t, "/me", session))
	wantBody(t, page, `<h2 id="calendar-heading">カレンダー連携</h2>`, `<button type="submit">URLを発行</button>`)
	wantNotBody(t, page, `id="calendar-url"`, "連携を停止")

	t.Run("NoCSRF", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", url.Values{"form": {"calendar"}, "action": {"issue"}}, session))
		wantStatus(t, resp, 403)
		if got, _ := e.store.Member(ctx, m.ID); got.Calendar != nil {
			t.Error("a form without its CSRF token issued a feed")
		}
	})

	var first string
	t.Run("Issue", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", form("issue"), session))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/me?saved=calendar_issued#calendar" {
			t.Errorf("Location = %q", loc)
		}
		first = shownURL(t)
		if first == "" {
			t.Fatal("my page shows no feed URL after issuing")
		}
		page := e.do(t, get(t, "/me?saved=calendar_issued", session))
		wantBody(t, page, "カレンダー連携のURLを発行しました。", `<label class="block" for="calendar-url">`,
			"URLを再発行", "いままでのURLは使えなくなります", "連携を停止", "Googleカレンダー", "iPhone", "Outlook", `href="webcal://tabane.example.jp/api/me/calendar.ics?token=`)
		if !works(t, first) {
			t.Error("the shown URL does not work")
		}
	})
	t.Run("Renew", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", form("renew"), session))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/me?saved=calendar_renewed#calendar" {
			t.Errorf("Location = %q", loc)
		}
		second := shownURL(t)
		if second == "" || second == first {
			t.Fatalf("after renewing the page shows %q (was %q)", second, first)
		}
		if works(t, first) {
			t.Error("the old URL still works after renewing")
		}
		if !works(t, second) {
			t.Error("the new URL does not work")
		}
		first = second
	})
	t.Run("Stop", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", form("stop"), session))
		wantStatus(t, resp, 303)
		if got := shownURL(t); got != "" {
			t.Errorf("after stopping the page still shows %q", got)
		}
		if works(t, first) {
			t.Error("the URL still works after stopping")
		}
		page := e.do(t, get(t, "/me?saved=calendar_stopped", session))
		wantBody(t, page, "カレンダー連携を停止しました。", "URLを発行")
	})
}

// tokenOfURL is the token of a feed URL my page shows.
func tokenOfURL(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Path != "/api/me/calendar.ics" || p.Host != "tabane.example.jp" {
		t.Fatalf("feed URL %q", u)
	}
	return p.Query().Get("token")
}
