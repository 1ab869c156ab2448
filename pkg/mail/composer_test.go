package mail

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
)

const (
	secretJoinURL = "https://zoom.example/j/SECRET-never-in-mail"
	passedJoinURL = "https://zoom.example/j/passed-by-caller"
	hostileName   = "髙橋 﨑子 🌸 <script>alert(1)</script>"
	hostileTitle  = "私塾：橋梁点検 <img src=x onerror=alert(1)>"
)

func testComposer(t *testing.T) *Composer {
	t.Helper()
	c, err := NewComposer(config.Config{
		Sender:        config.DefaultSender,
		ContactEmail:  config.DefaultContact,
		CommunityName: config.DefaultCommunity,
		BaseURL:       "https://tabane.example.jp/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testEvent() *community.Event {
	start := time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC) // 19:00 in Tokyo
	return &community.Event{
		ID: "01jv0000000000000000000000", Title: hostileTitle, Kind: community.KindLecture,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute),
		OnlinePlatform: "Zoom", JoinURL: secretJoinURL, FeeJPY: 35000,
		Notes: "録画・録音なし\n<b>質疑応答</b>あり",
	}
}

func TestComposer(t *testing.T) {
	c := testComposer(t)
	e := testEvent()
	venue := testEvent()
	venue.OnlinePlatform, venue.Venue = "", &community.Venue{Name: "伊勢崎市役所 会議室", Address: "群馬県伊勢崎市今泉町2-410"}
	ics := []byte("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n")
	verify := c.Link("/verify", "v-token")
	signin := c.Link("/signin", "s-token")
	cancel := c.Link("/cancel", "c-token")
	unsub := c.Link("/unsubscribe", "u-token")

	tests := []struct {
		name      string
		build     func() (*Message, error)
		subject   string   // must appear in the decoded subject
		texts     []string // must appear in both parts
		lines     []string // must stand alone on a line of the text part, and be linked in the HTML
		unsub     bool
		ics       bool
		joinShown bool
	}{{
		name:    "Verification",
		build:   func() (*Message, error) { return c.Verification("a@example.jp", hostileName, verify) },
		subject: "メールアドレスの確認", texts: []string{"24時間", "お申し込みの内容は" + strconv.Itoa(community.UnverifiedRetentionDays) + "日後に削除されます"}, lines: []string{verify},
	}, {
		name:    "AlreadyRegistered",
		build:   func() (*Message, error) { return c.AlreadyRegistered("a@example.jp", hostileName, signin) },
		subject: "登録済み", texts: []string{"すでに登録されています"}, lines: []string{signin},
	}, {
		name:    "SignInLink",
		build:   func() (*Message, error) { return c.SignInLink("a@example.jp", hostileName, signin) },
		subject: "ログイン", texts: []string{"15分間"}, lines: []string{signin},
	}, {
		name: "Welcome",
		build: func() (*Message, error) {
			return c.Welcome("a@example.jp", hostileName, community.MembershipSupporting)
		},
		subject: "ご登録ありがとう", texts: []string{"賛助会員"}, lines: []string{"https://tabane.example.jp/me"},
	}, {
		name: "PendingApproval",
		build: func() (*Message, error) {
			return c.PendingApproval("a@example.jp", hostileName, community.MembershipRegular)
		},
		subject: "承認をお待ちください", texts: []string{"正会員", "承認が必要"},
	}, {
		name: "Approved",
		build: func() (*Message, error) {
			return c.Approved("a@example.jp", hostileName, community.MembershipOrganization)
		},
		subject: "団体正会員のご登録が承認されました", texts: []string{"承認されました"},
	}, {
		name: "Rejected",
		build: func() (*Message, error) {
			return c.Rejected("a@example.jp", hostileName, "公務員であることが確認できませんでした。")
		},
		subject: "会員登録について", texts: []string{"承認することができませんでした", "確認できませんでした"},
	}, {
		name: "RegistrationConfirmedOnline",
		build: func() (*Message, error) {
			return c.RegistrationConfirmed("a@example.jp", hostileName, e, passedJoinURL, cancel, "", ics)
		},
		subject: "参加登録が完了しました：私塾",
		texts:   []string{"令和7年5月14日(水) 19:00〜20:30", "オンライン（Zoom）", "35,000円", "録画・録音なし"},
		lines:   []string{passedJoinURL, cancel, "https://tabane.example.jp/events/01jv0000000000000000000000"},
		ics:     true, joinShown: true,
	}, {
		name: "RegistrationConfirmedWithoutJoinURL",
		build: func() (*Message, error) {
			return c.RegistrationConfirmed("a@example.jp", hostileName, e, "", "", "", nil)
		},
		subject: "参加登録が完了しました", texts: []string{"リマインダーメールとマイページでお知らせします", "マイページ"},
	}, {
		name: "RegistrationConfirmedVenue",
		build: func() (*Message, error) {
			return c.RegistrationConfirmed("a@example.jp", hostileName, venue, "", cancel, "", ics)
		},
		subject: "参加登録が完了しました", texts: []string{"伊勢崎市役所 会議室", "群馬県伊勢崎市今泉町2-410"},
		lines: []string{cancel}, ics: true,
	}, {
		name:    "Waitlisted",
		build:   func() (*Message, error) { return c.Waitlisted("a@example.jp", hostileName, e, 3, cancel) },
		subject: "キャンセル待ちで受け付けました（3番目）", texts: []string{"3 番目", "キャンセル待ちを取り消す"}, lines: []string{cancel},
	}, {
		name: "Promoted",
		build: func() (*Message, error) {
			return c.Promoted("a@example.jp", hostileName, e, passedJoinURL, "", "", ics)
		},
		subject: "キャンセル待ちから参加が確定しました", texts: []string{"参加が確定しました"}, lines: []string{passedJoinURL},
		ics: true, joinShown: true,
	}, {
		name:    "RegistrationCancelled",
		build:   func() (*Message, error) { return c.RegistrationCancelled("a@example.jp", hostileName, e) },
		subject: "参加登録を取り消しました", texts: []string{"取り消しました"},
	}, {
		name: "EventCancelled",
		build: func() (*Message, error) {
			return c.EventCancelled("a@example.jp", hostileName, e, "講師の体調不良のため")
		},
		subject: "開催中止のお知らせ", texts: []string{"開催を中止", "講師の体調不良のため"},
	}, {
		name: "Reminder",
		build: func() (*Message, error) {
			return c.Reminder("a@example.jp", hostileName, e, 24*time.Hour, passedJoinURL, "", unsub)
		},
		subject: "リマインダー（24時間後に開始）", texts: []string{"24時間後に開始します"}, lines: []string{passedJoinURL, unsub},
		unsub: true, joinShown: true,
	}, {
		name:    "ReminderTransactional",
		build:   func() (*Message, error) { return c.Reminder("a@example.jp", hostileName, e, time.Hour, "", "", "") },
		subject: "リマインダー（1時間後に開始）",
	}, {
		name: "OrganizerMessage",
		build: func() (*Message, error) {
			return c.OrganizerMessage("a@example.jp", hostileName, nil, "次回の井戸端会議\r\nBcc: x@example.jp", "皆さま\n<お知らせ>です。", unsub)
		},
		subject: "次回の井戸端会議 Bcc: x@example.jp", texts: []string{"運営からのお知らせ"}, lines: []string{unsub}, unsub: true,
	}, {
		name: "OrganizerMessageAboutEvent",
		build: func() (*Message, error) {
			return c.OrganizerMessage("a@example.jp", hostileName, e, "資料のご案内", "資料を共有します。", "")
		},
		subject: "資料のご案内", texts: []string{"について、運営からのお知らせです"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := m.Encode(testDate)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			subject := decodeSubject(t, p.header)
			if !strings.HasPrefix(subject, "【そらゑ】") || !strings.Contains(subject, tt.subject) {
				t.Errorf("subject = %q, want 【そらゑ】…%s…", subject, tt.subject)
			}
			from, err := p.header.AddressList("From")
			if err != nil || from[0].Name != config.DefaultCommunity || from[0].Address != "no-reply@sorae.example.jp" {
				t.Errorf("From = %v (%v)", from, err)
			}
			to, err := p.header.AddressList("To")
			if err != nil || to[0].Name != hostileName {
				t.Errorf("To = %v (%v), want name %q", to, err, hostileName)
			}
			text := string(p.leaf(t, "text/plain").body)
			html := string(p.leaf(t, "text/html").body)
			// The footer: 特定電子メール法 wants the sender and a contact in every mail.
			for _, s := range append([]string{config.DefaultCommunity, config.DefaultContact}, tt.texts...) {
				if !strings.Contains(text, s) {
					t.Errorf("text part lacks %q:\n%s", s, text)
				}
				if !strings.Contains(html, s) {
					t.Errorf("html part lacks %q:\n%s", s, html)
				}
			}
			textLines := strings.Split(text, "\r\n")
			for _, l := range tt.lines {
				found := false
				for _, line := range textLines {
					found = found || line == l
				}
				if !found {
					t.Errorf("text part has no line that is exactly %q:\n%s", l, text)
				}
				if !strings.Contains(html, `href="`+strings.ReplaceAll(l, "&", "&amp;")+`"`) {
					t.Errorf("html part has no link to %q", l)
				}
			}
			if strings.Contains(text+html, secretJoinURL) {
				t.Errorf("the event's own join URL reached the mail")
			}
			if got := strings.Contains(text, passedJoinURL) && strings.Contains(html, passedJoinURL); got != tt.joinShown {
				t.Errorf("join URL shown = %v, want %v", got, tt.joinShown)
			}
			if strings.Contains(html, "<script>") || strings.Contains(html, "<img") || strings.Contains(html, "<b>質疑") || strings.Contains(html, "<お知らせ>") {
				t.Errorf("html part holds unescaped input:\n%s", html)
			}
			if strings.Contains(text, "&lt;") {
				t.Errorf("text part is HTML-escaped:\n%s", text)
			}
			if got := p.header.Get("List-Unsubscribe") != ""; got != tt.unsub {
				t.Errorf("List-Unsubscribe present = %v, want %v", got, tt.unsub)
			}
			if got := strings.Contains(text, unsub); got != tt.unsub {
				t.Errorf("opt-out link in text = %v, want %v", got, tt.unsub)
			}
			var gotICS bool
			for _, l := range p.leaves {
				if l.mediaType == "text/calendar" && l.filename == "invite.ics" && l.params["method"] == "PUBLISH" && string(l.body) == string(ics) {
					gotICS = true
				}
			}
			if gotICS != tt.ics {
				t.Errorf("invite.ics attached = %v, want %v (parts %v)", gotICS, tt.ics, p.tree)
			}
		})
	}
}

