package adminapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// A supporting member who is not a public servant cannot make themselves
// one to take a seat for public servants: past approval the claim is
// locked, their request waits for an organizer, and only the organizer's
// setting (audited, recorded as approved) changes it.
func TestEligibilityLocked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	members := &community.Members{Store: e.store, Clock: e.clock}
	m := e.member(community.MemberActive, community.MembershipSupporting, "支援 次郎")
	m.PublicServant = false
	m.UpdatedAt = e.clock.Now()
	if err := e.store.UpdateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	ev := e.published(10, map[string]any{"audience": "members", "eligibility": map[string]any{"public_servant_only": true}})
	fresh := func() *community.Member {
		t.Helper()
		got, err := e.store.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	yes, birth := true, "1995-04-01"
	t.Run("ErrEligibilityLocked", func(t *testing.T) {
		_, err := members.UpdateMe(ctx, e.viewer(m), community.ProfileUpdate{PublicServant: &yes, BirthDate: &birth})
		if !errors.Is(err, community.ErrEligibilityLocked) {
			t.Fatalf("self-declared public servant after approval: %v, want eligibility_locked", err)
		}
		if got := fresh(); got.PublicServant || got.BirthDate != nil {
			t.Errorf("the refused change was stored: %+v", got)
		}
		if _, err := e.regs.Register(ctx, e.viewer(fresh()), ev.ID, nil); !errors.Is(err, community.ErrPublicServantsOnly) {
			t.Errorf("registering for public servants: %v, want public_servants_only", err)
		}
		// The profile form resending the values in force is no change.
		no, dept := false, "道路課"
		if _, err := members.UpdateMe(ctx, e.viewer(fresh()), community.ProfileUpdate{PublicServant: &no, Department: &dept}); err != nil {
			t.Errorf("an unchanged claim beside another field: %v", err)
		}
	})
	t.Run("RequestWaits", func(t *testing.T) {
		got, err := members.RequestEligibilityChange(ctx, e.viewer(fresh()), true, birth, "昨年4月に市役所に採用されました")
		if err != nil {
			t.Fatal(err)
		}
		if got.PublicServant || got.EligibilityRequest == nil || !got.EligibilityRequest.PublicServant {
			t.Errorf("after the request: in force %v, request %+v", got.PublicServant, got.EligibilityRequest)
		}
		if _, err := e.regs.Register(ctx, e.viewer(fresh()), ev.ID, nil); !errors.Is(err, community.ErrPublicServantsOnly) {
			t.Errorf("a pending request already counts: %v", err)
		}
		r := e.as(call{route: adminapi.RouteMembers, query: "status=active"})
		want(t, r, 200, "")
		if !strings.Contains(mustJSON(r.body), `"reason":"昨年4月に市役所に採用されました"`) {
			t.Errorf("organizers do not see the pending request: %s", mustJSON(r.body))
		}
	})
	p := map[string]string{"id": m.ID}
	t.Run("ErrBadInput", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteEligibility, params: p, body: `{"public_servant":true,"birth_date":"1995/04/01"}`}), 400, "validation_failed")
		want(t, e.as(call{route: adminapi.RouteEligibility, params: p, body: `{"birth_date":"1995-04-01"}`}), 400, "validation_failed")
		want(t, e.as(call{route: adminapi.RouteEligibility, params: p, body: `{"public_servant":true,"role":"organizer"}`}), 400, "unknown_field")
		want(t, e.as(call{route: adminapi.RouteEligibility, params: map[string]string{"id": community.NewID(e.clock.Now())},
			body: `{"public_servant":true}`}), 404, "member_not_found")
		other := e.member(community.MemberActive, community.MembershipRegular, "一般 会員")
		want(t, e.do(call{route: adminapi.RouteEligibility, params: p, body: `{"public_servant":true}`, token: e.token(other)}), 403, "forbidden")
		if got := fresh(); got.PublicServant || got.EligibilityRequest == nil {
			t.Errorf("refused settings changed the member: %+v", got)
		}
	})
	t.Run("OrganizerApproves", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteEligibility, params: p, body: `{"public_servant":true,"birth_date":"1995-04-01"}`})
		want(t, r, 200, "")
		appr, _ := r.body["eligibility_approval"].(map[string]any)
		if r.body["public_servant"] != true || r.body["eligibility_request"] != nil || appr == nil || appr["by"] != e.org.ID || appr["birth_date"] != "1995-04-01" {
			t.Errorf("after the organizer's setting %v", r.body)
		}
		a := e.audited(community.AuditMemberEligibility, m.ID, "")
		if s, _ := a["summary"].(string); !strings.Contains(s, "公務員: はい") {
			t.Errorf("audit summary %q", s)
		}
		if res, err := e.regs.Register(ctx, e.viewer(fresh()), ev.ID, nil); err != nil || res.Registration.Status != community.RegistrationConfirmed {
			t.Errorf("registering once approved: %v, %v", res, err)
		}
	})
	t.Run("ApprovalRecordsTheClaim", func(t *testing.T) {
		pending := e.member(community.MemberPendingApproval, community.MembershipRegular, "承認 待子")
		// Before approval the member may still correct it themselves.
		if _, err := members.UpdateMe(ctx, e.viewer(pending), community.ProfileUpdate{BirthDate: &birth}); err != nil {
			t.Fatalf("a pending member correcting the birth date: %v", err)
		}
		r := e.as(call{route: adminapi.RouteApprove, params: map[string]string{"id": pending.ID}})
		want(t, r, 200, "")
		appr, _ := r.body["eligibility_approval"].(map[string]any)
		if appr == nil || appr["public_servant"] != true || appr["birth_date"] != birth || appr["by"] != e.org.ID || r.body["eligibility_locked"] != true {
			t.Errorf("approval recorded %v", r.body)
		}
	})
}
