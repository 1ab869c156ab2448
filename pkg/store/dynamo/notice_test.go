package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestCancelNotice walks the claim on an event-cancelled notice: a live
// registration is taken on by the claim; one its owner ended before is
// owed nothing; a held claim keeps others off until it expires; a released
// one is claimed again; a completed one is never claimed again.
func TestCancelNotice(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	e := seatsEvent(t, s, 1, true)
	seat := memberReg(e)
	register(t, s, e, seat, community.RegistrationConfirmed)
	wait := guestReg(e, "ゲスト 待ち", localtest.UniqueEmail("wait"))
	register(t, s, e, wait, community.RegistrationWaitlisted)
	gone := guestReg(e, "ゲスト 取消", localtest.UniqueEmail("gone"))
	register(t, s, e, gone, community.RegistrationWaitlisted)
	if _, _, err := s.CancelRegistration(ctx, e.ID, gone.ID, base); err != nil {
		t.Fatal(err)
	}
	const ttl = time.Minute
	claim := func(t *testing.T, r *community.Registration, owner string, now time.Time, want community.NoticeClaim) {
		t.Helper()
		got, err := s.ClaimCancelNotice(ctx, e.ID, r.ID, owner, now, ttl)
		if err != nil || got != want {
			t.Fatalf("claim %s by %s = %v %v, want %v", r.ID, owner, got, err, want)
		}
	}

	t.Run("NotOwedWhenEndedByItsOwner", func(t *testing.T) {
		claim(t, gone, "a", base, community.NoticeNotOwed)
	})
	t.Run("LiveIsTakenOn", func(t *testing.T) {
		claim(t, seat, "a", base, community.NoticeWon)
		claim(t, seat, "b", base.Add(ttl/2), community.NoticeBusy)
		// Ended by its owner after the claim: still owed.
		if _, _, err := s.CancelRegistration(ctx, e.ID, seat.ID, base); err != nil {
			t.Fatal(err)
		}
		if m := admRaw(t, table, "EVENT#"+e.ID, "REG#"+seat.ID); m["cancel_notice_due"] != true || m["status"] != "cancelled" {
			t.Errorf("registration item %v", m)
		}
	})
	t.Run("ExpiredClaimIsTakenOver", func(t *testing.T) {
		claim(t, seat, "b", base.Add(ttl+time.Second), community.NoticeWon)
		err := s.CompleteCancelNotice(ctx, e.ID, seat.ID, "a", base.Add(ttl+2*time.Second))
		wantErr(t, err, community.ErrClaimLost)
	})
	t.Run("ReleasedIsClaimedAgain", func(t *testing.T) {
		if err := s.ReleaseCancelNotice(ctx, e.ID, seat.ID, "a"); err != nil { // not a's: left alone
			t.Fatal(err)
		}
		claim(t, seat, "c", base.Add(ttl+3*time.Second), community.NoticeBusy)
		if err := s.ReleaseCancelNotice(ctx, e.ID, seat.ID, "b"); err != nil {
			t.Fatal(err)
		}
		claim(t, seat, "c", base.Add(ttl+3*time.Second), community.NoticeWon)
	})
	t.Run("CompletedIsNeverClaimedAgain", func(t *testing.T) {
		at := base.Add(ttl + 4*time.Second)
		if err := s.CompleteCancelNotice(ctx, e.ID, seat.ID, "c", at); err != nil {
			t.Fatal(err)
		}
		claim(t, seat, "d", at.Add(time.Hour), community.NoticeSent)
		m := admRaw(t, table, "EVENT#"+e.ID, "REG#"+seat.ID)
		if m["cancel_notice_owner"] != nil || m["cancel_notice_until"] != nil || m["cancel_notified_at"] == nil {
			t.Errorf("completed notice %v", m)
		}
		r, err := s.Registration(ctx, e.ID, seat.ID)
		if err != nil || r.Status != community.RegistrationCancelled {
			t.Errorf("registration after the notice: %+v %v", r, err)
		}
	})
	t.Run("PromotedIsTakenOn", func(t *testing.T) {
		claim(t, wait, "a", base, community.NoticeWon) // promoted when the seat was given up
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.ClaimCancelNotice(ctx, e.ID, community.NewID(base), "a", base, ttl)
		wantErr(t, err, community.ErrRegistrationNotFound)
	})
	// The claims touched neither the counters nor the waitlist: the seat's
	// cancellation promoted the waiting guest, as always.
	if c, w := counters(t, s, e); c != 1 || w != 0 {
		t.Errorf("counters %d/%d, want 1/0", c, w)
	}
}

// TestEraseApplicant: the erasure of a rejected applicant happens only
// while they are as the organizer saw them.
func TestEraseApplicant(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	pending := func(t *testing.T) *community.Member {
		t.Helper()
		m := newMember(localtest.UniqueEmail("applicant"), community.MemberPendingApproval, base)
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	now := base.Add(time.Hour)

	t.Run("OK", func(t *testing.T) {
		m := pending(t)
		got, err := s.EraseApplicant(ctx, m.ID, community.MemberPendingApproval, m.UpdatedAt, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != community.MemberWithdrawn || got.Email != "" || got.Name != "" || got.BirthDate != nil {
			t.Errorf("erased applicant keeps %+v", got)
		}
		if _, err := s.MemberByEmail(ctx, m.Email); community.ErrorCode(err) != community.NotFound {
			t.Errorf("the address is still claimed: %v", err)
		}
	})
	t.Run("ErrApprovedMeanwhile", func(t *testing.T) {
		m := pending(t)
		read := m.UpdatedAt
		m.Status, m.UpdatedAt = community.MemberActive, base.Add(time.Minute)
		if err := s.UpdateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		_, err := s.EraseApplicant(ctx, m.ID, community.MemberPendingApproval, read, now)
		wantErr(t, err, community.ErrMemberChanged)
		if got, err := s.Member(ctx, m.ID); err != nil || got.Email != m.Email || got.Status != community.MemberActive {
			t.Errorf("approved member after a refused erasure: %+v %v", got, err)
		}
	})
	t.Run("ErrEditedMeanwhile", func(t *testing.T) {
		m := pending(t)
		read := m.UpdatedAt
		m.Name, m.UpdatedAt = "改名 済子", base.Add(time.Minute)
		if err := s.UpdateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		_, err := s.EraseApplicant(ctx, m.ID, community.MemberPendingApproval, read, now)
		wantErr(t, err, community.ErrMemberChanged)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.EraseApplicant(ctx, community.NewID(base), community.MemberPendingApproval, base, now)
		wantErr(t, err, community.ErrMemberNotFound)
	})
}

// TestUpdateEventCounted: an edit checked against the registrations is
// refused when someone registered since.
func TestUpdateEventCounted(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 5, true)
	register(t, s, e, memberReg(e), community.RegistrationConfirmed)
	cur, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	register(t, s, cur, guestReg(cur, "ゲスト 後から", localtest.UniqueEmail("late")), community.RegistrationConfirmed)
	u := admEdit(cur)
	u.Event.Audience, u.Counted = community.AudienceMembers, true
	_, err = s.UpdateEvent(ctx, u)
	wantErr(t, err, community.ErrEventChanged)

	fresh, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	u = admEdit(fresh)
	u.Event.Audience, u.Counted = community.AudienceMembers, true
	if got, err := s.UpdateEvent(ctx, u); err != nil || got.Audience != community.AudienceMembers {
		t.Fatalf("edit on fresh counters: %+v %v", got, err)
	}
}
