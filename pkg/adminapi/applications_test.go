package adminapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/lottery"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

const joinHost = "zoom.example.jp"

// apply applies for ev as m through the registrations service and fails
// unless it is stored as an application.
func (e *env) apply(ev *community.Event, m *community.Member) *community.Registration {
	e.t.Helper()
	res, err := e.regs.Register(context.Background(), e.viewer(m), ev.ID, nil)
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	if res.Registration.Status != community.RegistrationApplied {
		e.t.Fatalf("apply stored %s, want applied", res.Registration.Status)
	}
	return res.Registration
}

// applyDirect stores an application of m bypassing the rules: someone who
// fitted when applying and no longer does (the rules changed since).
func (e *env) applyDirect(ev *community.Event, m *community.Member) *community.Registration {
	e.t.Helper()
	now := e.clock.Now()
	r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, MemberID: m.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now}
	if err := e.store.Apply(context.Background(), ev, r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// outsider stores an active member who is not a public servant: applied
// before the rule that excludes them (applyDirect), they must never win.
func (e *env) outsider() *community.Member {
	e.t.Helper()
	now := e.clock.Now()
	m := &community.Member{
		ID: community.NewID(now), Email: localtest.UniqueEmail("m"), Name: "対象外 次郎", NameKana: "たいしょうがい",
		Membership: community.MembershipRegular, Affiliation: "民間", Status: community.MemberActive, Role: community.RoleMember,
		Preferences: community.Preferences{Reminders: true, Announcements: true},
		Consent:     community.Consent{Terms: true, FormVersion: community.SignupFormVersion, AgreedAt: now},
		CreatedAt:   now, UpdatedAt: now,
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) event(id string) *community.Event {
	e.t.Helper()
	ev, err := e.store.Event(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *env) status(ev *community.Event, rid string) community.RegistrationStatus {
	e.t.Helper()
	r, err := e.store.Registration(context.Background(), ev.ID, rid)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Status
}

// mails returns m's mails and fails if any but the selected result carries
// the join URL.
func (e *env) mails(to string, selected bool) []localtest.Mail {
	e.t.Helper()
	got := localtest.MailTo(e.t, to)
	for _, m := range got {
		carries := strings.Contains(m.Body.Text, joinHost) || strings.Contains(m.Body.HTML, joinHost)
		isWin := strings.Contains(m.Subject, "当選") || strings.Contains(m.Subject, "ご参加いただけることになりました")
		if carries && !(selected && isWin) {
			e.t.Errorf("mail %q to %s carries the join URL", m.Subject, to)
		}
		if selected && isWin && !carries {
			e.t.Errorf("selected mail %q to %s lacks the join URL", m.Subject, to)
		}
	}
	return got
}

func TestSelection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := e.clock.Now().In(community.Tokyo).AddDate(0, 0, 10).Truncate(time.Hour)
	closes := start.AddDate(0, 0, -3)
	ev := e.published(10, map[string]any{"mode": "selection", "capacity": 2,
		"registration_closes_at": closes.Format(time.RFC3339), "eligibility": map[string]any{"public_servant_only": true}})
	if ev.Mode != community.ModeSelection {
		t.Fatalf("mode %q", ev.Mode)
	}
	var ms []*community.Member
	var regs []*community.Registration
	for i := 0; i < 4; i++ {
		m := e.member(community.MemberActive, community.MembershipRegular, "申込 太郎")
		ms = append(ms, m)
		regs = append(regs, e.apply(ev, m))
	}
	t.Run("ApplyIsPlainWrite", func(t *testing.T) {
		cur := e.event(ev.ID)
		if cur.ConfirmedCount != 0 || cur.WaitlistCount != 0 {
			t.Errorf("counters %d/%d after applications, want 0/0", cur.ConfirmedCount, cur.WaitlistCount)
		}
		if _, err := e.regs.Register(ctx, e.viewer(ms[0]), ev.ID, nil); !errors.Is(err, community.ErrAlreadyRegistered) {
			t.Errorf("second application: %v, want already_registered", err)
		}
		if got := e.mails(ms[0].Email, false); len(got) != 1 || !strings.Contains(got[0].Subject, "お申し込みを受け付けました") ||
			!strings.Contains(got[0].Body.Text, regs[0].ID) {
			t.Errorf("receipt: %d mails %v", len(got), got)
		}
	})
	odd := e.outsider()
	oddReg := e.applyDirect(ev, odd)
	e.quiet()
	ids := map[string]string{}
	t.Run("List", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteApplications, params: map[string]string{"id": ev.ID}})
		want(t, r, 200, "")
		apps := r.body["applications"].([]any)
		if len(apps) != 5 {
			t.Fatalf("%d applications, want 5", len(apps))
		}
		for _, a := range apps {
			ids[a.(map[string]any)["registration_id"].(string)] = a.(map[string]any)["name"].(string)
		}
	})
	decide := func(rid, d string) result {
		return e.as(call{route: adminapi.RouteDecision, params: map[string]string{"id": ev.ID, "rid": rid}, body: `{"decision":"` + d + `"}`})
	}
	want(t, decide(regs[0].ID, "selected"), 200, "")
	want(t, decide(regs[1].ID, "selected"), 200, "")
	want(t, decide(regs[2].ID, "selected"), 200, "")
	want(t, decide(regs[3].ID, "declined"), 200, "")
	want(t, decide(regs[3].ID, "maybe"), 400, "invalid_decision")
	want(t, decide(oddReg.ID, "declined"), 200, "")
	t.Run("OverCapacityRefusedUpFront", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteNotifyDecision, params: map[string]string{"id": ev.ID}})
		want(t, r, 409, "selection_over_capacity")
		if st := e.status(ev, regs[0].ID); st != community.RegistrationApplied {
			t.Errorf("status %s after a refused notify", st)
		}
	})
	want(t, decide(regs[2].ID, "waitlisted"), 200, "")

	t.Run("NotifyConcurrentlyMailsOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		results := make([]result, 3)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.as(call{route: adminapi.RouteNotifyDecision, params: map[string]string{"id": ev.ID}})
			}()
		}
		wg.Wait()
		sum := map[string]float64{}
		for _, r := range results {
			want(t, r, 202, "")
			for _, k := range []string{"confirmed", "waitlisted", "declined"} {
				sum[k] += r.body[k].(float64)
			}
		}
		if sum["confirmed"] != 2 || sum["waitlisted"] != 1 || sum["declined"] != 2 {
			t.Errorf("notified %v, want 2 confirmed, 1 waitlisted, 2 declined in all", sum)
		}
		cur := e.event(ev.ID)
		if cur.ConfirmedCount != 2 || cur.WaitlistCount != 1 {
			t.Errorf("counters %d/%d, want 2/1", cur.ConfirmedCount, cur.WaitlistCount)
		}
		wantStatus := []community.RegistrationStatus{community.RegistrationConfirmed, community.RegistrationConfirmed,
			community.RegistrationWaitlisted, community.RegistrationDeclined}
		for i, r := range regs {
			if st := e.status(ev, r.ID); st != wantStatus[i] {
				t.Errorf("applicant %d is %s, want %s", i, st, wantStatus[i])
			}
			got := e.mails(ms[i].Email, i < 2)
			if len(got) != 2 {
				t.Errorf("applicant %d got %d mails, want receipt and result", i, len(got))
			}
		}
		if got := e.mails(odd.Email, false); len(got) != 1 || !strings.Contains(got[0].Subject, "選考結果") {
			t.Errorf("declined ineligible applicant: %v", got)
		}
		e.audited(community.AuditApplicationNotify, ev.ID, "")
		// Notified: the decision is final.
		want(t, decide(regs[3].ID, "selected"), 409, "not_application")
	})
	t.Run("RepeatMailsNobody", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteNotifyDecision, params: map[string]string{"id": ev.ID}})
		want(t, r, 202, "")
		if r.body["confirmed"].(float64)+r.body["waitlisted"].(float64)+r.body["declined"].(float64) != 0 {
			t.Errorf("repeat did %v", r.body)
		}
		if got := e.mails(ms[0].Email, true); len(got) != 2 {
			t.Errorf("%d mails after a repeat, want 2", len(got))
		}
	})
	t.Run("ReserveFollowsWithdrawal", func(t *testing.T) {
		if _, err := e.regs.CancelMine(ctx, e.viewer(ms[0]), ev.ID); err != nil {
			t.Fatal(err)
		}
		if st := e.status(ev, regs[2].ID); st != community.RegistrationConfirmed {
			t.Errorf("reserve is %s after a winner withdrew, want confirmed", st)
		}
	})
	t.Run("AfterDeadline", func(t *testing.T) {
		late := e.member(community.MemberActive, community.MembershipRegular, "遅刻 三郎")
		e.clock.Set(closes.Add(time.Minute))
		_, err := e.regs.Register(ctx, e.viewer(late), ev.ID, nil)
		if !errors.Is(err, community.ErrRegistrationClosed) {
			t.Errorf("late application: %v, want registration_closed", err)
		}
		if _, err := e.store.MemberRegistration(ctx, ev.ID, late.ID); !errors.Is(err, community.ErrRegistrationNotFound) {
			t.Errorf("late application stored: %v", err)
		}
	})
}

