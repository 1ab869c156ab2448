package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// jst is a wall-clock time in Tokyo in May 2025.
func jst(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2025, month, day, hour, minute, 0, 0, community.Tokyo)
}

func intp(n int) *int { return &n }

// createEvent stores a published event built from base and changed by mutate.
func (e *env) createEvent(t testing.TB, title string, start time.Time, mutate func(*community.Event)) *community.Event {
	t.Helper()
	now := e.clock.Now()
	ev := &community.Event{
		ID:       community.NewID(now),
		Title:    title,
		Kind:     community.KindLecture,
		Audience: community.AudiencePublic,
		StartsAt: start,
		EndsAt:   start.Add(90 * time.Minute),
		Status:   community.EventPublished,
		// CreatedAt differs per event so ids made in one millisecond still differ.
		CreatedAt: now, UpdatedAt: now,
	}
	if mutate != nil {
		mutate(ev)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("event %q is invalid: %v", title, err)
	}
	if err := e.store.CreateEvent(context.Background(), ev); err != nil {
		t.Fatalf("create event: %v", err)
	}
	return ev
}

// checkPageHeaders asserts what every page must carry.
func checkPageHeaders(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	h := resp.Headers
	csp := h["Content-Security-Policy"]
	for _, want := range []string{"default-src 'none'", "img-src 'self' data:", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'", "style-src 'sha256-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows more than it should", csp)
	}
	if got := h["X-Content-Type-Options"]; got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
	if got := h["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := h["Referrer-Policy"]; got != "same-origin" && got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	if resp.StatusCode == 303 {
		return
	}
	if got := h["Content-Type"]; got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	// The inline stylesheet must be the one the policy's hash allows, or
	// browsers would show the page unstyled.
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("page has no <style>")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("the inline style's hash is not in the policy %q", csp)
	}
}

func wantStatus(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body:\n%s", resp.StatusCode, status, resp.Body)
	}
}

func wantBody(t *testing.T, resp events.APIGatewayV2HTTPResponse, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(resp.Body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
}

func wantNotBody(t *testing.T, resp events.APIGatewayV2HTTPResponse, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(resp.Body, n) {
			t.Errorf("body contains %q", n)
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf reads the CSRF token from my page.
func (e *env) csrfOf(t *testing.T, session string) string {
	t.Helper()
	resp := e.do(t, get(t, "/me", session))
	wantStatus(t, resp, 200)
	m := csrfField.FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatal("my page has no CSRF field")
	}
	return m[1]
}

func TestEveryPageIsProtected(t *testing.T) {
	e := newEnv(t)
	m, session := e.member(t, "佐藤 花子", community.MembershipSupporting)
	ev := e.createEvent(t, "道路メンテナンス講座", jst(5, 14, 19, 0), nil)
	unsub := unsubscribeToken(testKeys, m.ID, community.ListAnnouncements)

	tests := []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		status int
	}{
		{"Home", fixture(t, "get-home.json"), 200},
		{"HomeSignedIn", get(t, "/", session), 200},
		{"Event", get(t, "/events/"+ev.ID, ""), 200},
		{"EventUnknown", fixture(t, "get-event.json"), 404},
		{"EventMalformed", get(t, "/events/..%2Fetc", ""), 404},
		{"Signup", get(t, "/signup", ""), 200},
		{"SignupInvalid", post(t, "/signup", url.Values{"email": {"x"}}, ""), 400},
		{"Signin", get(t, "/signin", ""), 200},
		{"SigninWithToken", get(t, "/signin?token=abc", ""), 200},
		{"VerifyPage", get(t, "/verify?token=nope", ""), 200},
		{"VerifyNoToken", get(t, "/verify", ""), 400},
		{"VerifyBadToken", post(t, "/verify", url.Values{"token": {"nope"}}, ""), 400},
		{"Me", get(t, "/me", session), 200},
		{"MeAnonymous", get(t, "/me", ""), 303},
		{"MeWithoutCSRF", post(t, "/me", url.Values{"form": {"preferences"}}, session), 403},
		{"RegisterGuest", post(t, "/events/"+ev.ID+"/register", url.Values{"name": {"来訪 者"}, "email": {localtest.UniqueEmail("guest")}}, ""), 200},
		{"RegisterWithoutCSRF", post(t, "/events/"+ev.ID+"/register", url.Values{}, session), 403},
		{"CancelMineWithoutCSRF", post(t, "/events/"+ev.ID+"/cancel", url.Values{}, session), 403},
		{"CancelPageBadToken", get(t, "/cancel?token=nope", ""), 400},
		{"CancelBadToken", post(t, "/cancel", url.Values{"token": {"nope"}}, ""), 400},
		{"Unsubscribe", get(t, "/unsubscribe?token="+url.QueryEscape(unsub), ""), 200},
		{"UnsubscribeTampered", get(t, "/unsubscribe?token=x.y", ""), 400},
		{"UnknownPath", get(t, "/wp-login.php", ""), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, tt.req)
			wantStatus(t, resp, tt.status)
			checkPageHeaders(t, resp)
		})
	}
}