func TestComposerInvalid(t *testing.T) {
	c := testComposer(t)
	e := testEvent()
	tests := []struct {
		name   string
		build  func() (*Message, error)
		reason *community.Reason
	}{
		{"BadAddress", func() (*Message, error) {
			return c.Verification("a@example.jp\r\nBcc: b@example.jp", "x", c.Link("/verify", "t"))
		}, community.ErrInvalidEmail},
		{"RelativeLink", func() (*Message, error) { return c.Verification("a@example.jp", "x", "/verify?token=t") }, community.ErrInvalidLink},
		{"ScriptLink", func() (*Message, error) { return c.SignInLink("a@example.jp", "x", "javascript:alert(1)") }, community.ErrInvalidLink},
		{"EmptyLink", func() (*Message, error) { return c.SignInLink("a@example.jp", "x", "") }, community.ErrInvalidLink},
		{"BadJoinURL", func() (*Message, error) {
			return c.RegistrationConfirmed("a@example.jp", "x", e, "zoom.example/j/1", "", "", nil)
		}, community.ErrInvalidLink},
		{"NoEvent", func() (*Message, error) { return c.EventCancelled("a@example.jp", "x", nil, "") }, community.ErrInvalidMessage},
		{"WaitlistPositionZero", func() (*Message, error) { return c.Waitlisted("a@example.jp", "x", e, 0, "") }, community.ErrInvalidMessage},
		{"BadUnsubscribe", func() (*Message, error) {
			return c.OrganizerMessage("a@example.jp", "x", nil, "件名", "本文", "https://x.example/u?t=1\r\nBcc: y@example.jp")
		}, community.ErrInvalidLink},
		{"EmptyOrganizerBody", func() (*Message, error) { return c.OrganizerMessage("a@example.jp", "x", nil, "件名", " ", "") }, community.ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.build()
			if community.ErrorCode(err) != community.Invalid || !errors.Is(err, tt.reason) {
				t.Fatalf("err = %v, want invalid/%s", err, tt.reason.Name())
			}
		})
	}
}

