package community

import (
	"context"
	"testing"
	"time"
)

// racingStore is a Store whose member changes under every write: the first
// read finds the address unverified, every later one finds it in status
// then; every UpdateMember loses the race. Methods a test does not reach
// are the embedded nil interface's (they panic).
type racingStore struct {
	Store
	then   MemberStatus
	reads  int
	mailed []Mail // the mails put in the outbox with a token
}

func (s *racingStore) CreateMember(context.Context, *Member) error { return ErrEmailTaken }

func (s *racingStore) MemberByEmail(_ context.Context, email string) (*Member, error) {
	s.reads++
	st := MemberUnverified
	if s.reads > 1 {
		st = s.then
	}
	return &Member{ID: "m1", Email: email, Name: "既存 会員", Status: st, Membership: MembershipSupporting}, nil
}

func (s *racingStore) UpdateMember(context.Context, *Member, ...Mail) error { return ErrMemberChanged }
func (s *racingStore) Hit(context.Context, string, time.Duration, time.Time) (int, error) {
	return 1, nil
}
func (s *racingStore) PutToken(_ context.Context, _ *Token, mails ...Mail) error {
	s.mailed = append(s.mailed, mails...)
	return nil
}

type plainLinks struct{}

func (plainLinks) Verify(t string) string { return "https://x.example/verify?token=" + t }
func (plainLinks) SignIn(t string) string { return "https://x.example/signin?token=" + t }

type plainSecrets struct{}

func (plainSecrets) NewSecret() string    { return "secret" }
func (plainSecrets) Hash(s string) string { return "h-" + s }

// TestSignupExistingDecidedByTheLastRead: a signup for a known address that
// loses a race reads the member again and answers as the member now is —
// a verification link only while still unverified, never one decided by
// an attempt that lost.
func TestSignupExistingDecidedByTheLastRead(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, Tokyo)
	in := SignupInput{Email: "a@example.jp", Name: "新規 太郎", NameKana: "しんき たろう", Membership: MembershipSupporting, Affiliation: "伊勢崎市", Terms: true}
	for _, tt := range []struct {
		name string
		then MemberStatus
		want []MailKind
	}{
		{"NowSuspended", MemberSuspended, nil},
		{"NowActive", MemberActive, []MailKind{MailAlreadyRegistered}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := &racingStore{then: tt.then}
			s := &Members{Store: store, Clock: ClockFunc(func() time.Time { return now }), Links: plainLinks{}, Secrets: plainSecrets{}}
			if err := s.Signup(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			var got []MailKind
			for _, m := range store.mailed {
				got = append(got, m.Kind)
			}
			if len(got) != len(tt.want) || (len(tt.want) > 0 && got[0] != tt.want[0]) {
				t.Errorf("mailed %v, want %v", got, tt.want)
			}
		})
	}
}
