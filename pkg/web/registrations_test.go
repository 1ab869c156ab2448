package web

import (
	"context"
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// pageCSRF reads the CSRF token from the page at target.
func (e *env) pageCSRF(t *testing.T, target, session string) string {
	t.Helper()
	resp := e.do(t, get(t, target, session))
	wantStatus(t, resp, 200)
	m := csrfField.FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("%s has no CSRF field", target)
	}
	return m[1]
}

// wantReason asserts the domain reason the page gives for a refused registration.
func wantReason(t *testing.T, resp events.APIGatewayV2HTTPResponse, reason string) {
	t.Helper()
	m := regexp.MustCompile(`id="apply-error" data-reason="([^"]*)"`).FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatalf("the page shows no registration error; body:\n%s", resp.Body)
	}
	if m[1] != reason {
		t.Errorf("error reason = %q, want %q", m[1], reason)
	}
}

// registration reads the member's live registration for the event; nil when none.
func (e *env) registration(t *testing.T, eventID, memberID string) *community.Registration {
	t.Helper()
	r, err := e.store.MemberRegistration(context.Background(), eventID, memberID)
	if community.ErrorCode(err) == community.NotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// byLink reads the registration a mailed cancel link names.
func (e *env) byLink(t *testing.T, link string) *community.Registration {
	t.Helper()
	eventID, regID, ok := auth.Links{Keys: testKeys}.ParseCancelToken(tokenOf(t, link))
	if !ok {
		t.Fatalf("cancel link %q does not parse", link)
	}
	r, err := e.store.Registration(context.Background(), eventID, regID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// guestForm is the guest registration form as a browser sends it.
func guestForm(name, email string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "website": {""}}
}

func registerPath(ev *community.Event) string { return "/events/" + ev.ID + "/register" }
func cancelPath(ev *community.Event) string   { return "/events/" + ev.ID + "/cancel" }

const joinURL = "https://zoom.example.com/j/4242?pwd=seat-only"

func TestRegisterAsMember(t *testing.T) {
	e := newEnv(t)
	lecture := e.createEvent(t, "私塾 橋の長寿命化", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Capacity = 3
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
	})
	m, session := e.member(t, "申込 太郎", community.MembershipSupporting)
	page := "/events/" + lecture.ID

	before := e.do(t, get(t, page, session))
	wantStatus(t, before, 200)
	wantBody(t, before, "空席状況: <strong>残り3席</strong>", `<form method="post" action="`+registerPath(lecture)+`">`, "参加を申し込む")
	wantNotBody(t, before, `id="guest-name"`, "zoom.example.com")

	t.Run("WithoutCSRF", func(t *testing.T) {
		_, other := e.member(t, "他人 次郎", community.MembershipSupporting)
		for _, tt := range []struct {
			name string
			form url.Values
		}{
			{"Missing", url.Values{}},
			{"Wrong", url.Values{"csrf": {"AAAA"}}},
			{"OtherSessions", url.Values{"csrf": {e.pageCSRF(t, page, other)}}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp := e.do(t, post(t, registerPath(lecture), tt.form, session))
				wantStatus(t, resp, 403)
				checkPageHeaders(t, resp)
			})
		}
		if r := e.registration(t, lecture.ID, m.ID); r != nil {
			t.Fatalf("a form without the session's CSRF token registered: %+v", r)
		}
	})

	csrf := e.pageCSRF(t, page, session)
	t.Run("OK", func(t *testing.T) {
		resp := e.do(t, post(t, registerPath(lecture), url.Values{"csrf": {csrf}}, session))
		wantStatus(t, resp, 200)
		checkPageHeaders(t, resp)
		wantBody(t, resp, "<h1>参加登録が完了しました</h1>", "「私塾 橋の長寿命化」への参加を受け付けました。",
			"令和7年5月14日(水) 19:00〜20:30", m.Email, "参加登録の確認メールをお送りしました", `href="/me"`)
		wantNotBody(t, resp, "zoom.example.com")
		if r := e.registration(t, lecture.ID, m.ID); r == nil || r.Status != community.RegistrationConfirmed {
			t.Fatalf("registration = %+v, want confirmed", r)
		}
		if n := e.mail.count("confirmed", m.Email); n != 1 {
			t.Errorf("%d confirmation mails, want 1", n)
		}
	})

	t.Run("EventPageShowsTheSeat", func(t *testing.T) {
		resp := e.do(t, get(t, page, session))
		wantStatus(t, resp, 200)
		wantBody(t, resp, `あなたの申込: <strong class="status confirmed">参加確定</strong>`, "残り2席",
			`href="https://zoom.example.com/j/4242`,
			`<form method="post" action="`+cancelPath(lecture)+`">`)
		wantNotBody(t, resp, "参加を申し込む")
		// Nobody else sees the URL.
		wantNotBody(t, e.do(t, get(t, page, "")), "zoom.example.com")
	})

	t.Run("Twice", func(t *testing.T) {
		resp := e.do(t, post(t, registerPath(lecture), url.Values{"csrf": {csrf}}, session))
		wantStatus(t, resp, 409)
		checkPageHeaders(t, resp)
		wantReason(t, resp, "already_registered")
		wantBody(t, resp, "参加確定")
	})

	t.Run("SessionEnded", func(t *testing.T) {
		// The member's button, posted after the session is gone.
		resp := e.do(t, post(t, registerPath(lecture), url.Values{"csrf": {csrf}}, ""))
		wantStatus(t, resp, 401)
		wantReason(t, resp, "session_expired")
		wantBody(t, resp, "ログインの有効期限が切れました")
	})

	t.Run("CancelFromEventPage", func(t *testing.T) {
		anon := e.do(t, post(t, cancelPath(lecture), url.Values{"csrf": {csrf}}, ""))
		wantStatus(t, anon, 303)
		if loc := anon.Headers["Location"]; loc != "/signin" {
			t.Errorf("anonymous cancel goes to %q", loc)
		}
		resp := e.do(t, post(t, cancelPath(lecture), url.Values{"csrf": {csrf}}, session))
		wantStatus(t, resp, 303)
		checkPageHeaders(t, resp)
		loc := resp.Headers["Location"]
		if loc != page+"?cancelled=1" {
			t.Fatalf("Location = %q", loc)
		}
		if r := e.registration(t, lecture.ID, m.ID); r != nil {
			t.Errorf("still registered: %+v", r)
		}
		after := e.do(t, get(t, loc, session))
		wantStatus(t, after, 200)
		wantBody(t, after, "申込を取り消しました。", "残り3席", "参加を申し込む")
		wantNotBody(t, after, "zoom.example.com", "参加確定")
		if n := e.mail.count("cancelled", m.Email); n != 1 {
			t.Errorf("%d cancellation mails, want 1", n)
		}
	})
}

