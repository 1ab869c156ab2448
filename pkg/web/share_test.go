package web

import (
	"encoding/base64"
	"html"
	"image"
	_ "image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
)

// metaTag is one <meta property|name content> of a page's head.
var metaTag = regexp.MustCompile(`<meta (?:property|name)="([^"]+)" content="([^"]*)">`)

// cardOf returns the page's head and its meta tags, unescaped.
func cardOf(t *testing.T, resp events.APIGatewayV2HTTPResponse) (string, map[string]string) {
	t.Helper()
	head, _, ok := strings.Cut(resp.Body, "</head>")
	if !ok {
		t.Fatal("the page has no head")
	}
	tags := map[string]string{}
	for _, m := range metaTag.FindAllStringSubmatch(head, -1) {
		tags[m[1]] = html.UnescapeString(m[2])
	}
	return head, tags
}

// TestShareCards reads the link-preview tags of event pages: the title and
// a description with the 令和 date, escaped; the canonical URL and image
// from the base URL; never a join URL — neither pasted into the
// description nor held by the event, even on the page an organizer (who
// sees the link) is shown; and nothing of a members-only event's
// description or venue.
func TestShareCards(t *testing.T) {
	e := newEnvWith(t, envOptions{BaseURL: "https://tabane.example.jp/", Secure: true})
	const join = "https://zoom.example/j/share-secret?pwd=abc"
	hostile := `橋の話 "<script>alert(1)</script>" & 点検`
	pasted := e.createEvent(t, hostile, jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.OnlinePlatform, ev.JoinURL = "Zoom", join
		ev.Description = "橋梁点検の基礎を学びます。\n資料は https://example.jp/docs/bridge.pdf にあります。\n当日は " + join + " から入室してください。" +
			strings.Repeat("長い説明が続きます。", 20)
	})
	plain := e.createEvent(t, "公開私塾 道路の話", jst(5, 20, 19, 0), func(ev *community.Event) {
		ev.OnlinePlatform, ev.JoinURL = "Zoom", join
		ev.Description = "道路の維持管理について話します。"
	})
	members := e.createEvent(t, "井戸端会議 5月", jst(5, 13, 18, 0), func(ev *community.Event) {
		ev.Kind, ev.Audience = community.KindMeeting, community.AudienceRegular
		ev.Description = "内輪の議題: 来年度の予算要求"
		ev.Venue = &community.Venue{Name: "秘密の会議室", Address: "群馬県伊勢崎市今泉町2-410"}
		ev.OnlinePlatform, ev.JoinURL = "Zoom", join
	})
	_, organizer := e.memberAt(t, testOrganizerEmail, "運営 太郎", community.MembershipSupporting)

	t.Run("Public", func(t *testing.T) {
		resp := e.do(t, get(t, "/events/"+pasted.ID, ""))
		wantStatus(t, resp, 200)
		head, tags := cardOf(t, resp)
		want := map[string]string{
			"og:title":            hostile,
			"og:type":             "article",
			"og:site_name":        config.DefaultCommunity,
			"og:locale":           "ja_JP",
			"og:url":              "https://tabane.example.jp/events/" + pasted.ID,
			"og:image":            "https://tabane.example.jp/share.png",
			"og:image:width":      "1200",
			"og:image:height":     "630",
			"twitter:card":        "summary",
			"twitter:title":       hostile,
			"og:image:type":       "image/png",
			"og:image:alt":        config.DefaultCommunity,
			"description":         tags["og:description"],
			"twitter:description": tags["og:description"],
		}
		for k, v := range want {
			if tags[k] != v {
				t.Errorf("%s = %q, want %q", k, tags[k], v)
			}
		}
		d := tags["og:description"]
		if !strings.HasPrefix(d, "日時: 令和7年5月14日(水) 19:00〜20:30／私塾／どなたでも参加できます。 橋梁点検の基礎を学びます。 資料は にあります。") {
			t.Errorf("og:description = %q", d)
		}
		if !strings.HasSuffix(d, "…") || len([]rune(d)) > 160 {
			t.Errorf("og:description is not a short excerpt: %q", d)
		}
		if strings.Contains(head, "<script>") || !strings.Contains(head, `content="橋の話 &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; &amp; 点検"`) {
			t.Errorf("the title is not escaped in the head:\n%s", head)
		}
		for _, bad := range []string{"zoom.example", "share-secret", "example.jp/docs", "2025年"} {
			if strings.Contains(head, bad) {
				t.Errorf("the head carries %q:\n%s", bad, head)
			}
		}
		if !strings.Contains(head, `<link rel="canonical" href="https://tabane.example.jp/events/`+pasted.ID+`">`) {
			t.Error("no canonical link")
		}
	})
	t.Run("JoinURLNotInDescriptionOrganizerView", func(t *testing.T) {
		// The organizer's page shows the join link; the card on that very
		// page still does not carry it.
		resp := e.do(t, get(t, "/events/"+plain.ID, organizer))
		wantStatus(t, resp, 200)
		wantBody(t, resp, join[:len("https://zoom.example/j/share-secret")])
		head, tags := cardOf(t, resp)
		if strings.Contains(head, "zoom.example") {
			t.Errorf("the head carries the join URL:\n%s", head)
		}
		if d := tags["og:description"]; d != "日時: 令和7年5月20日(火) 19:00〜20:30／私塾／どなたでも参加できます。 道路の維持管理について話します。" {
			t.Errorf("og:description = %q", d)
		}
	})
	t.Run("MembersOnly", func(t *testing.T) {
		_, member := e.member(t, "正会員 花子", community.MembershipRegular)
		for _, session := range []string{"", member, organizer} {
			resp := e.do(t, get(t, "/events/"+members.ID, session))
			wantStatus(t, resp, 200)
			head, tags := cardOf(t, resp)
			if d := tags["og:description"]; d != "日時: 令和7年5月13日(火) 18:00〜19:30／井戸端会議／正会員限定。" {
				t.Errorf("og:description = %q", d)
			}
			for _, bad := range []string{"内輪", "予算", "秘密の会議室", "今泉町", "zoom.example"} {
				if strings.Contains(head, bad) {
					t.Errorf("the card of a members-only event carries %q", bad)
				}
			}
		}
	})
	t.Run("Image", func(t *testing.T) {
		resp := e.do(t, get(t, "/share.png", ""))
		wantStatus(t, resp, 200)
		if resp.Headers["Content-Type"] != "image/png" || !resp.IsBase64Encoded || !strings.HasPrefix(resp.Headers["Cache-Control"], "public") {
			t.Fatalf("headers %v, base64 %v", resp.Headers, resp.IsBase64Encoded)
		}
		raw, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(strings.NewReader(string(raw)))
		if err != nil || format != "png" || cfg.Width != shareImageWidth || cfg.Height != shareImageHeight {
			t.Errorf("image: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
		}
	})
	t.Run("OtherPagesHaveNoCard", func(t *testing.T) {
		_, tags := cardOf(t, e.do(t, get(t, "/", "")))
		if _, ok := tags["og:title"]; ok {
			t.Error("the list carries an event card")
		}
	})
}
