package adminapi_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// GET /api/admin/events/{id}/attendance, every answer validated against
// docs/openapi.yaml (e.send): the figures of an event whose reconfirmation
// was answered once and released one seat to the waitlist, after two
// check-ins; the no-shows once it has ended; 404 for an unknown event,
// 401 signed out, 403 for a member.
func TestAttendanceFigures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(3, map[string]any{"capacity": 3, "waitlist": true,
		"reconfirmation": map[string]any{"days_before": 2, "deadline_hours": 24, "release": true}})
	if ev.Reconfirm == nil || ev.Reconfirm.DaysBefore != 2 || ev.Reconfirm.DeadlineHours != 24 || !ev.Reconfirm.Release {
		t.Fatalf("stored reconfirmation %+v", ev.Reconfirm)
	}
	path := map[string]string{"id": ev.ID}
	got := func() map[string]any {
		t.Helper()
		r := e.as(call{route: adminapi.RouteAttendance, params: path})
		want(t, r, 200, "")
		return r.body
	}

	fresh := got()
	if d := cmp.Diff(map[string]any{"event_id": ev.ID, "confirmed": 0.0, "waitlisted": 0.0, "checked_in": 0.0, "check_in_rate": nil,
		"cancelled": 0.0, "released": 0.0, "no_shows": nil,
		"reconfirmation": map[string]any{"asked": 0.0, "answered": 0.0, "kept": 0.0, "cancelled": 0.0, "unanswered": 0.0, "release": true},
	}, fresh); d != "" {
		t.Errorf("a fresh event's figures (-want +got):\n%s", d)
	}

	var seats []*community.Registration
	for _, name := range []string{"出席 一郎", "解放 二郎", "未回答 三郎"} {
		seats = append(seats, e.guest(ev, name, community.RegistrationConfirmed))
	}
	head := e.guest(ev, "待機 四郎", community.RegistrationWaitlisted)
	e.guest(ev, "待機 五郎", community.RegistrationWaitlisted)

	// The request, handed over to the three seats; seat 0 keeps.
	e.clock.Set(community.ReconfirmAskAt(ev).Add(time.Minute))
	now := e.clock.Now()
	var mails []community.Mail
	for _, s := range seats {
		mails = append(mails, community.ReconfirmMail(s, now))
	}
	if h, err := e.store.HandOverReconfirms(ctx, mails, now); err != nil || len(h) != 3 {
		t.Fatalf("hand over: %v %v", h, err)
	}
	for _, s := range seats { // as the mailer marks each request SES took
		if err := e.store.MarkReconfirmMailed(ctx, ev.ID, s.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.KeepSeat(ctx, ev.ID, seats[0].ID, now); err != nil {
		t.Fatal(err)
	}
	// The deadline: seat 1 released to the head of the waitlist; seat 2
	// stays unanswered (a second release is the sweep's, not this test's).
	e.clock.Set(community.ReconfirmDeadline(ev).Add(time.Minute))
	_, promoted, err := e.store.ReleaseUnanswered(ctx, ev.ID, seats[1].ID, e.clock.Now())
	if err != nil || promoted == nil || promoted.ID != head.ID {
		t.Fatalf("release: promoted %v, %v", promoted, err)
	}
	e.quiet()
	// At the door: seat 0 and the promoted head.
	e.clock.Set(ev.StartsAt.Add(-10 * time.Minute))
	for _, r := range []*community.Registration{seats[0], head} {
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": r.ID}}), 200, "")
	}

	during := got()
	rate, _ := during["check_in_rate"].(float64)
	if math.Abs(rate-2.0/3) > 1e-9 {
		t.Errorf("check_in_rate %v, want 2/3", during["check_in_rate"])
	}
	delete(during, "check_in_rate")
	if d := cmp.Diff(map[string]any{"event_id": ev.ID, "confirmed": 3.0, "waitlisted": 1.0, "checked_in": 2.0,
		"cancelled": 1.0, "released": 1.0, "no_shows": nil,
		"reconfirmation": map[string]any{"asked": 3.0, "answered": 1.0, "kept": 1.0, "cancelled": 0.0, "unanswered": 2.0, "release": true},
	}, during); d != "" {
		t.Errorf("figures during the event (-want +got):\n%s", d)
	}

	e.clock.Set(ev.EndsAt.Add(time.Minute))
	if after := got(); after["no_shows"] != 1.0 || after["checked_in"] != 2.0 {
		t.Errorf("after the end: no_shows %v, checked_in %v; want 1 and 2", after["no_shows"], after["checked_in"])
	}

	want(t, e.as(call{route: adminapi.RouteAttendance, params: map[string]string{"id": community.NewID(e.clock.Now())}}), 404, "event_not_found")
	want(t, e.do(call{route: adminapi.RouteAttendance, params: path}), 401, "unauthorized")
	m := e.member(community.MemberActive, community.MembershipRegular, "会員 六郎")
	want(t, e.do(call{route: adminapi.RouteAttendance, params: path, token: e.token(m)}), 403, "forbidden")
}
