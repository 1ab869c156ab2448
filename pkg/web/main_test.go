package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "WebFunction")) }

// fakeNotifier is a community.Notifier whose behaviour each test sets by
// function fields; nil fields do nothing.
type fakeNotifier struct {
	VerificationFn      func(ctx context.Context, to community.Recipient, link string) error
	AlreadyRegisteredFn func(ctx context.Context, to community.Recipient, link string) error
	SignInLinkFn        func(ctx context.Context, to community.Recipient, link string) error
	WelcomeFn           func(ctx context.Context, m *community.Member) error
	PendingApprovalFn   func(ctx context.Context, m *community.Member) error
}

var _ community.Notifier = (*fakeNotifier)(nil)

func (f *fakeNotifier) Verification(ctx context.Context, to community.Recipient, link string) error {
	if f.VerificationFn == nil {
		return nil
	}
	return f.VerificationFn(ctx, to, link)
}

func (f *fakeNotifier) AlreadyRegistered(ctx context.Context, to community.Recipient, link string) error {
	if f.AlreadyRegisteredFn == nil {
		return nil
	}
	return f.AlreadyRegisteredFn(ctx, to, link)
}

func (f *fakeNotifier) SignInLink(ctx context.Context, to community.Recipient, link string) error {
	if f.SignInLinkFn == nil {
		return nil
	}
	return f.SignInLinkFn(ctx, to, link)
}

func (f *fakeNotifier) Welcome(ctx context.Context, m *community.Member) error {
	if f.WelcomeFn == nil {
		return nil
	}
	return f.WelcomeFn(ctx, m)
}

func (f *fakeNotifier) PendingApproval(ctx context.Context, m *community.Member) error {
	if f.PendingApprovalFn == nil {
		return nil
	}
	return f.PendingApprovalFn(ctx, m)
}

// regMail is a community.RegistrationNotifier that records each mail's
// cancel link in the mailbox (kinds "confirmed", "waitlisted", "promoted")
// and the join URL a mail would carry (kind "join").
type regMail struct{ box *mailbox }

var _ community.RegistrationNotifier = regMail{}

func (m regMail) record(ctx context.Context, kind string, to community.Recipient, joinURL, cancelLink string) error {
	if joinURL != "" {
		if err := m.box.record("join")(ctx, to, joinURL); err != nil {
			return err
		}
	}
	return m.box.record(kind)(ctx, to, cancelLink)
}

func (m regMail) RegistrationConfirmed(ctx context.Context, to community.Recipient, _ *community.Event, joinURL, cancelLink, checkInLink string) error {
	if checkInLink != "" {
		if err := m.box.record("checkin")(ctx, to, checkInLink); err != nil {
			return err
		}
	}
	return m.record(ctx, "confirmed", to, joinURL, cancelLink)
}

func (m regMail) Waitlisted(ctx context.Context, to community.Recipient, _ *community.Event, _ int, cancelLink string) error {
	return m.record(ctx, "waitlisted", to, "", cancelLink)
}

func (m regMail) Promoted(ctx context.Context, to community.Recipient, _ *community.Event, joinURL, cancelLink, _ string) error {
	return m.record(ctx, "promoted", to, joinURL, cancelLink)
}

func (m regMail) RegistrationCancelled(ctx context.Context, to community.Recipient, _ *community.Event) error {
	return m.box.record("cancelled")(ctx, to, "")
}

var _ community.ApplicationNotifier = regMail{}

func (m regMail) ApplicationReceived(ctx context.Context, to community.Recipient, _ *community.Event, _, cancelLink string) error {
	return m.record(ctx, "applied", to, "", cancelLink)
}

func (m regMail) ApplicationSelected(ctx context.Context, to community.Recipient, _ *community.Event, joinURL, cancelLink string) error {
	return m.record(ctx, "selected", to, joinURL, cancelLink)
}

func (m regMail) ApplicationReserve(ctx context.Context, to community.Recipient, _ *community.Event, _ int, cancelLink string) error {
	return m.record(ctx, "reserve", to, "", cancelLink)
}

func (m regMail) ApplicationDeclined(ctx context.Context, to community.Recipient, _ *community.Event) error {
	return m.box.record("declined")(ctx, to, "")
}

// guestMail is a community.GuestNotifier that records each confirmation
// link in the mailbox (kind "guest_confirm").
type guestMail struct{ box *mailbox }

var _ community.GuestNotifier = guestMail{}

