package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// TestNotifierReminder reads the MIME the notifier hands to SES: the SES
// stand-in keeps no custom headers, so List-Unsubscribe is checked here.
func TestNotifierReminder(t *testing.T) {
	c := testComposer(t)
	e := testEvent()
	cancel := c.Link("/cancel", "c-token")
	unsub := c.Link("/unsubscribe", "u-token")
	tests := []struct {
		name        string
		in          time.Duration
		joinURL     string
		unsubscribe string
		subject     string
	}{
		{name: "MemberOnTime", in: 24 * time.Hour, joinURL: passedJoinURL, unsubscribe: unsub, subject: "リマインダー（24時間後に開始）："},
		{name: "MemberLate", in: 23*time.Hour + 5*time.Minute, joinURL: passedJoinURL, unsubscribe: unsub, subject: "リマインダー（23時間5分後に開始）："},
		{name: "Guest", in: time.Hour, joinURL: passedJoinURL, subject: "リマインダー（1時間後に開始）："},
		{name: "MemberWithoutJoinURL", in: time.Hour, unsubscribe: unsub, subject: "リマインダー（1時間後に開始）："},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ses := &fakeSES{}
			n := &Notifier{Composer: c, Sender: NewSender(ses, community.ClockFunc(func() time.Time { return testDate }))}
			to := community.Recipient{Name: hostileName, Email: "r@example.jp"}
			if err := n.Reminder(context.Background(), to, e, tt.in, tt.joinURL, cancel, tt.unsubscribe); err != nil {
				t.Fatal(err)
			}
			if len(ses.inputs) != 1 {
				t.Fatalf("%d SES calls, want 1", len(ses.inputs))
			}
			p := parseMessage(t, ses.inputs[0].RawMessage.Data)
			if s := decodeSubject(t, p.header); !strings.Contains(s, tt.subject) {
				t.Errorf("subject %q lacks %q", s, tt.subject)
			}
			text := string(p.leaf(t, "text/plain").body)
			for _, want := range []string{jadate.DateTimeRange(e.StartsAt, e.EndsAt), cancel} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, secretJoinURL) {
				t.Error("the event's own join URL reached the mail")
			}
			if got := strings.Contains(text, passedJoinURL); got != (tt.joinURL != "") {
				t.Errorf("join URL in text = %v, want %v", got, tt.joinURL != "")
			}
			lu, post := p.header.Get("List-Unsubscribe"), p.header.Get("List-Unsubscribe-Post")
			if tt.unsubscribe == "" {
				if lu != "" || post != "" || strings.Contains(text, "/unsubscribe") {
					t.Errorf("guest mail carries an opt-out: %q %q", lu, post)
				}
				return
			}
			if !strings.Contains(lu, "<"+unsub+">") || post != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe = %q, List-Unsubscribe-Post = %q", lu, post)
			}
			if !strings.Contains(text, unsub) {
				t.Errorf("text lacks the opt-out link %q", unsub)
			}
		})
	}
}
