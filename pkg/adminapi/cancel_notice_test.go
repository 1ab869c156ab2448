package adminapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// failingNotifier passes every mail to the real notifier, except the
// event-cancelled notices to the addresses in fail, which SES "throttles".
type failingNotifier struct {
	community.AdminNotifier
	mu   sync.Mutex
	fail map[string]bool
}

func (f *failingNotifier) EventCancelled(ctx context.Context, to community.Recipient, e *community.Event, reason string) error {
	f.mu.Lock()
	fail := f.fail[to.Email]
	f.mu.Unlock()
	if fail {
		return community.ErrMailThrottled.Messagef("メールを送信できませんでした。")
	}
	return f.AdminNotifier.EventCancelled(ctx, to, e, reason)
}

func (f *failingNotifier) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = nil
}

// TestCancelEventRetryMailsFailedNotices: the notices that failed when the
// event was cancelled go out when the organizer repeats the cancel; nobody
// gets a second one.
func TestCancelEventRetryMailsFailedNotices(t *testing.T) {
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
	real := e.admin.Events.Notifier
	flaky := &failingNotifier{AdminNotifier: real, fail: map[string]bool{addrs[1]: true, addrs[2]: true}}
	e.admin.Events.Notifier = flaky
	defer func() { e.admin.Events.Notifier = real }()
	p := map[string]string{"id": ev.ID}
	body := `{"reason":"会場の都合により中止します。"}`

	r := e.as(call{route: adminapi.RouteCancelEvent, params: p, body: body})
	want(t, r, 200, "")
	if r.body["registrations_cancelled"] != 4.0 || r.body["mailed"] != 2.0 || r.body["mail_failed"] != 2.0 {
		t.Fatalf("first cancel %v, want 4 ended, 2 mailed, 2 failed", r.body)
	}

	// Still failing: the retry tries again and mails nobody twice.
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: body})
	want(t, r, 200, "")
	if r.body["registrations_cancelled"] != 0.0 || r.body["mailed"] != 0.0 || r.body["mail_failed"] != 2.0 {
		t.Fatalf("retry while SES fails %v, want 0 ended, 0 mailed, 2 failed", r.body)
	}

	flaky.heal()
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: body})
	want(t, r, 200, "")
	if r.body["registrations_cancelled"] != 0.0 || r.body["mailed"] != 2.0 || r.body["mail_failed"] != 0.0 {
		t.Fatalf("retry %v, want 0 ended, 2 mailed, 0 failed", r.body)
	}
	for _, a := range addrs {
		localtest.WaitMail(t, a, 1)
	}

	// Once more, without a reason (the first one stands): everyone has
	// their notice, nothing to do.
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{}`})
	want(t, r, 200, "")
	if r.body["registrations_cancelled"] != 0.0 || r.body["mailed"] != 0.0 || r.body["mail_failed"] != 0.0 {
		t.Fatalf("third retry %v, want nothing done", r.body)
	}
	time.Sleep(200 * time.Millisecond)
	for _, a := range addrs {
		if n := len(localtest.MailTo(t, a)); n != 1 {
			t.Errorf("%s got %d notices, want 1", a, n)
		}
	}
}

// TestCancelEventConcurrentCalls: organizers pressing cancel at once (or a
// client retrying while the first call still runs) mail each registrant once.
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
	ended, mailed := 0.0, 0.0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"同時に中止"}`})
			if r.status != 200 {
				t.Errorf("cancel = %d %v", r.status, r.body)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ended += r.body["registrations_cancelled"].(float64)
			mailed += r.body["mailed"].(float64)
		}()
	}
	wg.Wait()
	if ended != 12 || mailed != 12 {
		t.Errorf("calls ended %v and mailed %v in all, want 12 and 12", ended, mailed)
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