func TestEventList(t *testing.T) {
	e := newEnv(t)
	closes := jst(4, 30, 23, 59)
	e.createEvent(t, "私塾 道路の話", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Capacity, ev.ConfirmedCount = 30, 4
		ev.OnlinePlatform = "Zoom"
	})
	e.createEvent(t, "橋梁点検の体験", jst(5, 20, 9, 30), func(ev *community.Event) {
		ev.Kind, ev.Audience = community.KindFieldTrip, community.AudienceMembers
		ev.Capacity, ev.ConfirmedCount, ev.Waitlist = 10, 10, true
		ev.Venue = &community.Venue{Name: "利根川橋", Address: "群馬県伊勢崎市"}
	})
	e.createEvent(t, "キャリア開発塾", jst(6, 2, 9, 0), func(ev *community.Event) {
		ev.Kind = community.KindWorkshop
		ev.EndsAt = jst(6, 6, 17, 0)
		ev.RegistrationClosesAt = &closes
		ev.Capacity = 16
	})
	e.createEvent(t, "<script>alert(1)</script>", jst(6, 10, 18, 0), func(ev *community.Event) {
		ev.Kind, ev.Audience = community.KindMeeting, community.AudienceRegular
	})

	resp := e.do(t, fixture(t, "get-home.json"))
	wantStatus(t, resp, 200)
	wantBody(t, resp,
		"<h2 id=\"month-令和7年5月\">令和7年5月</h2>", "<h2 id=\"month-令和7年6月\">令和7年6月</h2>",
		"令和7年5月14日(水) 19:00〜20:30", "私塾", "どなたでも参加できます", "残り26席",
		"体験・視察", "会員限定", "満席（キャンセル待ち受付中）",
		"研修・塾", "令和7年6月2日(月) 9:00〜6月6日(金) 17:00", "受付終了",
		"井戸端会議", "正会員限定", "&lt;script&gt;alert(1)&lt;/script&gt;",
	)
	wantNotBody(t, resp, "<script>", "2025年")
	if i, j := strings.Index(resp.Body, "私塾 道路の話"), strings.Index(resp.Body, "キャリア開発塾"); i < 0 || j < i {
		t.Error("events are not in start order")
	}
	wantNotBody(t, resp, "さらに先のイベントを見る")

	t.Run("Pagination", func(t *testing.T) {
		e := newEnv(t)
		for i := range pageSize + 3 {
			e.createEvent(t, fmt.Sprintf("定例会 第%d回", i+1), jst(5, 2, 9, 0).Add(time.Duration(i)*24*time.Hour), nil)
			e.clock.Advance(time.Millisecond)
		}
		first := e.do(t, get(t, "/", ""))
		wantStatus(t, first, 200)
		m := regexp.MustCompile(`<a href="(/\?cursor=[^"]+)">さらに先のイベントを見る</a>`).FindStringSubmatch(first.Body)
		if m == nil {
			t.Fatal("first page has no link to the next")
		}
		if n := strings.Count(first.Body, `class="event"`); n != pageSize {
			t.Errorf("first page shows %d events, want %d", n, pageSize)
		}
		next := strings.ReplaceAll(m[1], "&amp;", "&")
		second := e.do(t, get(t, next, ""))
		wantStatus(t, second, 200)
		if n := strings.Count(second.Body, `class="event"`); n != 3 {
			t.Errorf("second page shows %d events, want 3", n)
		}
		wantBody(t, second, fmt.Sprintf("定例会 第%d回", pageSize+1), fmt.Sprintf("定例会 第%d回", pageSize+3))
		wantNotBody(t, second, fmt.Sprintf("定例会 第%d回<", pageSize))
		wantNotBody(t, second, "さらに先のイベントを見る")

		bad := e.do(t, get(t, "/?cursor=garbage", ""))
		wantStatus(t, bad, 400)
		checkPageHeaders(t, bad)
	})

	t.Run("Empty", func(t *testing.T) {
		e := newEnv(t)
		resp := e.do(t, get(t, "/", ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "現在、予定されているイベントはありません。")
	})
}

func TestEventDetail(t *testing.T) {
	e := newEnv(t)
	closes := jst(5, 20, 17, 0)
	workshop := e.createEvent(t, "キャリア開発塾 2025", jst(6, 2, 9, 0), func(ev *community.Event) {
		ev.Kind = community.KindWorkshop
		ev.EndsAt = jst(6, 6, 17, 0)
		ev.Capacity, ev.ConfirmedCount = 16, 3
		ev.FeeJPY = 35000
		ev.RegistrationClosesAt = &closes
		ev.Eligibility = &community.Eligibility{PublicServantOnly: true, MinAge: intp(25), MaxAge: intp(39)}
		ev.Venue = &community.Venue{Name: "伊勢崎市民プラザ", Address: "群馬県伊勢崎市昭和町3919"}
		ev.Speakers = []string{"山田 太郎", "鈴木 一郎"}
		ev.Notes = "録画・録音なし\n昼食は各自"
		ev.Description = "5日間で行政技術者のキャリアを考えます。"
	})
	lecture := e.createEvent(t, "会員向け私塾", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Audience = community.AudienceMembers
		ev.OnlinePlatform = "Zoom"
		ev.JoinURL = "https://zoom.example.com/j/123456789?pwd=secret"
	})
	draft := e.createEvent(t, "下書き", jst(5, 30, 19, 0), func(ev *community.Event) { ev.Status = community.EventDraft })
	_, session := e.member(t, "会員 一郎", community.MembershipSupporting)

	t.Run("Workshop", func(t *testing.T) {
		resp := e.do(t, get(t, "/events/"+workshop.ID, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp,
			"<h1>キャリア開発塾 2025</h1>", "研修・塾",
			"令和7年6月2日(月) 9:00〜6月6日(金) 17:00",
			"伊勢崎市民プラザ", "群馬県伊勢崎市昭和町3919",
			"16名", "残り13席", "35,000円", "公務員限定", "開始日時点で25歳以上39歳以下",
			"申込締切", "令和7年5月20日(火) 17:00", "山田 太郎、鈴木 一郎", "録画・録音なし\n昼食は各自",
			"5日間で行政技術者のキャリアを考えます。",
			// Eligibility needs a member's profile: a guest is sent to sign in or up.
			"空席状況: <strong>残り13席</strong>", "参加条件の確認が必要なため、会員登録のうえお申し込みください。",
		)
		wantNotBody(t, resp, `action="/events/`+workshop.ID+`/register"`)
	})
	t.Run("LectureAnonymous", func(t *testing.T) {
		resp := e.do(t, get(t, "/events/"+lecture.ID, ""))
		wantStatus(t, resp, 200)
		wantNotBody(t, resp, "2025年")
		wantBody(t, resp, "令和7年5月14日(水) 19:00〜20:30",
			"無料", "定員なし", "会員限定", "Zoom", "参加用URLは参加が確定した方にお知らせします。")
		wantNotBody(t, resp, "zoom.example.com", "pwd=secret")
	})
	t.Run("LectureMemberNotConfirmed", func(t *testing.T) {
		resp := e.do(t, get(t, "/events/"+lecture.ID, session))
		wantStatus(t, resp, 200)
		wantNotBody(t, resp, "zoom.example.com")
	})
	for _, tt := range []struct{ name, path string }{
		{"Draft", "/events/" + draft.ID},
		{"Unknown", "/events/" + community.NewID(time.Now())},
		{"Malformed", "/events/not-an-id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(t, get(t, tt.path, ""))
			wantStatus(t, resp, 404)
			wantBody(t, resp, "ページが見つかりません")
			wantNotBody(t, resp, "下書き")
		})
	}
}

