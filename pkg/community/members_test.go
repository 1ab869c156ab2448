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
	then  MemberStatus
	reads int
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

func (s *racingStore) UpdateMember(context.Context, *Member) error { return ErrMemberChanged }
func (s *racingStore) Hit(context.Context, string, time.Duration, time.Time) (int, error) {
	return 1, nil
}
func (s *racingStore) PutToken(context.Context, *Token) error { return nil }

// mailLog records which mail each address got.
type mailLog struct{ sent []string }

func (m *mailLog) Verification(_ context.Context, to Recipient, _ string) error {
	m.sent = append(m.sent, "verification")
	return nil
}
func (m *mailLog) AlreadyRegistered(_ context.Context, to Recipient, _ string) error {
	m.sent = append(m.sent, "already_registered")
	return nil
}
func (m *mailLog) SignInLink(context.Context, Recipient, string) error { return nil }
func (m *mailLog) Welcome(context.Context, *Member) error              { return nil }
func (m *mailLog) PendingApproval(context.Context, *Member) error      { return nil }

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
		want []string
	}{
		{"NowSuspended", MemberSuspended, nil},
		{"NowActive", MemberActive, []string{"already_registered"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mails := &mailLog{}
			s := &Members{Store: &racingStore{then: tt.then}, Notifier: mails, Clock: ClockFunc(func() time.Time { return now }),
				Links: plainLinks{}, Secrets: plainSecrets{}}
			if err := s.Signup(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if len(mails.sent) != len(tt.want) || (len(tt.want) > 0 && mails.sent[0] != tt.want[0]) {
				t.Errorf("mailed %v, want %v", mails.sent, tt.want)
			}
		})
	}
}
