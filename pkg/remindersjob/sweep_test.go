package remindersjob_test

import (
	"bytes"
	"context"
	"errors"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/jadate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// want is one mail a test expects: about what, saying what.
type want struct {
	subject string   // must appear in the subject
	texts   []string // must appear in the text part
	absent  []string // must not appear in the text part
	optOut  bool     // List-Unsubscribe on the MIME we built (the same for every mail to one person)
}

// checkMail checks that to received exactly the mails in ws, in any order.
func (e *env) checkMail(t *testing.T, to string, ws []want) {
	t.Helper()
	got := localtest.MailTo(t, to)
	if len(got) != len(ws) {
		subjects := []string{}
		for _, m := range got {
			subjects = append(subjects, m.Subject)
		}
		t.Fatalf("%s got %d mails %q, want %d", to, len(got), subjects, len(ws))
	}
	raws := e.ses.rawTo(to)
	if len(raws) != len(ws) {
		t.Fatalf("%s: %d raw messages recorded, want %d", to, len(raws), len(ws))
	}
	used := make([]bool, len(got))
	for _, w := range ws {
		found := false
		for i, m := range got {
			if used[i] || !strings.Contains(m.Subject, w.subject) {
				continue
			}
			used[i], found = true, true
			if !strings.HasPrefix(m.Subject, "【そらゑ】リマインダー（") {
				t.Errorf("subject %q", m.Subject)
			}
			for _, s := range w.texts {
				if !strings.Contains(m.Body.Text, s) || !strings.Contains(m.Body.HTML, htmlEscape(s)) {
					t.Errorf("mail %q to %s lacks %q in text or HTML:\n%s", m.Subject, to, s, m.Body.Text)
				}
			}
			for _, s := range w.absent {
				if strings.Contains(m.Body.Text, s) || strings.Contains(m.Body.HTML, s) {
					t.Errorf("mail %q to %s contains %q", m.Subject, to, s)
				}
			}
			break
		}
		if !found {
			t.Errorf("%s got no mail with %q in its subject", to, w.subject)
		}
	}
	for _, raw := range raws {
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		has := msg.Header.Get("List-Unsubscribe") != "" && msg.Header.Get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
		if has != ws[0].optOut {
			t.Errorf("%s: List-Unsubscribe present = %v, want %v", to, has, ws[0].optOut)
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestSweep: a fixed clock, events at several distances, registrations
// before and after the due times, cancelled ones, a cancelled event,
// opted-out and suspended members, a guest → exactly the expected mails.
// A is 30 minutes away: its 24 h reminder was due long ago (the sweeps in
// between were missed) and goes out with its 1 h one, both saying 30分後.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m1 := e.member("髙橋 﨑子", true, community.MemberActive)
	m2 := e.member("佐藤 停止", false, community.MemberActive) // reminders turned off
	m3 := e.member("鈴木 直前", true, community.MemberActive)
	m4 := e.member("田中 休会", true, community.MemberSuspended)

	joinA, joinC := "https://zoom.example/j/a-secret", "https://zoom.example/j/c-secret"
	evA := e.event("井戸端会議 A", T.Add(30*time.Minute), online(joinA))
	evB := e.event("体験 B", T.Add(2*time.Hour), func(ev *community.Event) {
		ev.Kind, ev.Venue = community.KindFieldTrip, &community.Venue{Name: "伊勢崎市役所 会議室", Address: "群馬県伊勢崎市今泉町2-410"}
	})
	evC := e.event("私塾 C", T.Add(23*time.Hour), func(ev *community.Event) {
		online(joinC)(ev)
		ev.Kind, ev.Capacity, ev.Waitlist = community.KindLecture, 1, true
	})
	evD := e.event("研修 D", T.Add(72*time.Hour), online("https://zoom.example/j/d"))
	evE := e.event("中止 E", T.Add(2*time.Hour), nil)

	a1 := e.register(evA, m1, T.Add(-48*time.Hour))
	aGuest := e.register(evA, nil, T.Add(-2*time.Hour)) // after the 24 h mark: the 1 h one only
	e.register(evA, m2, T.Add(-48*time.Hour))
	e.register(evA, m3, T.Add(-10*time.Minute)) // after both marks: nothing
	b1 := e.register(evB, m1, T.Add(-30*time.Hour))
	b3 := e.register(evB, m3, T.Add(-time.Hour)) // 3 h before: the 1 h reminder only
	e.register(evB, m4, T.Add(-30*time.Hour))
	bGone := e.register(evB, nil, T.Add(-30*time.Hour))
	if _, _, err := e.store.CancelRegistration(ctx, evB.ID, bGone.ID, T.Add(-20*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c1 := e.register(evC, m1, T.Add(-48*time.Hour))
	cWait := e.register(evC, m3, T.Add(-40*time.Hour))
	if cWait.Status != community.RegistrationWaitlisted {
		t.Fatalf("m3 on C is %s, want waitlisted", cWait.Status)
	}
	e.register(evD, m1, T.Add(-24*time.Hour))
	e.register(evE, m1, T.Add(-30*time.Hour))
	// Cancelled without the schedule being told: the sweep must notice.
	e.behindSchedule(evE.ID, func() {
		if _, _, err := e.store.CancelEvent(ctx, evE, "台風のため", T.Add(-3*time.Hour)); err != nil {
			t.Fatal(err)
		}
	})

	svc := e.service()
	unsub1 := e.links.UnsubscribeLink(m1.ID, community.ListReminders)
	t.Run("First", func(t *testing.T) {
		res := e.sweep(svc)
		check := []struct {
			name      string
			got, want int
		}{
			{"due", res.Due, 5},   // A/24h A/1h B/24h C/24h E/24h
			{"sent", res.Sent, 5}, // A/24h: m1; A/1h: m1, guest; B/24h: m1; C/24h: m1
			{"finished", res.Finished, 4},
			{"dropped", res.Dropped, 1}, // E
			{"failed", res.Failed, 0},
			{"late", res.SkippedBy[community.SkipLate], 4},          // A/24h: guest, m3; A/1h: m3; B/24h: m3
			{"opted out", res.SkippedBy[community.SkipOptedOut], 2}, // m2 on A/24h and A/1h
			{"inactive", res.SkippedBy[community.SkipInactive], 1},  // m4 on B/24h
			{"skipped", res.Skipped, 7},
		}
		for _, c := range check {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d (%+v)", c.name, c.got, c.want, res)
			}
		}
		if res.Stopped != "" {
			t.Errorf("stopped: %s", res.Stopped)
		}
		aMail := want{
			subject: "リマインダー（30分後に開始）：井戸端会議 A",
			texts: []string{"髙橋 﨑子 様", jadate.DateTimeRange(evA.StartsAt, evA.EndsAt), joinA,
				e.links.CancelLink(evA.ID, a1.ID), unsub1},
			optOut: true,
		}
		e.checkMail(t, m1.Email, []want{aMail, aMail, {
			subject: "リマインダー（2時間後に開始）：体験 B",
			texts:   []string{"令和12年6月11日(火) 20:00〜21:00", "伊勢崎市役所 会議室", "群馬県伊勢崎市今泉町2-410", e.links.CancelLink(evB.ID, b1.ID), unsub1},
			absent:  []string{"zoom.example"},
			optOut:  true,
		}, {
			subject: "リマインダー（23時間後に開始）：私塾 C",
			texts:   []string{jadate.DateTimeRange(evC.StartsAt, evC.EndsAt), joinC, e.links.CancelLink(evC.ID, c1.ID)},
			optOut:  true,
		}})
		// A guest opts out of this registration's reminders by the link.
		e.checkMail(t, aGuest.Guest.Email, []want{{
			subject: "リマインダー（30分後に開始）：井戸端会議 A",
			texts: []string{"ゲスト 花子 様", joinA, e.links.CancelLink(evA.ID, aGuest.ID),
				e.links.RegistrationOptOutLink(evA.ID, aGuest.ID, community.ListReminders)},
			optOut: true,
		}})
		for _, to := range []string{m2.Email, m3.Email, m4.Email, bGone.Guest.Email} {
			e.checkMail(t, to, nil)
		}
		if n := e.sesCalls.Count("SES.SendRawEmail"); n != 5 {
			t.Errorf("%d SES calls, want 5 (by the mailer)", n)
		}
		r, err := e.store.Registration(ctx, evA.ID, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		marks := []string{community.ReminderMark(24*time.Hour, evA.StartsAt), community.ReminderMark(time.Hour, evA.StartsAt)}
		if got := slices.Sorted(slices.Values(r.RemindersSent)); !slices.Equal(got, slices.Sorted(slices.Values(marks))) {
			t.Errorf("reminders_sent = %v, want %v", r.RemindersSent, marks)
		}
	})

	t.Run("AnHourLater", func(t *testing.T) {
		e.clock.Set(T.Add(time.Hour + 5*time.Minute))
		res := e.sweep(svc)
		if res.Due != 2 || res.Sent != 2 || res.Dropped != 1 || res.Finished != 1 { // B/1h sent; E/1h dropped
			t.Errorf("result %+v, want due 2, sent 2, dropped 1, finished 1", res)
		}
		e.checkMail(t, m3.Email, []want{{
			subject: "リマインダー（1時間後に開始）：体験 B",
			texts:   []string{"鈴木 直前 様", e.links.CancelLink(evB.ID, b3.ID), e.links.UnsubscribeLink(m3.ID, community.ListReminders)},
			optOut:  true,
		}})
		if got := len(localtest.MailTo(t, m1.Email)); got != 5 {
			t.Errorf("m1 has %d mails, want 5", got)
		}
		for _, to := range []string{m2.Email, m4.Email, bGone.Guest.Email} {
			e.checkMail(t, to, nil)
		}
	})

	t.Run("AgainNothing", func(t *testing.T) {
		res := e.sweep(svc)
		if res.Due != 0 || res.Sent != 0 {
			t.Errorf("result %+v, want nothing due", res)
		}
		if n := e.sesCalls.Count("SES.SendRawEmail"); n != 7 {
			t.Errorf("%d SES calls in all, want 7", n)
		}
	})
	_ = evD
}

// guests registers n guests for ev two days before T.
func (e *env) guests(ev *community.Event, n int) []*community.Registration {
	regs := make([]*community.Registration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			regs[i] = e.register(ev, nil, T.Add(-48*time.Hour))
		}()
	}
	wg.Wait()
	return regs
}

// bothDue is how many reminders a guest of e.guests gets for an event
// 30 or 50 minutes after T: both the 24 h and the 1 h one are due at T.
const bothDue = 2

// exactlyOne checks that every guest got exactly one mail per due
// reminder: perGuest in all.
func exactlyOne(t *testing.T, regs []*community.Registration, perGuest int) {
	t.Helper()
	for _, r := range regs {
		if n := len(localtest.MailTo(t, r.Guest.Email)); n != perGuest {
			t.Errorf("%s got %d mails, want %d", r.Guest.Email, n, perGuest)
		}
	}
}

// TestConcurrentSweeps: three sweeps at once over the same due set (two
// overlapping schedules, or EventBridge delivering one twice) → exactly
// one hand-over, and one mail, per (registration, offset).
func TestConcurrentSweeps(t *testing.T) {
	e := newEnv(t)
	ev := e.event("井戸端会議", T.Add(30*time.Minute), online("https://zoom.example/j/x"))
	regs := e.guests(ev, 30)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		sent    int
		results []community.SweepResult
	)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.service().Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			sent += res.Sent
			results = append(results, res)
		}()
	}
	wg.Wait()
	for i, r := range results {
		t.Logf("sweep %d: sent %d, skipped %v", i, r.Sent, r.SkippedBy)
	}
	if sent != bothDue*len(regs) {
		t.Errorf("the sweeps handed over %d in all, want %d: %+v", sent, bothDue*len(regs), results)
	}
	if n := e.sesCalls.Count("SES.SendRawEmail"); n != 0 {
		t.Errorf("the sweeps made %d SES calls, want none: the mailer sends", n)
	}
	exactlyOne(t, regs, bothDue)
	// Whatever the race left in flight, the next sweep settles without mail.
	res := e.sweep(e.service())
	if res.Sent != 0 {
		t.Errorf("a later sweep sent %d", res.Sent)
	}
	if res := e.sweep(e.service()); res.Due != 0 {
		t.Errorf("still due after settling: %+v", res)
	}
	exactlyOne(t, regs, bothDue)
}

// throttled is the error the Sender returns when SES kept throttling.
var throttled = &community.Error{Reason: community.ErrMailThrottled, Message: "混み合っています"}

// notifierFunc is a function-field fake of community.ReminderNotifier.
type notifierFunc func(ctx context.Context, to community.Recipient, e *community.Event, in time.Duration, join, cancel, unsub string) error

func (f notifierFunc) Reminder(ctx context.Context, to community.Recipient, e *community.Event, in time.Duration, join, cancel, unsub string) error {
	return f(ctx, to, e, in, join, cancel, unsub)
}

// untilSettled sweeps until nothing is due, at most n times, and returns
// the results.
func (e *env) untilSettled(t *testing.T, svc *community.Reminders, n int) []community.SweepResult {
	t.Helper()
	var out []community.SweepResult
	for range n {
		res := e.sweep(svc)
		out = append(out, res)
		if res.Due == 0 {
			return out
		}
	}
	t.Fatalf("still due after %d sweeps: %+v", n, out)
	return nil
}

// TestSESFailures: SES failing does not touch the sweep — every due
// reminder is handed over at once — and the mailer sends each later, none
// twice.
func TestSESFailures(t *testing.T) {
	handOver := func(t *testing.T, e *env, want int) {
		t.Helper()
		res := e.sweep(e.service())
		if res.Sent != want || res.Failed != 0 || res.Stopped != "" {
			t.Fatalf("sweep %+v, want %d handed over whatever SES does", res, want)
		}
	}
	t.Run("FailingNotifier", func(t *testing.T) {
		e := newEnv(t)
		ev := e.event("私塾", T.Add(30*time.Minute), online("https://zoom.example/j/y"))
		regs := e.guests(ev, 10)
		var mu sync.Mutex
		calls := 0
		e.room.Reminders = notifierFunc(func(ctx context.Context, to community.Recipient, ev *community.Event, in time.Duration, join, cancel, unsub string) error {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n <= 3 {
				return throttled
			}
			return e.notifier.Reminder(ctx, to, ev, in, join, cancel, unsub)
		})
		handOver(t, e, bothDue*len(regs))
		if rounds := e.deliverAll(t, 5); rounds < 2 {
			t.Errorf("delivered in %d round, want a second for the three throttled", rounds)
		}
		exactlyOne(t, regs, bothDue)
	})

	t.Run("ThrottlingSES", func(t *testing.T) {
		e := newEnv(t)
		ev := e.event("私塾", T.Add(30*time.Minute), online("https://zoom.example/j/z"))
		regs := e.guests(ev, 10)
		e.sender.MaxAttempts = 2
		// SES throttles the first six calls: the Sender's retries absorb some,
		// the rest are released and sent by a later round.
		e.ses.fail = func(call int) error {
			if call <= 6 {
				return &smithy.OperationError{ServiceID: "SES", OperationName: "SendRawEmail",
					Err: &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}}
			}
			return nil
		}
		handOver(t, e, bothDue*len(regs))
		e.deliverAll(t, 5)
		exactlyOne(t, regs, bothDue)
	})

	t.Run("BrokenSES", func(t *testing.T) {
		e := newEnv(t)
		ev := e.event("私塾", T.Add(30*time.Minute), nil)
		regs := e.guests(ev, 5)
		denied := errors.New("mail: ses send raw email: AccessDenied")
		e.room.Reminders = notifierFunc(func(context.Context, community.Recipient, *community.Event, time.Duration, string, string, string) error {
			return denied
		})
		handOver(t, e, bothDue*len(regs))
		communitytest.Deliver(t, e.room)
		if n := e.sesCalls.Count("SES.SendRawEmail"); n != 0 {
			t.Fatalf("%d SES calls while broken", n)
		}
		e.room.Reminders = e.notifier // fixed: everything goes, once
		e.deliverAll(t, 2)
		exactlyOne(t, regs, bothDue)
		if res := e.sweep(e.service()); res.Due != 0 || res.Sent != 0 {
			t.Errorf("a later sweep %+v, want nothing due", res)
		}
	})

	t.Run("TimedOut", func(t *testing.T) {
		e := newEnv(t)
		ev := e.event("私塾", T.Add(30*time.Minute), nil)
		regs := e.guests(ev, 3)
		var mu sync.Mutex
		var first string
		e.room.Reminders = notifierFunc(func(ctx context.Context, to community.Recipient, ev *community.Event, in time.Duration, join, cancel, unsub string) error {
			mu.Lock()
			isFirst := first == ""
			if isFirst {
				first = to.Email
			}
			mu.Unlock()
			if isFirst {
				return &community.Error{Reason: community.ErrMailTimeout, Message: "応答しません"}
			}
			return e.notifier.Reminder(ctx, to, ev, in, join, cancel, unsub)
		})
		handOver(t, e, bothDue*len(regs))
		// SES may have taken the timed-out mail: it is held, and later
		// deliveries leave it alone while SES's Send event may still come.
		communitytest.Deliver(t, e.room)
		communitytest.Deliver(t, e.room)
		counts := func(heldGot int) {
			t.Helper()
			for _, r := range regs {
				want := bothDue
				if r.Guest.Email == first {
					want = heldGot
				}
				if n := len(localtest.MailTo(t, r.Guest.Email)); n != want {
					t.Errorf("%s got %d mails, want %d", r.Guest.Email, n, want)
				}
			}
		}
		counts(bothDue - 1)
		left, err := e.store.UnsentMail(context.Background(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 10)
		if err != nil || len(left) != 1 {
			t.Fatalf("unsettled after the timeout: %d, %v; want the one held", len(left), err)
		}
		// No Send event came (this SES never got it): after the hold it is
		// sent again, once.
		e.clock.Set(e.clock.Now().Add(community.UncertainHold + time.Second))
		e.deliverAll(t, 2)
		counts(bothDue)
		if res := e.sweep(e.service()); res.Sent != 0 {
			t.Errorf("a later sweep handed over %d again", res.Sent)
		}
	})
}

// TestSweepBudget: a sweep out of time hands nothing over and leaves
// everything due, without error; the next sweeps hand it over.
func TestSweepBudget(t *testing.T) {
	e := newEnv(t)
	ev := e.event("井戸端会議", T.Add(30*time.Minute), nil)
	regs := e.guests(ev, 3)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	res, err := e.service().Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 0 || res.Stopped != community.StopBudget {
		t.Errorf("out of time: %+v", res)
	}
	e.untilSettled(t, e.service(), 3)
	exactlyOne(t, regs, bothDue)
}

// TestChangedBeforeSend: what changes between the hand-over and the send
// decides the mail: a moved event's reminder for the old start is not sent
// (the new start's reminders are due on their own), a cancelled event's is
// not sent, and neither is one a guest opted out of meanwhile.
func TestChangedBeforeSend(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	moved := e.event("移動 A", T.Add(2*time.Hour), nil)
	cancelled := e.event("中止 B", T.Add(2*time.Hour), nil)
	kept := e.event("予定どおり C", T.Add(2*time.Hour), nil)
	rMoved := e.register(moved, nil, T.Add(-48*time.Hour))
	rCancelled := e.register(cancelled, nil, T.Add(-48*time.Hour))
	rOptedOut := e.register(kept, nil, T.Add(-48*time.Hour))
	rKept := e.register(kept, nil, T.Add(-48*time.Hour))
	if res := e.sweep(e.service()); res.Sent != 4 { // the 24 h reminders
		t.Fatalf("sweep %+v, want 4 handed over", res)
	}
	later := *moved
	later.StartsAt, later.EndsAt = moved.StartsAt.Add(time.Hour), moved.EndsAt.Add(time.Hour)
	later.UpdatedAt = T.Add(time.Minute)
	if _, err := e.store.UpdateEvent(ctx, community.EventUpdate{Event: &later, ReadAt: moved.UpdatedAt, Status: community.EventPublished}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.CancelEvent(ctx, cancelled, "台風のため", T.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	optOuts := &community.OptOuts{Store: e.store}
	o, ok := e.links.ParseOptOutToken(e.links.RegistrationOptOutToken(kept.ID, rOptedOut.ID, community.ListReminders))
	if !ok {
		t.Fatal("the opt-out link does not parse")
	}
	if err := optOuts.Stop(ctx, o); err != nil {
		t.Fatal(err)
	}
	e.checkMail(t, rKept.Guest.Email, []want{{subject: "リマインダー（2時間後に開始）：予定どおり C", optOut: true}})
	for _, to := range []string{rMoved.Guest.Email, rCancelled.Guest.Email, rOptedOut.Guest.Email} {
		e.checkMail(t, to, nil)
	}
	// The moved event's reminders follow its new start: the 24 h one is
	// due again at once, and says so.
	res := e.sweep(e.service())
	if res.Sent != 1 || res.SkippedBy[community.SkipOptedOut] != 0 {
		t.Errorf("after the changes: %+v, want the moved event's 24 h reminder handed over again", res)
	}
	e.checkMail(t, rMoved.Guest.Email, []want{{subject: "リマインダー（3時間後に開始）：移動 A",
		texts: []string{jadate.DateTimeRange(later.StartsAt, later.EndsAt)}, optOut: true}})
	// The guest who opted out is skipped from now on, for that reason.
	e.clock.Set(T.Add(time.Hour + time.Minute))
	res = e.sweep(e.service())
	if res.SkippedBy[community.SkipOptedOut] != 1 || res.Sent != 1 { // C/1h: rKept only
		t.Errorf("an hour later: %+v, want the opted-out guest skipped as opted_out and one handed over", res)
	}
	e.checkMail(t, rOptedOut.Guest.Email, nil)
}

// TestMovedEvent: reminders follow a moved start; what was sent for the
// old start does not block the new one, and a schedule that missed the
// move is rebuilt by the sweep itself.
func TestMovedEvent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.member("髙橋 﨑子", true, community.MemberActive)
	ev := e.event("体験", T.Add(2*time.Hour), nil)
	e.register(ev, m, T.Add(-48*time.Hour))
	if res := e.sweep(e.service()); res.Sent != 1 {
		t.Fatalf("first sweep %+v, want the 24 h reminder", res)
	}
	e.deliverAll(t, 1) // the mailer sends it before the event moves
	// Moved a day later, and nobody told the schedule.
	moved := *ev
	moved.StartsAt, moved.EndsAt = ev.StartsAt.Add(24*time.Hour), ev.EndsAt.Add(24*time.Hour)
	moved.UpdatedAt = T.Add(time.Minute)
	e.behindSchedule(ev.ID, func() {
		if _, err := e.store.UpdateEvent(ctx, community.EventUpdate{Event: &moved, ReadAt: ev.UpdatedAt, Status: community.EventPublished}); err != nil {
			t.Fatal(err)
		}
	})
	e.clock.Set(T.Add(time.Hour + time.Minute)) // the old 1 h mark
	if res := e.sweep(e.service()); res.Resynced != 1 || res.Sent != 0 {
		t.Errorf("at the old 1 h mark: %+v, want the schedule rebuilt and nothing sent", res)
	}
	e.clock.Set(T.Add(2*time.Hour + time.Minute)) // the new 24 h mark
	res := e.sweep(e.service())
	if res.Sent != 1 {
		t.Errorf("at the new 24 h mark: %+v, want the 24 h reminder again, for the new start", res)
	}
	e.checkMail(t, m.Email, []want{
		{subject: "リマインダー（2時間後に開始）", optOut: true},
		{subject: "リマインダー（24時間後に開始）", texts: []string{jadate.DateTimeRange(moved.StartsAt, moved.EndsAt)}, optOut: true},
	})
}

// TestSeriesHook: the sweep keeps the series up, and a failure there is
// the sweep's error after the reminders went out.
func TestSeriesHook(t *testing.T) {
	e := newEnv(t)
	ev := e.event("井戸端会議", T.Add(30*time.Minute), nil)
	regs := e.guests(ev, 1)
	svc := e.service()
	calls := 0
	boom := errors.New("series store down")
	svc.EnsureSeries = func(context.Context) (int, error) {
		calls++
		if calls == 1 {
			return 2, nil
		}
		return 0, boom
	}
	if res := e.sweep(svc); res.Occurrences != 2 || res.Sent != bothDue {
		t.Errorf("result %+v, want 2 occurrences and %d sent", res, bothDue)
	}
	if _, err := svc.Sweep(context.Background()); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the series failure", err)
	}
	exactlyOne(t, regs, bothDue)
}
