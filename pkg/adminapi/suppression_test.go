package adminapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// TestMailSuppressedShown: organizers see why mail no longer reaches a
// member, in the member list and the attendee list (both checked against
// docs/openapi.yaml by e.send), and null where it does.
func TestMailSuppressedShown(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(10, nil)
	gone := e.member(community.MemberActive, community.MembershipSupporting, "宛先 不明")
	fine := e.member(community.MemberActive, community.MembershipSupporting, "届く 人")
	e.seat(ev, gone, community.RegistrationConfirmed)
	e.seat(ev, fine, community.RegistrationConfirmed)
	e.guest(ev, "ゲスト", community.RegistrationConfirmed)
	e.quiet()
	at := e.clock.Now().Add(-time.Hour).Truncate(time.Second)
	list := e.store.WithDigest(func(s string) string { return "test-" + s })
	if err := list.Suppress(ctx, gone.Email, community.Suppression{Reason: community.SuppressedBounce, At: at, MessageID: "ses-1"}); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, who string, x map[string]any, suppressed bool) {
		t.Helper()
		v, ok := x["mail_suppressed"]
		if !ok {
			t.Fatalf("%s: no mail_suppressed", who)
		}
		if !suppressed {
			if v != nil {
				t.Errorf("%s: mail_suppressed = %v, want null", who, v)
			}
			return
		}
		m, _ := v.(map[string]any)
		if m["reason"] != "bounce" || m["label"] == "" {
			t.Errorf("%s: mail_suppressed = %v", who, v)
		}
		if got, err := time.Parse(time.RFC3339, m["at"].(string)); err != nil || !got.Equal(at) {
			t.Errorf("%s: at = %v, want %v", who, m["at"], at)
		}
	}
	t.Run("Members", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteMembers, query: "status=active"})
		want(t, r, 200, "")
		for _, x := range r.body["members"].([]any) {
			m := x.(map[string]any)
			check(t, m["name"].(string), m, m["id"] == gone.ID)
		}
	})
	t.Run("Attendees", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": ev.ID}})
		want(t, r, 200, "")
		regs := r.body["registrations"].([]any)
		if len(regs) != 3 {
			t.Fatalf("%d registrations, want 3", len(regs))
		}
		for _, x := range regs {
			a := x.(map[string]any)
			check(t, a["name"].(string), a, a["member_id"] == gone.ID)
		}
	})
}
