package signupapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/signupapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "SignupFunction")) }

type env struct {
	t        *testing.T
	h        *signupapi.Handler
	store    *dynamo.Store
	table    string
	clock    *communitytest.Clock // settable, so expiry is tested without waiting
	links    auth.Links
	members  *community.Members
	regs     *community.Registrations
	sessions *auth.Sessions
}

// newEnv is a handler on a fresh table without the minimum response time,
// so tests that are not about timing do not wait for it.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := newPacedEnv(t)
	e.h.SetMinResponseTime(0)
	return e
}

// newPacedEnv is a handler as New makes it, minimum response time included.
func newPacedEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			"TABANE_SESSION_SECRET": "test-secret-test-secret-test-secret-0123",
			"TABANE_BASE_URL":       "http://localhost:8080",
			"TABANE_ORGANIZERS":     "organizer@example.jp",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	table := localtest.NewTable(t)
	store := dynamo.New(localtest.DynamoDB(), table)
	clk := communitytest.NewClock(time.Now())
	composer, err := mail.NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	links := auth.Links{BaseURL: cfg.BaseURL, Keys: cfg.Keys}
	sessions := &auth.Sessions{Store: store, Keys: cfg.Keys, TTL: cfg.SessionTTL, Clock: clk, Organizers: cfg.IsOrganizer}
	notifier := &mail.Notifier{Composer: composer, Sender: mail.NewSender(localtest.SES(), clk)}
	// Wired as pkg/app wires them: withdrawal cancels future seats first.
	regs := &community.Registrations{Events: store, Regs: store, Clock: clk, Links: links, Log: communitytest.FailOnError(t)}
	room := &community.Mailroom{Store: store, Notifier: notifier, Members: notifier, Admin: notifier, Links: links, Clock: clk, Log: communitytest.FailOnError(t)}
	localtest.DeliverOutbox(t, func(context.Context) error { communitytest.Deliver(t, room); return nil })
	members := &community.Members{
		Store: store, Clock: clk, Links: links, Secrets: auth.Secrets{Keys: cfg.Keys}, Sessions: sessions,
		BeforeWithdraw: regs.CancelFutureFor,
	}
	log := slog.New(slog.DiscardHandler)
	return &env{t: t, h: signupapi.New(members, &community.OptOuts{Members: members, Store: store}, sessions, links, log), store: store, table: table, clock: clk, links: links, members: members, regs: regs, sessions: sessions}
}

func (e *env) do(route, body, bearer string) (int, map[string]any) {
	e.t.Helper()
	return e.doFrom(route, body, bearer, "192.0.2.10")
}

// doFrom runs a request from the source address ip.
func (e *env) doFrom(route, body, bearer, ip string) (int, map[string]any) {
	e.t.Helper()
	method, path, _ := strings.Cut(route, " ")
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-" + localtest.UniqueID(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: ip},
		},
	}
	if bearer != "" {
		req.Headers["authorization"] = "Bearer " + bearer
	}
	// Through JSON, as Lambda delivers it.
	raw, _ := json.Marshal(req)
	var in events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.h.Handle(context.Background(), in)
	if err != nil {
		e.t.Fatalf("Handle returned error %v", err)
	}
	apicontract.Check(e.t, in, resp)
	var out map[string]any
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
			e.t.Fatalf("body is not JSON: %q", resp.Body)
		}
	}
	return resp.StatusCode, out
}

func errCode(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

func signupBody(email, name, membership string) string {
	b, _ := json.Marshal(map[string]any{
		"email": email, "name": name, "name_kana": "たかはし さきこ", "membership": membership,
		"affiliation": "伊勢崎市", "department": "建設部道路課", "job_category": "土木",
		"public_servant": true, "birth_date": "1990-04-01",
		"consent": map[string]any{"terms": true, "announcements": false},
	})
	return string(b)
}

var tokenRE = regexp.MustCompile(`token=([A-Za-z0-9_\-.%]+)`)

// linkToken returns the token of the link to page in the n-th mail to addr.
func linkToken(t *testing.T, m localtest.Mail, page string) string {
	t.Helper()
	for _, line := range strings.Split(m.Body.Text, "\n") {
		if strings.Contains(line, page+"?token=") {
			if sub := tokenRE.FindStringSubmatch(line); sub != nil {
				tok, err := url.QueryUnescape(sub[1])
				if err != nil {
					t.Fatal(err)
				}
				return tok
			}
		}
	}
	t.Fatalf("no %s link in mail %q:\n%s", page, m.Subject, m.Body.Text)
	return ""
}

func TestSignupVerifySignInMe(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("flow")
	name := "髙橋 﨑子 🌸"

	code, body := e.do(signupapi.RouteSignup, signupBody(strings.ToUpper(addr[:1])+addr[1:], name, "supporting"), "")
	if code != 202 || body["status"] != "verification_sent" {
		t.Fatalf("signup = %d %v", code, body)
	}
	mails := localtest.WaitMail(t, addr, 1)
	if !strings.Contains(mails[0].Body.Text, name) || !strings.Contains(mails[0].Body.HTML, name) {
		t.Errorf("the name did not survive into the mail body:\n%s", mails[0].Body.Text)
	}
	verify := linkToken(t, mails[0], "/verify")

	// Verify twice: the second is harmless and mails nothing more.
	for i := 0; i < 2; i++ {
		code, body = e.do(signupapi.RouteVerify, `{"token":"`+verify+`"}`, "")
		if code != 200 || body["status"] != "active" {
			t.Fatalf("verify #%d = %d %v", i+1, code, body)
		}
	}
	welcome := localtest.WaitMail(t, addr, 2)
	time.Sleep(200 * time.Millisecond)
	if n := len(localtest.MailTo(t, addr)); n != 2 {
		t.Errorf("after verifying twice: %d mails, want 2 (verification, welcome)", n)
	}
	_ = welcome

	code, body = e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, "")
	if code != 202 {
		t.Fatalf("link = %d %v", code, body)
	}
	signin := linkToken(t, localtest.WaitMail(t, addr, 3)[2], "/signin")
	code, body = e.do(signupapi.RouteSession, `{"token":"`+signin+`"}`, "")
	if code != 200 || body["token"] == "" {
		t.Fatalf("session = %d %v", code, body)
	}
	session := body["token"].(string)
	// The link is single-use.
	if code, body := e.do(signupapi.RouteSession, `{"token":"`+signin+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
		t.Errorf("reused sign-in link = %d %v, want 400 invalid_token", code, body)
	}

	code, body = e.do(signupapi.RouteMe, "", session)
	if code != 200 || body["name"] != name || body["email"] != addr || body["status"] != "active" || body["membership"] != "supporting" {
		t.Fatalf("me = %d %v", code, body)
	}

	// Signed out, the session no longer works.
	if code, _ := e.do(signupapi.RouteSignOut, "", session); code != 204 {
		t.Fatalf("sign out = %d", code)
	}
	if code, body := e.do(signupapi.RouteMe, "", session); code != 401 {
		t.Errorf("me after sign-out = %d %v, want 401", code, body)
	}
}

