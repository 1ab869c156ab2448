package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

// consoleFixture is an event with a venue, a confirmed member, the
// organizer's session and a plain member's.
type consoleFixture struct {
	ev                 *community.Event
	attendee           *community.Member
	regID              string
	organizer, visitor string
}

func newConsoleFixture(t *testing.T, e *env) consoleFixture {
	t.Helper()
	ev := e.createEvent(t, "道路維持管理勉強会", jst(5, 20, 14, 0), func(ev *community.Event) {
		ev.Venue = &community.Venue{Name: "伊勢崎市役所 大会議室", Address: "群馬県伊勢崎市今泉町2-410"}
		ev.Capacity = 30
	})
	m, session := e.member(t, "伊勢崎 花子", community.MembershipSupporting)
	csrf := e.pageCSRF(t, "/events/"+ev.ID, session)
	wantStatus(t, e.do(t, post(t, registerPath(ev), url.Values{"csrf": {csrf}}, session)), 200)
	regs, _, err := e.store.EventRegistrations(context.Background(), ev.ID, community.RegistrationConfirmed, 10, "")
	if err != nil || len(regs) != 1 {
		t.Fatalf("confirmed registrations = %v, %v", regs, err)
	}
	_, org := e.memberAt(t, testOrganizerEmail, "運営 太郎", community.MembershipSupporting)
	return consoleFixture{ev: ev, attendee: m, regID: regs[0].ID, organizer: org, visitor: session}
}

// Every console page of this change: signed out → sign in, a member who
// is not an organizer → 403, a forged form post → refused, and for the
// organizer a page with labels and headings in order.
func TestConsoleAttendeesAccess(t *testing.T) {
	e := newEnv(t)
	f := newConsoleFixture(t, e)
	tok := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}.CheckInToken(f.ev.ID, f.regID, community.CheckInUntil(f.ev))
	pages := []string{
		"/admin/events/" + f.ev.ID + "/attendees",
		"/admin/events/" + f.ev.ID + "/checkin",
		"/admin/checkin?t=" + url.QueryEscape(tok),
	}
	for _, p := range pages {
		t.Run("GET "+p[:min(len(p), 30)], func(t *testing.T) {
			resp := e.do(t, get(t, p, ""))
			wantStatus(t, resp, 303)
			if loc := resp.Headers["Location"]; !strings.HasPrefix(loc, "/signin") {
				t.Errorf("signed out: Location = %q", loc)
			}
			resp = e.do(t, get(t, p, f.visitor))
			wantStatus(t, resp, 403)
			if strings.Contains(resp.Body, f.attendee.Name) {
				t.Error("a non-organizer sees the attendee's name")
			}
			resp = e.do(t, get(t, p, f.organizer))
			wantStatus(t, resp, 200)
			checkLabelsAndHeadings(t, p, resp.Body)
		})
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/events/" + f.ev.ID + "/attendees/" + f.regID + "/cancel", url.Values{}},
		{"/admin/events/" + f.ev.ID + "/messages", url.Values{"subject": {"件名"}, "body": {"本文"}}},
		{"/admin/events/" + f.ev.ID + "/checkin/" + f.regID, url.Values{}},
		{"/admin/checkin", url.Values{"t": {tok}}},
	}
	for _, p := range posts {
		t.Run("POST "+p.path[:min(len(p.path), 30)], func(t *testing.T) {
			wantStatus(t, e.do(t, post(t, p.path, p.form, f.visitor)), 403)
			p.form.Set("csrf", "forged")
			resp := e.do(t, post(t, p.path, p.form, f.organizer))
			if resp.StatusCode != 403 && resp.StatusCode != 400 {
				t.Errorf("forged CSRF: status %d", resp.StatusCode)
			}
		})
	}
	reg, err := e.store.Registration(context.Background(), f.ev.ID, f.regID)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Status != community.RegistrationConfirmed || reg.CheckedInAt != nil {
		t.Errorf("refused posts changed the registration: %+v", reg)
	}
}

// The QR link checks in once; forged, altered and expired links answer
// like an unknown page and change nothing.
func TestConsoleCheckinLinks(t *testing.T) {
	e := newEnv(t)
	f := newConsoleFixture(t, e)
	link := e.mail.last(t, "checkin", f.attendee.Email)
	if !strings.HasPrefix(link, e.cfg.BaseURL+"/admin/checkin?t=") {
		t.Fatalf("check-in link = %q", link)
	}
	tok := strings.TrimPrefix(link, e.cfg.BaseURL+"/admin/checkin?t=")
	links := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}
	other := auth.Links{BaseURL: e.cfg.BaseURL, Keys: auth.MustParseKeyring("another-secret-another-secret-another")}
	i := strings.LastIndexByte(tok, '.')
	for name, bad := range map[string]string{
		"Forged":   other.CheckInToken(f.ev.ID, f.regID, community.CheckInUntil(f.ev)),
		"Altered":  tok[:i] + "x" + tok[i+1:],
		"Expired":  links.CheckInToken(f.ev.ID, f.regID, e.clock.Now().Add(-time.Minute)),
		"Cancel":   links.CancelToken(f.ev.ID, f.regID),
		"Nonsense": "abc",
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(t, get(t, "/admin/checkin?t="+url.QueryEscape(bad), f.organizer))
			wantStatus(t, resp, 404)
			if strings.Contains(resp.Body, f.attendee.Name) {
				t.Error("a bad link shows the person")
			}
			csrf := e.pageCSRF(t, "/admin/events/"+f.ev.ID+"/checkin", f.organizer)
			wantStatus(t, e.do(t, post(t, "/admin/checkin", url.Values{"t": {bad}, "csrf": {csrf}}, f.organizer)), 404)
		})
	}
	if reg, _ := e.store.Registration(context.Background(), f.ev.ID, f.regID); reg.CheckedInAt != nil {
		t.Fatal("a bad link checked someone in")
	}
	page := e.do(t, get(t, "/admin/checkin?t="+tok, f.organizer))
	wantStatus(t, page, 200)
	if !strings.Contains(page.Body, f.attendee.Name) || !strings.Contains(page.Body, ">受付</button>") {
		t.Fatalf("check-in page lacks the person or the button:\n%s", page.Body)
	}
	csrf := csrfField.FindStringSubmatch(page.Body)[1]
	resp := e.do(t, post(t, "/admin/checkin", url.Values{"t": {tok}, "csrf": {csrf}}, f.organizer))
	wantStatus(t, resp, 200)
	if !strings.Contains(resp.Body, "受付しました") {
		t.Errorf("after 受付:\n%s", resp.Body)
	}
	again := e.do(t, get(t, "/admin/checkin?t="+tok, f.organizer))
	if !strings.Contains(again.Body, "受付済みです") || strings.Contains(again.Body, ">受付</button>") {
		t.Errorf("second scan:\n%s", again.Body)
	}
}
