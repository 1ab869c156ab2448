package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// A check-in token opens the page only while it is live, only as signed,
// and only for its own purpose.
func TestCheckInToken(t *testing.T) {
	l := Links{BaseURL: "https://tabane.example.jp", Keys: MustParseKeyring("0123456789abcdef0123456789abcdef-checkin")}
	now := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	until := now.Add(time.Hour)
	event, reg := community.NewID(now), community.NewID(now)
	tok := l.CheckInToken(event, reg, until)
	if link := l.CheckInLink(event, reg, until); link != "https://tabane.example.jp/admin/checkin?t="+tok {
		t.Errorf("link = %q", link)
	}
	if ev, r, ok := l.ParseCheckInToken(tok, now); !ok || ev != event || r != reg {
		t.Fatalf("ParseCheckInToken = %q, %q, %v", ev, r, ok)
	}
	i := strings.LastIndexByte(tok, '.')
	for name, bad := range map[string]string{
		"Expired":      tok,
		"Altered":      strings.Replace(tok, reg, community.NewID(now), 1),
		"Forged":       tok[:i+1] + "AAAA" + tok[i+5:],
		"OtherPurpose": l.CancelToken(event, reg),
		"Empty":        "",
		"Long":         strings.Repeat("a", 400),
	} {
		t.Run(name, func(t *testing.T) {
			at := now
			if name == "Expired" {
				at = until
			}
			if _, _, ok := l.ParseCheckInToken(bad, at); ok {
				t.Errorf("ParseCheckInToken accepted %q", bad)
			}
		})
	}
}