// signupForm is a valid signup as the browser would send it.
func signupForm(email string) url.Values {
	return url.Values{
		"email": {email}, "name": {"伊勢崎 花子"}, "name_kana": {"いせさき はなこ"},
		"membership": {"supporting"}, "affiliation": {"伊勢崎市"}, "department": {"建設部"},
		"job_category": {"土木職"}, "public_servant": {"yes"}, "birth_date": {"1990-04-01"},
		"terms": {"yes"}, "website": {""},
	}
}

func TestSignup(t *testing.T) {
	e := newEnv(t)

	t.Run("OK", func(t *testing.T) {
		req := fixture(t, "post-signup-form.json")
		email := localtest.UniqueEmail("signup")
		body := strings.Replace(decodeBody(t, req), "hanako%40example.jp", url.QueryEscape(email), 1)
		req.Body = base64.StdEncoding.EncodeToString([]byte(body))
		resp := e.do(t, req)
		wantStatus(t, resp, 200)
		checkPageHeaders(t, resp)
		wantBody(t, resp, "確認メールを送信しました")
		if n := e.mail.count("verify", email); n != 1 {
			t.Errorf("%d verification mails, want 1", n)
		}
		m, err := e.store.MemberByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "伊勢崎 花子" || !m.PublicServant || m.Consent.IP != "203.0.113.7" || m.Consent.Announcements {
			t.Errorf("stored member = %+v", m)
		}
	})

	t.Run("SameAnswerForKnownAddress", func(t *testing.T) {
		email := localtest.UniqueEmail("dup")
		first := e.do(t, post(t, "/signup", signupForm(email), ""))
		second := e.do(t, post(t, "/signup", signupForm(strings.ToUpper(email)), ""))
		wantStatus(t, second, 200)
		if first.Body != second.Body {
			t.Error("a second signup with a known address answers differently")
		}
	})

	t.Run("Honeypot", func(t *testing.T) {
		email := localtest.UniqueEmail("bot")
		f := signupForm(email)
		f.Set("website", "https://spam.example.com")
		resp := e.do(t, post(t, "/signup", f, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "確認メールを送信しました")
		if n := e.mail.count("verify", email); n != 0 {
			t.Errorf("honeypot hit sent %d mails", n)
		}
		if _, err := e.store.MemberByEmail(context.Background(), email); community.ErrorCode(err) != community.NotFound {
			t.Errorf("honeypot hit stored a member (err %v)", err)
		}
	})

	t.Run("ErrorsNextToFieldsAndValuesKept", func(t *testing.T) {
		f := signupForm("not-an-address")
		f.Set("name", `<script>alert("x")</script>`)
		f.Set("name_kana", "")
		f.Del("terms")
		f.Set("announcements", "yes")
		resp := e.do(t, post(t, "/signup", f, ""))
		wantStatus(t, resp, 400)
		checkPageHeaders(t, resp)
		for _, field := range []struct{ id, msg string }{
			{"email", "メールアドレスの形式が正しくありません。"},
			{"name_kana", "ふりがなを入力してください。"},
		} {
			re := regexp.MustCompile(`id="` + field.id + `"[^>]*aria-invalid="true" aria-describedby="error-` + field.id + `">\s*<span class="error" id="error-` + field.id + `">` + regexp.QuoteMeta(field.msg) + `</span>`)
			if !re.MatchString(resp.Body) {
				t.Errorf("no %q right after the %s field", field.msg, field.id)
			}
		}
		wantBody(t, resp,
			`<span class="error" id="error-consent.terms">会員規約への同意が必要です。</span>`,
			`value="not-an-address"`,
			`value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"`,
			`value="伊勢崎市"`, `value="建設部"`, `value="土木職"`, `value="1990-04-01"`,
			`value="supporting" checked`, `value="yes" checked>はい`, `name="announcements" value="yes" checked`,
		)
		wantNotBody(t, resp, "<script>", `name="terms" value="yes" checked`)
	})

	t.Run("CrossSite", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			headers map[string]string
			status  int
		}{
			{"SecFetchSiteCrossSite", map[string]string{"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, 403},
			{"SecFetchSiteSameSite", map[string]string{"sec-fetch-site": "same-site", "origin": "https://sub.example.jp"}, 403},
			{"ForeignOrigin", map[string]string{"sec-fetch-site": "", "origin": "https://evil.example"}, 403},
			{"NullOrigin", map[string]string{"sec-fetch-site": "", "origin": "null"}, 403},
			{"OwnOriginOnly", map[string]string{"sec-fetch-site": "", "origin": "https://tabane.example.jp"}, 200},
			{"NoBrowserHeaders", map[string]string{"sec-fetch-site": "", "origin": ""}, 200},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req := post(t, "/signup", signupForm(localtest.UniqueEmail("csrf")), "")
				for k, v := range tt.headers {
					if v == "" {
						delete(req.Headers, k)
					} else {
						req.Headers[k] = v
					}
				}
				resp := e.do(t, req)
				wantStatus(t, resp, tt.status)
				checkPageHeaders(t, resp)
			})
		}
	})

	t.Run("BodyProblems", func(t *testing.T) {
		big := post(t, "/signup", url.Values{"name": {strings.Repeat("あ", 30000)}}, "")
		wantStatus(t, e.do(t, big), 413)
		multipart := post(t, "/signup", signupForm(localtest.UniqueEmail("mp")), "")
		multipart.Headers["content-type"] = "multipart/form-data; boundary=x"
		wantStatus(t, e.do(t, multipart), 415)
		plain := post(t, "/signup", signupForm(localtest.UniqueEmail("plain")), "")
		plain.Body, plain.IsBase64Encoded = decodeBody(t, plain), false
		wantStatus(t, e.do(t, plain), 200)
	})
}

