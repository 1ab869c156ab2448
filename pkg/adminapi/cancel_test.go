package adminapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// addressOf is who a registration's mail goes to.
func (e *env) addressOf(r *community.Registration, members map[string]*community.Member) string {
	if r.Guest != nil {
		return r.Guest.Email
	}
	return members[r.MemberID].Email
}

func TestCancelEventMailsEveryRegistrantOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const reason = "講師の急病のため、やむを得ず中止いたします。"
	ev := e.published(14, map[string]any{"capacity": 25})
	members := map[string]*community.Member{}
	var regs []*community.Registration
	for i := range 30 {
		st := community.RegistrationConfirmed
		if i >= 25 {
			st = community.RegistrationWaitlisted
		}
		if i%3 == 0 {
			m := e.member(community.MemberActive, community.MembershipSupporting, "会員 参加者")
			members[m.ID] = m
			regs = append(regs, e.seat(ev, m, st))
		} else {
			regs = append(regs, e.guest(ev, "ゲスト 参加者", st))
		}
	}
	p := map[string]string{"id": ev.ID}

	r := e.as(call{route: adminapi.RouteCancelEvent, params: p, body: mustJSON(map[string]string{"reason": reason})})
	want(t, r, 202, "")
	if r.body["registrations_cancelled"] != 30.0 || r.body["notices_queued"] != 30.0 || r.body["complete"] != true {
		t.Fatalf("cancel = %v", r.body)
	}
	ev2 := r.body["event"].(map[string]any)
	if ev2["status"] != "cancelled" || ev2["cancel_reason"] != reason || ev2["confirmed_count"] != 0.0 || ev2["waitlist_count"] != 0.0 {
		t.Errorf("event after cancel %v", ev2)
	}

	// Exactly 30 mails, one to each of 30 different addresses.
	seen := map[string]bool{}
	for _, reg := range regs {
		addr := e.addressOf(reg, members)
		if seen[addr] {
			t.Fatalf("address %s registered twice", addr)
		}
		seen[addr] = true
		m := localtest.WaitMail(t, addr, 1)
		if len(m) != 1 || !strings.Contains(m[0].Subject, "開催中止のお知らせ") || !strings.Contains(m[0].Body.Text, reason) {
			t.Errorf("%s: %d mails, first %q", addr, len(m), m[0].Subject)
		}
		if strings.Contains(m[0].Body.Text, "zoom.example.jp") {
			t.Errorf("the cancellation mail to %s carries the join URL", addr)
		}
	}
	if len(seen) != 30 {
		t.Fatalf("%d addresses", len(seen))
	}

	// No registration is left: counters zero, every registration cancelled.
	if n, err := e.store.CountConfirmed(ctx, ev.ID); err != nil || n != 0 {
		t.Errorf("confirmed registrations left: %d %v", n, err)
	}
	all, err := e.store.AllRegistrations(ctx, ev.ID)
	if err != nil || len(all) != 30 {
		t.Fatalf("registrations %d %v", len(all), err)
	}
	for _, reg := range all {
		if reg.Status != community.RegistrationCancelled || reg.CancelledAt == nil {
			t.Errorf("registration %s is %s", reg.ID, reg.Status)
		}
	}
	got, err := e.store.Event(ctx, ev.ID)
	if err != nil || got.ConfirmedCount != 0 || got.WaitlistCount != 0 || got.Status != community.EventCancelled {
		t.Errorf("event %+v %v", got, err)
	}

	// Listings: gone from the upcoming list, shown as cancelled.
	views, _, err := e.events.List(ctx, community.Viewer{}, community.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.ID == ev.ID {
			t.Error("the cancelled event is still in the upcoming list")
		}
	}
	cancelled, err := e.events.Cancelled(ctx, community.Viewer{}, 10)
	if err != nil || len(cancelled) != 1 || cancelled[0].ID != ev.ID || cancelled[0].ShowJoinURL {
		t.Errorf("cancelled listing %v %v", cancelled, err)
	}
	if v, err := e.events.Get(ctx, community.Viewer{}, ev.ID); err != nil || v.Status != community.EventCancelled {
		t.Errorf("detail %v %v, want it visible as cancelled", v, err)
	}
	a := e.audited(community.AuditEventCancel, ev.ID, "")
	if s := a["summary"].(string); strings.Contains(s, "@") || strings.Contains(s, "zoom") {
		t.Errorf("audit summary leaks: %q", s)
	}

	// Again: nothing more to end, nobody mailed twice.
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"再実行"}`})
	want(t, r, 202, "")
	if r.body["registrations_cancelled"] != 0.0 || r.body["notices_queued"] != 0.0 || r.body["event"].(map[string]any)["cancel_reason"] != reason {
		t.Errorf("second cancel %v", r.body)
	}
	time.Sleep(300 * time.Millisecond)
	for addr := range seen {
		if n := len(localtest.MailTo(t, addr)); n != 1 {
			t.Errorf("%s has %d mails after a second cancel", addr, n)
		}
	}
}

// TestCancelEventResumes cancels an event whose earlier cancellation was
// interrupted: the event is already cancelled and some registrations
// ended (unmailed, as by a crash between the two); the retry ends and mails
// only the rest.
func TestCancelEventResumes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(7, map[string]any{"capacity": 4})
	var regs []*community.Registration
	for i := range 6 {
		st := community.RegistrationConfirmed
		if i >= 4 {
			st = community.RegistrationWaitlisted
		}
		regs = append(regs, e.guest(ev, "参加 者", st))
	}
	cur, _ := e.store.Event(ctx, ev.ID)
	if _, _, err := e.store.CancelEvent(ctx, cur, "台風接近のため", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*community.Registration{regs[0], regs[4]} {
		if _, _, err := e.store.CancelRegistration(ctx, ev.ID, r.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.quiet()
	}
	r := e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": ev.ID}, body: `{"reason":"台風接近のため"}`})
	want(t, r, 202, "")
	if r.body["registrations_cancelled"] != 4.0 || r.body["notices_queued"] != 4.0 {
		t.Fatalf("resumed cancel %v", r.body)
	}
	for i, reg := range regs {
		wantMails := 1
		if i == 0 || i == 4 {
			wantMails = 0
		}
		if wantMails == 1 {
			localtest.WaitMail(t, reg.Guest.Email, 1)
		}
		time.Sleep(50 * time.Millisecond)
		if n := len(localtest.MailTo(t, reg.Guest.Email)); n != wantMails {
			t.Errorf("registration %d: %d mails, want %d", i, n, wantMails)
		}
	}
	got, _ := e.store.Event(ctx, ev.ID)
	if got.ConfirmedCount != 0 || got.WaitlistCount != 0 {
		t.Errorf("counters %d/%d", got.ConfirmedCount, got.WaitlistCount)
	}
}

func TestCancelEventRefusals(t *testing.T) {
	e := newEnv(t)
	ev := e.published(7, nil)
	r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(7, nil)})
	draft := r.body["id"].(string)
	tests := []struct {
		name, id, body string
		status         int
		code           string
	}{
		{"ErrNoReason", ev.ID, `{}`, 400, "validation_failed"},
		{"ErrBlankReason", ev.ID, `{"reason":"  "}`, 400, "validation_failed"},
		{"ErrLongReason", ev.ID, mustJSON(map[string]string{"reason": strings.Repeat("雨", 1001)}), 400, "validation_failed"},
		{"ErrUnknownField", ev.ID, `{"reason":"x","notify":false}`, 400, "unknown_field"},
		{"ErrDraft", draft, `{"reason":"x"}`, 409, "event_not_published"},
		{"ErrNotFound", community.NewID(time.Now()), `{"reason":"x"}`, 404, "event_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": tt.id}, body: tt.body}), tt.status, tt.code)
		})
	}
	got, _ := e.store.Event(context.Background(), ev.ID)
	if got.Status != community.EventPublished {
		t.Errorf("a refused cancel changed the event: %s", got.Status)
	}
}
