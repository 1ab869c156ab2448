package remindersjob_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// reconfirmEvent is an event starting two days after T with capacity cap
// and a waitlist, asking 3 days before (so the request is due at T) with
// the deadline 24 hours before the start (T+1d).
func (e *env) reconfirmEvent(title string, capacity int, release bool) *community.Event {
	return e.event(title, T.Add(48*time.Hour), func(ev *community.Event) {
		ev.Capacity, ev.Waitlist = capacity, true
		ev.Reconfirm = &community.Reconfirmation{DaysBefore: 3, DeadlineHours: 24, Release: release}
	})
}

// reconfirmations are the answers behind the mails' links, on the env's store.
func (e *env) reconfirmations() *community.Reconfirmations {
	regs := &community.Registrations{Events: e.store, Regs: e.store, Clock: e.clock, Links: e.links}
	return &community.Reconfirmations{Regs: regs, Store: e.store, Links: e.links, Clock: e.clock}
}

// sweep3 runs three sweeps at once with the reconfirmation steps.
func (e *env) sweep3() []community.SweepResult {
	var wg sync.WaitGroup
	results := make([]community.SweepResult, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := e.service()
			s.Reconfirms = e.store
			results[i] = e.sweep(s)
		}()
	}
	wg.Wait()
	return results
}

