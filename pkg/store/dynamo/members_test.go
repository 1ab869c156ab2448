package dynamo_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func newMember(email string, status community.MemberStatus, created time.Time) *community.Member {
	birth := time.Date(1990, 2, 28, 0, 0, 0, 0, community.Tokyo)
	return &community.Member{
		ID: community.NewID(created), Email: email, Name: "髙橋 﨑子 🌸", NameKana: "たかはし さきこ",
		Membership: community.MembershipRegular, Affiliation: "伊勢崎市", Department: "建設部 道路課",
		JobCategory: "土木", PublicServant: true, BirthDate: &birth,
		Status: status, Role: community.RoleMember,
		Preferences: community.Preferences{Reminders: true, Announcements: true},
		Consent:     community.Consent{Terms: true, Announcements: true, FormVersion: "2025-04", AgreedAt: created, IP: "192.0.2.1"},
		CreatedAt:   created, UpdatedAt: created,
	}
}

// run calls f n times at once and returns the errors.
func run(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

// scanText returns every item of the table as text. Tests may Scan; request
// paths never do.
func scanText(t *testing.T, table string) string {
	t.Helper()
	out, err := localtest.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(items)
}

func TestMembers(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	taro := newMember(localtest.UniqueEmail("Taro"), community.MemberActive, base)
	verified := base.Add(time.Hour)
	taro.VerifiedAt, taro.ApprovedAt = &verified, &verified
	if err := s.CreateMember(ctx, taro); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		got, err := s.Member(ctx, taro.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.BirthDate.Equal(*taro.BirthDate) || got.BirthDate.Location() != community.Tokyo {
			t.Errorf("BirthDate = %v, want %v", got.BirthDate, taro.BirthDate)
		}
		got.BirthDate = taro.BirthDate
		if !reflect.DeepEqual(got, taro) {
			t.Errorf("Member\n got %+v\nwant %+v", got, taro)
		}
	})
	t.Run("ByEmailAnyCase", func(t *testing.T) {
		for _, email := range []string{taro.Email, strings.ToUpper(taro.Email), " " + strings.ToLower(taro.Email)} {
			got, err := s.MemberByEmail(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != taro.ID {
				t.Errorf("MemberByEmail(%q) = %s, want %s", email, got.ID, taro.ID)
			}
		}
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		other := newMember(strings.ToUpper(taro.Email), community.MemberUnverified, base)
		wantErr(t, s.CreateMember(ctx, other), community.ErrEmailTaken)
		_, err := s.Member(ctx, other.ID)
		wantErr(t, err, community.ErrMemberNotFound)
	})
	t.Run("ErrMemberExists", func(t *testing.T) {
		dup := newMember(localtest.UniqueEmail("dup"), community.MemberUnverified, base)
		dup.ID = taro.ID
		wantErr(t, s.CreateMember(ctx, dup), community.ErrMemberExists)
		// The transaction claimed nothing: the address is still free.
		if _, err := s.MemberByEmail(ctx, dup.Email); community.ErrorCode(err) != community.NotFound {
			t.Fatalf("email of a failed signup: %v", err)
		}
		dup.ID = community.NewID(base)
		if err := s.CreateMember(ctx, dup); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Member(ctx, community.NewID(base))
		wantErr(t, err, community.ErrMemberNotFound)
		_, err = s.MemberByEmail(ctx, localtest.UniqueEmail("nobody"))
		wantErr(t, err, community.ErrMemberNotFound)
	})
	t.Run("SameEmailConcurrently", func(t *testing.T) {
		email := localtest.UniqueEmail("race")
		members := make([]*community.Member, 20)
		for i := range members {
			e := email
			if i%2 == 1 {
				e = strings.ToUpper(email)
			}
			members[i] = newMember(e, community.MemberUnverified, base)
		}
		errs := run(len(members), func(i int) error { return s.CreateMember(ctx, members[i]) })
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("members %d and %d both got the email", winner, i)
			case err == nil:
				winner = i
			default:
				wantErr(t, err, community.ErrEmailTaken)
			}
		}
		if winner < 0 {
			t.Fatal("nobody got the email")
		}
		got, err := s.MemberByEmail(ctx, email)
		if err != nil || got.ID != members[winner].ID {
			t.Fatalf("MemberByEmail = %v, %v; want %s", got, err, members[winner].ID)
		}
	})
}