// lotteryEvent publishes a lottery event of capacity places, its deadline
// 3 days and its draw 2 days before the start.
func (e *env) lotteryEvent(capacity, reserves int, fill bool) (*community.Event, time.Time) {
	e.t.Helper()
	start := e.clock.Now().In(community.Tokyo).AddDate(0, 0, 10).Truncate(time.Hour)
	drawAt := start.AddDate(0, 0, -2)
	ev := e.published(10, map[string]any{"mode": "lottery", "capacity": capacity,
		"registration_closes_at": start.AddDate(0, 0, -3).Format(time.RFC3339),
		"eligibility":            map[string]any{"public_servant_only": true},
		"lottery": map[string]any{"draw_at": drawAt.Format(time.RFC3339), "reserves": reserves,
			"first_time_weight": 2, "fill_remaining": fill}})
	return ev, drawAt
}

func TestLotteryDraw(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev, drawAt := e.lotteryEvent(3, 2, false)
	shown := ev.Lottery.Commitment
	if len(shown) != 64 {
		t.Fatalf("published lottery event shows commitment %q", shown)
	}
	if r := e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": ev.ID}}); r.body["lottery"].(map[string]any)["commitment"] != shown {
		t.Fatalf("event JSON lottery %v", r.body["lottery"])
	}
	odd := e.outsider()
	oddReg := e.applyDirect(ev, odd)
	e.quiet()
	var ms []*community.Member
	var regs []*community.Registration
	for i := 0; i < 8; i++ {
		m := e.member(community.MemberActive, community.MembershipRegular, "抽選 太郎")
		ms = append(ms, m)
		regs = append(regs, e.apply(ev, m))
	}

	apps := &community.Applications{Store: e.store, Clock: e.clock, Log: communitytest.Logf(t)}
	t.Run("NotBeforeDrawAt", func(t *testing.T) {
		if n, err := apps.DrawDue(ctx); err != nil || n != 0 {
			t.Fatalf("draw before its time: %d, %v", n, err)
		}
		if _, err := apps.PublishedLottery(ctx, community.Viewer{}, ev.ID); !errors.Is(err, community.ErrLotteryNotDrawn) {
			t.Errorf("result before the draw: %v", err)
		}
	})
	e.clock.Set(drawAt.Add(time.Minute))
	t.Run("ConcurrentSweepsDrawOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = apps.DrawDue(ctx)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	raw, err := apps.PublishedLottery(ctx, community.Viewer{}, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	var res lottery.Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	t.Run("Recomputable", func(t *testing.T) {
		if !lottery.Verify(res.Seed, shown) || lottery.Commitment(res.Seed) != shown {
			t.Fatalf("published seed does not match the commitment shown before the draw")
		}
		again, err := lottery.Draw(res.Seed, res.Entries, res.Places, res.ReservePlaces)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(again)
		if string(a) != string(raw) {
			t.Errorf("recomputed\n%s\npublished\n%s", a, raw)
		}
		if strings.Contains(string(raw), "太郎") || strings.Contains(string(raw), "@") {
			t.Errorf("published result names people: %s", raw)
		}
	})
	t.Run("IneligibleNeverEnter", func(t *testing.T) {
		for _, en := range res.Entries {
			if en.ID == oddReg.ID {
				t.Fatal("ineligible applicant entered the draw")
			}
			if en.Weight != 2 {
				t.Errorf("first-timer %s weighs %d, want 2", en.ID, en.Weight)
			}
		}
		if len(res.Entries) != 8 {
			t.Errorf("%d entries, want 8", len(res.Entries))
		}
		if st := e.status(ev, oddReg.ID); st != community.RegistrationDeclined {
			t.Errorf("ineligible applicant is %s, want declined", st)
		}
	})
	t.Run("ResultApplied", func(t *testing.T) {
		want := map[string]community.RegistrationStatus{}
		for _, id := range res.Winners {
			want[id] = community.RegistrationConfirmed
		}
		for _, id := range res.Reserves {
			want[id] = community.RegistrationWaitlisted
		}
		for _, id := range res.Losers {
			want[id] = community.RegistrationDeclined
		}
		if len(res.Winners) != 3 || len(res.Reserves) != 2 || len(res.Losers) != 3 {
			t.Fatalf("result %d/%d/%d", len(res.Winners), len(res.Reserves), len(res.Losers))
		}
		for i, r := range regs {
			if st := e.status(ev, r.ID); st != want[r.ID] {
				t.Errorf("applicant %s is %s, want %s", r.ID, st, want[r.ID])
			}
			if got := e.mails(ms[i].Email, want[r.ID] == community.RegistrationConfirmed); len(got) != 2 {
				t.Errorf("applicant %d got %d mails, want receipt and result", i, len(got))
			}
		}
		cur := e.event(ev.ID)
		if cur.ConfirmedCount != 3 || cur.WaitlistCount != 2 || !cur.Drawn() {
			t.Errorf("event after the draw: %d/%d drawn=%v", cur.ConfirmedCount, cur.WaitlistCount, cur.Drawn())
		}
		// A later sweep changes nothing and mails nobody.
		if _, err := apps.DrawDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got := localtest.MailTo(t, ms[0].Email); len(got) != 2 {
			t.Errorf("%d mails after another sweep", len(got))
		}
		// Reserves move up in drawn order.
		var winner *community.Member
		for i, r := range regs {
			if r.ID == res.Winners[0] {
				winner = ms[i]
			}
		}
		if _, err := e.regs.CancelMine(ctx, e.viewer(winner), ev.ID); err != nil {
			t.Fatal(err)
		}
		if st := e.status(ev, res.Reserves[0]); st != community.RegistrationConfirmed {
			t.Errorf("first reserve is %s after a winner withdrew", st)
		}
		if st := e.status(ev, res.Reserves[1]); st != community.RegistrationWaitlisted {
			t.Errorf("second reserve is %s", st)
		}
	})
	t.Run("ApplyAfterDraw", func(t *testing.T) {
		late := e.member(community.MemberActive, community.MembershipRegular, "遅刻 三郎")
		if _, err := e.regs.Register(ctx, e.viewer(late), ev.ID, nil); !errors.Is(err, community.ErrLotteryDrawn) {
			t.Errorf("application after the draw: %v, want lottery_drawn", err)
		}
	})
}