func TestRegularMemberWaitsForApproval(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("regular")
	if code, _ := e.do(signupapi.RouteSignup, signupBody(addr, "山田 太郎", "regular"), ""); code != 202 {
		t.Fatal(code)
	}
	tok := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")
	code, body := e.do(signupapi.RouteVerify, `{"token":"`+tok+`"}`, "")
	if code != 200 || body["status"] != "pending_approval" {
		t.Fatalf("verify = %d %v", code, body)
	}
	if m := localtest.WaitMail(t, addr, 2)[1]; !strings.Contains(m.Subject, "承認") {
		t.Errorf("second mail %q is not the pending-approval notice", m.Subject)
	}
}

func TestDuplicateSignupRevealsNothing(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("dup")
	_, first := e.do(signupapi.RouteSignup, signupBody(addr, "一人目", "supporting"), "")
	tok := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")
	e.do(signupapi.RouteVerify, `{"token":"`+tok+`"}`, "")
	localtest.WaitMail(t, addr, 2)

	code, second := e.do(signupapi.RouteSignup, signupBody(strings.ToUpper(addr), "二人目", "regular"), "")
	if code != 202 || second["status"] != first["status"] {
		t.Fatalf("second signup = %d %v, want the same answer as the first (%v)", code, second, first)
	}
	m := localtest.WaitMail(t, addr, 3)[2]
	if !strings.Contains(m.Subject, "登録済み") {
		t.Errorf("third mail %q is not the already-registered notice", m.Subject)
	}
	got, err := e.store.MemberByEmail(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "一人目" || got.Membership != community.MembershipSupporting {
		t.Errorf("the second signup changed the account: %+v", got)
	}
}

func TestTokensRefused(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("expiry")
	e.do(signupapi.RouteSignup, signupBody(addr, "期限 切子", "supporting"), "")
	verify := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")

	t.Run("ErrVerifyExpired", func(t *testing.T) {
		e.clock.Advance(community.VerifyTTL + time.Second)
		defer e.clock.Advance(-(community.VerifyTTL + time.Second))
		if code, body := e.do(signupapi.RouteVerify, `{"token":"`+verify+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
			t.Errorf("expired verify = %d %v", code, body)
		}
	})
	t.Run("ErrVerifyUnknown", func(t *testing.T) {
		if code, body := e.do(signupapi.RouteVerify, `{"token":"nope"}`, ""); code != 400 || errCode(body) != "invalid_token" {
			t.Errorf("unknown verify = %d %v", code, body)
		}
	})
	e.do(signupapi.RouteVerify, `{"token":"`+verify+`"}`, "")
	e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, "")
	signin := linkToken(t, localtest.WaitMail(t, addr, 3)[2], "/signin")
	t.Run("ErrSignInExpired", func(t *testing.T) {
		e.clock.Advance(community.SignInTTL + time.Second)
		defer e.clock.Advance(-(community.SignInTTL + time.Second))
		if code, body := e.do(signupapi.RouteSession, `{"token":"`+signin+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
			t.Errorf("expired sign-in = %d %v", code, body)
		}
	})
	t.Run("ErrVerifyTokenAsSignIn", func(t *testing.T) {
		if code, body := e.do(signupapi.RouteSession, `{"token":"`+verify+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
			t.Errorf("verification token used to sign in = %d %v", code, body)
		}
	})
	t.Run("ErrForgedSession", func(t *testing.T) {
		if code, body := e.do(signupapi.RouteMe, "", "abc.def"); code != 401 {
			t.Errorf("forged session = %d %v", code, body)
		}
	})
}