// TestReconfirmReleaseOnce: three sweeps at once ask each confirmed
// registrant 「参加予定ですか？」 exactly once; the keep link keeps, the
// cancel link cancels and promotes the waitlist head at once; forged and
// altered tokens answer as unknown ones; at the deadline three sweeps at
// once release the seats of those who did not answer to the waitlist in
// its order — each released person and each promoted one mailed exactly
// once — and an event with release off releases nobody. The event's
// counters give the attendance figures.
func TestReconfirmReleaseOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.room.Notifier = e.notifier // the promotion mails are part of what is checked
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = e.notifier, e.links, e.store

	ev := e.reconfirmEvent("再確認 A", 4, true)
	off := e.reconfirmEvent("再確認 B（解放なし）", 1, false)
	regAt := T.Add(-7 * 24 * time.Hour)
	var seats, waits []*community.Registration
	for i := range 4 {
		seats = append(seats, e.register(ev, e.member("参加 "+string(rune('一'+i)), false, community.MemberActive), regAt.Add(time.Duration(i)*time.Minute)))
	}
	for i := range 3 {
		r := e.register(ev, nil, regAt.Add(time.Duration(10+i)*time.Minute))
		if r.Status != community.RegistrationWaitlisted {
			t.Fatalf("waiter %d is %s", i, r.Status)
		}
		waits = append(waits, r)
	}
	offSeat := e.register(off, nil, regAt)
	offWait := e.register(off, nil, regAt.Add(time.Minute))
	e.deliverAll(t, 3)
	email := func(r *community.Registration) string {
		if r.Guest != nil {
			return r.Guest.Email
		}
		m, err := e.store.Member(ctx, r.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Email
	}
	count := func(r *community.Registration, subject string) int {
		n := 0
		for _, m := range localtest.MailTo(t, email(r)) {
			if strings.Contains(m.Subject, subject) {
				n++
			}
		}
		return n
	}

	// The request, by three sweeps at once.
	asked := 0
	for _, res := range e.sweep3() {
		asked += res.ReconfirmsAsked
	}
	if asked != 5 {
		t.Errorf("three sweeps asked %d, want 5 (A's four seats and B's one)", asked)
	}
	e.deliverAll(t, 3)
	for _, r := range append(append(seats[:4:4], offSeat), waits...) {
		want := 1
		if r.Status == community.RegistrationWaitlisted {
			want = 0
		}
		if n := count(r, "参加予定のご確認"); n != want {
			t.Errorf("%s (%s) got %d requests, want %d", r.ID, r.Status, n, want)
		}
	}
	mails := localtest.MailTo(t, email(seats[0]))
	var req localtest.Mail
	for _, m := range mails {
		if strings.Contains(m.Subject, "参加予定のご確認") {
			req = m
		}
	}
	keep := e.links.ReconfirmLink(ev.ID, seats[0].ID, community.ReconfirmKeep)
	if !strings.Contains(req.Body.Text, keep) || !strings.Contains(req.Body.HTML, htmlEscape(keep)) {
		t.Errorf("the request lacks its keep link %s:\n%s", keep, req.Body.Text)
	}
	if !strings.Contains(req.Body.Text, "参加予定ですか") || !strings.Contains(req.Body.Text, "令和") && !strings.Contains(req.Body.Text, "年") {
		t.Errorf("the request does not ask, or names no deadline:\n%s", req.Body.Text)
	}

	// Answers: seat 0 keeps, seat 1 cancels (w0 promoted at once); forged
	// and altered links are unknown.
	rc := e.reconfirmations()
	token := e.links.ReconfirmToken(ev.ID, seats[0].ID)
	if _, err := rc.Answer(ctx, token, community.ReconfirmKeep); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Answer(ctx, token, community.ReconfirmKeep); err != nil {
		t.Errorf("keeping twice: %v", err)
	}
	if _, err := rc.Answer(ctx, e.links.ReconfirmToken(ev.ID, seats[1].ID), community.ReconfirmCancel); err != nil {
		t.Fatal(err)
	}
	if cur, _ := e.store.Registration(ctx, ev.ID, waits[0].ID); cur.Status != community.RegistrationConfirmed {
		t.Errorf("the cancel link promoted nobody: w0 is %s", cur.Status)
	}
	cancelTok := e.links.CancelToken(ev.ID, seats[2].ID)
	for name, bad := range map[string]string{
		"forged":       "v1.Zm9yZ2Vk.AAAA",
		"altered":      token[:len(token)-2] + "xx",
		"other_reg":    strings.Replace(token, ".", ".x", 1),
		"cancel_token": cancelTok,
	} {
		_, err := rc.Answer(ctx, bad, community.ReconfirmKeep)
		if !errors.Is(err, community.ErrRegistrationNotFound) {
			t.Errorf("%s token: %v, want registration_not_found", name, err)
		}
		if _, err := rc.Look(ctx, bad); !errors.Is(err, community.ErrRegistrationNotFound) {
			t.Errorf("%s token looked: %v, want registration_not_found", name, err)
		}
	}
	if cur, _ := e.store.Registration(ctx, ev.ID, seats[2].ID); cur.Status != community.RegistrationConfirmed || cur.ReconfirmAnswer != "" {
		t.Errorf("a bad token changed seat 2: %s %q", cur.Status, cur.ReconfirmAnswer)
	}

	// Before the deadline, nothing is released.
	e.clock.Set(T.Add(23 * time.Hour))
	for _, res := range e.sweep3() {
		if res.Released != 0 {
			t.Errorf("released before the deadline: %+v", res)
		}
	}
	// At the deadline, three sweeps at once.
	e.clock.Set(T.Add(24*time.Hour + 2*time.Minute))
	released, promoted := 0, 0
	for _, res := range e.sweep3() {
		released += res.Released
		promoted += res.ReleasePromoted
	}
	if released != 2 || promoted != 2 {
		t.Errorf("three sweeps released %d and promoted %d, want 2 and 2", released, promoted)
	}
	e.deliverAll(t, 3)
	want := map[string]community.RegistrationStatus{
		seats[0].ID: community.RegistrationConfirmed, seats[1].ID: community.RegistrationCancelled,
		seats[2].ID: community.RegistrationCancelled, seats[3].ID: community.RegistrationCancelled,
		waits[0].ID: community.RegistrationConfirmed, waits[1].ID: community.RegistrationConfirmed, waits[2].ID: community.RegistrationConfirmed,
		offSeat.ID: community.RegistrationConfirmed, offWait.ID: community.RegistrationWaitlisted,
	}
	for _, r := range append(append(append([]*community.Registration{}, seats...), waits...), offSeat, offWait) {
		cur, err := e.store.Registration(ctx, r.EventID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != want[r.ID] {
			t.Errorf("%s is %s, want %s", r.ID, cur.Status, want[r.ID])
		}
		releasedHere := r.ID == seats[2].ID || r.ID == seats[3].ID
		if releasedHere != (cur.CancelReason == community.CancelReasonUnanswered) {
			t.Errorf("%s cancel reason %q", r.ID, cur.CancelReason)
		}
		wantNotice := 0
		if releasedHere {
			wantNotice = 1
		}
		if n := count(r, "参加予定の確認に回答がなかった"); n != wantNotice {
			t.Errorf("%s got %d release notices, want %d", r.ID, n, wantNotice)
		}
		wantProm := 0
		if r.ID == waits[0].ID || r.ID == waits[1].ID || r.ID == waits[2].ID {
			wantProm = 1
		}
		if n := count(r, "キャンセル待ちから参加が確定しました"); n != wantProm {
			t.Errorf("%s got %d promotion mails, want %d", r.ID, n, wantProm)
		}
		if n := count(r, "参加予定のご確認"); n > 1 {
			t.Errorf("%s got %d requests", r.ID, n)
		}
	}
	// The waitlist was promoted in its order: w1 (the head) by seat 2's
	// release or seat 3's, w2 after; both promoted at the release time.
	w1, _ := e.store.Registration(ctx, ev.ID, waits[1].ID)
	w2, _ := e.store.Registration(ctx, ev.ID, waits[2].ID)
	if w1.UpdatedAt.After(w2.UpdatedAt) {
		t.Errorf("w2 promoted before w1")
	}

	cur, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := community.FiguresOf(cur, e.clock.Now())
	if f.Confirmed != 4 || f.Waitlist != 0 || f.Cancelled != 3 || f.Released != 2 || f.Reconfirm == nil ||
		f.Reconfirm.Asked != 4 || f.Reconfirm.Kept != 1 || f.Reconfirm.Cancelled != 1 || f.Reconfirm.Unanswered != 2 {
		t.Errorf("figures %+v %+v", f, f.Reconfirm)
	}
	// Later sweeps do nothing more: both steps left the schedule.
	e.clock.Set(T.Add(25 * time.Hour))
	s := e.service()
	s.Reconfirms = e.store
	if res := e.sweep(s); res.ReconfirmsDue != 0 || res.Released != 0 || res.ReconfirmsAsked != 0 {
		t.Errorf("a later sweep: %+v", res)
	}
}

// TestReconfirmReleaseFrames: an event with two 参加枠, each with its own
// waitlist. At the deadline three sweeps at once release each frame's
// non-responder to the head of that frame's waitlist only — never the
// other frame's, even when the other frame's waiter registered first —
// the per-frame counters stay right, and each person is mailed exactly
// once: one request per seat, one release notice per released seat, one
// promotion per promoted waiter, nothing to those still waiting.
func TestReconfirmReleaseFrames(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.room.Notifier = e.notifier
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = e.notifier, e.links, e.store

	ev := e.event("再確認 参加枠", T.Add(48*time.Hour), func(ev *community.Event) {
		ev.Reconfirm = &community.Reconfirmation{DaysBefore: 3, DeadlineHours: 24, Release: true}
		ev.Frames = []community.Frame{
			{ID: "hall", Name: "会場", Capacity: 2, Waitlist: true, Venue: &community.Venue{Name: "伊勢崎市役所"}},
			{ID: "online", Name: "オンライン", Capacity: 2, Waitlist: true, OnlinePlatform: "Zoom", JoinURL: "https://zoom.example.jp/j/1"},
		}
	})
	regAt := T.Add(-7 * 24 * time.Hour)
	n := 0
	in := func(frame string) *community.Registration {
		t.Helper()
		n++
		at := regAt.Add(time.Duration(n) * time.Minute)
		r := &community.Registration{ID: community.NewID(at), EventID: ev.ID, EventStartsAt: ev.StartsAt, FrameID: frame,
			CreatedAt: at, UpdatedAt: at, Guest: &community.Guest{Name: "枠 " + frame, Email: localtest.UniqueEmail("frame")}}
		cur, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.Register(ctx, cur, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a0, a1 := in("hall"), in("hall")     // a0 keeps, a1 does not answer
	b0, b1 := in("online"), in("online") // b0 does not answer, b1 keeps
	bw0 := in("online")                  // waits first of all
	aw0, aw1 := in("hall"), in("hall")   // the hall's waitlist, after bw0
	for _, r := range []*community.Registration{bw0, aw0, aw1} {
		if r.Status != community.RegistrationWaitlisted {
			t.Fatalf("%s is %s, want waitlisted", r.ID, r.Status)
		}
	}
	everyone := []*community.Registration{a0, a1, b0, b1, bw0, aw0, aw1}
	e.deliverAll(t, 3)

	asked := 0
	for _, res := range e.sweep3() {
		asked += res.ReconfirmsAsked
	}
	if asked != 4 {
		t.Errorf("three sweeps asked %d, want the 4 seats", asked)
	}
	e.deliverAll(t, 3)
	rc := e.reconfirmations()
	for _, r := range []*community.Registration{a0, b1} {
		if _, err := rc.Answer(ctx, e.links.ReconfirmToken(ev.ID, r.ID), community.ReconfirmKeep); err != nil {
			t.Fatal(err)
		}
	}

	e.clock.Set(T.Add(24*time.Hour + 2*time.Minute))
	released, promoted := 0, 0
	for _, res := range e.sweep3() {
		released += res.Released
		promoted += res.ReleasePromoted
	}
	if released != 2 || promoted != 2 {
		t.Errorf("three sweeps released %d and promoted %d, want 2 and 2", released, promoted)
	}
	e.deliverAll(t, 3)

	type wantReg struct {
		status                 community.RegistrationStatus
		requests, notices, ups int
	}
	wants := map[string]wantReg{
		a0.ID:  {community.RegistrationConfirmed, 1, 0, 0},
		a1.ID:  {community.RegistrationCancelled, 1, 1, 0},
		b0.ID:  {community.RegistrationCancelled, 1, 1, 0},
		b1.ID:  {community.RegistrationConfirmed, 1, 0, 0},
		bw0.ID: {community.RegistrationConfirmed, 0, 0, 1}, // b0's seat, not a1's
		aw0.ID: {community.RegistrationConfirmed, 0, 0, 1}, // a1's seat
		aw1.ID: {community.RegistrationWaitlisted, 0, 0, 0},
	}
	count := func(r *community.Registration, subject string) int {
		c := 0
		for _, m := range localtest.MailTo(t, r.Guest.Email) {
			if strings.Contains(m.Subject, subject) {
				c++
			}
		}
		return c
	}
	for _, r := range everyone {
		cur, err := e.store.Registration(ctx, ev.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := wants[r.ID]
		if cur.Status != w.status || cur.FrameID != r.FrameID {
			t.Errorf("%s (%s) is %s in %q, want %s in %q", r.Guest.Name, r.ID, cur.Status, cur.FrameID, w.status, r.FrameID)
		}
		if got := count(r, "参加予定のご確認"); got != w.requests {
			t.Errorf("%s got %d requests, want %d", r.ID, got, w.requests)
		}
		if got := count(r, "参加予定の確認に回答がなかった"); got != w.notices {
			t.Errorf("%s got %d release notices, want %d", r.ID, got, w.notices)
		}
		if got := count(r, "キャンセル待ちから参加が確定しました"); got != w.ups {
			t.Errorf("%s got %d promotion mails, want %d", r.ID, got, w.ups)
		}
	}

	cur, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		id                  string
		confirmed, waitlist int
	}{{"hall", 2, 1}, {"online", 2, 0}} {
		f, err := cur.Frame(w.id)
		if err != nil {
			t.Fatal(err)
		}
		if f.ConfirmedCount != w.confirmed || f.WaitlistCount != w.waitlist {
			t.Errorf("frame %s counts %d confirmed, %d waiting; want %d and %d", w.id, f.ConfirmedCount, f.WaitlistCount, w.confirmed, w.waitlist)
		}
	}
	if f := community.FiguresOf(cur, e.clock.Now()); f.Confirmed != 4 || f.Waitlist != 1 || f.Released != 2 || f.Cancelled != 2 ||
		f.Reconfirm.Asked != 4 || f.Reconfirm.Kept != 2 || f.Reconfirm.Unanswered != 2 {
		t.Errorf("figures %+v %+v", f, f.Reconfirm)
	}
}

// TestReconfirmUnmailedKeepsSeat: a registrant whose request never reached
// SES — the address bounced for good and is on the suppression list — was
// never really asked, so at the deadline their seat stays with them while
// a registrant who was mailed and kept silent gives theirs to the waitlist.
func TestReconfirmUnmailedKeepsSeat(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = e.notifier, e.links, e.store
	list := e.store.WithDigest(func(s string) string { return "test-" + s })
	e.room.Suppressions = list
	ev := e.reconfirmEvent("再確認 C（届かない宛先）", 2, true)
	regAt := T.Add(-7 * 24 * time.Hour)
	bounced := e.member("不達 一郎", false, community.MemberActive)
	mailed := e.member("沈黙 二郎", false, community.MemberActive)
	unreachable := e.register(ev, bounced, regAt)
	silent := e.register(ev, mailed, regAt.Add(time.Minute))
	waiter := e.register(ev, nil, regAt.Add(2*time.Minute))
	if err := list.Suppress(ctx, bounced.Email, community.Suppression{Reason: community.SuppressedBounce, At: regAt}); err != nil {
		t.Fatal(err)
	}
	e.deliverAll(t, 3)

	s := e.service()
	s.Reconfirms = e.store
	if res := e.sweep(s); res.ReconfirmsAsked != 2 {
		t.Fatalf("asked %d, want both seats handed over", res.ReconfirmsAsked)
	}
	e.deliverAll(t, 3)
	if n := len(localtest.MailTo(t, bounced.Email)); n != 0 {
		t.Fatalf("%d mails went to the suppressed address", n)
	}

	e.clock.Set(T.Add(24*time.Hour + 2*time.Minute))
	res := e.sweep(s)
	if res.Released != 1 || res.SkippedBy[community.SkipReconfirmNotMailed] != 1 {
		t.Errorf("deadline sweep: released %d, skipped as never mailed %d; want 1 and 1 (%+v)", res.Released, res.SkippedBy[community.SkipReconfirmNotMailed], res)
	}
	for r, want := range map[*community.Registration]community.RegistrationStatus{
		unreachable: community.RegistrationConfirmed, silent: community.RegistrationCancelled, waiter: community.RegistrationConfirmed,
	} {
		cur, err := e.store.Registration(ctx, ev.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != want {
			t.Errorf("%s is %s, want %s", r.ID, cur.Status, want)
		}
	}
	// Even asked directly, the store keeps the unmailed seat.
	if _, _, err := e.store.ReleaseUnanswered(ctx, ev.ID, unreachable.ID, e.clock.Now()); !errors.Is(err, community.ErrReconfirmNotMailed) {
		t.Errorf("releasing the unmailed seat: %v, want ErrReconfirmNotMailed", err)
	}
}

// TestReconfirmFairChance: silence costs a seat only when the registrant
// had a fair chance to answer and has not come. Of four asked, unanswered
// seats with three people waiting, one checked in at an early door keeps
// the seat, as does one whose request SES took an hour before the deadline,
// while
// the two mailed in time and silent give theirs to the waitlist; and an
// organizer cancelling an asked seat after the deadline is not counted as
// its answer.
func TestReconfirmFairChance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.room.Reconfirms, e.room.ReconfirmLinks, e.room.ReconfirmMarks = e.notifier, e.links, e.store
	list := e.store.WithDigest(func(s string) string { return "test-" + s })
	e.room.Suppressions = list
	ev := e.reconfirmEvent("再確認 D（公平な猶予）", 4, true)
	regAt := T.Add(-7 * 24 * time.Hour)
	late := e.member("遅延 一郎", false, community.MemberActive)
	var seats []*community.Registration
	for i, m := range []*community.Member{e.member("早着 花子", false, community.MemberActive), late,
		e.member("沈黙 三郎", false, community.MemberActive), e.member("欠席 四郎", false, community.MemberActive)} {
		seats = append(seats, e.register(ev, m, regAt.Add(time.Duration(i)*time.Minute)))
	}
	early, lateSeat, silent, noShow := seats[0], seats[1], seats[2], seats[3]
	for i := range 3 {
		e.register(ev, nil, regAt.Add(time.Duration(10+i)*time.Minute))
	}
	// The late one's request is held back (as by an outage) and taken by
	// SES an hour before the deadline.
	if err := list.Suppress(ctx, late.Email, community.Suppression{Reason: community.SuppressedBounce, At: regAt}); err != nil {
		t.Fatal(err)
	}
	e.deliverAll(t, 3)
	s := e.service()
	s.Reconfirms = e.store
	if res := e.sweep(s); res.ReconfirmsAsked != 4 {
		t.Fatalf("asked %d, want 4", res.ReconfirmsAsked)
	}
	e.deliverAll(t, 3)
	deadline := community.ReconfirmDeadline(ev)
	if err := e.store.MarkReconfirmMailed(ctx, ev.ID, lateSeat.ID, deadline.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The door opens before the deadline.
	door := deadline.Add(-10 * time.Minute)
	if _, err := e.store.SetCheckIn(ctx, ev.ID, early.ID, &door); err != nil {
		t.Fatal(err)
	}

	e.clock.Set(deadline.Add(2 * time.Minute))
	res := e.sweep(s)
	if res.Released != 2 || res.SkippedBy[community.SkipReconfirmCheckedIn] != 1 || res.SkippedBy[community.SkipReconfirmNotMailed] != 1 {
		t.Errorf("deadline sweep released %d, skipped checked in %d and mailed late %d; want 2, 1, 1 (%+v)",
			res.Released, res.SkippedBy[community.SkipReconfirmCheckedIn], res.SkippedBy[community.SkipReconfirmNotMailed], res.SkippedBy)
	}
	for r, want := range map[*community.Registration]community.RegistrationStatus{
		early: community.RegistrationConfirmed, lateSeat: community.RegistrationConfirmed,
		silent: community.RegistrationCancelled, noShow: community.RegistrationCancelled,
	} {
		cur, err := e.store.Registration(ctx, ev.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status != want {
			t.Errorf("%s is %s, want %s", r.ID, cur.Status, want)
		}
	}
	// The store refuses the two kept seats even when asked directly.
	if _, _, err := e.store.ReleaseUnanswered(ctx, ev.ID, early.ID, e.clock.Now()); !errors.Is(err, community.ErrReconfirmCheckedIn) {
		t.Errorf("releasing the checked-in seat: %v", err)
	}
	if _, _, err := e.store.ReleaseUnanswered(ctx, ev.ID, lateSeat.ID, e.clock.Now()); !errors.Is(err, community.ErrReconfirmNotMailed) {
		t.Errorf("releasing the seat mailed late: %v", err)
	}
	before, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	// After the deadline an organizer cancels the late one's seat: a
	// cancellation, not an answer to the request.
	if _, _, err := e.store.CancelRegistration(ctx, ev.ID, lateSeat.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	after, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	fb, fa := community.FiguresOf(before, e.clock.Now()), community.FiguresOf(after, e.clock.Now())
	if fa.Reconfirm.Cancelled != fb.Reconfirm.Cancelled || fa.Cancelled != fb.Cancelled+1 {
		t.Errorf("cancelling after the deadline: answers cancelled %d → %d, cancellations %d → %d; want the answers unchanged",
			fb.Reconfirm.Cancelled, fa.Reconfirm.Cancelled, fb.Cancelled, fa.Cancelled)
	}
}
