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

// approveAfterRead is the admin store with another organizer's approval
// landing right after the first read of a member: the window between a
// rejection's check of the status and its erasure.
type approveAfterRead struct {
	community.MemberAdminStore
	t    *testing.T
	once sync.Once
}

func (s *approveAfterRead) Member(ctx context.Context, id string) (*community.Member, error) {
	m, err := s.MemberAdminStore.Member(ctx, id)
	if err != nil {
		return m, err
	}
	s.once.Do(func() {
		other, err := s.MemberAdminStore.Member(ctx, id)
		if err != nil {
			s.t.Error(err)
			return
		}
		now := other.UpdatedAt.Add(time.Second)
		other.Status, other.ApprovedAt, other.UpdatedAt = community.MemberActive, &now, now
		if err := s.MemberAdminStore.UpdateMember(ctx, other); err != nil {
			s.t.Error(err)
		}
	})
	return m, nil
}

// TestRejectRacingApproval: a rejection that meets a concurrent approval
// erases nobody and mails nobody; the organizer is told the member changed.
func TestRejectRacingApproval(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.member(community.MemberPendingApproval, community.MembershipRegular, "承認 競合")
	real := e.admin.Members.Store
	e.admin.Members.Store = &approveAfterRead{MemberAdminStore: real, t: t}
	r := e.as(call{route: adminapi.RouteReject, params: map[string]string{"id": m.ID}, body: `{"reason":"確認できませんでした。"}`})
	e.admin.Members.Store = real
	want(t, r, 409, "member_changed")

	got, err := e.store.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != community.MemberActive || got.Email != m.Email || got.Name != m.Name {
		t.Errorf("the approved member is %s, email %q, name %q: erased by the rejection", got.Status, got.Email, got.Name)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(localtest.MailTo(t, m.Email)); n != 0 {
		t.Errorf("the approved member got %d rejection mails", n)
	}
}