func TestSignupRefusals(t *testing.T) {
	e := newEnv(t)
	// Addresses the mailer cannot send to, made from a fresh one per case.
	local := func(a string) string { return a[:strings.IndexByte(a, '@')] }
	tests := []struct {
		name string
		// email is the address the body carries, made from a fresh one; nil
		// carries it as it is.
		email  func(addr string) string
		body   func(addr string) string
		ctype  string
		status int
		code   string
		field  string // a field the error must name
	}{
		{"ErrRole", nil, func(a string) string {
			return strings.Replace(signupBody(a, "x", "supporting"), `{`, `{"role":"organizer",`, 1)
		}, "", 400, "unknown_field", ""},
		{"ErrStatus", nil, func(a string) string {
			return strings.Replace(signupBody(a, "x", "supporting"), `{`, `{"status":"active",`, 1)
		}, "", 400, "unknown_field", ""},
		{"ErrUnknown", nil, func(a string) string {
			return strings.Replace(signupBody(a, "x", "supporting"), `{`, `{"nickname":"x",`, 1)
		}, "", 400, "unknown_field", ""},
		{"ErrCRLFInName", nil, func(a string) string { return signupBody(a, "悪意\r\nBcc: victim@example.jp", "supporting") }, "", 400, "validation_failed", "name"},
		{"ErrBadEmail", func(a string) string { return strings.Replace(a, "@", "", 1) }, nil, "", 400, "validation_failed", "email"},
		{"ErrEmailNonASCIILocal", func(a string) string { return "髙橋" + a }, nil, "", 400, "validation_failed", "email"},
		{"ErrEmailLocalOver64", func(a string) string { return strings.Repeat("a", 65-len(local(a))) + a }, nil, "", 400, "validation_failed", "email"},
		{"ErrEmailIDN", func(a string) string { return strings.Replace(a, "example.jp", "例え.jp", 1) }, nil, "", 400, "validation_failed", "email"},
		{"ErrEmailIPLiteral", func(a string) string { return local(a) + "@[127.0.0.1]" }, nil, "", 400, "validation_failed", "email"},
		{"ErrNoConsent", nil, func(a string) string {
			return strings.Replace(signupBody(a, "x", "supporting"), `"terms":true`, `"terms":false`, 1)
		}, "", 400, "validation_failed", "consent.terms"},
		{"ErrMembership", nil, func(a string) string { return signupBody(a, "x", "vip") }, "", 400, "validation_failed", "membership"},
		{"ErrTooLarge", nil, func(a string) string { return signupBody(a, strings.Repeat("あ", 30000), "supporting") }, "", 413, "too_large", ""},
		{"ErrContentType", nil, func(a string) string { return signupBody(a, "x", "supporting") }, "text/plain", 415, "unsupported_media_type", ""},
		// U+FFFD is where some transport replaced bytes that were not UTF-8
		// ("名�"): refused in every text field, naming it.
		{"ErrReplacementInName", nil, func(a string) string { return signupBody(a, "名\uFFFD", "supporting") }, "", 400, "validation_failed", "name"},
		{"ErrReplacementInKana", nil, func(a string) string { return replaceField(signupBody(a, "x", "supporting"), "name_kana") }, "", 400, "validation_failed", "name_kana"},
		{"ErrReplacementInAffiliation", nil, func(a string) string { return replaceField(signupBody(a, "x", "supporting"), "affiliation") }, "", 400, "validation_failed", "affiliation"},
		{"ErrReplacementInDepartment", nil, func(a string) string { return replaceField(signupBody(a, "x", "supporting"), "department") }, "", 400, "validation_failed", "department"},
		{"ErrReplacementInJobCategory", nil, func(a string) string { return replaceField(signupBody(a, "x", "supporting"), "job_category") }, "", 400, "validation_failed", "job_category"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := localtest.UniqueEmail("refuse")
			if tt.email != nil {
				addr = tt.email(addr)
			}
			var req string
			if tt.body != nil {
				req = tt.body(addr)
			} else {
				req = signupBody(addr, "髙橋 﨑子", "supporting")
			}
			var code int
			var body map[string]any
			if tt.ctype != "" {
				code, body = e.doType(signupapi.RouteSignup, req, tt.ctype)
			} else {
				code, body = e.do(signupapi.RouteSignup, req, "")
			}
			if code != tt.status || errCode(body) != tt.code {
				t.Fatalf("= %d %v, want %d %s", code, body, tt.status, tt.code)
			}
			msg, _ := body["error"].(map[string]any)["message"].(string)
			if msg == "" {
				t.Error("no Japanese message")
			}
			if tt.field != "" {
				fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
				if s, _ := fields[tt.field].(string); s == "" {
					t.Errorf("no message for the field %q: %v", tt.field, body)
				}
			}
			// Nothing stored or sent for the very address the body carried.
			if _, err := e.store.MemberByEmail(context.Background(), community.NormalizeEmail(addr)); community.ErrorCode(err) != community.NotFound {
				t.Errorf("something was stored for %q: %v", addr, err)
			}
			time.Sleep(100 * time.Millisecond)
			if n := len(localtest.MailTo(t, addr)); n != 0 {
				t.Errorf("%d mails sent", n)
			}
		})
	}
}

// replaceField returns the JSON object body with field's text ending in
// U+FFFD.
func replaceField(body, field string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		panic(err)
	}
	m[field] = m[field].(string) + "\uFFFD"
	b, _ := json.Marshal(m)
	return string(b)
}

