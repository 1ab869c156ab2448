package adminapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/certpdf"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "AdminFunction")) }

type env struct {
	t        *testing.T
	h        *adminapi.Handler
	store    *dynamo.Store
	table    string
	clock    *communitytest.Clock // settable: series dates and session expiry at fixed instants
	admin    adminapi.Services
	regs     *community.Registrations
	events   *community.Events
	sessions *auth.Sessions
	calls    *awsmetrics.Counter // the store's DynamoDB calls
	// calendars issues members' personal feeds, which a rejection erases.
	calendars *community.Calendars

	mu         sync.Mutex
	organizers map[string]bool // lower-case emails with the organizer role

	org      *community.Member // the organizer the tests act as
	orgToken string
	room     *community.Mailroom // delivers the outbox, as the mailer would
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			"TABANE_SESSION_SECRET": "test-secret-test-secret-test-secret-0123",
			"TABANE_BASE_URL":       "http://localhost:8080",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	table := localtest.NewTable(t)
	// Every call the store makes is counted, so a test can say what a
	// request costs (calls, not seconds: the machine is shared).
	calls := awsmetrics.NewCounter()
	db := localtest.DynamoDB()
	db = dynamodb.New(db.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, calls.Middleware()) })
	store := dynamo.New(db, table)
	clk := communitytest.NewClock(time.Now().UTC().Truncate(time.Second))
	composer, err := mail.NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	notifier := &mail.Notifier{Composer: composer, Sender: mail.NewSender(localtest.SES(), clk)}
	links := auth.Links{BaseURL: cfg.BaseURL, Keys: cfg.Keys}
	e := &env{t: t, store: store, table: table, clock: clk, organizers: map[string]bool{}, calls: calls}
	e.calendars = &community.Calendars{Store: store, Clock: clk, Secrets: auth.Secrets{Keys: cfg.Keys}}
	e.sessions = &auth.Sessions{Store: store, Keys: cfg.Keys, TTL: cfg.SessionTTL, Clock: clk,
		Organizers: func(email string) bool {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.organizers[community.NormalizeEmail(email)]
		}}
	log := slog.New(slog.DiscardHandler)
	failures := communitytest.Logf(t)
	e.admin = adminapi.Services{
		Events:     &community.EventAdmin{Store: store, Clock: clk, Log: failures},
		Series:     &community.SeriesAdmin{Store: store, Clock: clk, Log: failures},
		Members:    &community.MemberAdmin{Store: store, Clock: clk, Log: failures},
		Attendance: &community.Attendance{Store: store, Clock: clk, Log: failures},
		Messages:   &community.Messages{Store: store, Clock: clk, Log: failures},
		Audit:      &community.AuditLog{Store: store},

		Applications: &community.Applications{Store: store, Clock: clk, Log: failures},
		Certificates: &community.Certificates{Store: store, Links: links, Clock: clk, Log: failures},
		Issuer:       certpdf.Issuer{Name: cfg.CommunityName, Contact: cfg.ContactEmail},
	}
	e.regs = &community.Registrations{Events: store, Regs: store, Clock: clk, Links: links}
	// The mailer: in a package test no stream invokes it, so each request's
	// outbox mails are delivered right after it, and before any mailbox read.
	e.room = &community.Mailroom{Store: store, Notifier: notifier, Members: notifier, Admin: notifier, Applications: notifier,
		Links: links, OptOuts: links, Clock: clk, Log: failures}
	localtest.DeliverOutbox(t, func(context.Context) error { communitytest.Deliver(t, e.room); return nil })
	e.events = &community.Events{Store: store, Clock: clk, Regs: store}
	e.h = adminapi.New(e.admin, e.sessions, &idempotency.Keeper{Store: store, Clock: clk}, log)
	e.org = e.member(community.MemberActive, community.MembershipRegular, "運営 花子")
	e.mu.Lock()
	e.organizers[community.NormalizeEmail(e.org.Email)] = true
	e.mu.Unlock()
	e.orgToken = e.token(e.org)
	return e
}

