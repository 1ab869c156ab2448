package adminapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// failingNotifier passes every mail to the real notifier, except the
// organizers' mails (event-cancelled notices, messages) to the addresses
// in fail, which SES "throttles".
type failingNotifier struct {
	community.AdminNotifier
	mu   sync.Mutex
	fail map[string]bool
}

func (f *failingNotifier) failing(to community.Recipient) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[to.Email]
}

func (f *failingNotifier) EventCancelled(ctx context.Context, to community.Recipient, e *community.Event, reason string) error {
	if f.failing(to) {
		return community.ErrMailThrottled.Messagef("メールを送信できませんでした。")
	}
	return f.AdminNotifier.EventCancelled(ctx, to, e, reason)
}

func (f *failingNotifier) OrganizerMessage(ctx context.Context, to community.Recipient, e *community.Event, subject, body, unsubscribe string) error {
	if f.failing(to) {
		return community.ErrMailThrottled.Messagef("メールを送信できませんでした。")
	}
	return f.AdminNotifier.OrganizerMessage(ctx, to, e, subject, body, unsubscribe)
}

func (f *failingNotifier) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = nil
}

// flaky makes the mailroom's organizer mails to addrs fail until healed.
func (e *env) flaky(addrs ...string) *failingNotifier {
	e.t.Helper()
	real := e.room.Admin
	f := &failingNotifier{AdminNotifier: real, fail: map[string]bool{}}
	for _, a := range addrs {
		f.fail[a] = true
	}
	e.room.Admin = f
	e.t.Cleanup(func() { e.room.Admin = real })
	return f
}

// TestCancelEventNoticesOutlastSES: notices SES refuses for a while stay
// in the outbox and go out with a later delivery; repeating the cancel
// owes nobody a second one.
func TestCancelEventNoticesOutlastSES(t *testing.T) {
	e := newEnv(t)
	ev := e.published(9, map[string]any{"capacity": 3})
	m := e.member(community.MemberActive, community.MembershipSupporting, "会員 失敗")
	regs := []*community.Registration{
		e.guest(ev, "ゲスト 成功", community.RegistrationConfirmed),
		e.seat(ev, m, community.RegistrationConfirmed),
		e.guest(ev, "ゲスト 失敗", community.RegistrationConfirmed),
		e.guest(ev, "ゲスト 待ち", community.RegistrationWaitlisted),
	}
	addrs := []string{regs[0].Guest.Email, m.Email, regs[2].Guest.Email, regs[3].Guest.Email}
	flaky := e.flaky(addrs[1], addrs[2])
	p := map[string]string{"id": ev.ID}
	body := `{"reason":"会場の都合により中止します。"}`

	r := e.as(call{route: adminapi.RouteCancelEvent, params: p, body: body})
	want(t, r, 202, "")
	if r.body["registrations_cancelled"] != 4.0 || r.body["notices_queued"] != 4.0 || r.body["complete"] != true {
		t.Fatalf("first cancel %v, want 4 ended, 4 notices", r.body)
	}
	for _, a := range []string{addrs[0], addrs[3]} {
		localtest.WaitMail(t, a, 1)
	}
	// (Every mailbox read delivers the outbox again: few reads, so the
	// refused notices stay within their attempts.)
	if n := len(localtest.MailTo(t, addrs[2])); n != 0 {
		t.Errorf("%s got %d notices while SES refused them", addrs[2], n)
	}

	// A repeat owes nothing more; the refused notices still wait.
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{}`})
	want(t, r, 202, "")
	if r.body["registrations_cancelled"] != 0.0 || r.body["notices_queued"] != 0.0 || r.body["complete"] != true {
		t.Fatalf("repeat %v, want nothing done", r.body)
	}

	flaky.heal()
	communitytest.Deliver(t, e.room)
	time.Sleep(100 * time.Millisecond)
	for _, a := range addrs {
		if n := len(localtest.MailTo(t, a)); n != 1 {
			t.Errorf("%s got %d notices, want 1", a, n)
		}
	}
}

// TestCancelEventConcurrentCalls: organizers pressing cancel at once (or a
// client retrying while the first call still runs) end each registration
// once and so owe each registrant one notice.
func TestCancelEventConcurrentCalls(t *testing.T) {
	e := newEnv(t)
	ev := e.published(9, map[string]any{"capacity": 0})
	var addrs []string
	for range 12 {
		addrs = append(addrs, e.guest(ev, "ゲスト 同時", community.RegistrationConfirmed).Guest.Email)
	}
	p := map[string]string{"id": ev.ID}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ended, owed := 0.0, 0.0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"同時に中止"}`})
			if r.status != 202 {
				t.Errorf("cancel = %d %v", r.status, r.body)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ended += r.body["registrations_cancelled"].(float64)
			owed += r.body["notices_queued"].(float64)
		}()
	}
	wg.Wait()
	if ended != 12 || owed != 12 {
		t.Errorf("calls ended %v and owed %v notices in all, want 12 and 12", ended, owed)
	}
	for _, a := range addrs {
		localtest.WaitMail(t, a, 1)
	}
	time.Sleep(200 * time.Millisecond)
	for _, a := range addrs {
		if n := len(localtest.MailTo(t, a)); n != 1 {
			t.Errorf("%s got %d notices, want 1", a, n)
		}
	}
}