func (e *env) doType(route, body, ctype string) (int, map[string]any) {
	e.t.Helper()
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: route, Body: body, Headers: map[string]string{"content-type": ctype}}
	resp, _ := e.h.Handle(context.Background(), req)
	apicontract.Check(e.t, req, resp)
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func TestHoneypot(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("bot")
	err := e.members.Signup(context.Background(), community.SignupInput{
		Email: addr, Name: "bot", NameKana: "ぼっと", Membership: community.MembershipSupporting,
		Affiliation: "x", Terms: true, Honeypot: "http://spam.example",
	})
	if err != nil {
		t.Fatalf("honeypot answered %v, want the same answer as a real signup", err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := e.store.MemberByEmail(context.Background(), addr); community.ErrorCode(err) != community.NotFound {
		t.Errorf("a member was stored: %v", err)
	}
	if n := len(localtest.MailTo(t, addr)); n != 0 {
		t.Errorf("%d mails sent", n)
	}
}

// TestMailRateLimit: one address gets at most SignupMailsPerHour signup
// mails in an hour, however many are asked for, from however many places.
func TestMailRateLimit(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("flood")
	for i := 0; i < community.SignupMailsPerHour+4; i++ {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		if code, body := e.doFrom(signupapi.RouteSignup, signupBody(addr, "連打", "supporting"), "", ip); code != 202 {
			t.Fatalf("signup #%d = %d %v", i, code, body)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(localtest.MailTo(t, addr)); n != community.SignupMailsPerHour {
		t.Errorf("%d mails, want %d", n, community.SignupMailsPerHour)
	}
	// The next hour allows mail again.
	e.clock.Advance(time.Hour)
	e.do(signupapi.RouteSignup, signupBody(addr, "連打", "supporting"), "")
	localtest.WaitMail(t, addr, community.SignupMailsPerHour+1)
}

// TestRequestsPerIP: past RequestsPerIP signup or link requests from one
// source address in an hour, it is refused with 429 in the contract's
// shape; other addresses are not.
func TestRequestsPerIP(t *testing.T) {
	e := newEnv(t)
	const ip = "203.0.113.77"
	for i := 0; i < community.RequestsPerIP; i++ {
		if code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+localtest.UniqueEmail("ip")+`"}`, "", ip); code != 202 {
			t.Fatalf("request #%d = %d %v", i+1, code, body)
		}
	}
	code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+localtest.UniqueEmail("ip")+`"}`, "", ip)
	if code != 429 || errCode(body) != "too_many_requests" {
		t.Errorf("request past the limit = %d %v, want 429 too_many_requests", code, body)
	}
	if code, body := e.doFrom(signupapi.RouteSignup, signupBody(localtest.UniqueEmail("ip"), "別 花子", "supporting"), "", ip); code != 202 {
		t.Errorf("signup from the same address = %d %v: the limits are per kind of request", code, body)
	}
	if code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+localtest.UniqueEmail("ip")+`"}`, "", "203.0.113.78"); code != 202 {
		t.Errorf("another address = %d %v", code, body)
	}
	e.clock.Advance(time.Hour)
	if code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+localtest.UniqueEmail("ip")+`"}`, "", ip); code != 202 {
		t.Errorf("the next hour = %d %v", code, body)
	}
}

func TestUpdateMeAndUnsubscribe(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("prefs")
	session := e.signUpAndIn(addr, "設定 変子")

	code, body := e.do(signupapi.RouteUpdateMe, `{"department":"都市整備課","preferences":{"reminders":false}}`, session)
	if code != 200 || body["department"] != "都市整備課" || body["preferences"].(map[string]any)["reminders"] != false {
		t.Fatalf("patch = %d %v", code, body)
	}
	for _, bad := range []string{`{"email":"x@example.jp"}`, `{"role":"organizer"}`, `{"status":"active"}`, `{"birth_date":"1990/01/01"}`, `{"name":""}`,
		`{"name":"名\uFFFD"}`, `{"department":"課\uFFFD"}`, `{"affiliation":"\uFFFD"}`} {
		if code, body := e.do(signupapi.RouteUpdateMe, bad, session); code != 400 {
			t.Errorf("patch %s = %d %v, want 400", bad, code, body)
		}
	}
	_, me := e.do(signupapi.RouteMe, "", session)
	id := me["id"].(string)
	if me["role"] != "member" || me["status"] != "active" {
		t.Errorf("refused patches changed something: %v", me)
	}

	good := e.links.UnsubscribeToken(id, community.ListAnnouncements)
	tampered := strings.Replace(good, ":announcements", ":reminders", 1)
	if code, body := e.do(signupapi.RouteUnsubscribe, `{"token":"`+tampered+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
		t.Errorf("tampered token = %d %v", code, body)
	}
	e.do(signupapi.RouteUpdateMe, `{"preferences":{"announcements":true}}`, session)
	for i := 0; i < 2; i++ {
		if code, body := e.do(signupapi.RouteUnsubscribe, `{"token":"`+good+`"}`, ""); code != 200 || body["list"] != "announcements" {
			t.Fatalf("unsubscribe #%d = %d %v", i, code, body)
		}
	}
	_, me = e.do(signupapi.RouteMe, "", session)
	if me["preferences"].(map[string]any)["announcements"] != false {
		t.Errorf("still subscribed: %v", me)
	}
}

// signUpAndIn runs the whole flow for a supporting member and returns a session.
func (e *env) signUpAndIn(addr, name string) string {
	t := e.t
	t.Helper()
	e.do(signupapi.RouteSignup, signupBody(addr, name, "supporting"), "")
	tok := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")
	e.do(signupapi.RouteVerify, `{"token":"`+tok+`"}`, "")
	e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, "")
	signin := linkToken(t, localtest.WaitMail(t, addr, 3)[2], "/signin")
	_, body := e.do(signupapi.RouteSession, `{"token":"`+signin+`"}`, "")
	s, _ := body["token"].(string)
	if s == "" {
		t.Fatalf("no session: %v", body)
	}
	return s
}