func TestRegisterAsGuest(t *testing.T) {
	e := newEnv(t)
	lecture := e.createEvent(t, "公開私塾 道路の話", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Capacity = 30
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
	})

	t.Run("Form", func(t *testing.T) {
		resp := e.do(t, get(t, "/events/"+lecture.ID, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, `<form method="post" action="`+registerPath(lecture)+`" novalidate>`,
			`id="guest-name" name="name"`, `id="guest-email" name="email"`,
			`会員の方は<a href="/signin">ログイン</a>してお申し込みください`, `name="website"`)
		wantNotBody(t, resp, `name="csrf"`, "zoom.example.com")
	})

	t.Run("OK", func(t *testing.T) {
		email := localtest.UniqueEmail("guest")
		req := fixture(t, "post-register-guest.json")
		setTarget(t, &req, "POST", registerPath(lecture))
		body := strings.Replace(decodeBody(t, req), "jiro%40example.jp", url.QueryEscape(strings.ToUpper(email)), 1)
		req.Body = base64.StdEncoding.EncodeToString([]byte(body))
		req.Headers["content-length"] = strconv.Itoa(len(body))
		sent := e.do(t, req)
		wantStatus(t, sent, 200)
		checkPageHeaders(t, sent)
		// Nothing is held before the guest follows the mailed link.
		wantBody(t, sent, "<h1>確認メールをお送りしました</h1>", "<strong>"+email+"</strong> 宛に", "お申し込みはまだ完了していません")
		wantNotBody(t, sent, "zoom.example.com", "前橋 次郎")
		if n := e.mail.count("confirmed", email); n != 0 {
			t.Errorf("a seat was confirmed before the link was followed (%d mails)", n)
		}
		if ev, err := e.store.Event(context.Background(), lecture.ID); err != nil || ev.ConfirmedCount != 0 || ev.WaitlistCount != 0 {
			t.Errorf("before confirming: %+v, %v; want no place held", ev, err)
		}
		resp := e.confirmGuest(t, req)
		wantStatus(t, resp, 200)
		checkPageHeaders(t, resp)
		if got := resp.Headers["Referrer-Policy"]; got != "no-referrer" {
			t.Errorf("Referrer-Policy = %q: the token in the link must not leak", got)
		}
		wantBody(t, resp, "<h1>参加登録が完了しました</h1>", "<strong>"+email+"</strong> 宛に",
			"参加用URLはメールに記載しています", "キャンセル用リンク")
		wantNotBody(t, resp, "zoom.example.com", `href="/me"`)
		link := e.mail.last(t, "confirmed", email)
		if !strings.HasPrefix(link, "https://tabane.example.jp/cancel?token=") {
			t.Errorf("cancel link = %q", link)
		}
		r := e.byLink(t, link)
		if r.Status != community.RegistrationConfirmed || r.Guest == nil || r.Guest.Name != "前橋 次郎" || r.Guest.Email != email {
			t.Errorf("stored registration = %+v (guest %+v)", r, r.Guest)
		}

		// The same link again shows the same registration; it takes no second place.
		confirmLink := e.mail.last(t, "guest_confirm", email)
		twice := e.do(t, post(t, "/registrations/confirm", url.Values{"token": {tokenOf(t, confirmLink)}}, ""))
		wantStatus(t, twice, 200)
		wantBody(t, twice, "このお申し込みはすでに確定しています。", "<h1>参加登録が完了しました</h1>")
		if ev, err := e.store.Event(context.Background(), lecture.ID); err != nil || ev.ConfirmedCount != 1 {
			t.Errorf("after two clicks: %+v, %v; want one seat", ev, err)
		}

		// Asking again for a registered address is answered as for any
		// address (nobody learns who registered); its link says so.
		again := e.do(t, post(t, registerPath(lecture), guestForm("前橋 次郎", email), ""))
		wantStatus(t, again, 200)
		wantBody(t, again, "<h1>確認メールをお送りしました</h1>")
		again = e.confirmGuest(t, post(t, registerPath(lecture), guestForm("前橋 次郎", email), ""))
		wantStatus(t, again, 409)
		wantReason(t, again, "already_registered")
	})

	t.Run("ErrorsNextToFieldsAndValuesKept", func(t *testing.T) {
		resp := e.do(t, post(t, registerPath(lecture), guestForm("", `<b>not-an-address</b>`), ""))
		wantStatus(t, resp, 400)
		checkPageHeaders(t, resp)
		wantReason(t, resp, "validation_failed")
		for _, f := range []struct{ id, key, msg string }{
			{"guest-name", "guest.name", "お名前を入力してください。"},
			{"guest-email", "guest.email", "メールアドレスの形式が正しくありません。"},
		} {
			re := regexp.MustCompile(`id="` + f.id + `"[^>]*aria-invalid="true" aria-describedby="error-` + regexp.QuoteMeta(f.key) + `">\s*<span class="error" id="error-` + regexp.QuoteMeta(f.key) + `">` + regexp.QuoteMeta(f.msg) + `</span>`)
			if !re.MatchString(resp.Body) {
				t.Errorf("no %q right after the %s field", f.msg, f.id)
			}
		}
		wantBody(t, resp, `value="&lt;b&gt;not-an-address&lt;/b&gt;"`)
		wantNotBody(t, resp, "<b>not-an-address")
	})

	t.Run("CrossSite", func(t *testing.T) {
		email := localtest.UniqueEmail("xsite")
		req := post(t, registerPath(lecture), guestForm("外部 送信", email), "")
		req.Headers["sec-fetch-site"], req.Headers["origin"] = "cross-site", "https://evil.example"
		resp := e.do(t, req)
		wantStatus(t, resp, 403)
		checkPageHeaders(t, resp)
		if n := e.mail.count("confirmed", email) + e.mail.count("guest_confirm", email); n != 0 {
			t.Errorf("a cross-site form registered or mailed (%d mails)", n)
		}
	})

	t.Run("Honeypot", func(t *testing.T) {
		email := localtest.UniqueEmail("bot")
		f := guestForm("ボット", email)
		f.Set("website", "https://spam.example.com")
		resp := e.do(t, post(t, registerPath(lecture), f, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "<h1>確認メールをお送りしました</h1>")
		if n := e.mail.count("confirmed", email) + e.mail.count("guest_confirm", email); n != 0 {
			t.Errorf("a honeypot hit was registered or mailed (%d mails)", n)
		}
	})
}

func TestRegisterRefused(t *testing.T) {
	e := newEnv(t)
	_, supporting := e.member(t, "賛助 会員", community.MembershipSupporting)
	closed, opens := jst(4, 30, 23, 59), jst(5, 10, 0, 0)

	tests := []struct {
		name    string
		mutate  func(*community.Event)
		member  bool // post as the supporting member, else as a guest
		fill    bool // a member takes the only seat first
		status  int
		reason  string
		blocked string // what the page then says instead of a form
	}{
		{"FullWithoutWaitlist", func(ev *community.Event) { ev.Capacity = 1 }, false, true, 409, "event_full", "満席のため、申込の受付を終了しました。"},
		{"FullWithoutWaitlistMember", func(ev *community.Event) { ev.Capacity = 1 }, true, true, 409, "event_full", "満席のため、申込の受付を終了しました。"},
		{"MembersOnlyForGuest", func(ev *community.Event) { ev.Audience = community.AudienceMembers }, false, false, 403, "members_only", "会員の方は<a href=\"/signin\">ログイン</a>"},
		{"EligibilityForGuest", func(ev *community.Event) {
			ev.Eligibility = &community.Eligibility{PublicServantOnly: true}
		}, false, false, 403, "members_only", "参加条件の確認が必要なため"},
		{"RegularOnly", func(ev *community.Event) {
			ev.Kind, ev.Audience = community.KindMeeting, community.AudienceRegular
		}, true, false, 403, "regular_members_only", "このイベントは正会員限定です。"},
		{"Closed", func(ev *community.Event) { ev.RegistrationClosesAt = &closed }, false, false, 422, "registration_closed", "申込受付は締め切りました。"},
		{"NotYetOpen", func(ev *community.Event) { ev.RegistrationOpensAt = &opens }, true, false, 422, "registration_not_open", "申込受付はまだ始まっていません。"},
		{"Cancelled", func(ev *community.Event) { ev.Status = community.EventCancelled; ev.CancelReason = "台風のため" }, false, false, 422, "event_cancelled", "このイベントは中止になりました。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := e.createEvent(t, "申込できない回 "+tt.name, jst(5, 20, 19, 0), tt.mutate)
			if tt.fill {
				first, _ := e.member(t, "先着 一名", community.MembershipSupporting)
				if _, err := e.regs.Register(context.Background(), community.Viewer{Member: first}, ev.ID, nil); err != nil {
					t.Fatal(err)
				}
			}
			session, form := "", guestForm("来訪 者", localtest.UniqueEmail("refused"))
			if tt.member {
				session = supporting
				form = url.Values{"csrf": {e.csrfOf(t, supporting)}}
			}
			page := e.do(t, get(t, "/events/"+ev.ID, session))
			wantStatus(t, page, 200)
			wantBody(t, page, tt.blocked)
			wantNotBody(t, page, `action="`+registerPath(ev)+`"`)

			resp := e.do(t, post(t, registerPath(ev), form, session))
			wantStatus(t, resp, tt.status)
			checkPageHeaders(t, resp)
			wantReason(t, resp, tt.reason)
			wantBody(t, resp, "<h1>申込できない回 "+tt.name+"</h1>")
		})
	}

	t.Run("UnknownEvent", func(t *testing.T) {
		id := community.NewID(time.Now())
		resp := e.do(t, post(t, "/events/"+id+"/register", guestForm("来訪 者", localtest.UniqueEmail("unknown")), ""))
		wantStatus(t, resp, 404)
	})
}