func (m guestMail) GuestConfirmation(ctx context.Context, to community.Recipient, _ *community.Event, link string) error {
	if to.Name != "" {
		return fmt.Errorf("a guest's confirmation request names %q: its text must be fixed", to.Name)
	}
	return m.box.record("guest_confirm")(ctx, to, link)
}

// surveyMail is a community.SurveyNotifier that records each survey link
// in the mailbox (kind "survey").
type surveyMail struct{ box *mailbox }

func (m surveyMail) Survey(ctx context.Context, to community.Recipient, _ *community.Event, link string, _ time.Time) error {
	return m.box.record("survey")(ctx, to, link)
}

func (m surveyMail) OrgSurvey(ctx context.Context, to community.Recipient, _ *community.Event, _ []string, link string, _ time.Time) error {
	return m.box.record("org_survey")(ctx, to, link)
}

// mailbox records the links mailed to each address, by kind.
type mailbox struct {
	mu    sync.Mutex
	links map[string][]string // "<kind> <email>" → links, oldest first
	// deliver sends the outbox first, as the mailer would have by the
	// time anyone looks at their mail.
	deliver func()
}

func (b *mailbox) record(kind string) func(context.Context, community.Recipient, string) error {
	return func(_ context.Context, to community.Recipient, link string) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		k := kind + " " + strings.ToLower(to.Email)
		b.links[k] = append(b.links[k], link)
		return nil
	}
}

// last returns the newest link of kind mailed to email.
func (b *mailbox) last(t testing.TB, kind, email string) string {
	t.Helper()
	if b.deliver != nil {
		b.deliver()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ls := b.links[kind+" "+strings.ToLower(email)]
	if len(ls) == 0 {
		t.Fatalf("no %s link was mailed to %s", kind, email)
	}
	return ls[len(ls)-1]
}

func (b *mailbox) count(kind, email string) int {
	if b.deliver != nil {
		b.deliver()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.links[kind+" "+strings.ToLower(email)])
}

// env is a web handler on a fresh table in DynamoDB Local.
type env struct {
	h        *Handler
	store    *dynamo.Store
	members  *community.Members
	regs     *community.Registrations
	sessions *auth.Sessions
	mail     *mailbox
	clock    *communitytest.Clock // moved by hand
	cfg      config.Config
	room     *community.Mailroom // delivers the outbox, as the mailer would
}

var testKeys = auth.MustParseKeyring("0123456789abcdef0123456789abcdef-web-tests")

// testNow is Thursday 1 May 2025, 10:00 in Tokyo.
var testNow = time.Date(2025, 5, 1, 10, 0, 0, 0, community.Tokyo)

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, envOptions{BaseURL: "https://tabane.example.jp", Secure: true})
}

type envOptions struct {
	BaseURL string
	Secure  bool
	// Notifier sends the mails; nil records links in env.mail instead. When
	// it also sends registration mails, it is used for those too.
	Notifier func(cfg config.Config, clock community.Clock) community.Notifier
	// Paced keeps the handler's minimum response time for the signup and
	// sign-in forms; other tests turn it off so they do not wait for it.
	Paced bool
	// Calls, when set, counts the store's DynamoDB calls, for benchmarks
	// that state what a page costs.
	Calls *awsmetrics.Counter
}

