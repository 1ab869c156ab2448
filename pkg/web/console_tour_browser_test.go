package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/httpapi"
)

// TestBrowserConsoleTour: the demo's organizer, in Chromium, opens every
// console page on the demo data — the dashboard, the list and form of
// events, an event's preview, attendees (with the attendance figures),
// check-in list and a scanned check-in link, the cancel step, the series,
// the members and the audit log — at a phone's size and a desktop's. Each
// is photographed for a reviewer and checked as a person would find it:
// nothing wider than the screen, targets a finger can hit, dates in 令和.
// The journeys elsewhere test what the pages do; this one, how they look.
func TestBrowserConsoleTour(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	e.h.eventAdmin = &community.EventAdmin{Store: e.store, Clock: e.clock}
	e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
	e.h.series = &community.SeriesAdmin{Store: e.store, Clock: e.clock, Log: communitytest.FailOnError(t)}
	e.h.memberAdmin = &community.MemberAdmin{Store: e.store, Clock: e.clock, Log: communitytest.FailOnError(t)}
	e.h.audit = &community.AuditLog{Store: e.store}
	bg := context.Background()
	now := e.clock.Now()
	if _, err := demo.Seed(bg, e.store, []string{testOrganizerEmail}, now); err != nil {
		t.Fatal(err)
	}
	token, _, err := e.sessions.Issue(bg, demo.ID("member/organizer/0"))
	if err != nil {
		t.Fatal(err)
	}
	trip, series := demo.ID("event/field-trip"), demo.ID("series/regular-meeting")
	var held string // the latest held event with a crowd: the figures after the day
	for _, h := range demo.History(now) {
		if len(h.Attendees) > 3 {
			held = h.Event.ID
			break
		}
	}
	seat, err := e.store.MemberRegistration(bg, trip, demo.ID("member/regular"))
	if err != nil {
		t.Fatal(err)
	}
	links := auth.Links{BaseURL: base, Keys: e.cfg.Keys}
	checkin := links.CheckInToken(trip, seat.ID, now.Add(30*24*time.Hour))

	shot := screenshotter()
	st := newSteps(ctx, t)
	do := st.do
	do("open the console on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"))
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: httpapi.SessionCookieName(false), Value: token, URL: base + "/"}); err != nil {
		t.Fatalf("sign in as the demo's organizer: %v", err)
	}
	for _, p := range []struct{ name, path string }{
		{"dashboard", "/admin"},
		{"events", "/admin/events"},
		{"event-new", "/admin/events/new"},
		{"event-edit", "/admin/events/" + trip},
		{"event-preview", "/admin/events/" + trip + "/preview"},
		{"attendees", "/admin/events/" + trip + "/attendees"},
		{"attendees-held", "/admin/events/" + held + "/attendees"},
		{"checkin-list", "/admin/events/" + trip + "/checkin"},
		{"checkin-scanned", "/admin/checkin?t=" + url.QueryEscape(checkin)},
		{"event-cancel", "/admin/events/" + trip + "/cancel"},
		{"series", "/admin/series"},
		{"series-new", "/admin/series/new"},
		{"series-edit", "/admin/series/" + series},
		{"members", "/admin/members"},
		{"audit", "/admin/audit"},
	} {
		t.Run(p.name, func(t *testing.T) {
			for _, size := range []struct {
				name string
				w, h int64
			}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
				do("open "+p.path+" ("+size.name+")", chromedp.EmulateViewport(size.w, size.h),
					chromedp.Navigate(base+p.path), chromedp.WaitVisible(css("main h1")),
					shot("console-tour-"+p.name+"-"+size.name))
				checkLayout(t, ctx, p.name+" ("+size.name+")")
			}
		})
	}
}
