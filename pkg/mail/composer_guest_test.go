package mail

import (
	"strings"
	"testing"
)

// A guest's confirmation request has fixed text: the address alone in To,
// the organizers' event, the link; no greeting by name, no join URL.
func TestGuestConfirmation(t *testing.T) {
	c := testComposer(t)
	e := testEvent()
	link := c.Link("/registrations/confirm", "g-token")
	m, err := c.GuestConfirmation("guest@example.jp", e, link)
	if err != nil {
		t.Fatal(err)
	}
	if m.To.Name != "" || m.To.Email != "guest@example.jp" {
		t.Errorf("To = %+v, want the address alone", m.To)
	}
	if !strings.Contains(m.Subject, "参加申込の確認のお願い") {
		t.Errorf("subject = %q", m.Subject)
	}
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, link) || !strings.Contains(part, "24時間") || !strings.Contains(part, "こんにちは。") {
			t.Errorf("a part lacks the link, its lifetime or the fixed greeting:\n%s", part)
		}
		if strings.Contains(part, secretJoinURL) || strings.Contains(part, " 様") {
			t.Errorf("a part carries the join URL or a name:\n%s", part)
		}
	}
	if !strings.Contains(m.Text, "\n"+link+"\n") {
		t.Error("the link does not stand on its own line")
	}
	if _, err := c.GuestConfirmation("guest@example.jp", e, "javascript:alert(1)"); err == nil {
		t.Error("a script link was accepted")
	}
	if _, err := c.GuestConfirmation("guest@example.jp", nil, link); err == nil {
		t.Error("no event was accepted")
	}
}