func TestWaitlist(t *testing.T) {
	e := newEnv(t)
	trip := e.createEvent(t, "橋梁点検の体験", jst(5, 20, 9, 30), func(ev *community.Event) {
		ev.Kind, ev.Audience = community.KindFieldTrip, community.AudienceMembers
		ev.Capacity, ev.Waitlist = 1, true
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
	})
	page := "/events/" + trip.ID
	a, sa := e.member(t, "先着 A", community.MembershipSupporting)
	b, sb := e.member(t, "待ち B", community.MembershipSupporting)

	wantStatus(t, e.do(t, post(t, registerPath(trip), url.Values{"csrf": {e.pageCSRF(t, page, sa)}}, sa)), 200)

	full := e.do(t, get(t, page, sb))
	wantBody(t, full, "満席（キャンセル待ち受付中）", "キャンセル待ちに申し込む")
	resp := e.do(t, post(t, registerPath(trip), url.Values{"csrf": {e.pageCSRF(t, page, sb)}}, sb))
	wantStatus(t, resp, 200)
	wantBody(t, resp, "<h1>キャンセル待ちで受け付けました（1番目）</h1>")
	wantNotBody(t, resp, "zoom.example.com")
	if n := e.mail.count("waitlisted", b.Email); n != 1 {
		t.Errorf("%d waitlist mails, want 1", n)
	}

	waiting := e.do(t, get(t, page, sb))
	wantBody(t, waiting, "あなたの申込: <strong class=\"status\">キャンセル待ち 1番目</strong>", `action="`+cancelPath(trip)+`"`)
	wantNotBody(t, waiting, "zoom.example.com")
	wantNotBody(t, e.do(t, get(t, page, "")), "zoom.example.com")

	// A gives up the seat; B is promoted and now sees the join URL.
	wantStatus(t, e.do(t, post(t, cancelPath(trip), url.Values{"csrf": {e.pageCSRF(t, page, sa)}}, sa)), 303)
	if r := e.registration(t, trip.ID, a.ID); r != nil {
		t.Errorf("A still registered: %+v", r)
	}
	if n := e.mail.count("promoted", b.Email); n != 1 {
		t.Errorf("%d promotion mails, want 1", n)
	}
	promoted := e.do(t, get(t, page, sb))
	wantBody(t, promoted, "参加確定", "zoom.example.com/j/4242")
}

