package rsvpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// 500 guest requests from one IP, all for one victim's address: past the
// documented threshold they are refused with 429 in the contract's error
// shape; the victim receives at most the documented number of mails in the
// hour, requests from other IPs included; no seat is held until a link is
// followed, and following it takes the seat once.
func TestGuestFlood(t *testing.T) {
	localtest.Crowd(t)
	e := newEnv(t)
	ev := e.event(func(ev *community.Event) { ev.Capacity, ev.Waitlist = 16, false })
	victim := localtest.UniqueEmail("victim")
	const flood, attacker = 500, "203.0.113.66"

	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				r := e.callFrom(attacker, e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody(fmt.Sprintf("<b>spam %d</b> http://evil.example/", i), victim), "", nil)
				key := fmt.Sprintf("%d %s", r.code, r.errCode())
				if st, ok := r.body["status"].(string); ok {
					key = fmt.Sprintf("%d %s", r.code, st)
				}
				if r.code == 429 {
					if msg, _ := r.body["error"].(map[string]any)["message"].(string); msg == "" {
						t.Errorf("429 without a message: %s", r.raw)
					}
				}
				mu.Lock()
				answers[key]++
				mu.Unlock()
			}
		})
	}
	for i := range flood {
		work <- i
	}
	close(work)
	wg.Wait()
	want := map[string]int{
		"202 confirmation_sent": community.GuestRequestsPerIP,
		"429 too_many_requests": flood - community.GuestRequestsPerIP,
	}
	if fmt.Sprint(answers) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", answers, want)
	}
	// Other IPs asking for the same address are answered the same, and
	// mail it no more.
	for range 3 {
		if r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody("別人", strings.ToUpper(victim)), "", nil); r.code != 202 {
			t.Errorf("request from another IP = %d %s", r.code, r.raw)
		}
	}

	time.Sleep(200 * time.Millisecond)
	mails := localtest.MailTo(t, victim)
	if len(mails) != community.GuestMailsPerAddress {
		t.Errorf("the victim received %d mails in the hour, want %d", len(mails), community.GuestMailsPerAddress)
	}
	for _, m := range mails {
		text := m.Subject + m.Body.Text + m.Body.HTML
		for _, typed := range []string{"spam", "evil.example", "別人", joinURL} {
			if strings.Contains(text, typed) {
				t.Errorf("the confirmation mail carries %q:\n%s", typed, m.Body.Text)
			}
		}
		if !strings.Contains(m.Subject, ev.Title) {
			t.Errorf("subject %q does not name the event", m.Subject)
		}
	}
	if c, w, n := e.counters(ev.ID); c != 0 || w != 0 || n != 0 {
		t.Errorf("before any confirmation: confirmed %d, waitlisted %d, counted %d; want nothing held", c, w, n)
	}

	// One link followed takes one seat; following it (or another of the
	// same address's links) again takes no second one.
	toks := confirmTokens(t, victim, community.GuestMailsPerAddress)
	first := e.confirm(toks[0])
	if first.code != 201 || first.body["status"] != "confirmed" {
		t.Fatalf("confirm = %d %s", first.code, first.raw)
	}
	again := e.confirm(toks[0])
	if again.code != 200 || again.body["registration_id"] != first.body["registration_id"] || again.body["status"] != "confirmed" {
		t.Errorf("second click = %d %s, want 200 with %v", again.code, again.raw, first.body["registration_id"])
	}
	if other := e.confirm(toks[1]); other.code != 409 || other.errCode() != "already_registered" {
		t.Errorf("another link of the same address = %d %s", other.code, other.raw)
	}
	if c, w, n := e.counters(ev.ID); c != 1 || w != 0 || n != 1 {
		t.Errorf("after confirming: confirmed %d, waitlisted %d, counted %d; want one seat", c, w, n)
	}
	// The confirmation mail follows, with the join link and the cancel link.
	got := localtest.WaitMail(t, victim, community.GuestMailsPerAddress+1)
	last := got[len(got)-1]
	if !strings.Contains(last.Body.Text, joinURL) || !strings.Contains(last.Body.Text, "/cancel?token=") {
		t.Errorf("confirmation after the link lacks the join or cancel link: %s", last.Subject)
	}
}

func TestGuestConfirmLinks(t *testing.T) {
	e := newEnv(t)
	ev := e.event(nil)
	addr := localtest.UniqueEmail("late")
	if r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody("遅刻 者", addr), "", nil); r.code != 202 {
		t.Fatalf("request = %d %s", r.code, r.raw)
	}
	tok := confirmTokens(t, addr, 1)[0]
	tests := []struct {
		name, token string
	}{
		{"ErrForged", tok[:strings.LastIndexByte(tok, '.')] + ".AAAA"},
		{"ErrMangled", "not-a-token"},
		{"ErrOtherEvent", strings.Replace(tok, ev.ID, community.NewID(e.clock.Now()), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := e.confirm(tt.token); r.code != 400 || r.errCode() != "invalid_token" {
				t.Errorf("= %d %s, want 400 invalid_token", r.code, r.raw)
			}
		})
	}
	t.Run("ErrExpired", func(t *testing.T) {
		e.clock.Advance(community.GuestConfirmTTL + time.Minute)
		if r := e.confirm(tok); r.code != 400 || r.errCode() != "invalid_token" {
			t.Errorf("= %d %s, want 400 invalid_token", r.code, r.raw)
		}
		if c, w, _ := e.counters(ev.ID); c != 0 || w != 0 {
			t.Errorf("an expired request took a place: confirmed %d, waitlisted %d", c, w)
		}
	})
}