func TestNewComposer(t *testing.T) {
	base := config.Config{Sender: "Whatever <no-reply@sorae.example.jp>", ContactEmail: "info@sorae.example.jp",
		CommunityName: "オンライン市役所 (Online City Hall)", BaseURL: "http://localhost:8080"}
	c, err := NewComposer(base)
	if err != nil {
		t.Fatal(err)
	}
	if c.From != (Address{Name: "オンライン市役所 (Online City Hall)", Email: "no-reply@sorae.example.jp"}) || c.Short != "オンライン市役所" {
		t.Errorf("From = %+v, Short = %q", c.From, c.Short)
	}
	if got := c.Link("/signin", "a+b/c="); got != "http://localhost:8080/signin?token=a%2Bb%2Fc%3D" {
		t.Errorf("Link = %q", got)
	}
	tests := []struct {
		name   string
		change func(*config.Config)
	}{
		{"BadSender", func(c *config.Config) { c.Sender = "not an address" }},
		{"BadContact", func(c *config.Config) { c.ContactEmail = "info" }},
		{"BadBaseURL", func(c *config.Config) { c.BaseURL = "ftp://x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.change(&cfg)
			if _, err := NewComposer(cfg); err == nil {
				t.Fatal("NewComposer accepted a bad configuration")
			}
		})
	}
}