func TestWithdrawalLeavesNoPersonalData(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("leaver")
	name, kana, aff := "退会 花子", "たかはし さきこ", "伊勢崎市"
	session := e.signUpAndIn(addr, name)
	if code, body := e.do(signupapi.RouteWithdraw, "", session); code != 200 {
		t.Fatalf("withdraw = %d %v", code, body)
	}
	if code, _ := e.do(signupapi.RouteMe, "", session); code != 401 {
		t.Errorf("me after withdrawal = %d, want 401", code)
	}
	// Scan the whole table: no item may hold the name, kana, email or affiliation.
	out, err := localtest.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) == 0 {
		t.Fatal("empty table: the scan proves nothing")
	}
	for _, item := range out.Items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(m)
		for _, pii := range []string{name, kana, addr, strings.Split(addr, "@")[0], aff, "1990-04-01"} {
			if strings.Contains(string(raw), pii) {
				t.Errorf("item %s still holds %q", raw, pii)
			}
		}
	}
	// The address may sign up again.
	if code, _ := e.do(signupapi.RouteSignup, signupBody(addr, "再入会", "supporting"), ""); code != 202 {
		t.Fatal(code)
	}
	if _, err := e.store.MemberByEmail(context.Background(), addr); err != nil {
		t.Errorf("re-signup after withdrawal: %v", err)
	}
}

// A signup for an address nobody has verified yet replaces the earlier one
// whole — profile, membership and consent — and only the newest link
// verifies: whoever typed someone's address first decides nothing.
func TestResignupReplacesUnverified(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("victim")
	body := func(name, membership string, announcements bool) string {
		b, _ := json.Marshal(map[string]any{
			"email": addr, "name": name, "name_kana": "てすと", "membership": membership,
			"affiliation": "伊勢崎市", "public_servant": membership == "regular",
			"consent": map[string]any{"terms": true, "announcements": announcements},
		})
		return string(b)
	}
	if code, _ := e.doFrom(signupapi.RouteSignup, body("先取り 太郎", "regular", true), "", "198.51.100.66"); code != 202 {
		t.Fatal(code)
	}
	first := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")
	e.clock.Advance(time.Minute)
	second := e.clock.Now()
	if code, _ := e.doFrom(signupapi.RouteSignup, body("本人 花子", "supporting", false), "", "203.0.113.9"); code != 202 {
		t.Fatal(code)
	}
	mails := localtest.WaitMail(t, addr, 2)
	if !strings.Contains(mails[1].Body.Text, "本人 花子") {
		t.Errorf("the fresh verification mail does not address the latest signup:\n%s", mails[1].Body.Text)
	}
	latest := linkToken(t, mails[1], "/verify")

	m, err := e.store.MemberByEmail(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Consent
	if m.Name != "本人 花子" || m.Membership != community.MembershipSupporting || m.PublicServant || m.Status != community.MemberUnverified ||
		c.Announcements || m.Preferences.Announcements || !c.Terms || c.IP != "203.0.113.9" || !c.AgreedAt.Equal(second) ||
		c.FormVersion != community.SignupFormVersion {
		t.Errorf("after the second signup the member is %+v", m)
	}

	// The first link was for a submission that no longer stands.
	if code, body := e.do(signupapi.RouteVerify, `{"token":"`+first+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
		t.Errorf("superseded link = %d %v, want 400 invalid_token", code, body)
	}
	if code, body := e.do(signupapi.RouteVerify, `{"token":"`+latest+`"}`, ""); code != 200 || body["status"] != "active" || body["membership"] != "supporting" {
		t.Errorf("latest link = %d %v", code, body)
	}
}

// A suspended member gets no sign-in link by any route, and the answers do
// not differ from anyone else's.
func TestSuspendedGetsNoSignInLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("suspended")
	e.signUpAndIn(addr, "停止 中子")
	m, err := e.store.MemberByEmail(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	m.Status = community.MemberSuspended
	if err := e.store.UpdateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour) // a fresh hour: the mail limit is not why nothing goes out

	if code, body := e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, ""); code != 202 || body["status"] != "link_sent" {
		t.Errorf("link = %d %v, want the usual 202", code, body)
	}
	if code, body := e.do(signupapi.RouteSignup, signupBody(addr, "停止 中子", "supporting"), ""); code != 202 || body["status"] != "verification_sent" {
		t.Errorf("signup = %d %v, want the usual 202", code, body)
	}
	time.Sleep(300 * time.Millisecond)
	if mails := localtest.MailTo(t, addr); len(mails) != 3 {
		t.Errorf("%d mails, want the 3 from before the suspension; the last: %q", len(mails), mails[len(mails)-1].Subject)
	}
}

// Sign-in links are spaced per address like signup mails, and a stranger's
// requests never stop the owner signing in: the owner's own request inside
// the interval sends nothing new, and the link a stranger caused, in the
// owner's mailbox, signs the owner in.
func TestSignInMailRateLimit(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("signin-flood")
	e.signUpAndIn(addr, "連打 二郎") // verification, welcome, one sign-in link
	e.clock.Advance(time.Hour)   // a fresh interval
	for i := 0; i < 12; i++ {
		stranger := fmt.Sprintf("198.51.100.%d", 100+i)
		if code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+addr+`"}`, "", stranger); code != 202 || body["status"] != "link_sent" {
			t.Fatalf("link #%d = %d %v", i+1, code, body)
		}
	}
	// The owner asks from their own place, within the interval.
	if code, body := e.doFrom(signupapi.RouteLink, `{"email":"`+addr+`"}`, "", "192.0.2.200"); code != 202 {
		t.Fatalf("owner's request = %d %v", code, body)
	}
	mails := localtest.WaitMail(t, addr, 4)
	time.Sleep(300 * time.Millisecond)
	if n := len(localtest.MailTo(t, addr)); n != 4 {
		t.Fatalf("%d mails, want 4: one sign-in link in the interval", n)
	}
	token := linkToken(t, mails[len(mails)-1], "/signin")
	if code, body := e.do(signupapi.RouteSession, `{"token":"`+token+`"}`, ""); code != 200 || body["token"] == nil {
		t.Errorf("the owner signing in with the mailed link = %d %v", code, body)
	}
}

