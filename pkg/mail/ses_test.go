package mail

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

// TestSESRoundTrip sends through the SES stand-in with the real SDK client
// and reads the mail back as the stand-in's MIME parser understood it.
func TestSESRoundTrip(t *testing.T) {
	c := testComposer(t)
	sender := NewSender(localtest.SES(), community.ClockFunc(time.Now))
	e := testEvent()
	ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tabane//ja\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nSUMMARY:私塾：橋梁点検\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	name := "髙橋 﨑子 🌸"

	tests := []struct {
		name    string
		build   func(to string) (*Message, error)
		texts   []string
		wantICS bool
	}{{
		name: "RegistrationConfirmed",
		build: func(to string) (*Message, error) {
			return c.RegistrationConfirmed(to, name, e, passedJoinURL, c.Link("/cancel", "c-token"), "", ics)
		},
		texts:   []string{name + " 様", "令和7年5月14日(水) 19:00〜20:30", passedJoinURL, config.DefaultContact},
		wantICS: true,
	}, {
		name: "OrganizerMessage",
		build: func(to string) (*Message, error) {
			return c.OrganizerMessage(to, name+"\r\nBcc: victim@example.jp", nil, "井戸端会議のお知らせ🌸", "来月も第2火曜18時からです。", c.Link("/unsubscribe", "u-token"))
		},
		texts: []string{"来月も第2火曜18時からです。", c.Link("/unsubscribe", "u-token")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := localtest.UniqueEmail("mail")
			m, err := tt.build(to)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			id, err := sender.Send(ctx, m)
			if err != nil || id == "" {
				t.Fatalf("Send = %q, %v", id, err)
			}
			got := localtest.WaitMail(t, to, 1)
			if len(got) != 1 {
				t.Fatalf("%d mails to %s, want 1", len(got), to)
			}
			mail := got[0]
			if mail.Subject != m.Subject {
				t.Errorf("subject = %q, want %q", mail.Subject, m.Subject)
			}
			if len(mail.Destination.To) != 1 || !strings.Contains(mail.Destination.To[0], to) {
				t.Errorf("to = %v, want only %s", mail.Destination.To, to)
			}
			if len(mail.Destination.Cc)+len(mail.Destination.Bcc) != 0 {
				t.Errorf("cc %v bcc %v, want none", mail.Destination.Cc, mail.Destination.Bcc)
			}
			if !strings.Contains(mail.From, c.Community) || !strings.Contains(mail.From, c.From.Email) {
				t.Errorf("from = %q", mail.From)
			}
			for _, s := range tt.texts {
				if !strings.Contains(mail.Body.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, mail.Body.Text)
				}
				if !strings.Contains(mail.Body.HTML, strings.ReplaceAll(s, "&", "&amp;")) {
					t.Errorf("html lacks %q", s)
				}
			}
			var found bool
			for _, a := range mail.Attachments {
				data, err := base64.StdEncoding.DecodeString(a.Content)
				if err != nil {
					t.Fatalf("attachment content: %v", err)
				}
				if a.Filename == "invite.ics" && strings.HasPrefix(a.ContentType, "text/calendar") && string(data) == string(ics) {
					found = true
				}
			}
			if found != tt.wantICS {
				t.Errorf("invite.ics kept = %v, want %v (attachments %+v)", found, tt.wantICS, mail.Attachments)
			}
		})
	}
}
