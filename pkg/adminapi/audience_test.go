package adminapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// TestNarrowingAudienceWithRegistrations: an edit that would leave someone
// holding a seat or a waitlist place they no longer qualify for (and so a
// reminder carrying the join URL to them) is refused until the organizer
// cancels those registrations; an edit everyone still fits goes through.
func TestNarrowingAudienceWithRegistrations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	patch := func(ev *community.Event, body map[string]any) result {
		return e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: mustJSON(body)})
	}
	refused := func(t *testing.T, ev *community.Event, body map[string]any) {
		t.Helper()
		before, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := patch(ev, body)
		want(t, r, 409, "audience_has_registrations")
		if msg, _ := r.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "取り消") {
			t.Errorf("message %q does not tell the organizer to cancel the registrations first", msg)
		}
		after, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Audience != before.Audience || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("a refused edit changed the event: %s → %s", before.Audience, after.Audience)
		}
	}
	regular := e.member(community.MemberActive, community.MembershipRegular, "正会員 一郎")
	supporting := e.member(community.MemberActive, community.MembershipSupporting, "賛助 二郎")
	notServant := e.member(community.MemberActive, community.MembershipSupporting, "民間 三郎")
	notServant.PublicServant = false
	if err := e.store.UpdateMember(ctx, notServant); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrGuestHoldsSeat", func(t *testing.T) {
		ev := e.published(10, nil)
		e.guest(ev, "ゲスト 参加", community.RegistrationConfirmed)
		e.seat(ev, regular, community.RegistrationConfirmed)
		refused(t, ev, map[string]any{"audience": "members"})
		refused(t, ev, map[string]any{"audience": "regular"})
		refused(t, ev, map[string]any{"eligibility": map[string]any{"public_servant_only": true}})
	})
	t.Run("ErrGuestWaitlisted", func(t *testing.T) {
		ev := e.published(10, map[string]any{"capacity": 1})
		e.seat(ev, regular, community.RegistrationConfirmed)
		e.guest(ev, "ゲスト 待ち", community.RegistrationWaitlisted)
		refused(t, ev, map[string]any{"audience": "members"})
	})
	t.Run("ErrSupportingMemberToRegular", func(t *testing.T) {
		ev := e.published(10, map[string]any{"audience": "members"})
		e.seat(ev, supporting, community.RegistrationConfirmed)
		refused(t, ev, map[string]any{"audience": "regular"})
	})
	t.Run("ErrPublicServantOnly", func(t *testing.T) {
		ev := e.published(10, map[string]any{"audience": "members"})
		e.seat(ev, notServant, community.RegistrationConfirmed)
		refused(t, ev, map[string]any{"eligibility": map[string]any{"public_servant_only": true}})
	})
	t.Run("ErrAgeLimit", func(t *testing.T) {
		ev := e.published(10, map[string]any{"audience": "members"})
		e.seat(ev, regular, community.RegistrationConfirmed) // no birth date given
		refused(t, ev, map[string]any{"eligibility": map[string]any{"min_age": 25, "max_age": 39}})
	})
	t.Run("OKAfterCancellingThem", func(t *testing.T) {
		ev := e.published(10, nil)
		g := e.guest(ev, "ゲスト 取消", community.RegistrationConfirmed)
		e.seat(ev, supporting, community.RegistrationConfirmed)
		refused(t, ev, map[string]any{"audience": "members"})
		if _, _, err := e.store.CancelRegistration(ctx, ev.ID, g.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.quiet()
		r := patch(ev, map[string]any{"audience": "members"})
		want(t, r, 200, "")
		if r.body["audience"] != "members" {
			t.Errorf("audience %v", r.body["audience"])
		}
	})
	t.Run("OKEveryoneQualifies", func(t *testing.T) {
		ev := e.published(10, nil)
		e.seat(ev, regular, community.RegistrationConfirmed)
		want(t, patch(ev, map[string]any{"audience": "regular", "eligibility": map[string]any{"public_servant_only": true}}), 200, "")
	})
	t.Run("OKWidening", func(t *testing.T) {
		ev := e.published(10, map[string]any{"audience": "regular"})
		e.seat(ev, regular, community.RegistrationConfirmed)
		want(t, patch(ev, map[string]any{"audience": "public", "eligibility": nil}), 200, "")
	})
	t.Run("OKNoRegistrations", func(t *testing.T) {
		ev := e.published(10, nil)
		want(t, patch(ev, map[string]any{"audience": "regular"}), 200, "")
	})
	t.Run("OKOtherFieldsWithAGuest", func(t *testing.T) {
		ev := e.published(10, nil)
		e.guest(ev, "ゲスト そのまま", community.RegistrationConfirmed)
		want(t, patch(ev, map[string]any{"title": "私塾：改題", "ends_at": ev.EndsAt.Add(30 * time.Minute).Format(time.RFC3339)}), 200, "")
	})
}