// Withdrawing frees a confirmed seat on a full event: the head of the
// waitlist is promoted and told, and still nothing personal of the member
// is left in the table.
func TestWithdrawalFreesSeatForWaitlist(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("seat-leaver")
	name, kana, aff := "退会 席子", "たかはし さきこ", "伊勢崎市"
	session := e.signUpAndIn(addr, name)
	leaver, err := e.store.MemberByEmail(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}

	now := e.clock.Now()
	start := now.Add(7 * 24 * time.Hour)
	ev := &community.Event{
		ID: community.NewID(now), Title: "現場見学会", Kind: community.KindFieldTrip, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(2 * time.Hour), Capacity: 1, Waitlist: true,
		Status: community.EventPublished, CreatedAt: now, UpdatedAt: now,
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	seat, err := e.regs.Register(ctx, community.Viewer{Member: leaver}, ev.ID, nil)
	if err != nil || seat.Registration.Status != community.RegistrationConfirmed {
		t.Fatalf("member's registration = %+v, %v", seat, err)
	}
	guestAddr := localtest.UniqueEmail("waiting")
	waiting, err := e.regs.Register(ctx, community.Viewer{}, ev.ID, &community.Guest{Name: "待機 次郎", Email: guestAddr})
	if err != nil || waiting.Registration.Status != community.RegistrationWaitlisted {
		t.Fatalf("guest's registration = %+v, %v", waiting, err)
	}
	localtest.WaitMail(t, guestAddr, 1) // the mailer sends the waitlist place at once

	if code, body := e.do(signupapi.RouteWithdraw, "", session); code != 200 {
		t.Fatalf("withdraw = %d %v", code, body)
	}

	if r, err := e.store.Registration(ctx, ev.ID, seat.Registration.ID); err != nil || r.Status != community.RegistrationCancelled {
		t.Errorf("the member's seat = %+v, %v; want cancelled", r, err)
	}
	if r, err := e.store.Registration(ctx, ev.ID, waiting.Registration.ID); err != nil || r.Status != community.RegistrationConfirmed {
		t.Errorf("the waitlist head = %+v, %v; want confirmed", r, err)
	}
	if got, err := e.store.Event(ctx, ev.ID); err != nil || got.ConfirmedCount != 1 || got.WaitlistCount != 0 {
		t.Errorf("event counters = %+v, %v; want 1 confirmed, 0 waiting", got, err)
	}
	// Waitlisted, then promoted.
	if m := localtest.WaitMail(t, guestAddr, 2)[1]; !strings.Contains(m.Subject, "現場見学会") {
		t.Errorf("the guest's second mail %q is not about the event", m.Subject)
	}

	out, err := localtest.DynamoDB().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) < 3 {
		t.Fatalf("only %d items: the scan proves nothing", len(out.Items))
	}
	for _, item := range out.Items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(item, &m); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(m)
		for _, pii := range []string{name, kana, addr, strings.Split(addr, "@")[0], aff, "1990-04-01"} {
			if strings.Contains(string(raw), pii) {
				t.Errorf("item %s still holds %q", raw, pii)
			}
		}
	}
}

// Signup and sign-in link answers take the same minimum time whether or not
// the address is known, so their timing does not tell who is a member.
func TestAnswersTakeTheMinimumTime(t *testing.T) {
	e := newPacedEnv(t)
	known := localtest.UniqueEmail("timing")
	e.h.SetMinResponseTime(0)
	e.signUpAndIn(known, "計時 花子")
	e.h.SetMinResponseTime(httpapi.MinResponseTime)
	e.clock.Advance(time.Hour)
	for _, tt := range []struct {
		name, route, body string
		status            int
	}{
		{"LinkKnown", signupapi.RouteLink, `{"email":"` + known + `"}`, 202},
		{"LinkUnknown", signupapi.RouteLink, `{"email":"` + localtest.UniqueEmail("nobody") + `"}`, 202},
		{"SignupKnown", signupapi.RouteSignup, signupBody(known, "計時 花子", "supporting"), 202},
		{"SignupNew", signupapi.RouteSignup, signupBody(localtest.UniqueEmail("new"), "新規 太郎", "supporting"), 202},
		{"SignupInvalid", signupapi.RouteSignup, signupBody("nope", "x", "supporting"), 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, body := e.do(tt.route, tt.body, "")
			took := time.Since(start)
			if code != tt.status {
				t.Fatalf("= %d %v, want %d", code, body, tt.status)
			}
			if took < httpapi.MinResponseTime {
				t.Errorf("answered in %v, want at least %v", took, httpapi.MinResponseTime)
			}
		})
	}
	t.Run("OtherRoutesNotHeld", func(t *testing.T) {
		start := time.Now()
		if code, _ := e.do(signupapi.RouteVerify, `{"token":"nope"}`, ""); code != 400 {
			t.Fatal(code)
		}
		if took := time.Since(start); took >= httpapi.MinResponseTime {
			t.Errorf("verify took %v: only the answers that may mail are held", took)
		}
	})
}