func newEnvWith(t testing.TB, o envOptions) *env {
	t.Helper()
	db := localtest.DynamoDB()
	if o.Calls != nil {
		db = dynamodb.New(db.Options(), func(do *dynamodb.Options) { do.APIOptions = append(do.APIOptions, o.Calls.Middleware()) })
	}
	store := dynamo.New(db, localtest.NewTable(t))
	clock := communitytest.NewClock(testNow)
	cfg := config.Config{
		BaseURL:       o.BaseURL,
		Sender:        config.DefaultSender,
		CommunityName: config.DefaultCommunity,
		ContactEmail:  config.DefaultContact,
		Keys:          testKeys,
		SessionTTL:    30 * 24 * time.Hour,
		Secure:        o.Secure,
		Organizers:    []string{testOrganizerEmail},
	}
	sessions := &auth.Sessions{Store: store, Keys: cfg.Keys, TTL: cfg.SessionTTL, Clock: clock, Organizers: cfg.IsOrganizer}
	box := &mailbox{links: map[string][]string{}}
	var notifier community.Notifier = &fakeNotifier{
		VerificationFn:      box.record("verify"),
		AlreadyRegisteredFn: box.record("already"),
		SignInLinkFn:        box.record("signin"),
	}
	var regNotifier community.RegistrationNotifier = regMail{box: box}
	var guestNotifier community.GuestNotifier = guestMail{box: box}
	var surveyNotifier community.SurveyNotifier = surveyMail{box: box}
	var orgSurveyNotifier community.OrgSurveyNotifier = surveyMail{box: box}
	if o.Notifier != nil {
		notifier = o.Notifier(cfg, clock)
		if rn, ok := notifier.(community.RegistrationNotifier); ok {
			regNotifier = rn
		}
		if gn, ok := notifier.(community.GuestNotifier); ok {
			guestNotifier = gn
		}
		if sn, ok := notifier.(community.SurveyNotifier); ok {
			surveyNotifier = sn
		}
		if on, ok := notifier.(community.OrgSurveyNotifier); ok {
			orgSurveyNotifier = on
		}
	}
	links := auth.Links{BaseURL: cfg.BaseURL, Keys: cfg.Keys}
	regs := &community.Registrations{Events: store, Regs: store, Clock: clock, Links: links, Log: communitytest.FailOnError(t)}
	// The mailer: in a package test no stream invokes it, so each request's
	// outbox mails are delivered right after it (and before mailbox reads).
	room := &community.Mailroom{Store: store, Notifier: regNotifier, Members: notifier, Guests: guestNotifier, Links: links, Clock: clock, Log: communitytest.FailOnError(t),
		Surveys: surveyNotifier, SurveyLinks: links, OrgSurveys: orgSurveyNotifier, OrgSurveyLinks: links}
	if an, ok := regNotifier.(community.ApplicationNotifier); ok {
		room.Applications = an
	}
	room.CheckInLinks, room.OptOuts = links, links
	if an, ok := notifier.(community.AdminNotifier); ok {
		room.Admin = an
	}
	guests := &community.GuestRequests{Registrations: regs, Store: store, Links: links, Secrets: auth.Secrets{Keys: cfg.Keys}, Log: communitytest.FailOnError(t)}
	localtest.DeliverOutbox(t, func(context.Context) error { communitytest.Deliver(t, room); return nil })
	box.deliver = func() { communitytest.Deliver(t, room) }
	members := &community.Members{
		Store:          store,
		Clock:          clock,
		Links:          links,
		Secrets:        auth.Secrets{Keys: cfg.Keys},
		Sessions:       sessions,
		BeforeWithdraw: regs.CancelFutureFor,
	}
	h := New(Options{
		Events:        &community.Events{Store: store, Clock: clock, Regs: store},
		Members:       members,
		Registrations: regs,
		GuestRequests: guests,
		Sessions:      sessions,
		Config:        cfg,
		Surveys:       &community.Surveys{Store: store, Links: links, Clock: clock},
		OrgSurveys:    &community.OrgSurveys{Store: store, Links: links, Clock: clock},
		Attendance:    &community.Attendance{Store: store, Clock: clock, Log: communitytest.FailOnError(t)},
		Messages:      &community.Messages{Store: store, Clock: clock, Log: communitytest.FailOnError(t)},
		Certificates:  &community.Certificates{Store: store, Links: links, Clock: clock, Log: communitytest.FailOnError(t)},
		History:       &community.EventHistory{Store: store, Clock: clock},
		Calendars:     &community.Calendars{Store: store, Clock: clock, Secrets: auth.Secrets{Keys: cfg.Keys}},
	})
	if !o.Paced {
		h.SetMinResponseTime(0)
	}
	return &env{h: h, store: store, members: members, regs: regs, sessions: sessions, mail: box, clock: clock, cfg: cfg, room: room}
}

// testOrganizerEmail is the one organizer of every test's configuration.
const testOrganizerEmail = "organizer@web-tests.example.jp"

// member signs someone up and verifies them through the domain, and
// returns them with a session token for the cookie.
func (e *env) member(t *testing.T, name string, membership community.Membership) (*community.Member, string) {
	t.Helper()
	return e.memberAt(t, localtest.UniqueEmail("web"), name, membership)
}

// memberAt is member with the address given: testOrganizerEmail makes the
// organizer.
func (e *env) memberAt(t testing.TB, email, name string, membership community.Membership) (*community.Member, string) {
	t.Helper()
	ctx := context.Background()
	err := e.members.Signup(ctx, community.SignupInput{
		Email: email, Name: name, NameKana: "てすと", Membership: membership,
		Affiliation: "伊勢崎市", Terms: true, Announcements: true, IP: "192.0.2.1",
	})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	if _, err := e.members.Verify(ctx, tokenOf(t, e.mail.last(t, "verify", email))); err != nil {
		t.Fatalf("verify: %v", err)
	}
	m, err := e.store.MemberByEmail(ctx, email)
	if err != nil {
		t.Fatalf("member by email: %v", err)
	}
	token, _, err := e.sessions.Issue(ctx, m.ID)
	if err != nil {
		t.Fatalf("issue session: %v", err)
	}
	return m, token
}

