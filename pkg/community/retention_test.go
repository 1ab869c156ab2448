package community

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The policy's text is made from the constants the code uses, so each
// period it states is the one the code keeps.
func TestRetentionPolicyStatesEachPeriod(t *testing.T) {
	text := strings.Join(RetentionPolicy, "\n")
	for _, c := range []struct {
		name   string
		days   int
		period time.Duration
		words  string
	}{
		{"Unverified", UnverifiedRetentionDays, UnverifiedRetention, "確認が済んでいない"},
		{"Guests", GuestRetentionDays, GuestRetention, "イベント終了から"},
		{"ConsentIP", ConsentIPRetentionDays, ConsentIPRetention, "IPアドレス"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.period != time.Duration(c.days)*24*time.Hour {
				t.Errorf("%v is not %d days", c.period, c.days)
			}
			found := false
			for _, s := range RetentionPolicy {
				found = found || (strings.Contains(s, c.words) && strings.Contains(s, strconv.Itoa(c.days)+"日"))
			}
			if !found {
				t.Errorf("no sentence states %d日 for %q:\n%s", c.days, c.words, text)
			}
		})
	}
}

func TestMemberExpired(t *testing.T) {
	created := time.Date(2030, 5, 14, 10, 0, 0, 0, time.UTC)
	m := &Member{Status: MemberUnverified, CreatedAt: created}
	for _, c := range []struct {
		name   string
		status MemberStatus
		at     time.Time
		want   bool
	}{
		{"UnverifiedBefore", MemberUnverified, created.Add(UnverifiedRetention - time.Second), false},
		{"UnverifiedAt", MemberUnverified, created.Add(UnverifiedRetention), true},
		{"PendingNever", MemberPendingApproval, created.Add(10 * UnverifiedRetention), false},
		{"ActiveNever", MemberActive, created.Add(10 * UnverifiedRetention), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m.Status = c.status
			if got := m.Expired(c.at); got != c.want {
				t.Errorf("Expired = %v, want %v", got, c.want)
			}
		})
	}
}

// docs/retention.md states the policy word for word, so the document
// cannot drift from the constants either.
func TestRetentionDocMatchesPolicy(t *testing.T) {
	b, err := os.ReadFile("../../docs/retention.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "<!-- community.RetentionPolicy: begin -->\n")
	block, _, ok := strings.Cut(rest, "<!-- community.RetentionPolicy: end -->")
	if !ok {
		t.Fatal("docs/retention.md has no RetentionPolicy block")
	}
	var want strings.Builder
	for _, s := range RetentionPolicy {
		want.WriteString("- " + s + "\n")
	}
	if block != want.String() {
		t.Errorf("docs/retention.md states\n%s\nwant\n%s", block, want.String())
	}
}