// A stale copy of a member (the session's snapshot taken before a
// withdrawal) never brings erased data back.
func TestStaleProfileEditAfterWithdrawal(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("stale")
	session := e.signUpAndIn(addr, "古い 写し")
	v, err := e.sessions.Resolve(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.members.Withdraw(ctx, v); err != nil {
		t.Fatal(err)
	}
	name := "復活 させない"
	if _, err := e.members.UpdateMe(ctx, v, community.ProfileUpdate{Name: &name}); community.ErrorCode(err) != community.Unauthorized {
		t.Errorf("edit through the stale session = %v, want unauthorized", err)
	}
	got, err := e.store.Member(ctx, v.Member.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != community.MemberWithdrawn || got.Name != "" || got.Email != "" {
		t.Errorf("member after the stale edit = %+v", got)
	}
	if _, err := e.store.MemberByEmail(ctx, addr); community.ErrorCode(err) != community.NotFound {
		t.Errorf("the email claim came back: %v", err)
	}
	// And the store itself refuses a write based on an old read.
	stale := *v.Member
	stale.Name = "古い版"
	if err := e.store.UpdateMember(ctx, &stale); !errors.Is(err, community.ErrMemberChanged) {
		t.Errorf("UpdateMember with a stale version = %v, want member_changed", err)
	}
}

// The consent record follows the member's answer on announcements, with
// when it changed; the signup's record stays beside it.
func TestConsentFollowsAnnouncements(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("consent")
	session := e.signUpAndIn(addr, "同意 記録")
	_, me := e.do(signupapi.RouteMe, "", session)
	id := me["id"].(string)
	before, err := e.store.Member(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if before.Consent.Announcements || before.Consent.AnnouncementsChangedAt != nil {
		t.Fatalf("signup consent = %+v", before.Consent)
	}
	e.clock.Advance(time.Hour)
	if code, body := e.do(signupapi.RouteUpdateMe, `{"preferences":{"announcements":true}}`, session); code != 200 {
		t.Fatalf("patch = %d %v", code, body)
	}
	on, _ := e.store.Member(ctx, id)
	if !on.Consent.Announcements || on.Consent.AnnouncementsChangedAt == nil || !on.Consent.AnnouncementsChangedAt.Equal(e.clock.Now()) {
		t.Errorf("after opting in: %+v", on.Consent)
	}
	if !on.Consent.AgreedAt.Equal(before.Consent.AgreedAt) || on.Consent.IP != before.Consent.IP || !on.Consent.Terms {
		t.Errorf("the signup's record changed: %+v", on.Consent)
	}
	e.clock.Advance(time.Hour)
	tok := e.links.UnsubscribeToken(id, community.ListAnnouncements)
	if code, body := e.do(signupapi.RouteUnsubscribe, `{"token":"`+tok+`"}`, ""); code != 200 {
		t.Fatalf("unsubscribe = %d %v", code, body)
	}
	off, _ := e.store.Member(ctx, id)
	if off.Consent.Announcements || !off.Consent.AnnouncementsChangedAt.Equal(e.clock.Now()) {
		t.Errorf("after opting out: %+v", off.Consent)
	}
}

// TestUnsubscribeRegistration: the token of a registration's opt-out link
// (a guest's reminders, anyone's organizer messages about one event) stops
// that list for that registration only; a tampered one stops nothing.
func TestUnsubscribeRegistration(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := e.clock.Now()
	ev := &community.Event{ID: community.NewID(now), Title: "井戸端会議", Kind: community.KindMeeting, Audience: community.AudiencePublic,
		StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(49 * time.Hour), Status: community.EventPublished, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
		Guest: &community.Guest{Name: "ゲスト 花子", Email: localtest.UniqueEmail("optout")}}
	if err := e.store.Register(ctx, ev, r); err != nil {
		t.Fatal(err)
	}
	good := e.links.RegistrationOptOutToken(ev.ID, r.ID, community.ListMessages)
	for _, bad := range []string{
		strings.Replace(good, ":messages", ":reminders", 1),
		e.links.RegistrationOptOutToken(ev.ID, r.ID, community.ListAnnouncements),
	} {
		if code, body := e.do(signupapi.RouteUnsubscribe, `{"token":"`+bad+`"}`, ""); code != 400 || errCode(body) != "invalid_token" {
			t.Errorf("bad token = %d %v", code, body)
		}
	}
	for i := 0; i < 2; i++ {
		code, body := e.do(signupapi.RouteUnsubscribe, `{"token":"`+good+`"}`, "")
		if code != 200 || body["list"] != "messages" || body["event_id"] != ev.ID || body["registration_id"] != r.ID {
			t.Fatalf("unsubscribe #%d = %d %v", i, code, body)
		}
	}
	got, err := e.store.Registration(ctx, ev.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.OptOuts, []string{community.ListMessages}) {
		t.Errorf("opt-outs = %v, want messages only", got.OptOuts)
	}
}

// Past approval a member's public_servant and birth_date are locked: a
// PATCH changing them is refused (409, nothing changed), the same values
// sent back pass, and the change is asked for instead, to wait for an
// organizer.
func TestEligibilityLockedRoute(t *testing.T) {
	e := newEnv(t)
	addr := localtest.UniqueEmail("locked")
	session := e.signUpAndIn(addr, "資格 固定子")
	_, me := e.do(signupapi.RouteMe, "", session)
	if me["eligibility_locked"] != true || me["public_servant"] != true || me["birth_date"] != "1990-04-01" {
		t.Fatalf("an active supporting member: %v", me)
	}
	for _, bad := range []string{`{"public_servant":false}`, `{"birth_date":"1999-04-01"}`, `{"birth_date":""}`, `{"department":"x","public_servant":false}`} {
		code, body := e.do(signupapi.RouteUpdateMe, bad, session)
		if code != 409 || errCode(body) != "eligibility_locked" {
			t.Errorf("patch %s = %d %v, want 409 eligibility_locked", bad, code, body)
		}
	}
	if code, body := e.do(signupapi.RouteUpdateMe, `{"public_servant":true,"birth_date":"1990-04-01","department":"道路課"}`, session); code != 200 || body["department"] != "道路課" {
		t.Errorf("the values in force sent back = %d %v", code, body)
	}
	code, body := e.do(signupapi.RouteEligibilityRequest, `{"public_servant":true,"birth_date":"1991-04-01","reason":"誤記の訂正"}`, session)
	req, _ := body["eligibility_request"].(map[string]any)
	if code != 200 || req == nil || req["birth_date"] != "1991-04-01" || body["birth_date"] != "1990-04-01" {
		t.Fatalf("request = %d %v", code, body)
	}
	if code, body := e.do(signupapi.RouteEligibilityRequest, `{"public_servant":true,"birth_date":"2999-01-01"}`, session); code != 400 || errCode(body) != "validation_failed" {
		t.Errorf("a future birth date = %d %v", code, body)
	}
	if code, body := e.do(signupapi.RouteEligibilityRequest, `{"birth_date":"1991-04-01"}`, session); code != 400 || errCode(body) != "validation_failed" {
		t.Errorf("no public_servant = %d %v", code, body)
	}
	if code, _ := e.do(signupapi.RouteEligibilityRequest, `{"public_servant":true}`, ""); code != 401 {
		t.Errorf("signed out = %d", code)
	}
	// The values in force withdraw the request.
	_, body = e.do(signupapi.RouteEligibilityRequest, `{"public_servant":true,"birth_date":"1990-04-01"}`, session)
	if body["eligibility_request"] != nil {
		t.Errorf("request not withdrawn: %v", body)
	}
}

// An unverified member is gone UnverifiedRetentionDays after signing up,
// whether or not TTL has deleted it yet: its links answer as unknown ones,
// a sign-in request mails nothing, organizers no longer see it, and the
// address's owner signs up afresh.
func TestUnverifiedMemberExpires(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	addr := localtest.UniqueEmail("mistyped")
	if code, _ := e.doFrom(signupapi.RouteSignup, signupBody(addr, "他人 入力", "regular"), "", "198.51.100.5"); code != 202 {
		t.Fatal(code)
	}
	first := linkToken(t, localtest.WaitMail(t, addr, 1)[0], "/verify")
	stale, err := e.store.MemberByEmail(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	organizer := community.Viewer{Member: &community.Member{ID: community.NewID(e.clock.Now()), Email: "organizer@example.jp",
		Status: community.MemberActive, Role: community.RoleOrganizer}}
	admin := &community.MemberAdmin{Store: e.store, Clock: e.clock, Log: communitytest.FailOnError(t)}
	listed := func() bool {
		t.Helper()
		page, err := admin.Members(ctx, organizer, community.MemberUnverified, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Members {
			if m.ID == stale.ID {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Fatal("the unverified member is not listed before its expiry")
	}

	// An hour before the expiry a sign-in request mails a fresh
	// verification link: it lasts the hour, not VerifyTTL.
	e.clock.Advance(community.UnverifiedRetention - time.Hour)
	if code, _ := e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, ""); code != 202 {
		t.Fatal(code)
	}
	late := linkToken(t, localtest.WaitMail(t, addr, 2)[1], "/verify")

	e.clock.Advance(time.Hour)
	_, unknown := e.do(signupapi.RouteVerify, `{"token":"no-such-token"}`, "")
	for name, tok := range map[string]string{"first": first, "late": late} {
		if code, body := e.do(signupapi.RouteVerify, `{"token":"`+tok+`"}`, ""); code != 400 || errCode(body) != errCode(unknown) {
			t.Errorf("%s link after the expiry = %d %v, want as unknown: %v", name, code, body, unknown)
		}
	}
	if listed() {
		t.Error("organizers still see the expired member")
	}
	if code, body := e.do(signupapi.RouteLink, `{"email":"`+addr+`"}`, ""); code != 202 || body["status"] != "link_sent" {
		t.Errorf("link = %d %v, want the usual 202", code, body)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(localtest.MailTo(t, addr)); n != 2 {
		t.Errorf("%d mails, want no new one for an expired member", n)
	}

	// The owner signs up afresh, as a new member.
	if code, _ := e.doFrom(signupapi.RouteSignup, signupBody(addr, "本人 確子", "supporting"), "", "203.0.113.20"); code != 202 {
		t.Fatal(code)
	}
	fresh := linkToken(t, localtest.WaitMail(t, addr, 3)[2], "/verify")
	if code, body := e.do(signupapi.RouteVerify, `{"token":"`+fresh+`"}`, ""); code != 200 || body["status"] != "active" || body["membership"] != "supporting" {
		t.Fatalf("fresh link = %d %v", code, body)
	}
	m, err := e.store.MemberByEmail(ctx, addr)
	if err != nil || m.ID == stale.ID || m.Name != "本人 確子" {
		t.Errorf("the address names %+v, %v; want a new member", m, err)
	}
}