func decodeBody(t *testing.T, req events.APIGatewayV2HTTPRequest) string {
	t.Helper()
	if !req.IsBase64Encoded {
		return req.Body
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var hiddenToken = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]+)">`)

func TestVerifyAndSignIn(t *testing.T) {
	e := newEnv(t)
	email := localtest.UniqueEmail("flow")
	wantStatus(t, e.do(t, post(t, "/signup", signupForm(email), "")), 200)
	verifyLink := e.mail.last(t, "verify", email)
	if !strings.HasPrefix(verifyLink, "https://tabane.example.jp/verify?token=") {
		t.Fatalf("verification link = %q", verifyLink)
	}
	u, _ := url.Parse(verifyLink)

	t.Run("OpeningTheLinkDoesNotVerify", func(t *testing.T) {
		// Opening the link twice (a mail scanner, then the person) confirms nothing.
		for range 2 {
			page := e.do(t, get(t, u.RequestURI(), ""))
			wantStatus(t, page, 200)
			checkPageHeaders(t, page)
			wantBody(t, page, `<form method="post" action="/verify">`, "メールアドレスを確認する")
			if m := hiddenToken.FindStringSubmatch(page.Body); m == nil || m[1] != u.Query().Get("token") {
				t.Fatal("the verification page does not carry the token in a form")
			}
			// As on the sign-in page: the referrer never leaves the site, and
			// the form's POST carries a real Origin.
			if got := page.Headers["Referrer-Policy"]; got != "same-origin" {
				t.Errorf("Referrer-Policy = %q", got)
			}
		}
		m, err := e.store.MemberByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != community.MemberUnverified {
			t.Errorf("opening the link made the member %s", m.Status)
		}
	})
	t.Run("CrossSiteVerify", func(t *testing.T) {
		req := post(t, "/verify", url.Values{"token": {u.Query().Get("token")}}, "")
		req.Headers["sec-fetch-site"] = "cross-site"
		req.Headers["origin"] = "https://evil.example"
		wantStatus(t, e.do(t, req), 403)
		if m, _ := e.store.MemberByEmail(context.Background(), email); m == nil || m.Status != community.MemberUnverified {
			t.Errorf("a cross-site POST verified the member: %+v", m)
		}
	})
	t.Run("Verify", func(t *testing.T) {
		resp := e.do(t, post(t, "/verify", url.Values{"token": {u.Query().Get("token")}}, ""))
		wantStatus(t, resp, 200)
		checkPageHeaders(t, resp)
		wantBody(t, resp, "賛助会員としてのご登録が完了しました", `href="/signin"`)
		again := e.do(t, post(t, "/verify", url.Values{"token": {u.Query().Get("token")}}, ""))
		wantStatus(t, again, 200)
		wantBody(t, again, "ご登録が完了しました")
		if m, _ := e.store.MemberByEmail(context.Background(), email); m == nil || m.Status != community.MemberActive {
			t.Errorf("after verifying: %+v", m)
		}
	})
	t.Run("VerifyBadToken", func(t *testing.T) {
		resp := e.do(t, post(t, "/verify", url.Values{"token": {"forged"}}, ""))
		wantStatus(t, resp, 400)
		wantBody(t, resp, "リンクが無効か、有効期限が切れています。")
	})
	t.Run("VerifyPendingApproval", func(t *testing.T) {
		email := localtest.UniqueEmail("regular")
		f := signupForm(email)
		f.Set("membership", "regular")
		wantStatus(t, e.do(t, post(t, "/signup", f, "")), 200)
		resp := e.verifyByLink(t, e.mail.last(t, "verify", email))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "正会員としてのご登録は、事務局が内容を確認したうえで承認します")
	})

	t.Run("RequestLinkSameForEveryone", func(t *testing.T) {
		known := e.do(t, post(t, "/signin", url.Values{"email": {email}}, ""))
		unknown := e.do(t, post(t, "/signin", url.Values{"email": {localtest.UniqueEmail("nobody")}}, ""))
		wantStatus(t, known, 200)
		wantStatus(t, unknown, 200)
		wantBody(t, known, "ログイン用のメールを送信しました")
		if known.Body != unknown.Body {
			t.Error("the sign-in request answers differently for unknown addresses")
		}
		bad := e.do(t, post(t, "/signin", url.Values{"email": {"nope"}}, ""))
		wantStatus(t, bad, 400)
		wantBody(t, bad, `<span class="error" id="error-email">メールアドレスの形式が正しくありません。</span>`, `value="nope"`)
	})

	t.Run("SignInByLink", func(t *testing.T) {
		link, _ := url.Parse(e.mail.last(t, "signin", email))
		if link.Path != "/signin" {
			t.Fatalf("sign-in link = %v", link)
		}
		// Opening the link twice (a mail scanner, then the person) spends nothing.
		for range 2 {
			page := e.do(t, get(t, link.RequestURI(), ""))
			wantStatus(t, page, 200)
			checkPageHeaders(t, page)
			m := hiddenToken.FindStringSubmatch(page.Body)
			if m == nil || m[1] != link.Query().Get("token") {
				t.Fatalf("the sign-in page does not carry the token in a form")
			}
		}
		resp := e.do(t, post(t, "/signin", url.Values{"token": {link.Query().Get("token")}}, ""))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/me" {
			t.Errorf("Location = %q, want /me", loc)
		}
		session, raw, ok := cookieValue(resp)
		if !ok {
			t.Fatal("no session cookie set")
		}
		for _, attr := range []string{"Path=/", "Max-Age=2592000", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(raw, attr) {
				t.Errorf("cookie %q lacks %s", raw, attr)
			}
		}
		me := e.do(t, get(t, "/me", session))
		wantStatus(t, me, 200)
		wantBody(t, me, "伊勢崎 花子", "賛助会員", "有効", email, "平成2年4月1日(日)", "申込済みのイベントはありません", "マイページ")
		wantNotBody(t, me, ">ログイン</a>")

		reused := e.do(t, post(t, "/signin", url.Values{"token": {link.Query().Get("token")}}, ""))
		wantStatus(t, reused, 400)
		wantBody(t, reused, "リンクが無効か、有効期限が切れています。")
		if _, _, ok := cookieValue(reused); ok {
			t.Error("a reused link set a cookie")
		}
	})

	t.Run("ExpiredLink", func(t *testing.T) {
		wantStatus(t, e.do(t, post(t, "/signin", url.Values{"email": {email}}, "")), 200)
		link, _ := url.Parse(e.mail.last(t, "signin", email))
		e.clock.Advance(16 * time.Minute)
		resp := e.do(t, post(t, "/signin", url.Values{"token": {link.Query().Get("token")}}, ""))
		wantStatus(t, resp, 400)
	})

	t.Run("CrossSiteSignIn", func(t *testing.T) {
		req := post(t, "/signin", url.Values{"token": {"whatever"}}, "")
		req.Headers["sec-fetch-site"] = "cross-site"
		resp := e.do(t, req)
		wantStatus(t, resp, 403)
	})
}

