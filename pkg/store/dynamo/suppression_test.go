package dynamo_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// keyed is a keyed digest like auth.Secrets.Hash.
func keyed(key string) func(string) string {
	return func(s string) string {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	}
}

func newSuppressionStore(t *testing.T) (*dynamo.Store, string) {
	t.Helper()
	s, _, table := newStore(t)
	return s.WithDigest(keyed("test-key-test-key-test-key-0123456")), table
}

func suppressed(t *testing.T, s *dynamo.Store, email string) bool {
	t.Helper()
	ok, err := s.Suppressed(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestSuppressionNeedsKey(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.Suppressed(ctx, "a@example.jp"); err == nil {
		t.Error("Suppressed without a digest key: nil error")
	}
	if err := s.Suppress(ctx, "a@example.jp", community.Suppression{Reason: community.SuppressedBounce, At: base}); err == nil {
		t.Error("Suppress without a digest key: nil error")
	}
}

func TestSuppressAddress(t *testing.T) {
	ctx := context.Background()
	s, table := newSuppressionStore(t)
	guest := localtest.UniqueEmail("Guest.Bounce")
	bounce := community.Suppression{Reason: community.SuppressedBounce, At: base, MessageID: "ses-1"}

	if suppressed(t, s, guest) {
		t.Fatal("suppressed before any notice")
	}
	if err := s.Suppress(ctx, "  "+strings.ToUpper(guest)+" ", bounce); err != nil {
		t.Fatal(err)
	}
	t.Run("CaseInsensitive", func(t *testing.T) {
		if !suppressed(t, s, strings.ToLower(guest)) || !suppressed(t, s, guest) {
			t.Error("not suppressed after a bounce")
		}
		if suppressed(t, s, localtest.UniqueEmail("other")) {
			t.Error("another address is suppressed")
		}
	})
	t.Run("Recorded", func(t *testing.T) {
		got, ok, err := s.Suppression(ctx, guest)
		if err != nil || !ok {
			t.Fatalf("Suppression: %v %v", ok, err)
		}
		if diff := cmp.Diff(&bounce, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("NoAddressInTable", func(t *testing.T) {
		if dump := strings.ToLower(scanText(t, table)); strings.Contains(dump, strings.ToLower(guest)) {
			t.Errorf("the table holds the address: %s", dump)
		}
	})
	t.Run("Keyed", func(t *testing.T) {
		// Another key finds nothing: the digest is the key's.
		if suppressed(t, s.WithDigest(keyed("another-key-another-key-another-key")), guest) {
			t.Error("suppressed under another key")
		}
	})
	t.Run("LatestWins", func(t *testing.T) {
		complaint := community.Suppression{Reason: community.SuppressedComplaint, At: base.Add(time.Hour), MessageID: "ses-2"}
		for range 2 { // SNS may deliver twice
			if err := s.Suppress(ctx, guest, complaint); err != nil {
				t.Fatal(err)
			}
		}
		got, _, err := s.Suppression(ctx, guest)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&complaint, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestSuppressMember(t *testing.T) {
	ctx := context.Background()
	s, _ := newSuppressionStore(t)
	m := newMember(localtest.UniqueEmail("hana"), community.MemberActive, base)
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	stale, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	sup := community.Suppression{Reason: community.SuppressedBounce, At: base.Add(time.Minute), MessageID: "ses-9"}
	if err := s.Suppress(ctx, strings.ToUpper(m.Email), sup); err != nil {
		t.Fatal(err)
	}
	got, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Marked", func(t *testing.T) {
		if diff := cmp.Diff(&sup, got.MailSuppressed); diff != "" {
			t.Errorf("MailSuppressed (-want +got):\n%s", diff)
		}
		if got.Version != stale.Version+1 {
			t.Errorf("version %d, want %d", got.Version, stale.Version+1)
		}
		if !got.UpdatedAt.Equal(stale.UpdatedAt) {
			t.Errorf("updated_at moved: %v", got.UpdatedAt)
		}
		if !suppressed(t, s, m.Email) {
			t.Error("address not suppressed")
		}
	})
	t.Run("StaleWriteCannotUndo", func(t *testing.T) {
		stale.Name = "古い 読み"
		wantErr(t, s.UpdateMember(ctx, stale), community.ErrMemberChanged)
	})
	t.Run("ProfileEditKeepsMark", func(t *testing.T) {
		next := *got
		next.Department = "総務部"
		if err := s.UpdateMember(ctx, &next); err != nil {
			t.Fatal(err)
		}
		again, err := s.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.MailSuppressed == nil || !suppressed(t, s, m.Email) {
			t.Error("a profile edit lifted the suppression")
		}
		*got = *again
	})
	t.Run("DroppingMarkLifts", func(t *testing.T) {
		next := *got
		next.MailSuppressed = nil
		if err := s.UpdateMember(ctx, &next); err != nil {
			t.Fatal(err)
		}
		again, err := s.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.MailSuppressed != nil || suppressed(t, s, m.Email) {
			t.Errorf("still suppressed: mark %+v", again.MailSuppressed)
		}
	})
	t.Run("WithdrawalKeepsList", func(t *testing.T) {
		if err := s.Suppress(ctx, m.Email, sup); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WithdrawMember(ctx, m.ID, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !suppressed(t, s, m.Email) {
			t.Error("withdrawal lifted the suppression")
		}
		// With the claim gone, a later notice lists the address alone.
		if err := s.Suppress(ctx, m.Email, sup); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentSuppressAndEdit: a notice racing a member's own edits
// leaves the mark in place whoever wins.
func TestConcurrentSuppressAndEdit(t *testing.T) {
	ctx := context.Background()
	s, _ := newSuppressionStore(t)
	m := newMember(localtest.UniqueEmail("race"), community.MemberActive, base)
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	sup := community.Suppression{Reason: community.SuppressedComplaint, At: base, MessageID: "ses-r"}
	errs := run(8, func(i int) error {
		if i == 0 {
			return s.Suppress(ctx, m.Email, sup)
		}
		return community.RetryOn(10, func() error {
			cur, err := s.Member(ctx, m.ID)
			if err != nil {
				return err
			}
			cur.Department = "部署" + string(rune('A'+i))
			return s.UpdateMember(ctx, cur)
		}, community.ErrMemberChanged)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got, err := s.Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MailSuppressed == nil {
		t.Error("the mark was lost to a concurrent edit")
	}
}

// Fakes for community.Members in the tests below: the store is the real one.
type fixedSecrets struct{}

func (fixedSecrets) NewSecret() string    { return "s-" + localtest.UniqueID() }
func (fixedSecrets) Hash(s string) string { return "h-" + s }

type issuer struct{}

func (issuer) Issue(context.Context, string) (string, time.Time, error) {
	return "session", base.Add(time.Hour), nil
}

// TestConfirmingLiftsSuppression: following a mailed verification or
// sign-in link proves the address works again, so the member's mark and
// the list entry go.
func TestConfirmingLiftsSuppression(t *testing.T) {
	ctx := context.Background()
	s, _ := newSuppressionStore(t)
	members := &community.Members{
		Store: s, Clock: community.ClockFunc(func() time.Time { return base.Add(time.Hour) }),
		Secrets: fixedSecrets{}, Sessions: issuer{},
	}
	sup := community.Suppression{Reason: community.SuppressedBounce, At: base, MessageID: "ses-v"}
	for _, tt := range []struct {
		name    string
		status  community.MemberStatus
		purpose string
		confirm func(secret string) error
	}{
		{"Verify", community.MemberUnverified, community.TokenVerify, func(secret string) error {
			_, err := members.Verify(ctx, secret)
			return err
		}},
		{"SignIn", community.MemberActive, community.TokenSignIn, func(secret string) error {
			_, _, err := members.SignIn(ctx, secret)
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newMember(localtest.UniqueEmail("back"), tt.status, base)
			m.Membership = community.MembershipSupporting
			if err := s.CreateMember(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := s.Suppress(ctx, m.Email, sup); err != nil {
				t.Fatal(err)
			}
			secret := "link-" + localtest.UniqueID()
			tok := &community.Token{ID: fixedSecrets{}.Hash(secret), Purpose: tt.purpose, MemberID: m.ID, CreatedAt: base, ExpiresAt: base.Add(2 * time.Hour)}
			if err := s.PutToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if err := tt.confirm(secret); err != nil {
				t.Fatal(err)
			}
			got, err := s.Member(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MailSuppressed != nil || suppressed(t, s, m.Email) {
				t.Errorf("still suppressed after %s: mark %+v", tt.name, got.MailSuppressed)
			}
		})
	}
}