func TestOffsetLabel(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24時間後"},
		{time.Hour, "1時間後"},
		{48 * time.Hour, "2日後"},
		{30 * time.Minute, "30分後"},
		{90 * time.Minute, "1時間30分後"},
		{0, "まもなく"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			if got := OffsetLabel(tt.in); got != tt.want {
				t.Errorf("OffsetLabel(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestYen(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{{500, "500円"}, {1000, "1,000円"}, {35000, "35,000円"}, {1234567, "1,234,567円"}}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := yen(tt.in); got != tt.want {
				t.Errorf("yen(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestComposerSurvey(t *testing.T) {
	c := testComposer(t)
	e := testEvent()
	e.Title, e.JoinURL = "キャリア開発塾 第1回", "https://zoom.example/j/secret-survey"
	link := "https://tabane.example.jp/survey?token=e1%3Ar1.sig"
	closes := time.Date(2025, 5, 28, 5, 30, 0, 0, time.UTC)
	m, err := c.Survey("taro@example.jp", "山田 太郎", e, link, closes)
	if err != nil {
		t.Fatal(err)
	}
	if want := "【そらゑ】「" + e.Title + "」事後アンケートのお願い"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, s := range []string{"山田 太郎", "事後アンケート", "令和7年5月28日(水) 14:30", e.Title} {
			if !strings.Contains(part, s) {
				t.Errorf("survey mail lacks %q:\n%s", s, part)
			}
		}
		if strings.Contains(part, "zoom.example") {
			t.Error("survey mail carries the join URL")
		}
	}
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
		t.Errorf("survey mail lacks its link")
	}
	if _, err := c.Survey("taro@example.jp", "", e, "javascript:alert(1)", closes); community.ErrorCode(err) != community.Invalid {
		t.Errorf("a bad link = %v, want invalid", err)
	}
}