func TestLotteryFillRemaining(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev, drawAt := e.lotteryEvent(5, 0, true)
	a := e.member(community.MemberActive, community.MembershipRegular, "抽選 一子")
	b := e.member(community.MemberActive, community.MembershipRegular, "抽選 二子")
	e.apply(ev, a)
	e.apply(ev, b)
	e.clock.Set(drawAt.Add(time.Minute))
	apps := &community.Applications{Store: e.store, Clock: e.clock, Log: communitytest.Logf(t)}
	if n, err := apps.DrawDue(ctx); err != nil || n != 1 {
		t.Fatalf("draw: %d, %v", n, err)
	}
	late := e.member(community.MemberActive, community.MembershipRegular, "先着 三子")
	res, err := e.regs.Register(ctx, e.viewer(late), ev.ID, nil)
	if err != nil || res.Registration.Status != community.RegistrationConfirmed {
		t.Fatalf("first come after the draw: %v, %v", res.Registration, err)
	}
	if cur := e.event(ev.ID); cur.ConfirmedCount != 3 {
		t.Errorf("confirmed %d, want 3", cur.ConfirmedCount)
	}
}

func TestModeFixedOnceApplied(t *testing.T) {
	e := newEnv(t)
	ev, _ := e.lotteryEvent(5, 0, false)
	e.apply(ev, e.member(community.MemberActive, community.MembershipRegular, "抽選 一子"))
	r := e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: `{"mode":"first_come","lottery":null}`})
	want(t, r, 409, "mode_has_registrations")
	if cur := e.event(ev.ID); cur.Mode != community.ModeLottery {
		t.Errorf("mode %q after a refused edit", cur.Mode)
	}
	r = e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: `{"mode":"raffle"}`})
	want(t, r, 400, "validation_failed")
}
