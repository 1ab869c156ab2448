package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestEndRegistrationOwesNotice: ending a registration of a cancelled
// event puts its event-cancelled notice in the outbox in the same
// transaction, instead of the registrant's own cancellation mail; a
// registration that has ended already owes nothing more.
func TestEndRegistrationOwesNotice(t *testing.T) {
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
	cur, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CancelEvent(ctx, cur, "中止", base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*community.Registration{seat, wait} {
		if _, promoted, err := s.EndRegistration(ctx, e.ID, r.ID, base.Add(2*time.Second)); err != nil || promoted != nil {
			t.Fatalf("end %s: promoted %v, %v", r.ID, promoted, err)
		}
		m := admRaw(t, table, "OUTBOX#"+r.ID+".event_cancelled", "OUTBOX")
		if m["kind"] != "event_cancelled" || m["state"] != "pending" || m["reg_id"] != r.ID || m["event_id"] != e.ID {
			t.Errorf("notice of %s: %v", r.ID, m)
		}
		if m := admRaw(t, table, "OUTBOX#"+r.ID+".registration_cancelled", "OUTBOX"); len(m) != 0 {
			t.Errorf("ending %s also owes its own cancellation mail: %v", r.ID, m)
		}
		_, _, err := s.EndRegistration(ctx, e.ID, r.ID, base.Add(3*time.Second))
		wantErr(t, err, community.ErrAlreadyCancelled)
	}
	// Ended by its owner before: its own mail, and no notice.
	if m := admRaw(t, table, "OUTBOX#"+gone.ID+".event_cancelled", "OUTBOX"); len(m) != 0 {
		t.Errorf("a registration its owner ended owes the notice: %v", m)
	}
	if c, w := counters(t, s, e); c != 0 || w != 0 {
		t.Errorf("counters %d/%d, want 0/0", c, w)
	}
}

// TestPostMessage: a message and its mails are stored once each; a repeat
// puts only what is missing and never resets a mail already sent; the
// progress counts the mails by state.
func TestPostMessage(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 0, false)
	m := &community.Message{ID: community.MessageID("org", e.ID, "k-"+localtest.UniqueID(), "", "", false), EventID: e.ID,
		Subject: "件名", Body: "本文", ActorID: "org", CreatedAt: base}
	var mails []community.Mail
	for range 150 { // two transactions
		r := &community.Registration{ID: community.NewID(base), EventID: e.ID}
		mails = append(mails, community.OrganizerMessageMail(m, r, base))
	}
	stored, put, err := s.PostMessage(ctx, m, mails[:120])
	if err != nil || put != 120 || stored.Subject != "件名" {
		t.Fatalf("first post: %+v %d %v", stored, put, err)
	}
	if _, got, err := s.ClaimMail(ctx, mails[0].ID, "mailer", base, time.Minute); err != nil || got != community.MailWon {
		t.Fatalf("claim %v %v", got, err)
	}
	if err := s.SettleMail(ctx, mails[0].ID, "mailer", community.MailSent, "ses-1", base); err != nil {
		t.Fatal(err)
	}

	again := *m
	again.CreatedAt = base.Add(time.Minute)
	stored, put, err = s.PostMessage(ctx, &again, mails)
	if err != nil || put != 30 || !stored.CreatedAt.Equal(base) {
		t.Fatalf("repeat: %+v put %d %v, want the first message and the 30 missing", stored, put, err)
	}
	p, err := s.MessageProgress(ctx, m.ID)
	if err != nil || p != (community.MessageProgress{Recipients: 150, Sent: 1, Pending: 149}) {
		t.Errorf("progress %+v %v", p, err)
	}
	got, err := s.Message(ctx, m.ID)
	if err != nil || got.Body != "本文" || got.EventID != e.ID {
		t.Errorf("message %+v %v", got, err)
	}
	mail, claim, err := s.ClaimMail(ctx, mails[1].ID, "mailer", base, time.Minute)
	if err != nil || claim != community.MailWon || mail.MessageID != m.ID || mail.Kind != community.MailOrganizerMessage {
		t.Errorf("claimed mail %+v %v %v", mail, claim, err)
	}

	t.Run("ErrOtherText", func(t *testing.T) {
		other := *m
		other.Body = "別の本文"
		_, put, err := s.PostMessage(ctx, &other, mails)
		wantErr(t, err, community.ErrIdempotencyKeyReused)
		if put != 0 {
			t.Errorf("put %d", put)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Message(ctx, community.NewID(base))
		wantErr(t, err, community.ErrMessageNotFound)
	})
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