// verifyByLink opens a mailed verification link and presses its button.
func (e *env) verifyByLink(t *testing.T, link string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	page := e.do(t, get(t, mustURI(t, link), ""))
	wantStatus(t, page, 200)
	m := hiddenToken.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the verification page has no token field:\n%s", page.Body)
	}
	return e.do(t, post(t, "/verify", url.Values{"token": {html.UnescapeString(m[1])}}, ""))
}

func TestInsecureCookieOnLocalhost(t *testing.T) {
	e := newEnvWith(t, envOptions{BaseURL: "http://localhost:8080"})
	email := localtest.UniqueEmail("local")
	req := post(t, "/signup", signupForm(email), "")
	req.Headers["origin"], req.Headers["host"] = "http://localhost:8080", "localhost:8080"
	wantStatus(t, e.do(t, req), 200)
	v, _ := url.Parse(e.mail.last(t, "verify", email))
	if v.Host != "localhost:8080" {
		t.Errorf("verification link %v", v)
	}
	wantStatus(t, e.verifyByLink(t, v.String()), 200)
	wantStatus(t, e.do(t, post(t, "/signin", url.Values{"email": {email}}, "")), 200)
	s, _ := url.Parse(e.mail.last(t, "signin", email))
	resp := e.do(t, post(t, "/signin", url.Values{"token": {s.Query().Get("token")}}, ""))
	wantStatus(t, resp, 303)
	_, raw, ok := cookieValue(resp)
	if !ok || strings.Contains(raw, "Secure") || !strings.Contains(raw, "HttpOnly") {
		t.Errorf("cookie on plain-http localhost = %q", raw)
	}
}

