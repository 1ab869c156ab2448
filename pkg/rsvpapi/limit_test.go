package rsvpapi_test

import (
	"testing"

	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// One client cannot lock everyone else out: past its own limit a session's
// writes are refused (429 too_many_requests, nothing written) while another
// session, and an anonymous client from another address, still register;
// an anonymous client is counted by its address, more generously (a city
// hall's staff share one), and reads are never counted.
func TestWriteLimitPerClient(t *testing.T) {
	e := newEnv(t)
	ev := e.event(nil)
	other := e.event(nil)
	_, greedy := e.member(nil)
	_, patient := e.member(nil)
	for i := 0; i < httpapi.WritesPerSession; i++ {
		if r := e.call(e.rsvp, rsvpapi.RouteCancelMine, other.ID, "", greedy, nil); r.code == 429 {
			t.Fatalf("write %d refused: %s", i+1, r.raw)
		}
	}
	for i := 0; i < 3; i++ {
		e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", greedy, nil) // reads are not counted
	}
	r := e.register(ev.ID, `{}`, greedy)
	if r.code != 429 || r.errCode() != "too_many_requests" {
		t.Fatalf("write past the limit = %d %s, want 429 too_many_requests", r.code, r.raw)
	}
	if got := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", greedy, nil); len(got.body["registrations"].([]any)) != 0 {
		t.Errorf("the refused registration was stored: %s", got.raw)
	}
	if r := e.register(ev.ID, `{}`, patient); r.code != 201 {
		t.Errorf("another session = %d %s", r.code, r.raw)
	}
	// The window passes: the client may write again.
	e.clock.Advance(httpapi.WriteWindow)
	if r := e.register(ev.ID, `{}`, greedy); r.code != 201 {
		t.Errorf("after the window = %d %s", r.code, r.raw)
	}

	const ip = "203.0.113.77"
	for i := 0; i < httpapi.AnonymousWritesPerIP; i++ {
		if r := e.callFrom(ip, e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"x"}`, "", nil); r.code == 429 {
			t.Fatalf("anonymous write %d refused", i+1)
		}
	}
	if r := e.callFrom(ip, e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody("ゲスト", localtest.UniqueEmail("limit")), "", nil); r.code != 429 || r.errCode() != "too_many_requests" {
		t.Errorf("anonymous write past the limit = %d %s", r.code, r.raw)
	}
	if r := e.callFrom("203.0.113.78", e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody("ゲスト", localtest.UniqueEmail("limit")), "", nil); r.code != 202 {
		t.Errorf("another address = %d %s", r.code, r.raw)
	}
}

// A page of another site — a sibling subdomain among them — cannot
// register a signed-in member on the strength of their cookie: a bodiless
// or text/plain POST, or one the browser marks same-site or cross-site, is
// refused (403 cross_site_request) and registers nobody; the same member's
// own page (JSON, same-origin) registers.
func TestCookieWriteProvesSameOrigin(t *testing.T) {
	e := newEnv(t)
	ev := e.event(nil)
	_, session := e.member(nil)
	cookie := map[string]string{"cookie": httpapi.SessionCookie + "=" + session}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range cookie {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	for name, h := range map[string]map[string]string{
		"NoBody":    with(map[string]string{"content-type": ""}),
		"TextPlain": with(map[string]string{"content-type": "text/plain"}),
		"SameSite":  with(map[string]string{"sec-fetch-site": "same-site"}),
		"CrossSite": with(map[string]string{"sec-fetch-site": "cross-site"}),
	} {
		t.Run(name, func(t *testing.T) {
			body := `{}`
			if h["content-type"] != "application/json" && name != "SameSite" && name != "CrossSite" {
				body = ""
			}
			r := e.call(e.rsvp, rsvpapi.RouteRegister, ev.ID, body, "", h)
			if r.code != 403 || r.errCode() != "cross_site_request" {
				t.Errorf("= %d %s, want 403 cross_site_request", r.code, r.raw)
			}
		})
	}
	if got := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", session, nil); len(got.body["registrations"].([]any)) != 0 {
		t.Fatalf("a refused write registered: %s", got.raw)
	}
	r := e.call(e.rsvp, rsvpapi.RouteRegister, ev.ID, `{}`, "", with(map[string]string{"sec-fetch-site": "same-origin"}))
	if r.code != 201 {
		t.Errorf("the member's own page = %d %s", r.code, r.raw)
	}
}
