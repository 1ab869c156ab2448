package rsvpapi_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
)

// TestApplications: in selection and lottery modes POST registrations is
// an application — 201 with status applied, no counter touched, one per
// person — and applying after the deadline or after the draw is a 4xx in
// the contract's shape that stores nothing.
func TestApplications(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	closes := e.clock.Now().Add(24 * time.Hour)
	ev := e.event(func(ev *community.Event) {
		ev.Mode, ev.Capacity, ev.RegistrationClosesAt = community.ModeSelection, 2, &closes
	})
	const n = 30
	sessions := make([]string, n)
	for i := range sessions {
		_, sessions[i] = e.member(nil)
	}
	t.Run("ConcurrentApplicationsArePlainWrites", func(t *testing.T) {
		var wg sync.WaitGroup
		got := make([]resp, n)
		for i := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = e.register(ev.ID, `{}`, sessions[i])
			}()
		}
		wg.Wait()
		for i, r := range got {
			if r.code != 201 || r.body["status"] != "applied" || r.body["waitlist_position"] != nil {
				t.Errorf("applicant %d: %d %v", i, r.code, r.body)
			}
		}
		if c, w, _ := e.counters(ev.ID); c != 0 || w != 0 {
			t.Errorf("counters %d/%d after %d applications, want 0/0", c, w, n)
		}
		if r := e.register(ev.ID, `{}`, sessions[0]); r.code != 409 || r.errCode() != "already_registered" {
			t.Errorf("second application: %d %q", r.code, r.errCode())
		}
		mine := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", sessions[0], nil)
		regs, _ := mine.body["registrations"].([]any)
		if mine.code != 200 || len(regs) != 1 || regs[0].(map[string]any)["status"] != "applied" ||
			regs[0].(map[string]any)["registration_id"] == "" {
			t.Errorf("my registrations: %d %v", mine.code, mine.body)
		}
	})
	t.Run("AfterDeadline", func(t *testing.T) {
		m, late := e.member(nil)
		e.clock.Set(closes.Add(time.Second))
		r := e.register(ev.ID, `{}`, late)
		if r.code != 422 || r.errCode() != "registration_closed" {
			t.Errorf("after the deadline: %d %q", r.code, r.errCode())
		}
		if _, err := e.svc.Store().MemberRegistration(ctx, ev.ID, m.ID); !errors.Is(err, community.ErrRegistrationNotFound) {
			t.Errorf("stored after a refusal: %v", err)
		}
	})
	t.Run("AfterDraw", func(t *testing.T) {
		drawn := e.clock.Now()
		closed := drawn.Add(-time.Hour)
		lot := e.event(func(ev *community.Event) {
			ev.Mode, ev.RegistrationClosesAt = community.ModeLottery, &closed
			ev.Lottery = &community.Lottery{DrawAt: drawn.Add(-time.Minute), FirstTimeWeight: 1, DrawnAt: &drawn}
		})
		m, s := e.member(nil)
		r := e.register(lot.ID, `{}`, s)
		if r.code != 422 || r.errCode() != "lottery_drawn" {
			t.Errorf("after the draw: %d %q", r.code, r.errCode())
		}
		if _, err := e.svc.Store().MemberRegistration(ctx, lot.ID, m.ID); !errors.Is(err, community.ErrRegistrationNotFound) {
			t.Errorf("stored after a refusal: %v", err)
		}
	})
}