// member stores a member directly, as the signup flow would have left them.
func (e *env) member(status community.MemberStatus, membership community.Membership, name string) *community.Member {
	e.t.Helper()
	now := e.clock.Now()
	m := &community.Member{
		ID: community.NewID(now), Email: localtest.UniqueEmail("m"), Name: name, NameKana: "てすと",
		Membership: membership, Affiliation: "伊勢崎市", Department: "建設部", JobCategory: "土木",
		PublicServant: true, Status: status, Role: community.RoleMember,
		Preferences: community.Preferences{Reminders: true, Announcements: true},
		Consent:     community.Consent{Terms: true, FormVersion: community.SignupFormVersion, AgreedAt: now},
		CreatedAt:   now, UpdatedAt: now,
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// token signs m in and returns the bearer token.
func (e *env) token(m *community.Member) string {
	e.t.Helper()
	tok, _, err := e.sessions.Issue(context.Background(), m.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// viewer resolves m as the API would.
func (e *env) viewer(m *community.Member) community.Viewer {
	e.t.Helper()
	v, err := e.sessions.Resolve(context.Background(), e.token(m))
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// result is a handler's answer.
type result struct {
	status int
	body   map[string]any
	resp   httpapi.Response
}

func (r result) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

func (r result) fields() map[string]any {
	if e, ok := r.body["error"].(map[string]any); ok {
		f, _ := e["fields"].(map[string]any)
		return f
	}
	return nil
}

// call is one request to the handler.
type call struct {
	route  string
	params map[string]string // path parameters
	query  string
	body   string
	token  string
	ctype  string            // default application/json
	header map[string]string // more request headers (lower-case names, as API Gateway sends them)
}

// request builds the API Gateway v2 event of c, through JSON as Lambda
// delivers it.
func (e *env) request(c call) events.APIGatewayV2HTTPRequest {
	e.t.Helper()
	method, path, _ := strings.Cut(c.route, " ")
	for k, v := range c.params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	ctype := c.ctype
	if ctype == "" {
		ctype = "application/json"
	}
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: c.route, RawPath: path, RawQueryString: c.query, Body: c.body,
		Headers:        map[string]string{"content-type": ctype},
		PathParameters: c.params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-" + localtest.UniqueID(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.20"},
		},
	}
	if c.query != "" {
		vs, err := url.ParseQuery(c.query)
		if err != nil {
			e.t.Fatal(err)
		}
		req.QueryStringParameters = map[string]string{}
		for k, v := range vs {
			req.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	for k, v := range c.header {
		req.Headers[k] = v
	}
	if c.token != "" {
		req.Headers["authorization"] = "Bearer " + c.token
	}
	raw, err := json.Marshal(req)
	if err != nil {
		e.t.Fatal(err)
	}
	var in events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		e.t.Fatal(err)
	}
	return in
}

func (e *env) send(req events.APIGatewayV2HTTPRequest) result {
	e.t.Helper()
	resp, err := e.h.Handle(context.Background(), req)
	if err != nil {
		e.t.Fatalf("Handle returned error %v", err)
	}
	apicontract.Check(e.t, req, resp)
	// Through JSON too, as API Gateway receives it.
	raw, err := json.Marshal(resp)
	if err != nil {
		e.t.Fatal(err)
	}
	var out events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatal(err)
	}
	r := result{status: out.StatusCode, resp: out}
	if out.Body != "" && !out.IsBase64Encoded {
		if err := json.Unmarshal([]byte(out.Body), &r.body); err != nil {
			e.t.Fatalf("body is not JSON: %q", out.Body)
		}
	}
	return r
}

func (e *env) do(c call) result {
	e.t.Helper()
	return e.send(e.request(c))
}

// as sends c as the organizer.
func (e *env) as(c call) result {
	e.t.Helper()
	c.token = e.orgToken
	return e.do(c)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// want fails unless r has status and (for errors) error code.
func want(t *testing.T, r result, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("= %d %q %v, want %d %q", r.status, r.code(), r.body, status, code)
	}
}

// audited fails unless the audit log holds an entry of action on target,
// written by actor (the organizer when "").
func (e *env) audited(action, target, actor string) map[string]any {
	e.t.Helper()
	if actor == "" {
		actor = e.org.ID
	}
	cursor := ""
	for {
		q := "limit=100"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(call{route: adminapi.RouteAudit, query: q})
		want(e.t, r, 200, "")
		for _, x := range r.body["entries"].([]any) {
			a := x.(map[string]any)
			if a["action"] == action && a["target_id"] == target && a["actor_id"] == actor {
				return a
			}
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			e.t.Fatalf("no audit entry %s on %s by %s", action, target, actor)
		}
		cursor = next
	}
}

// lecture is a valid create-event body starting days from the clock.
func (e *env) lecture(days int, extra map[string]any) string {
	start := e.clock.Now().In(community.Tokyo).AddDate(0, 0, days).Truncate(time.Hour)
	b := map[string]any{
		"title": "私塾：インフラ長寿命化計画のつくり方", "kind": "lecture", "audience": "public",
		"description":     "橋梁・トンネルの点検結果から修繕計画を組み立てる。",
		"starts_at":       start.Format(time.RFC3339),
		"ends_at":         start.Add(90 * time.Minute).Format(time.RFC3339),
		"online_platform": "Zoom", "join_url": "https://zoom.example.jp/j/81000000003?pwd=shijuku",
		"capacity": 30, "waitlist": true, "fee_jpy": 0, "speakers": []string{"山田 太郎（〇〇県 県土整備部）"},
		"notes": "講演のあと質疑応答があります。",
	}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	return mustJSON(b)
}

// published creates and publishes an event through the API and returns it.
func (e *env) published(days int, extra map[string]any) *community.Event {
	e.t.Helper()
	r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(days, extra)})
	want(e.t, r, 201, "")
	id := r.body["id"].(string)
	e.clock.Advance(time.Second) // so the audit log orders the two
	want(e.t, e.as(call{route: adminapi.RoutePublishEvent, params: map[string]string{"id": id}}), 200, "")
	ev, err := e.store.Event(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// guest registers a guest directly in the store (no mail) and returns the registration.
func (e *env) guest(ev *community.Event, name string, wantStatus community.RegistrationStatus) *community.Registration {
	e.t.Helper()
	return e.register(ev, &community.Registration{Guest: &community.Guest{Name: name, Email: localtest.UniqueEmail("g")}}, wantStatus)
}

// seat registers member m directly in the store (no mail).
func (e *env) seat(ev *community.Event, m *community.Member, wantStatus community.RegistrationStatus) *community.Registration {
	e.t.Helper()
	return e.register(ev, &community.Registration{MemberID: m.ID}, wantStatus)
}

func (e *env) register(ev *community.Event, r *community.Registration, wantStatus community.RegistrationStatus) *community.Registration {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	r.ID, r.EventID, r.EventStartsAt, r.CreatedAt, r.UpdatedAt = community.NewID(now), ev.ID, cur.StartsAt, now, now
	if err := e.store.Register(ctx, cur, r); err != nil {
		e.t.Fatal(err)
	}
	if r.Status != wantStatus {
		e.t.Fatalf("registration is %s, want %s", r.Status, wantStatus)
	}
	e.quiet()
	return r
}

// quiet settles every outbox mail owed so far without sending it: what a
// test stores directly is its setup, as if those mails had gone before the
// test looks at the mailbox, which then holds only what the test causes.
func (e *env) quiet() {
	e.t.Helper()
	ctx := context.Background()
	unsent, err := e.store.UnsentMail(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range unsent {
		if _, got, err := e.store.ClaimMail(ctx, m.ID, "setup", e.clock.Now(), time.Minute); err != nil || got != community.MailWon {
			e.t.Fatalf("claim setup mail %s: %v, %v", m.ID, got, err)
		}
		if err := e.store.SettleMail(ctx, m.ID, "setup", community.MailSkipped, "", e.clock.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
}
