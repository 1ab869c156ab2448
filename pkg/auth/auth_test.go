package auth_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

var (
	secret = auth.MustParseKeyring("0123456789abcdef0123456789abcdef-auth-tests")
	other  = auth.MustParseKeyring("another-secret-another-secret-another")
)

// flip changes the character at i to another one of the same alphabet.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestLinksCancelToken(t *testing.T) {
	now := time.Date(2025, 5, 1, 10, 0, 0, 0, community.Tokyo)
	eventID, regID := community.NewID(now), community.NewID(now.Add(time.Second))
	links := auth.Links{BaseURL: "https://tabane.example.jp", Keys: secret}
	token := links.CancelToken(eventID, regID)

	t.Run("RoundTrip", func(t *testing.T) {
		e, r, ok := links.ParseCancelToken(token)
		if !ok || e != eventID || r != regID {
			t.Errorf("ParseCancelToken = %q, %q, %v", e, r, ok)
		}
	})
	t.Run("LinkCarriesTheToken", func(t *testing.T) {
		u, err := url.Parse(links.CancelLink(eventID, regID))
		if err != nil || u.Host != "tabane.example.jp" || u.Path != "/cancel" || u.Query().Get("token") != token {
			t.Errorf("CancelLink = %v (%v)", u, err)
		}
	})
	otherID := community.NewID(now.Add(time.Hour))
	for _, tt := range []struct{ name, token string }{
		{"ErrOtherEvent", strings.Replace(token, eventID, otherID, 1)},
		{"ErrOtherRegistration", strings.Replace(token, regID, otherID, 1)},
		{"ErrTamperedSignature", flip(token, len(token)-3)},
		{"ErrOtherSecret", auth.Links{Keys: other}.CancelToken(eventID, regID)},
		{"ErrUnsubscribeToken", links.UnsubscribeToken(eventID, community.ListReminders)},
		{"ErrSignedButNotIDs", secret.Sign("cancel", "x:y")},
		{"ErrSignedWithoutColon", secret.Sign("cancel", eventID)},
		{"ErrEmpty", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if e, r, ok := links.ParseCancelToken(tt.token); ok {
				t.Errorf("ParseCancelToken(%q) = %q, %q, true; want refused", tt.token, e, r)
			}
		})
	}
}

func TestLinksUnsubscribeToken(t *testing.T) {
	memberID := community.NewID(time.Date(2025, 5, 1, 10, 0, 0, 0, community.Tokyo))
	links := auth.Links{BaseURL: "https://tabane.example.jp", Keys: secret}

	for _, list := range []string{community.ListReminders, community.ListAnnouncements} {
		t.Run("RoundTrip/"+list, func(t *testing.T) {
			token := links.UnsubscribeToken(memberID, list)
			m, l, ok := links.ParseUnsubscribeToken(token)
			if !ok || m != memberID || l != list {
				t.Errorf("ParseUnsubscribeToken = %q, %q, %v", m, l, ok)
			}
			u, err := url.Parse(links.UnsubscribeLink(memberID, list))
			if err != nil || u.Path != "/unsubscribe" || u.Query().Get("token") != token {
				t.Errorf("UnsubscribeLink = %v (%v)", u, err)
			}
		})
	}
	token := links.UnsubscribeToken(memberID, community.ListAnnouncements)
	for _, tt := range []struct{ name, token string }{
		{"ErrOtherList", strings.Replace(token, ":announcements", ":reminders", 1)},
		{"ErrOtherMember", strings.Replace(token, memberID, community.NewID(time.Now()), 1)},
		{"ErrTamperedSignature", flip(token, len(token)-3)},
		{"ErrOtherSecret", auth.Links{Keys: other}.UnsubscribeToken(memberID, community.ListAnnouncements)},
		{"ErrCancelToken", links.CancelToken(memberID, memberID)},
		{"ErrUnknownListSigned", links.UnsubscribeToken(memberID, "everything")},
		{"ErrNotAnIDSigned", links.UnsubscribeToken("someone", community.ListReminders)},
		{"ErrEmpty", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if m, l, ok := links.ParseUnsubscribeToken(tt.token); ok {
				t.Errorf("ParseUnsubscribeToken(%q) = %q, %q, true; want refused", tt.token, m, l)
			}
		})
	}
}

func TestLinksVerifyAndSignIn(t *testing.T) {
	links := auth.Links{BaseURL: "http://localhost:8080", Keys: secret}
	const s = "a+b/c=d&e"
	for _, tt := range []struct{ name, link, path string }{
		{"Verify", links.Verify(s), "/verify"},
		{"SignIn", links.SignIn(s), "/signin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.link)
			if err != nil || u.Host != "localhost:8080" || u.Path != tt.path || u.Query().Get("token") != s {
				t.Errorf("link = %q (%v)", tt.link, err)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	a, b := auth.NewSecret(), auth.NewSecret()
	if a == b || len(a) < 43 {
		t.Errorf("secrets %q, %q: not fresh 256-bit values", a, b)
	}
	x := auth.Secrets{Keys: secret}
	first, again := x.Hash(a), x.Hash(a)
	if first != again || first == x.Hash(b) || strings.Contains(first, a) {
		t.Error("Secrets.Hash is not a stable digest")
	}
}

// Digests are keyed: without the key, a digest of a guessed address
// cannot be recomputed.
func TestSecretsHashIsKeyed(t *testing.T) {
	a, b := auth.Secrets{Keys: secret}, auth.Secrets{Keys: other}
	addr := "someone@example.jp"
	if first, again := a.Hash(addr), a.Hash(addr); first != again {
		t.Error("not stable")
	}
	if a.Hash(addr) == b.Hash(addr) {
		t.Error("the digest does not depend on the key")
	}
	if strings.Contains(a.Hash(addr), "someone") {
		t.Error("the digest shows its input")
	}
}