func TestUpdateMember(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	m := newMember(localtest.UniqueEmail("hana"), community.MemberUnverified, base)
	other := newMember(localtest.UniqueEmail("other"), community.MemberActive, base)
	for _, x := range []*community.Member{m, other} {
		if err := s.CreateMember(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	statusIDs := func(st community.MemberStatus) []string {
		t.Helper()
		p, err := s.MembersByStatus(ctx, st, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range p.Members {
			ids = append(ids, x.ID)
		}
		return ids
	}

	t.Run("StatusMovesQueue", func(t *testing.T) {
		next := *m
		next.Status = community.MemberPendingApproval
		next.CreatedAt = base.Add(time.Hour) // ignored: creation is history
		next.UpdatedAt = base.Add(time.Minute)
		if err := s.UpdateMember(ctx, &next); err != nil {
			t.Fatal(err)
		}
		if ids := statusIDs(community.MemberUnverified); slices.Contains(ids, m.ID) {
			t.Errorf("still unverified: %v", ids)
		}
		if ids := statusIDs(community.MemberPendingApproval); !slices.Equal(ids, []string{m.ID}) {
			t.Errorf("pending = %v, want [%s]", ids, m.ID)
		}
		got, err := s.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != next.Status || !got.CreatedAt.Equal(base) || !got.UpdatedAt.Equal(next.UpdatedAt) {
			t.Errorf("got %s created %v updated %v", got.Status, got.CreatedAt, got.UpdatedAt)
		}
		*m = *got
	})
	t.Run("EmailMoves", func(t *testing.T) {
		old, next := m.Email, *m
		next.Email = localtest.UniqueEmail("Hana-New")
		if err := s.UpdateMember(ctx, &next); err != nil {
			t.Fatal(err)
		}
		_, err := s.MemberByEmail(ctx, old)
		wantErr(t, err, community.ErrMemberNotFound)
		got, err := s.MemberByEmail(ctx, strings.ToLower(next.Email))
		if err != nil || got.ID != m.ID || got.Email != next.Email {
			t.Fatalf("by new email: %+v, %v", got, err)
		}
		if strings.Contains(scanText(t, table), strings.ToLower(old)) {
			t.Error("the old address is still in the table")
		}
		*m = *got
	})
	t.Run("EmailCaseOnly", func(t *testing.T) {
		next := *m
		next.Email = strings.ToUpper(m.Email)
		if err := s.UpdateMember(ctx, &next); err != nil {
			t.Fatal(err)
		}
		got, err := s.MemberByEmail(ctx, m.Email)
		if err != nil || got.Email != next.Email {
			t.Fatalf("got %+v, %v", got, err)
		}
		*m = *got
	})
	t.Run("ErrEmailTaken", func(t *testing.T) {
		next := *m
		next.Email, next.Name = other.Email, "別名"
		wantErr(t, s.UpdateMember(ctx, &next), community.ErrEmailTaken)
		got, err := s.Member(ctx, m.ID)
		if err != nil || got.Email != m.Email || got.Name != m.Name {
			t.Fatalf("after conflict: %+v, %v", got, err)
		}
		if o, err := s.MemberByEmail(ctx, other.Email); err != nil || o.ID != other.ID {
			t.Fatalf("other's email: %+v, %v", o, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ghost := newMember(localtest.UniqueEmail("ghost"), community.MemberActive, base)
		wantErr(t, s.UpdateMember(ctx, ghost), community.ErrMemberNotFound)
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Racing writers each read, then write under the version they read:
		// some lose with member_changed, and the email claim stays whole.
		errs := run(8, func(i int) error {
			next := *m
			next.Email = localtest.UniqueEmail(fmt.Sprint("race", i))
			return s.UpdateMember(ctx, &next)
		})
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
				continue
			}
			wantErr(t, err, community.ErrMemberChanged)
		}
		if won == 0 {
			t.Fatal("no writer won")
		}
		got, err := s.Member(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if byEmail, err := s.MemberByEmail(ctx, got.Email); err != nil || byEmail.ID != m.ID {
			t.Fatalf("stored email %s does not lead back: %v, %v", got.Email, byEmail, err)
		}
		if n := strings.Count(scanText(t, table), "PK:EMAIL#"); n != 2 {
			t.Errorf("%d EMAIL# items, want 2 (one per member)", n)
		}
	})
}

func TestMembersByStatus(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)
	var pending []string
	for i := range 25 {
		m := newMember(localtest.UniqueEmail("p"), community.MemberPendingApproval, base.Add(time.Duration(i)*time.Minute))
		if i%5 == 0 {
			m.Status = community.MemberActive
		} else {
			pending = append(pending, m.ID)
		}
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Pages", func(t *testing.T) {
		var got []string
		cursor := ""
		for page := 1; ; page++ {
			calls.Reset()
			p, err := s.MembersByStatus(ctx, community.MemberPendingApproval, 5, cursor)
			if err != nil {
				t.Fatal(err)
			}
			if n := calls.Count("DynamoDB.Query"); n != 1 || calls.Total() != 1 {
				t.Fatalf("page %d: calls %v", page, calls.Snapshot())
			}
			for _, m := range p.Members {
				got = append(got, m.ID)
			}
			if cursor = p.NextCursor; cursor == "" {
				if page != 4 {
					t.Errorf("%d pages, want 4", page)
				}
				break
			}
		}
		if !slices.Equal(got, pending) {
			t.Errorf("got %v\nwant %v", got, pending)
		}
	})
	t.Run("ErrCursor", func(t *testing.T) {
		p, err := s.MembersByStatus(ctx, community.MemberPendingApproval, 5, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.MembersByStatus(ctx, community.MemberActive, 5, p.NextCursor)
		wantErr(t, err, community.ErrInvalidCursor)
		_, err = s.MembersByStatus(ctx, community.MemberActive, 5, "bm90IGEgY3Vyc29y")
		wantErr(t, err, community.ErrInvalidCursor)
		_, err = s.UpcomingEvents(ctx, community.EventQuery{From: base, Limit: 5, Cursor: p.NextCursor})
		wantErr(t, err, community.ErrInvalidCursor)
	})
	t.Run("ErrLimit", func(t *testing.T) {
		_, err := s.MembersByStatus(ctx, community.MemberActive, 0, "")
		wantErr(t, err, community.ErrInvalidLimit)
	})
}

func TestWithdrawMember(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	m := newMember(localtest.UniqueEmail("leaving"), community.MemberActive, base)
	m.Name, m.NameKana = "退会 予定子", "たいかい よていこ"
	if err := s.CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	sess := &community.Session{ID: community.NewID(base), MemberID: m.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hit(ctx, "signin:"+m.Email, time.Hour, base); err != nil {
		t.Fatal(err)
	}
	now := base.Add(24 * time.Hour)
	// Answers are personal data: in a registration held, one cancelled, and
	// one of an event long past. A guest's answers at the same event stay.
	form := community.Form{{ID: "motive", Label: "受講の動機", Kind: community.QuestionLongText}}
	var guestReg *community.Registration
	for i, start := range []time.Time{base.Add(48 * time.Hour), base.Add(72 * time.Hour), base.Add(-90 * 24 * time.Hour)} {
		ev := newEvent(start, community.KindWorkshop, community.EventPublished)
		ev.Questions = form
		if err := s.CreateEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		r := &community.Registration{ID: community.NewID(base), EventID: ev.ID, MemberID: m.ID, EventStartsAt: start, CreatedAt: base, UpdatedAt: base,
			Answers: []community.Answer{{QuestionID: "motive", Text: fmt.Sprintf("退会者の回答%d", i)}}}
		if err := s.Register(ctx, ev, r); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if _, _, err := s.CancelRegistration(ctx, ev.ID, r.ID, base); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			ev, _ = s.Event(ctx, ev.ID)
			guestReg = &community.Registration{ID: community.NewID(base.Add(time.Second)), EventID: ev.ID, EventStartsAt: start, CreatedAt: base, UpdatedAt: base,
				Guest:   &community.Guest{Name: "来訪 者", Email: localtest.UniqueEmail("guest")},
				Answers: []community.Answer{{QuestionID: "motive", Text: "ゲストの回答"}}}
			if err := s.Register(ctx, ev, guestReg); err != nil {
				t.Fatal(err)
			}
		}
	}

	got, err := s.WithdrawMember(ctx, m.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != community.MemberWithdrawn || got.Email != "" || got.Name != "" || got.BirthDate != nil ||
		got.Affiliation != "" || got.Preferences != (community.Preferences{}) || !got.UpdatedAt.Equal(now) {
		t.Errorf("withdrawn member keeps %+v", got)
	}
	// The consent stays as proof, without its source address (issue 14).
	wantConsent := m.Consent
	wantConsent.IP = ""
	if m.Consent.IP == "" || got.Consent != wantConsent || got.Membership != m.Membership || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("withdrawal lost the record, or kept the consent IP: %+v", got)
	}
	stored, err := s.Member(ctx, m.ID)
	if err != nil || !reflect.DeepEqual(stored, got) {
		t.Fatalf("stored %+v, %v\nwant %+v", stored, err, got)
	}
	dump := scanText(t, table)
	for _, personal := range []string{m.Email, strings.ToLower(m.Email), m.Name, m.NameKana, m.Affiliation, m.Department, "1990-02-28", "退会者の回答", m.Consent.IP} {
		if strings.Contains(dump, personal) {
			t.Errorf("the table still holds %q", personal)
		}
	}
	if kept, err := s.Registration(ctx, guestReg.EventID, guestReg.ID); err != nil || len(kept.Answers) != 1 {
		t.Errorf("a guest's answers went with the member's: %+v, %v", kept, err)
	}
	if _, err := s.MemberByEmail(ctx, m.Email); community.ErrorCode(err) != community.NotFound {
		t.Errorf("MemberByEmail after withdrawal: %v", err)
	}

	t.Run("Twice", func(t *testing.T) {
		again, err := s.WithdrawMember(ctx, m.ID, now.Add(time.Hour))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("second withdrawal: %+v, %v", again, err)
		}
	})
	t.Run("EmailFreeAgain", func(t *testing.T) {
		if err := s.CreateMember(ctx, newMember(m.Email, community.MemberUnverified, now)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.WithdrawMember(ctx, community.NewID(base), now)
		wantErr(t, err, community.ErrMemberNotFound)
	})
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	sess := &community.Session{ID: community.NewID(base), MemberID: community.NewID(base), CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		id     string
		now    time.Time
		reason *community.Reason // nil when the session is valid
	}{
		{"OK", sess.ID, base, nil},
		{"JustBeforeExpiry", sess.ID, sess.ExpiresAt.Add(-time.Nanosecond), nil},
		{"ErrExpiredAtExpiry", sess.ID, sess.ExpiresAt, community.ErrSessionNotFound},
		{"ErrExpired", sess.ID, sess.ExpiresAt.Add(time.Hour), community.ErrSessionNotFound},
		{"ErrUnknown", community.NewID(base), base, community.ErrSessionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Session(ctx, tt.id, tt.now)
			if tt.reason != nil {
				wantErr(t, err, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sess) {
				t.Errorf("got %+v, want %+v", got, sess)
			}
		})
	}
	t.Run("ErrExists", func(t *testing.T) {
		wantErr(t, s.CreateSession(ctx, sess), community.ErrSessionExists)
	})
	t.Run("Delete", func(t *testing.T) {
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.Session(ctx, sess.ID, base)
		wantErr(t, err, community.ErrSessionNotFound)
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	newToken := func(purpose string, ttl time.Duration) *community.Token {
		t.Helper()
		tok := &community.Token{
			ID: localtest.UniqueID(), Purpose: purpose, MemberID: community.NewID(base), Data: "x",
			CreatedAt: base, ExpiresAt: base.Add(ttl),
		}
		if err := s.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}

	t.Run("OnceOnly", func(t *testing.T) {
		tok := newToken("signin", 15*time.Minute)
		peek, err := s.Token(ctx, tok.ID, "signin", base)
		if err != nil || !reflect.DeepEqual(peek, tok) {
			t.Fatalf("Token = %+v, %v; want %+v", peek, err, tok)
		}
		got, err := s.ConsumeToken(ctx, tok.ID, "signin", base.Add(time.Minute))
		if err != nil || !reflect.DeepEqual(got, tok) {
			t.Fatalf("ConsumeToken = %+v, %v; want %+v", got, err, tok)
		}
		_, err = s.ConsumeToken(ctx, tok.ID, "signin", base.Add(time.Minute))
		wantErr(t, err, community.ErrTokenNotFound)
		_, err = s.Token(ctx, tok.ID, "signin", base)
		wantErr(t, err, community.ErrTokenNotFound)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		tok := newToken("signin", 15*time.Minute)
		_, err := s.Token(ctx, tok.ID, "signin", tok.ExpiresAt)
		wantErr(t, err, community.ErrTokenNotFound)
		_, err = s.ConsumeToken(ctx, tok.ID, "signin", tok.ExpiresAt)
		wantErr(t, err, community.ErrTokenNotFound)
		if _, err := s.ConsumeToken(ctx, tok.ID, "signin", tok.ExpiresAt.Add(-time.Second)); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
	})
	t.Run("ErrOtherPurpose", func(t *testing.T) {
		tok := newToken("verify", 24*time.Hour)
		_, err := s.Token(ctx, tok.ID, "signin", base)
		wantErr(t, err, community.ErrTokenNotFound)
		_, err = s.ConsumeToken(ctx, tok.ID, "signin", base)
		wantErr(t, err, community.ErrTokenNotFound)
		if _, err := s.ConsumeToken(ctx, tok.ID, "verify", base); err != nil {
			t.Fatalf("the right purpose after a wrong one: %v", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := s.ConsumeToken(ctx, localtest.UniqueID(), "signin", base)
		wantErr(t, err, community.ErrTokenNotFound)
	})
	t.Run("ErrExists", func(t *testing.T) {
		tok := newToken("signin", time.Minute)
		wantErr(t, s.PutToken(ctx, tok), community.ErrTokenExists)
	})
	t.Run("ConcurrentConsumers", func(t *testing.T) {
		tok := newToken("signin", 15*time.Minute)
		errs := run(10, func(int) error {
			_, err := s.ConsumeToken(ctx, tok.ID, "signin", base)
			return err
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			wantErr(t, err, community.ErrTokenNotFound)
		}
		if ok != 1 {
			t.Fatalf("%d consumers succeeded, want 1", ok)
		}
	})
}

func TestHit(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	hit := func(key string, now time.Time) int {
		t.Helper()
		n, err := s.Hit(ctx, key, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	key := "signup:" + localtest.UniqueEmail("rate")

	t.Run("Counts", func(t *testing.T) {
		for want := 1; want <= 3; want++ {
			if got := hit(key, base.Add(time.Duration(want)*time.Minute)); got != want {
				t.Fatalf("hit %d counted %d", want, got)
			}
		}
	})
	t.Run("PerKey", func(t *testing.T) {
		if got := hit(key+"x", base); got != 1 {
			t.Errorf("another key counted %d", got)
		}
	})
	t.Run("NextWindow", func(t *testing.T) {
		if got := hit(key, base.Add(time.Hour)); got != 1 {
			t.Errorf("next hour counted %d", got)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		const n = 30
		k := localtest.UniqueID()
		counts := make([]int, n)
		errs := run(n, func(i int) (err error) {
			counts[i], err = s.Hit(ctx, k, time.Hour, base)
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(counts)
		for i, c := range counts {
			if c != i+1 {
				t.Fatalf("counts %v, want 1…%d each once", counts, n)
			}
		}
	})
	t.Run("KeyNotStored", func(t *testing.T) {
		if strings.Contains(scanText(t, table), "rate-") {
			t.Error("the rate-limit key is stored in clear")
		}
	})
}