// confirmGuest runs a guest's form request and, when it mailed a
// confirmation link, follows the link as people do — the page, then its
// button — and returns the confirmation's answer; any other answer to the
// request is returned as it is.
func (e *env) confirmGuest(t *testing.T, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp := e.do(t, req)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "<h1>確認メールをお送りしました</h1>") {
		return resp
	}
	body := req.Body
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	f, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	if f.Get("website") != "" {
		return resp // the honeypot's page: nothing was mailed
	}
	link := e.mail.last(t, "guest_confirm", community.NormalizeEmail(f.Get("email")))
	if !strings.HasPrefix(link, e.cfg.BaseURL+"/registrations/confirm?token=") {
		t.Fatalf("confirmation link = %q", link)
	}
	page := e.do(t, get(t, strings.TrimPrefix(link, e.cfg.BaseURL), ""))
	if page.StatusCode != 200 || !strings.Contains(page.Body, `<form method="post" action="/registrations/confirm">`) {
		t.Fatalf("confirmation page = %d:\n%s", page.StatusCode, page.Body)
	}
	return e.do(t, post(t, "/registrations/confirm", url.Values{"token": {tokenOf(t, link)}}, ""))
}

// tokenOf returns the token a mailed link carries.
func tokenOf(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse link %q: %v", link, err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("link %q has no token", link)
	}
	return tok
}

// fixture reads an API Gateway v2 event from testdata.
func fixture(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

// get builds a GET for path (with its query) from the GET fixture, carrying
// the session cookie when session is not "".
func get(t testing.TB, target, session string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := fixture(t, "get-home.json")
	setTarget(t, &req, "GET", target)
	if session != "" {
		req.Cookies = []string{SessionCookie + "=" + session}
	}
	return req
}

// post builds a same-origin form POST to target from the signup fixture.
func post(t *testing.T, target string, form url.Values, session string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := fixture(t, "post-signup-form.json")
	setTarget(t, &req, "POST", target)
	body := form.Encode()
	req.Body = base64.StdEncoding.EncodeToString([]byte(body))
	req.IsBase64Encoded = true
	req.Headers["content-length"] = strconv.Itoa(len(body))
	req.Cookies = nil
	if session != "" {
		req.Cookies = []string{SessionCookie + "=" + session}
	}
	return req
}

// setTarget points req at method and target as API Gateway would: route
// key, raw path and query, path parameters.
func setTarget(t testing.TB, req *events.APIGatewayV2HTTPRequest, method, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	key, params := matchRoute(method, u.Path)
	req.RouteKey, req.RequestContext.RouteKey = key, key
	req.RawPath, req.RequestContext.HTTP.Path = u.Path, u.Path
	req.RequestContext.HTTP.Method = method
	req.PathParameters = params
	req.RawQueryString = u.RawQuery
	req.QueryStringParameters = nil
	if u.RawQuery != "" {
		req.QueryStringParameters = map[string]string{}
		for k, v := range u.Query() {
			req.QueryStringParameters[k] = v[0]
		}
	}
}

// do runs req through the handler.
func (e *env) do(t testing.TB, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := e.h.Handle(context.Background(), req)
	communitytest.Deliver(t, e.room)
	if err != nil {
		t.Fatalf("%s %s: Handle returned an error: %v", req.RequestContext.HTTP.Method, req.RawPath, err)
	}
	apicontract.Check(t, req, resp)
	return resp
}

// cookieValue returns the value resp sets for the session cookie, and whether it sets one.
func cookieValue(resp events.APIGatewayV2HTTPResponse) (string, string, bool) {
	for _, c := range resp.Cookies {
		// __Host-tabane_session over HTTPS, tabane_session on plain-http loopback.
		for _, name := range []string{SessionCookie, httpapi.LoopbackSessionCookie} {
			if strings.HasPrefix(c, name+"=") {
				v, _, _ := strings.Cut(strings.TrimPrefix(c, name+"="), ";")
				return v, c, true
			}
		}
	}
	return "", "", false
}