func TestMyPage(t *testing.T) {
	e := newEnv(t)

	t.Run("Anonymous", func(t *testing.T) {
		resp := e.do(t, get(t, "/me", ""))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/signin" {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("StaleCookie", func(t *testing.T) {
		resp := e.do(t, fixture(t, "get-me-cookie.json"))
		wantStatus(t, resp, 303)
		if _, raw, ok := cookieValue(resp); !ok || !strings.Contains(raw, "Max-Age=0") {
			t.Errorf("a stale cookie was not cleared: %q", raw)
		}
	})
	t.Run("ScriptInNameIsInert", func(t *testing.T) {
		name := `<script>alert("x")</script><img src=x onerror=alert(1)>`
		_, session := e.member(t, name, community.MembershipSupporting)
		for _, path := range []string{"/me", "/", "/signup"} {
			resp := e.do(t, get(t, path, session))
			wantStatus(t, resp, 200)
			wantNotBody(t, resp, "<script", "<img")
			if path == "/me" {
				wantBody(t, resp, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;")
			}
		}
	})
	t.Run("PendingApproval", func(t *testing.T) {
		_, session := e.member(t, "正会員 候補", community.MembershipRegular)
		resp := e.do(t, get(t, "/me", session))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "正会員", "審査中", "事務局が登録内容を確認しています")
	})
}