func TestCancelByLink(t *testing.T) {
	e := newEnv(t)
	lecture := e.createEvent(t, "公開私塾 橋の話", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Capacity, ev.Waitlist = 1, true
	})
	first, second := localtest.UniqueEmail("first"), localtest.UniqueEmail("second")
	wantStatus(t, e.confirmGuest(t, post(t, registerPath(lecture), guestForm("先着 花子", first), "")), 200)
	wantStatus(t, e.confirmGuest(t, post(t, registerPath(lecture), guestForm("待ち 次郎", second), "")), 200)
	link, _ := url.Parse(e.mail.last(t, "confirmed", first))
	token := link.Query().Get("token")

	t.Run("GetDoesNotCancel", func(t *testing.T) {
		for range 2 { // a mail scanner, then the person
			resp := e.do(t, get(t, link.RequestURI(), ""))
			wantStatus(t, resp, 200)
			checkPageHeaders(t, resp)
			if got := resp.Headers["Referrer-Policy"]; got != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", got)
			}
			wantBody(t, resp, "<h1>申込の取り消し</h1>", "公開私塾 橋の話", "令和7年5月14日(水) 19:00〜20:30", "先着 花子", "参加確定",
				`<form method="post" action="/cancel">`, "申込を取り消す")
			if m := hiddenToken.FindStringSubmatch(resp.Body); m == nil || m[1] != token {
				t.Error("the page does not carry the token in its form")
			}
		}
		if r := e.byLink(t, link.String()); r.Status != community.RegistrationConfirmed {
			t.Errorf("opening the link changed the registration to %s", r.Status)
		}
		secondLink := e.mail.last(t, "waitlisted", second)
		wantBody(t, e.do(t, get(t, mustURI(t, secondLink), "")), "キャンセル待ち 1番目")
	})

	t.Run("PostCancelsOnceWithoutCookie", func(t *testing.T) {
		req := fixture(t, "post-cancel-link.json")
		req.Body = "token=" + url.QueryEscape(token)
		req.Headers["content-length"] = strconv.Itoa(len(req.Body))
		for range 2 { // a second press is harmless
			resp := e.do(t, req)
			wantStatus(t, resp, 200)
			checkPageHeaders(t, resp)
			wantBody(t, resp, "<h1>申込を取り消しました</h1>", "「公開私塾 橋の話」（令和7年5月14日(水) 19:00〜20:30）への申込を取り消しました。")
		}
		if r := e.byLink(t, link.String()); r.Status != community.RegistrationCancelled {
			t.Errorf("registration is %s, want cancelled", r.Status)
		}
		if n := e.mail.count("cancelled", first); n != 1 {
			t.Errorf("%d cancellation mails, want 1", n)
		}
		if n := e.mail.count("promoted", second); n != 1 {
			t.Errorf("%d promotion mails to the waitlist head, want 1", n)
		}
		again := e.do(t, get(t, link.RequestURI(), ""))
		wantStatus(t, again, 200)
		wantBody(t, again, "この申込はすでに取り消されています。")
		wantNotBody(t, again, `action="/cancel"`)
	})

	t.Run("Refused", func(t *testing.T) {
		eventID, regID, _ := auth.Links{Keys: testKeys}.ParseCancelToken(token)
		links := auth.Links{Keys: testKeys}
		for _, tt := range []struct{ name, token string }{
			{"Empty", ""},
			{"Garbage", "nope"},
			{"Truncated", token[:len(token)-3]},
			{"OtherEvent", community.NewID(time.Now()) + token[strings.IndexByte(token, ':'):]},
			{"OtherSecret", auth.Links{Keys: auth.MustParseKeyring("another-secret-another-secret-32b")}.CancelToken(eventID, regID)},
			{"UnknownRegistration", links.CancelToken(eventID, community.NewID(time.Now()))},
			{"UnsubscribeToken", links.UnsubscribeToken(regID, community.ListReminders)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				page := e.do(t, get(t, "/cancel?token="+url.QueryEscape(tt.token), ""))
				wantStatus(t, page, 400)
				checkPageHeaders(t, page)
				wantBody(t, page, "キャンセル用のリンクが正しくありません。")
				resp := e.do(t, post(t, "/cancel", url.Values{"token": {tt.token}}, ""))
				wantStatus(t, resp, 400)
				wantBody(t, resp, "キャンセル用のリンクが正しくありません。")
			})
		}
	})

	t.Run("AfterTheStart", func(t *testing.T) {
		e := newEnv(t)
		soon := e.createEvent(t, "まもなく開始", jst(5, 1, 19, 0), nil)
		email := localtest.UniqueEmail("late")
		wantStatus(t, e.confirmGuest(t, post(t, registerPath(soon), guestForm("遅刻 者", email), "")), 200)
		link := e.mail.last(t, "confirmed", email)
		e.clock.Advance(10 * time.Hour)
		page := e.do(t, get(t, mustURI(t, link), ""))
		wantStatus(t, page, 200)
		wantBody(t, page, "開始後のイベントはキャンセルできません。")
		wantNotBody(t, page, `action="/cancel"`)
		resp := e.do(t, post(t, "/cancel", url.Values{"token": {tokenOf(t, link)}}, ""))
		wantStatus(t, resp, 422)
		if r := e.byLink(t, link); r.Status != community.RegistrationConfirmed {
			t.Errorf("registration is %s after a refused cancel", r.Status)
		}
	})
}

