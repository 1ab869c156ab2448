package remindersjob_test

import (
	"context"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// TestSweepWithholdsJoinURL: a registrant who no longer fits the event's
// audience (a guest on an event since closed to members, a supporting
// member on one for regular members) still gets the reminder, without the
// join URL; those who fit get it with the URL.
func TestSweepWithholdsJoinURL(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	regular := e.member("正会員 一郎", true, community.MemberActive)
	regular.Membership = community.MembershipRegular
	if err := e.store.UpdateMember(ctx, regular); err != nil {
		t.Fatal(err)
	}
	supporting := e.member("賛助 二郎", true, community.MemberActive)

	joinM, joinR := "https://zoom.example/j/members-secret", "https://zoom.example/j/regular-secret"
	evM := e.event("会員限定 井戸端会議", T.Add(30*time.Minute), func(ev *community.Event) {
		online(joinM)(ev)
		ev.Audience = community.AudienceMembers
	})
	evR := e.event("正会員 井戸端会議", T.Add(40*time.Minute), func(ev *community.Event) {
		online(joinR)(ev)
		ev.Audience = community.AudienceRegular
	})
	// Registered while the events were open to them (the store takes them
	// as they come; the rules are the service's).
	guest := e.register(evM, nil, T.Add(-48*time.Hour))
	e.register(evM, supporting, T.Add(-48*time.Hour))
	e.register(evR, supporting, T.Add(-48*time.Hour))
	e.register(evR, regular, T.Add(-48*time.Hour))

	// Both reminders of each event are due: every mail comes twice.
	if res := e.sweep(e.service()); res.Sent != 8 || res.Withheld != 4 {
		t.Errorf("sent %d, withheld %d; want 8 and 4", res.Sent, res.Withheld)
	}
	twice := func(w want) []want { return []want{w, w} }
	e.checkMail(t, guest.Guest.Email, twice(want{subject: "会員限定 井戸端会議", absent: []string{joinM, "zoom.example"}, optOut: true}))
	e.checkMail(t, supporting.Email, append(
		twice(want{subject: "会員限定 井戸端会議", texts: []string{joinM}, optOut: true}),
		twice(want{subject: "正会員 井戸端会議", absent: []string{joinR, "zoom.example"}, optOut: true})...))
	e.checkMail(t, regular.Email, twice(want{subject: "正会員 井戸端会議", texts: []string{joinR}, optOut: true}))
}