func TestSessionForms(t *testing.T) {
	e := newEnv(t)
	m, session := e.member(t, "設定 変更子", community.MembershipSupporting)
	_, other := e.member(t, "別の 会員", community.MembershipSupporting)
	csrf := e.csrfOf(t, session)
	otherCSRF := e.csrfOf(t, other)

	t.Run("MissingOrWrongCSRF", func(t *testing.T) {
		for _, tt := range []struct {
			name, path string
			form       url.Values
		}{
			{"PreferencesNoToken", "/me", url.Values{"form": {"preferences"}}},
			{"PreferencesWrongToken", "/me", url.Values{"form": {"preferences"}, "csrf": {"AAAA"}}},
			{"PreferencesOtherSessionsToken", "/me", url.Values{"form": {"preferences"}, "csrf": {otherCSRF}}},
			{"ProfileNoToken", "/me", url.Values{"form": {"profile"}, "name": {"乗っ取り"}}},
			{"WithdrawNoToken", "/me/withdraw", url.Values{"confirm": {"yes"}}},
			{"SignoutNoToken", "/signout", url.Values{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := e.do(t, post(t, tt.path, tt.form, session))
				wantStatus(t, resp, 403)
				checkPageHeaders(t, resp)
				wantBody(t, resp, "この操作はできません")
			})
		}
		got, err := e.store.Member(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != community.MemberActive || !got.Preferences.Reminders || !got.Preferences.Announcements || got.Name != "設定 変更子" {
			t.Errorf("a forged form changed the member: %+v", got)
		}
		wantStatus(t, e.do(t, get(t, "/me", session)), 200)
	})

	t.Run("Preferences", func(t *testing.T) {
		req := fixture(t, "post-me-form.json")
		req.Cookies = []string{SessionCookie + "=" + session}
		req.Body = base64.StdEncoding.EncodeToString([]byte(strings.Replace(decodeBody(t, req), "csrf=CSRF", "csrf="+url.QueryEscape(csrf), 1)))
		resp := e.do(t, req)
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/me?saved=preferences" {
			t.Errorf("Location = %q", loc)
		}
		got, _ := e.store.Member(context.Background(), m.ID)
		if !got.Preferences.Reminders || got.Preferences.Announcements {
			t.Errorf("preferences = %+v, want reminders only", got.Preferences)
		}
		page := e.do(t, get(t, "/me?saved=preferences", session))
		wantBody(t, page, "メール配信の設定を保存しました。", `name="reminders" value="yes" checked`)
		wantNotBody(t, page, `name="announcements" value="yes" checked`)
	})

	t.Run("ProfileInvalid", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", url.Values{
			"csrf": {csrf}, "form": {"profile"}, "name": {""}, "name_kana": {"へんこう"},
			"affiliation": {"前橋市"}, "public_servant": {"yes"}, "birth_date": {"2999-01-01"},
		}, session))
		wantStatus(t, resp, 400)
		wantBody(t, resp,
			`<span class="error" id="error-name">お名前を入力してください。</span>`,
			`value="へんこう"`, `value="前橋市"`)
	})

	// An active member's public servant and birth date are an organizer's
	// to change: the profile form has no such fields, and the change is
	// asked for with its own form.
	t.Run("EligibilityRequest", func(t *testing.T) {
		page := e.do(t, get(t, "/me", session))
		wantBody(t, page, `<h2 id="eligibility-heading">参加資格（公務員・生年月日）</h2>`, `<input type="hidden" name="form" value="eligibility">`)
		wantNotBody(t, page, `id="birth_date"`)
		bad := e.do(t, post(t, "/me", url.Values{"csrf": {csrf}, "form": {"eligibility"}, "public_servant": {"yes"}, "birth_date": {"2999-01-01"}}, session))
		wantStatus(t, bad, 400)
		wantBody(t, bad, `<span class="error" id="error-birth_date">生年月日が未来の日付になっています。</span>`, `value="2999-01-01"`)
		resp := e.do(t, post(t, "/me", url.Values{"csrf": {csrf}, "form": {"eligibility"}, "public_servant": {"no"},
			"birth_date": {"1988-06-01"}, "reason": {"民間企業へ転職しました"}}, session))
		wantStatus(t, resp, 303)
		page = e.do(t, get(t, "/me?saved=eligibility", session))
		wantBody(t, page, "参加資格の変更を申請しました。", "申請中（運営者の確認待ち）: 公務員 いいえ・生年月日 昭和63年6月1日", "民間企業へ転職しました")
		if got, err := e.store.Member(context.Background(), m.ID); err != nil || got.EligibilityRequest == nil || got.EligibilityRequest.PublicServant {
			t.Errorf("stored %+v, %v", got, err)
		}
	})

	t.Run("Profile", func(t *testing.T) {
		resp := e.do(t, post(t, "/me", url.Values{
			"csrf": {csrf}, "form": {"profile"}, "name": {"設定 変更後"}, "name_kana": {"せってい へんこうご"},
			"affiliation": {"前橋市"}, "department": {"道路管理課"}, "job_category": {"土木職"},
			"public_servant": {"yes"}, "birth_date": {""},
		}, session))
		wantStatus(t, resp, 303)
		page := e.do(t, get(t, "/me?saved=profile", session))
		wantBody(t, page, "プロフィールを保存しました。", "設定 変更後", "道路管理課")
	})

	t.Run("Signout", func(t *testing.T) {
		_, s := e.member(t, "ログアウト 太郎", community.MembershipSupporting)
		resp := e.do(t, post(t, "/signout", url.Values{"csrf": {e.csrfOf(t, s)}}, s))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/" {
			t.Errorf("Location = %q", loc)
		}
		if _, raw, ok := cookieValue(resp); !ok || !strings.Contains(raw, "Max-Age=0") {
			t.Errorf("sign-out did not clear the cookie: %q", raw)
		}
		wantStatus(t, e.do(t, get(t, "/me", s)), 303)
	})

	t.Run("Withdraw", func(t *testing.T) {
		w, s := e.member(t, "退会 予定", community.MembershipSupporting)
		token := e.csrfOf(t, s)
		unconfirmed := e.do(t, post(t, "/me/withdraw", url.Values{"csrf": {token}}, s))
		wantStatus(t, unconfirmed, 400)
		wantBody(t, unconfirmed, "退会するには、確認のチェックを入れてください。")

		resp := e.do(t, post(t, "/me/withdraw", url.Values{"csrf": {token}, "confirm": {"yes"}}, s))
		wantStatus(t, resp, 200)
		checkPageHeaders(t, resp)
		wantBody(t, resp, "<h1>退会しました</h1>", ">ログイン</a>")
		wantNotBody(t, resp, "退会 予定")
		if _, raw, ok := cookieValue(resp); !ok || !strings.Contains(raw, "Max-Age=0") {
			t.Errorf("withdrawal did not clear the cookie: %q", raw)
		}
		got, err := e.store.Member(context.Background(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != community.MemberWithdrawn || got.Name != "" || got.Email != "" {
			t.Errorf("after withdrawal the member is %+v", got)
		}
		wantStatus(t, e.do(t, get(t, "/me", s)), 303)
	})
}

func TestUnsubscribe(t *testing.T) {
	e := newEnv(t)
	m, _ := e.member(t, "配信 停止", community.MembershipSupporting)
	token := unsubscribeToken(testKeys, m.ID, community.ListAnnouncements)

	t.Run("Page", func(t *testing.T) {
		resp := e.do(t, get(t, "/unsubscribe?token="+url.QueryEscape(token), ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "「お知らせメール」の配信を停止します")
		action := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(resp.Body)
		if action == nil {
			t.Fatal("no form on the page")
		}
		u, err := url.Parse(html.UnescapeString(action[1]))
		if err != nil || u.Path != "/unsubscribe" || u.Query().Get("token") != token {
			t.Errorf("form action = %q, want the same token back", action[1])
		}
		if got := resp.Headers["Referrer-Policy"]; got != "no-referrer" {
			t.Errorf("Referrer-Policy = %q", got)
		}
		got, _ := e.store.Member(context.Background(), m.ID)
		if !got.Preferences.Announcements {
			t.Error("showing the page already unsubscribed")
		}
	})

	t.Run("OneClickWithoutCookieOrCSRF", func(t *testing.T) {
		req := fixture(t, "post-unsubscribe-one-click.json")
		req.RawQueryString = "token=" + url.QueryEscape(token)
		req.QueryStringParameters = map[string]string{"token": token}
		for range 2 { // a retried one-click is harmless
			resp := e.do(t, req)
			wantStatus(t, resp, 200)
			checkPageHeaders(t, resp)
			wantBody(t, resp, "「お知らせメール」の配信を停止しました。")
		}
		got, _ := e.store.Member(context.Background(), m.ID)
		if got.Preferences.Announcements || !got.Preferences.Reminders {
			t.Errorf("preferences = %+v, want announcements off only", got.Preferences)
		}
	})

	t.Run("Reminders", func(t *testing.T) {
		rt := unsubscribeToken(testKeys, m.ID, community.ListReminders)
		resp := e.do(t, post(t, "/unsubscribe?token="+url.QueryEscape(rt), url.Values{"List-Unsubscribe": {"One-Click"}}, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "イベント前のリマインダーメール")
		got, _ := e.store.Member(context.Background(), m.ID)
		if got.Preferences.Reminders {
			t.Error("reminders still on")
		}
	})

	t.Run("Refused", func(t *testing.T) {
		other := community.NewID(time.Now())
		tampered := other + token[strings.IndexByte(token, ':'):]
		for _, tt := range []struct{ name, token string }{
			{"Tampered", tampered},
			{"Truncated", token[:len(token)-2]},
			{"Empty", ""},
			{"UnknownList", unsubscribeToken(testKeys, m.ID, "everything")},
			{"UnknownMember", unsubscribeToken(testKeys, other, community.ListReminders)},
			{"OtherSecret", unsubscribeToken(auth.MustParseKeyring("another-secret-another-secret-32b"), m.ID, community.ListReminders)},
			{"SessionToken", testKeys.Sign("session", m.ID+":reminders")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := e.do(t, post(t, "/unsubscribe?token="+url.QueryEscape(tt.token), url.Values{"List-Unsubscribe": {"One-Click"}}, ""))
				wantStatus(t, resp, 400)
				checkPageHeaders(t, resp)
			})
		}
	})
}

func TestRoutes(t *testing.T) {
	for _, key := range Routes() {
		t.Run(key, func(t *testing.T) {
			method, path, _ := strings.Cut(key, " ")
			concrete := strings.ReplaceAll(path, "{id}", community.NewID(testNow))
			if got, _ := matchRoute(method, concrete); got != key {
				t.Errorf("matchRoute(%s %s) = %q", method, concrete, got)
			}
		})
	}
}

// TestTemplateDeclaresEveryRoute keeps template.yaml and the handler in
// step: a page the handler serves but API Gateway never routes to would
// work in no environment at all.
func TestTemplateDeclaresEveryRoute(t *testing.T) {
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok, err := tpl.Function("WebFunction")
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("template.yaml has no WebFunction")
	}
	declared := map[string]bool{}
	for _, r := range fn.Routes {
		declared[r.Key()] = true
	}
	served := map[string]bool{}
	for _, key := range Routes() {
		served[key] = true
		if !declared[key] {
			t.Errorf("template.yaml: WebFunction lacks the route %q", key)
		}
	}
	for key := range declared {
		if !served[key] {
			t.Errorf("template.yaml routes %q to WebFunction, which does not serve it", key)
		}
	}
}

// unsubscribeToken is the token a mail's opt-out link carries.
func unsubscribeToken(keys *auth.Keyring, memberID, list string) string {
	return auth.Links{Keys: keys}.UnsubscribeToken(memberID, list)
}

// A cancelled event leaves the list of upcoming ones but is shown as 中止
// on the first page, so people who planned to go notice.
func TestCancelledEventsShownAsCancelled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kept := e.createEvent(t, "予定どおりの私塾", jst(5, 20, 19, 0), nil)
	off := e.createEvent(t, "中止になる現場見学", jst(5, 27, 13, 30), nil)
	if _, _, err := e.store.CancelEvent(ctx, off, "台風接近のため", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	resp := e.do(t, get(t, "/", ""))
	body := resp.Body
	section := strings.Index(body, "中止になったイベント")
	if section < 0 {
		t.Fatalf("no cancelled section:\n%s", body)
	}
	if i := strings.Index(body, off.Title); i < section {
		t.Errorf("the cancelled event is listed among the upcoming ones (at %d, section at %d)", i, section)
	}
	if i := strings.Index(body, kept.Title); i < 0 || i > section {
		t.Errorf("the kept event is not among the upcoming ones")
	}
	// The next page (a cursor) does not repeat the section.
	if strings.Contains(e.do(t, get(t, "/?cursor=x", "")).Body, "中止になったイベント") {
		t.Error("cancelled section shown past the first page")
	}
}

// Over HTTPS every page tells browsers to keep to it; on plain-http
// localhost the header would only be noise.
func TestStrictTransportSecurity(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    envOptions
		want string
	}{
		{"HTTPS", envOptions{BaseURL: "https://tabane.example.jp", Secure: true}, "max-age=31536000"},
		{"PlainHTTPLocalhost", envOptions{BaseURL: "http://localhost:8080"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, tt.o)
			for _, req := range []events.APIGatewayV2HTTPRequest{
				get(t, "/", ""),
				get(t, "/wp-login.php", ""),
				post(t, "/signin", url.Values{"email": {localtest.UniqueEmail("hsts")}}, ""),
				get(t, "/me", ""), // a redirect
			} {
				resp := e.do(t, req)
				got, ok := resp.Headers["Strict-Transport-Security"]
				if got != tt.want || ok != (tt.want != "") {
					t.Errorf("%s %s: Strict-Transport-Security = %q (set %v), want %q", req.RequestContext.HTTP.Method, req.RawPath, got, ok, tt.want)
				}
			}
		})
	}
}