func mustURI(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestMyPageRegistrations(t *testing.T) {
	e := newEnv(t)
	m, session := e.member(t, "一覧 花子", community.MembershipSupporting)
	viewer := community.Viewer{Member: m}
	ctx := context.Background()

	lecture := e.createEvent(t, "私塾 5月20日", jst(5, 20, 19, 0), func(ev *community.Event) {
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
	})
	trip := e.createEvent(t, "体験 5月10日", jst(5, 10, 9, 0), func(ev *community.Event) {
		ev.Kind, ev.Capacity, ev.Waitlist = community.KindFieldTrip, 1, true
		ev.OnlinePlatform, ev.JoinURL = "Zoom", "https://zoom.example.com/j/waitlisted-must-not-see"
	})
	past := e.createEvent(t, "井戸端 5月2日", jst(5, 2, 9, 0), func(ev *community.Event) { ev.Kind = community.KindMeeting })
	dropped := e.createEvent(t, "取り消した回", jst(5, 25, 19, 0), nil)

	other, _ := e.member(t, "先客", community.MembershipSupporting)
	if _, err := e.regs.Register(ctx, community.Viewer{Member: other}, trip.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*community.Event{lecture, trip, past, dropped} {
		if _, err := e.regs.Register(ctx, viewer, ev.ID, nil); err != nil {
			t.Fatalf("register for %s: %v", ev.Title, err)
		}
	}
	if _, err := e.regs.CancelMine(ctx, viewer, dropped.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(48 * time.Hour) // now 3 May: the 2 May meeting is over

	resp := e.do(t, get(t, "/me", session))
	wantStatus(t, resp, 200)
	checkPageHeaders(t, resp)
	wantBody(t, resp,
		`<a href="/events/`+trip.ID+`">体験 5月10日</a>`, "令和7年5月10日(土) 9:00〜10:30", "キャンセル待ち 1番目",
		`<a href="/events/`+lecture.ID+`">私塾 5月20日</a>`, "令和7年5月20日(火) 19:00〜20:30", "参加確定",
		`href="https://zoom.example.com/j/4242`, "終了したイベント", "井戸端 5月2日",
		`<form method="post" action="`+cancelPath(lecture)+`" class="inline">`,
		`<form method="post" action="`+cancelPath(trip)+`" class="inline">`, `name="from" value="me"`)
	wantNotBody(t, resp, "取り消した回", "waitlisted-must-not-see", `action="`+cancelPath(past)+`"`, "申込済みのイベントはありません")
	if i, j, k := strings.Index(resp.Body, "体験 5月10日"), strings.Index(resp.Body, "私塾 5月20日"), strings.Index(resp.Body, "井戸端 5月2日"); i < 0 || j < i || k < j {
		t.Error("upcoming registrations are not listed soonest first, before past ones")
	}

	t.Run("CancelNeedsCSRF", func(t *testing.T) {
		_, otherSession := e.member(t, "他人", community.MembershipSupporting)
		for _, form := range []url.Values{
			{"from": {"me"}},
			{"from": {"me"}, "csrf": {e.csrfOf(t, otherSession)}},
		} {
			resp := e.do(t, post(t, cancelPath(lecture), form, session))
			wantStatus(t, resp, 403)
			checkPageHeaders(t, resp)
		}
		if r := e.registration(t, lecture.ID, m.ID); r == nil || r.Status != community.RegistrationConfirmed {
			t.Fatalf("a forged cancel changed the registration: %+v", r)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		resp := e.do(t, post(t, cancelPath(lecture), url.Values{"csrf": {e.csrfOf(t, session)}, "from": {"me"}}, session))
		wantStatus(t, resp, 303)
		if loc := resp.Headers["Location"]; loc != "/me?saved=cancelled" {
			t.Fatalf("Location = %q", loc)
		}
		page := e.do(t, get(t, "/me?saved=cancelled", session))
		wantStatus(t, page, 200)
		wantBody(t, page, "申込を取り消しました。", "体験 5月10日")
		wantNotBody(t, page, "私塾 5月20日", "zoom.example.com/j/4242")
		if r := e.registration(t, lecture.ID, m.ID); r != nil {
			t.Errorf("still registered: %+v", r)
		}
	})

	t.Run("OtherMembersRegistration", func(t *testing.T) {
		// Another member cannot cancel what is not theirs: the route only
		// ever acts on the session's own registration.
		_, s := e.member(t, "無関係", community.MembershipSupporting)
		resp := e.do(t, post(t, cancelPath(trip), url.Values{"csrf": {e.csrfOf(t, s)}}, s))
		wantStatus(t, resp, 404)
		if r := e.registration(t, trip.ID, m.ID); r == nil || r.Status != community.RegistrationWaitlisted {
			t.Errorf("the waitlisted registration changed: %+v", r)
		}
	})
}

// A member and a guest named <script>, registered for an event titled the
// same, see it as text on every page that shows a registration.
func TestScriptInRegistrationPagesIsInert(t *testing.T) {
	const script = `<script>alert(1)</script>`
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;`
	e := newEnv(t)
	ev := e.createEvent(t, script, jst(5, 14, 19, 0), func(ev *community.Event) { ev.Capacity = 10 })
	_, session := e.member(t, script, community.MembershipSupporting)

	memberConfirm := e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, "/events/"+ev.ID, session)}}, session))
	guestEmail := localtest.UniqueEmail("guest-script")
	guestConfirm := e.confirmGuest(t, post(t, registerPath(ev), guestForm(script, guestEmail), ""))
	cancelLink := e.mail.last(t, "confirmed", guestEmail)

	for _, tt := range []struct {
		name  string
		resp  events.APIGatewayV2HTTPResponse
		wants []string
	}{
		{"MemberConfirmation", memberConfirm, []string{"参加登録が完了しました", "「" + escaped + "」への参加を受け付けました。"}},
		{"GuestConfirmation", guestConfirm, []string{"参加登録が完了しました", "「" + escaped + "」への参加を受け付けました。"}},
		{"EventPageWithRegistration", e.do(t, get(t, "/events/"+ev.ID, session)), []string{"<h1>" + escaped + "</h1>", `あなたの申込: <strong class="status confirmed">参加確定</strong>`}},
		{"CancelPage", e.do(t, get(t, mustURI(t, cancelLink), "")), []string{"<h1>申込の取り消し</h1>", "<dd>" + escaped + "</dd>", ">" + escaped + "</a>"}},
		{"MyPage", e.do(t, get(t, "/me", session)), []string{"<strong>" + escaped + "</strong> さん", `<a href="/events/` + ev.ID + `">` + escaped + `</a>`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.resp, 200)
			checkPageHeaders(t, tt.resp)
			wantBody(t, tt.resp, tt.wants...)
			wantNotBody(t, tt.resp, "<script")
		})
	}
	// The guest's cancellation page after cancelling names them too.
	t.Run("CancelledPage", func(t *testing.T) {
		resp := e.do(t, post(t, "/cancel", url.Values{"token": {tokenOf(t, cancelLink)}}, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "「"+escaped+"」", escaped+" 様")
		wantNotBody(t, resp, "<script")
	})
}

// TestLotteryPages: a lottery event says 抽選 with its deadline, draw time
// and commitment, and its button reads 申し込む; the applicant sees 申込中
// and the application id on the event page and the my page, never the
// join URL; after the draw the page links the published result.
func TestLotteryPages(t *testing.T) {
	e := newEnv(t)
	start := jst(5, 20, 9, 30)
	closes, drawAt := start.Add(-72*time.Hour), start.Add(-48*time.Hour)
	ev := e.createEvent(t, "抽選の研修", start, func(ev *community.Event) {
		ev.Capacity, ev.Mode, ev.RegistrationClosesAt = 2, community.ModeLottery, &closes
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
		ev.Lottery = &community.Lottery{DrawAt: drawAt, FirstTimeWeight: 1, Commitment: strings.Repeat("ab", 32)}
	})
	page := "/events/" + ev.ID
	m, sm := e.member(t, "抽選 一子", community.MembershipSupporting)
	open := e.do(t, get(t, page, sm))
	wantBody(t, open, "参加者の決め方", "抽選（抽選日時:", strings.Repeat("ab", 32), ">申し込む</button>")
	resp := e.do(t, post(t, registerPath(ev), url.Values{"csrf": {e.pageCSRF(t, page, sm)}}, sm))
	wantStatus(t, resp, 200)
	wantBody(t, resp, "<h1>お申し込みを受け付けました</h1>", "申込ID:")
	wantNotBody(t, resp, "zoom.example.com")
	if n := e.mail.count("applied", m.Email); n != 1 {
		t.Errorf("%d application receipts, want 1", n)
	}
	r := e.registration(t, ev.ID, m.ID)
	if r == nil || r.Status != community.RegistrationApplied {
		t.Fatalf("stored %+v, want applied", r)
	}
	mine := e.do(t, get(t, page, sm))
	wantBody(t, mine, "申込中（抽選待ち）", r.ID)
	wantNotBody(t, mine, "zoom.example.com")
	me := e.do(t, get(t, "/me", sm))
	wantBody(t, me, "申込中（抽選待ち）", r.ID)
	wantNotBody(t, me, "zoom.example.com")
}