// The signup and sign-in forms take as long for an address nobody has as
// for a member's: only some answers send a mail, so every answer is held
// to the same minimum time.
func TestFormsTakeTheMinimumTime(t *testing.T) {
	e := newEnvWith(t, envOptions{BaseURL: "https://tabane.example.jp", Secure: true, Paced: true})
	known, _ := e.member(t, "既存 会員", community.MembershipSupporting)
	for _, tt := range []struct {
		name   string
		req    events.APIGatewayV2HTTPRequest
		status int
	}{
		{"SignInKnown", post(t, "/signin", url.Values{"email": {known.Email}}, ""), 200},
		{"SignInUnknown", post(t, "/signin", url.Values{"email": {localtest.UniqueEmail("nobody")}}, ""), 200},
		{"SignInBadLink", post(t, "/signin", url.Values{"token": {"nope"}}, ""), 400},
		{"SignupNew", post(t, "/signup", signupForm(localtest.UniqueEmail("new")), ""), 200},
		{"SignupKnown", post(t, "/signup", signupForm(known.Email), ""), 200},
		{"SignupInvalid", post(t, "/signup", url.Values{"email": {"x"}}, ""), 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp := e.do(t, tt.req)
			took := time.Since(start)
			wantStatus(t, resp, tt.status)
			if took < httpapi.MinResponseTime {
				t.Errorf("answered in %v, want at least %v", took, httpapi.MinResponseTime)
			}
		})
	}
	t.Run("OtherPagesNotHeld", func(t *testing.T) {
		start := time.Now()
		wantStatus(t, e.do(t, get(t, "/signin", "")), 200)
		if took := time.Since(start); took >= httpapi.MinResponseTime {
			t.Errorf("GET /signin took %v: only the forms that mail are held", took)
		}
	})
}
