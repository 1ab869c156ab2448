package rsvpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "RsvpFunction")) }

type env struct {
	t      testing.TB
	svc    *app.Deps
	rsvp   *rsvpapi.Handler
	events *eventsapi.Handler
	clock  *communitytest.Clock
	calls  *awsmetrics.Counter // every AWS call the handlers made
	room   *community.Mailroom // delivers the outbox, as the mailer would
	// replaced stops room: the mailer of a newer env on the same table
	// has taken over, as a redeployed function does.
	replaced atomic.Bool
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvKeys(t, localtest.NewTable(t), "test-secret-test-secret-test-secret-0123")
}

// newEnvKeys is newEnv on table with keys as the keyring (a plain secret or
// a keyring's JSON): several share a table as functions before and after a
// key rotation do.
func newEnvKeys(t testing.TB, table, keys string) *env {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			"TABANE_SESSION_SECRET": keys,
			"TABANE_BASE_URL":       "http://localhost:8080",
			"TABANE_TABLE":          table,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	calls := awsmetrics.NewCounter()
	awsCfg := localtest.AWSConfig()
	awsCfg.APIOptions = append(awsCfg.APIOptions, calls.Middleware())
	d := app.New(cfg, awsCfg, app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: localtest.SESURL()}, log)
	clk := communitytest.NewClock(time.Now())
	d.Clock = clk
	// Built exactly as functions/rsvp and functions/events build them.
	rsvp, err := rsvpapi.Wire(d)
	if err != nil {
		t.Fatal(err)
	}
	events, err := eventsapi.Wire(d)
	if err != nil {
		t.Fatal(err)
	}
	// The mailer, on clients of its own so the handlers' call counts stay
	// theirs: in a package test no stream invokes it, so each request's
	// outbox mails are delivered right after it.
	md := app.New(cfg, localtest.AWSConfig(), app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: localtest.SESURL()}, log)
	md.Clock = clk
	room, err := mailing.New(md).Mailroom()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: d, clock: clk, calls: calls, rsvp: rsvp, events: events, room: room}
	localtest.DeliverOutbox(t, func(context.Context) error {
		if !e.replaced.Load() {
			communitytest.Deliver(t, room)
		}
		return nil
	})
	return e
}

type resp struct {
	code int
	body map[string]any
	raw  string
}

func (r resp) errCode() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

type handler interface {
	Handle(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func (e *env) call(h handler, route, eventID, body, session string, headers map[string]string) resp {
	e.t.Helper()
	return e.callFrom("192.0.2.1", h, route, eventID, body, session, headers)
}

// callFrom calls h as API Gateway would for a request from source IP ip.
func (e *env) callFrom(ip string, h handler, route, eventID, body, session string, headers map[string]string) resp {
	e.t.Helper()
	return e.callQuery(ip, h, route, eventID, nil, body, session, headers)
}

// callQuery is callFrom with a query string.
func (e *env) callQuery(ip string, h handler, route, eventID string, query url.Values, body, session string, headers map[string]string) resp {
	e.t.Helper()
	method, path, _ := strings.Cut(route, " ")
	path = strings.Replace(path, "{id}", eventID, 1)
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: path, Body: body,
		Headers:        map[string]string{"content-type": "application/json"},
		PathParameters: map[string]string{"id": eventID},
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: localtest.UniqueID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: ip}},
	}
	if len(query) > 0 {
		req.RawQueryString = query.Encode()
		req.QueryStringParameters = map[string]string{}
		for k := range query {
			req.QueryStringParameters[k] = query.Get(k)
		}
	}
	for k, v := range headers {
		req.Headers[strings.ToLower(k)] = v
	}
	if session != "" {
		req.Headers["authorization"] = "Bearer " + session
	}
	raw, _ := json.Marshal(req)
	var in events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(raw, &in)
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		e.t.Errorf("Handle returned error %v", err)
	}
	apicontract.Check(e.t, in, out)
	var m map[string]any
	_ = json.Unmarshal([]byte(out.Body), &m)
	return resp{out.StatusCode, m, out.Body}
}

func (e *env) register(eventID, body, session string) resp {
	return e.call(e.rsvp, rsvpapi.RouteRegister, eventID, body, session, nil)
}

func guestBody(name, email string) string {
	b, _ := json.Marshal(map[string]any{"guest": map[string]string{"name": name, "email": email}})
	return string(b)
}

// ips hands out a distinct documentation address per guest, so tests about
// registering are not about the per-IP limit.
var ips atomic.Int64

func nextIP() string {
	n := ips.Add(1)
	return fmt.Sprintf("198.51.%d.%d", (n/250)%250, n%250+1)
}

var confirmRE = regexp.MustCompile(`/registrations/confirm\?token=([A-Za-z0-9_\-.%]+)`)

// tokensByAddress returns the confirmation token owed to each address
// containing tag, read from the outbox items the requests wrote (the link
// is the mail's own content): a crowd's 200 mails need not go through the
// SES stand-in for the race the test is about.
func (e *env) tokensByAddress(tag string, n int) map[string]string {
	e.t.Helper()
	unsent, err := e.room.Store.UnsentMail(context.Background(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	toks := map[string]string{}
	for _, m := range unsent {
		if sub := confirmRE.FindStringSubmatch(m.Link); sub != nil && m.To != nil && strings.Contains(m.To.Email, tag) {
			tok, _ := url.QueryUnescape(sub[1])
			toks[m.To.Email] = tok
		}
	}
	if len(toks) != n {
		e.t.Fatalf("confirmation links owed to %d addresses, want %d", len(toks), n)
	}
	return toks
}

// confirmTokens returns the tokens of the confirmation links mailed to addr
// so far, waiting for at least n.
func confirmTokens(t testing.TB, addr string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var toks []string
		for _, m := range localtest.MailTo(t, addr) {
			if sub := confirmRE.FindStringSubmatch(m.Body.Text); sub != nil {
				tok, _ := url.QueryUnescape(sub[1])
				toks = append(toks, tok)
			}
		}
		if len(toks) >= n || time.Now().After(deadline) {
			if len(toks) < n {
				t.Fatalf("%d confirmation links mailed to %s, want %d", len(toks), addr, n)
			}
			return toks
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) confirm(token string) resp {
	return e.call(e.rsvp, rsvpapi.RouteConfirmGuest, "", `{"token":"`+token+`"}`, "", nil)
}

// guest registers a guest as people do: the request (from an address of
// its own), then the link in the mail it causes. It returns the request's
// answer when that is not 202, else the confirmation's.
func (e *env) guest(eventID, name, email string) resp {
	e.t.Helper()
	r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, eventID, guestBody(name, email), "", nil)
	if r.code != 202 {
		return r
	}
	if r.body["status"] != "confirmation_sent" {
		e.t.Errorf("guest request = %s, want confirmation_sent", r.raw)
	}
	toks := confirmTokens(e.t, email, 1)
	return e.confirm(toks[len(toks)-1])
}

const joinURL = "https://zoom.example.jp/j/secret-123"

func (e *env) event(mod func(*community.Event)) *community.Event {
	e.t.Helper()
	now := e.clock.Now()
	start := now.Add(10 * 24 * time.Hour).Truncate(time.Hour)
	ev := &community.Event{
		ID: community.NewID(now), Title: "私塾：道路維持管理のDX", Kind: community.KindLecture, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute), OnlinePlatform: "Zoom", JoinURL: joinURL,
		Capacity: 10, Waitlist: true, Status: community.EventPublished, CreatedAt: now, UpdatedAt: now,
	}
	if mod != nil {
		mod(ev)
	}
	if err := e.svc.Store().CreateEvent(context.Background(), ev); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// member stores an active member and returns a session for them.
func (e *env) member(mod func(*community.Member)) (*community.Member, string) {
	e.t.Helper()
	now := e.clock.Now()
	birth := time.Date(1990, 4, 1, 0, 0, 0, 0, community.Tokyo)
	m := &community.Member{
		ID: community.NewID(now), Email: localtest.UniqueEmail("m"), Name: "会員 太郎", NameKana: "かいいん たろう",
		Membership: community.MembershipRegular, Affiliation: "伊勢崎市", PublicServant: true, BirthDate: &birth,
		Status: community.MemberActive, Role: community.RoleMember, Preferences: community.Preferences{Reminders: true},
		CreatedAt: now, UpdatedAt: now,
	}
	if mod != nil {
		mod(m)
	}
	if err := e.svc.Store().CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.svc.Sessions().Issue(context.Background(), m.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return m, tok
}

func (e *env) counters(id string) (confirmed, waitlisted, counted int) {
	e.t.Helper()
	ev, err := e.svc.Store().Event(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := e.svc.Store().CountConfirmed(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev.ConfirmedCount, ev.WaitlistCount, n
}

// TestConcurrentRegistrations: the acceptance's rush through the API —
// 200 people at once for 10 seats with a waitlist. Without a waitlist the
// same race only refuses instead of queueing, so it runs 60 people in
// `make test` (TABANE_RUSH=200 for the full size) to keep the run within
// its time on 2 cores.
func TestConcurrentRegistrations(t *testing.T) {
	localtest.Crowd(t)
	for _, waitlist := range []bool{true, false} {
		people := 200
		if !waitlist {
			people = localtest.RushSize(60)
		}
		t.Run(fmt.Sprintf("waitlist=%v", waitlist), func(t *testing.T) {
			e := newEnv(t)
			ev := e.event(func(ev *community.Event) { ev.Waitlist = waitlist })
			// Guests ask at once; nothing is held until they follow their
			// links, which they then do at once: the race for seats.
			tag := "crowd" + localtest.UniqueID()
			var wg sync.WaitGroup
			for i := 0; i < people; i++ {
				wg.Go(func() {
					r := e.callFrom(nextIP(), e.rsvp, rsvpapi.RouteRegister, ev.ID, guestBody(fmt.Sprintf("参加者%d", i), localtest.UniqueEmail(tag)), "", nil)
					if r.code != 202 {
						t.Errorf("request: %d %s", r.code, r.raw)
					}
				})
			}
			wg.Wait()
			if c, w, n := e.counters(ev.ID); c != 0 || w != 0 || n != 0 {
				t.Errorf("requests alone hold places: confirmed %d, waitlisted %d, counted %d", c, w, n)
			}
			tokens := e.tokensByAddress(tag, people)
			var mu sync.Mutex
			statuses := map[string]int{}
			answered := map[string]int{} // address → waitlist place answered
			for addr, tok := range tokens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := e.confirm(tok)
					mu.Lock()
					defer mu.Unlock()
					if r.code >= 500 {
						t.Errorf("5xx: %d %s", r.code, r.raw)
					}
					if p, ok := r.body["waitlist_position"].(float64); ok {
						answered[addr] = int(p)
					}
					key := fmt.Sprint(r.code)
					if s, ok := r.body["status"].(string); ok {
						key += " " + s
					} else {
						key += " " + r.errCode()
					}
					statuses[key]++
				}()
			}
			wg.Wait()
			want := map[string]int{"201 confirmed": 10, "201 waitlisted": people - 10}
			if !waitlist {
				want = map[string]int{"201 confirmed": 10, "409 event_full": people - 10}
			}
			if fmt.Sprint(statuses) != fmt.Sprint(want) {
				t.Errorf("answers %v, want %v", statuses, want)
			}
			confirmed, waiting, counted := e.counters(ev.ID)
			if confirmed != 10 || counted != 10 {
				t.Errorf("confirmed_count %d, counted %d, want 10", confirmed, counted)
			}
			if wantWait := map[bool]int{true: 190, false: 0}[waitlist]; waiting != wantWait {
				t.Errorf("waitlist_count %d, want %d", waiting, wantWait)
			}
			if waitlist {
				// The mails carry the same places (TestWaitlistPlacesExact
				// reads them); 190 more mails through the stand-in would
				// only slow the run.
				checkPlaces(t, "answers", answered, 190)
			}
		})
	}
}

// checkPlaces checks that the waitlist places given to people are exactly
// 1..n, each once (issue 10: a place counted from an index while others
// still write gave duplicates).
func checkPlaces(t *testing.T, what string, places map[string]int, n int) {
	t.Helper()
	seen := map[int]string{}
	for who, p := range places {
		if p < 1 || p > n {
			t.Errorf("%s: %s has place %d, want 1..%d", what, who, p, n)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%s: place %d given to %s and %s", what, p, who, other)
		}
		seen[p] = who
	}
	if len(places) != n {
		t.Errorf("%s: %d waitlist places, want %d", what, len(places), n)
	}
}

var placeRE = regexp.MustCompile(`キャンセル待ちで受け付けました（(\d+)番目）`)

// waitlistMailPlaces delivers the outbox and returns the place each
// waitlist mail to an address containing tag names.
func waitlistMailPlaces(t *testing.T, tag string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range localtest.MailTo(t, tag) {
		if sub := placeRE.FindStringSubmatch(m.Subject); sub != nil {
			p, _ := strconv.Atoi(sub[1])
			for _, d := range m.Destination.To {
				a, err := mail.ParseAddress(d)
				if err != nil {
					t.Fatal(err)
				}
				to := a.Address
				if _, dup := out[to]; dup {
					t.Errorf("two waitlist mails to %s", to)
				}
				out[to] = p
			}
		}
	}
	return out
}

// Members rushing one event: each waitlisted member's place is the same in
// the answer, the mail and my registrations, and the places are 1..n.
func TestWaitlistPlacesExact(t *testing.T) {
	localtest.Crowd(t)
	const people, seats = 60, 10
	e := newEnv(t)
	ev := e.event(func(ev *community.Event) { ev.Capacity = seats })
	tag := "rush" + localtest.UniqueID()
	sessions := map[string]string{}
	for range people {
		m, tok := e.member(func(m *community.Member) { m.Email = localtest.UniqueEmail(tag) })
		sessions[m.Email] = tok
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	answered := map[string]int{}
	for addr, tok := range sessions {
		wg.Go(func() {
			r := e.register(ev.ID, `{}`, tok)
			mu.Lock()
			defer mu.Unlock()
			if r.code != 201 {
				t.Errorf("register: %d %s", r.code, r.raw)
			}
			if p, ok := r.body["waitlist_position"].(float64); ok {
				answered[addr] = int(p)
			}
		})
	}
	wg.Wait()
	checkPlaces(t, "answers", answered, people-seats)
	mine := map[string]int{}
	for addr, tok := range sessions {
		r := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", tok, nil)
		regs, _ := r.body["registrations"].([]any)
		for _, x := range regs {
			if p, ok := x.(map[string]any)["waitlist_position"].(float64); ok {
				mine[addr] = int(p)
			}
		}
	}
	mailed := waitlistMailPlaces(t, tag)
	checkPlaces(t, "my registrations", mine, people-seats)
	checkPlaces(t, "mails", mailed, people-seats)
	for addr, p := range answered {
		if mine[addr] != p || mailed[addr] != p {
			t.Errorf("%s: answered %d, my registrations %d, mailed %d", addr, p, mine[addr], mailed[addr])
		}
	}
}

var tokenRE = regexp.MustCompile(`/cancel\?token=([A-Za-z0-9_\-.%]+)`)

func cancelToken(t *testing.T, m localtest.Mail) string {
	t.Helper()
	sub := tokenRE.FindStringSubmatch(m.Body.Text)
	if sub == nil {
		t.Fatalf("no cancel link in %q", m.Subject)
	}
	tok, _ := url.QueryUnescape(sub[1])
	return tok
}

// Cancellations racing new registrations: never over capacity, promotions
// in arrival order, one promotion mail per promoted person.
func TestCancellationsRaceRegistrations(t *testing.T) {
	localtest.Crowd(t)
	e := newEnv(t)
	ev := e.event(func(ev *community.Event) { ev.Capacity = 20 })
	type guest struct{ email, rid string }
	var seated, waiting []guest
	for i := 0; i < 40; i++ { // sequential, so arrival order is known
		g := guest{email: localtest.UniqueEmail(fmt.Sprintf("g%02d", i))}
		r := e.guest(ev.ID, "ゲスト", g.email)
		if r.code != 201 {
			t.Fatalf("register %d: %d %s", i, r.code, r.raw)
		}
		g.rid = r.body["registration_id"].(string)
		if i < 20 {
			seated = append(seated, g)
		} else {
			waiting = append(waiting, g)
		}
	}
	tokens := make([]string, len(seated))
	for i, g := range seated {
		tokens[i] = cancelToken(t, localtest.WaitMail(t, g.email, 2)[1]) // after the confirmation request
	}

	stop := make(chan struct{})
	var maxSeen int
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c, _, _ := e.counters(ev.ID); c > maxSeen {
				maxSeen = c
			}
		}
	}()
	var wg sync.WaitGroup
	newcomers := make([]string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if r := e.call(e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"`+tokens[i]+`"}`, "", nil); r.code != 200 {
				t.Errorf("cancel: %d %s", r.code, r.raw)
			}
		}()
		go func() {
			defer wg.Done()
			newcomers[i] = localtest.UniqueEmail("late")
			if r := e.guest(ev.ID, "後から", newcomers[i]); r.code != 201 || r.body["status"] != "waitlisted" {
				t.Errorf("newcomer: %d %s (a newcomer never jumps the queue)", r.code, r.raw)
			}
		}()
	}
	wg.Wait()
	close(stop)
	pollWG.Wait()
	if maxSeen > 20 {
		t.Errorf("confirmed_count reached %d, capacity 20", maxSeen)
	}
	if c, _, n := e.counters(ev.ID); c != 20 || n != 20 {
		t.Errorf("confirmed_count %d, counted %d, want 20", c, n)
	}
	// The 20 who waited first are the ones promoted, each mailed once.
	for _, g := range waiting {
		mails := localtest.WaitMail(t, g.email, 3) // the confirmation request, waitlisted, promoted
		promoted := 0
		for _, m := range mails {
			if strings.Contains(m.Subject, "参加が確定しました") {
				promoted++
				if !strings.Contains(m.Body.Text, joinURL) {
					t.Errorf("promotion mail to %s lacks the join link", g.email)
				}
			}
			if strings.Contains(m.Subject, "キャンセル待ちで受け付けました") && strings.Contains(m.Body.Text+m.Body.HTML, joinURL) {
				t.Errorf("waitlisted mail to %s carries the join link", g.email)
			}
		}
		if promoted != 1 {
			t.Errorf("%s got %d promotion mails, want 1", g.email, promoted)
		}
		r, err := e.svc.Store().Registration(context.Background(), ev.ID, g.rid)
		if err != nil || r.Status != community.RegistrationConfirmed {
			t.Errorf("%s: %v %v, want confirmed", g.email, r, err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	for _, addr := range newcomers {
		for _, m := range localtest.MailTo(t, addr) {
			if strings.Contains(m.Subject, "参加が確定しました") {
				t.Errorf("newcomer %s was promoted ahead of earlier waiters", addr)
			}
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	ev := e.event(nil)
	_, session := e.member(nil)
	var wg sync.WaitGroup
	answers := make([]resp, 5)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.call(e.rsvp, rsvpapi.RouteRegister, ev.ID, `{}`, session, map[string]string{"Idempotency-Key": "retry-abc-1"})
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a.code != 201 || a.raw != answers[0].raw {
			t.Errorf("answer %d = %d %s, want the first (%s)", i, a.code, a.raw, answers[0].raw)
		}
	}
	if c, _, n := e.counters(ev.ID); c != 1 || n != 1 {
		t.Errorf("confirmed %d/%d, want one registration", c, n)
	}
	// The same key on another event is another request: refused, not replayed.
	other := e.event(nil)
	if r := e.call(e.rsvp, rsvpapi.RouteRegister, other.ID, `{}`, session, map[string]string{"Idempotency-Key": "retry-abc-1"}); r.code != 422 || r.errCode() != "idempotency_key_reused" {
		t.Errorf("same key, other event = %d %s", r.code, r.raw)
	}
	// Without a key, a second try is a conflict, not a second seat.
	if r := e.register(ev.ID, `{}`, session); r.code != 409 || r.errCode() != "already_registered" {
		t.Errorf("second registration = %d %s", r.code, r.raw)
	}
}

func TestRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	minAge, maxAge := 25, 39
	workshop := e.event(func(ev *community.Event) {
		ev.Kind, ev.Audience, ev.Capacity, ev.FeeJPY = community.KindWorkshop, community.AudienceMembers, 16, 35000
		ev.Eligibility = &community.Eligibility{PublicServantOnly: true, MinAge: &minAge, MaxAge: &maxAge}
	})
	regular := e.event(func(ev *community.Event) { ev.Kind, ev.Audience = community.KindMeeting, community.AudienceRegular })
	closed := e.event(func(ev *community.Event) { c := now.Add(-time.Hour); ev.RegistrationClosesAt = &c })
	notOpen := e.event(func(ev *community.Event) { o := now.Add(time.Hour); ev.RegistrationOpensAt = &o })
	full := e.event(func(ev *community.Event) { ev.Capacity, ev.Waitlist = 1, false })
	if r := e.guest(full.ID, "先着", localtest.UniqueEmail("first")); r.code != 201 {
		t.Fatal(r.raw)
	}
	_, okSession := e.member(nil)
	_, supporting := e.member(func(m *community.Member) { m.Membership = community.MembershipSupporting })
	_, notServant := e.member(func(m *community.Member) { m.PublicServant = false })
	_, tooOld := e.member(func(m *community.Member) { b := time.Date(1970, 1, 1, 0, 0, 0, 0, community.Tokyo); m.BirthDate = &b })
	_, noBirth := e.member(func(m *community.Member) { m.BirthDate = nil })
	susp, suspended := e.member(nil)
	susp.Status = community.MemberSuspended
	if err := e.svc.Store().UpdateMember(ctx, susp); err != nil {
		t.Fatal(err)
	}
	guestEmail := localtest.UniqueEmail("twice")
	tests := []struct {
		name, event, body, session string
		status                     int
		code                       string
	}{
		{"OK", workshop.ID, `{}`, okSession, 201, ""},
		{"ErrAlreadyRegistered", workshop.ID, `{}`, okSession, 409, "already_registered"},
		{"ErrGuestMembersOnly", workshop.ID, guestBody("ゲスト", localtest.UniqueEmail("g")), "", 403, "members_only"},
		{"ErrAnonymous", workshop.ID, `{}`, "", 401, "unauthorized"},
		{"ErrRegularOnly", regular.ID, `{}`, supporting, 403, "regular_members_only"},
		{"ErrPublicServantsOnly", workshop.ID, `{}`, notServant, 403, "public_servants_only"},
		{"ErrAge", workshop.ID, `{}`, tooOld, 403, "age_not_eligible"},
		{"ErrBirthDateRequired", workshop.ID, `{}`, noBirth, 403, "birth_date_required"},
		{"ErrSuspended", workshop.ID, `{}`, suspended, 403, "member_suspended"},
		{"ErrClosed", closed.ID, `{}`, okSession, 422, "registration_closed"},
		{"ErrNotOpen", notOpen.ID, `{}`, okSession, 422, "registration_not_open"},
		{"ErrFull", full.ID, `{}`, okSession, 409, "event_full"},
		{"OKGuest", closed.ID, "", "", 0, ""}, // placeholder replaced below
		{"ErrGuestTwice", regular.ID, "", "", 0, ""},
		{"ErrUnknownEvent", community.NewID(now), `{}`, okSession, 404, "event_not_found"},
		{"ErrBadID", "../../etc", `{}`, okSession, 404, "event_not_found"},
		{"ErrUnknownField", workshop.ID, `{"seats":2}`, okSession, 400, "unknown_field"},
		{"ErrBadGuestEmail", notOpen.ID, guestBody("x", "not-mail"), "", 0, ""},
	}
	public := e.event(nil)
	tests[12] = struct {
		name, event, body, session string
		status                     int
		code                       string
	}{"OKGuest", public.ID, guestBody("ゲスト", guestEmail), "", 201, ""}
	tests[13] = struct {
		name, event, body, session string
		status                     int
		code                       string
	}{"ErrGuestTwice", public.ID, guestBody("ゲスト", strings.ToUpper(guestEmail)), "", 409, "already_registered"}
	tests[17] = struct {
		name, event, body, session string
		status                     int
		code                       string
	}{"ErrBadGuestEmail", public.ID, guestBody("x", "not-mail"), "", 400, "validation_failed"}
	// A name a transport damaged on the way ("名" and bytes that were not
	// UTF-8, replaced by U+FFFD) is refused, not stored.
	tests = append(tests, struct {
		name, event, body, session string
		status                     int
		code                       string
	}{"ErrReplacementInGuestName", public.ID, guestBody("名\uFFFD", localtest.UniqueEmail("g")), "", 400, "validation_failed"})
	// A guest's registration is the request and then its mailed link.
	viaLink := map[string]string{"OKGuest": guestEmail, "ErrGuestTwice": guestEmail}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.register(tt.event, tt.body, tt.session)
			if addr, ok := viaLink[tt.name]; ok {
				if r.code != 202 || r.body["status"] != "confirmation_sent" {
					t.Fatalf("request = %d %s, want 202 confirmation_sent", r.code, r.raw)
				}
				toks := confirmTokens(t, addr, map[string]int{"OKGuest": 1, "ErrGuestTwice": 2}[tt.name])
				r = e.confirm(toks[len(toks)-1])
			}
			if r.code != tt.status || r.errCode() != tt.code {
				t.Errorf("= %d %s, want %d %s", r.code, r.raw, tt.status, tt.code)
			}
			if r.code >= 400 {
				if msg, _ := r.body["error"].(map[string]any)["message"].(string); msg == "" {
					t.Error("no message")
				}
			}
		})
	}
}

func TestJoinURLOnlyForConfirmed(t *testing.T) {
	e := newEnv(t)
	ev := e.event(func(ev *community.Event) {
		ev.Audience, ev.Kind, ev.Capacity, ev.Notes = community.AudienceMembers, community.KindMeeting, 1, "録画・録音なし"
	})
	a, sa := e.member(nil)
	b, sb := e.member(nil)
	if r := e.register(ev.ID, `{}`, sa); r.body["status"] != "confirmed" {
		t.Fatal(r.raw)
	}
	if r := e.register(ev.ID, `{}`, sb); r.body["status"] != "waitlisted" || r.body["waitlist_position"] != 1.0 {
		t.Fatal(r.raw)
	}
	detail := func(session string) resp { return e.call(e.events, eventsapi.RouteDetail, ev.ID, "", session, nil) }
	if r := detail(sa); !strings.Contains(r.raw, joinURL) {
		t.Errorf("confirmed member does not see the join URL: %s", r.raw)
	}
	for who, s := range map[string]string{"waitlisted": sb, "anonymous": ""} {
		if r := detail(s); strings.Contains(r.raw, "secret-123") {
			t.Errorf("%s sees the join URL: %s", who, r.raw)
		}
		if r := e.call(e.events, eventsapi.RouteList, "", "", s, nil); strings.Contains(r.raw, "secret-123") {
			t.Errorf("%s sees the join URL in the list", who)
		}
	}
	for _, m := range localtest.WaitMail(t, b.Email, 1) {
		if strings.Contains(m.Body.Text+m.Body.HTML, "secret-123") {
			t.Errorf("mail to the waitlisted member carries the join URL: %q", m.Subject)
		}
		for _, at := range m.Attachments {
			if strings.Contains(at.Content, "secret-123") {
				t.Error("attachment carries the join URL")
			}
		}
	}
	if m := localtest.WaitMail(t, a.Email, 1)[0]; !strings.Contains(m.Body.Text, joinURL) || len(m.Attachments) != 1 {
		t.Errorf("confirmation mail lacks the join URL or the .ics: %q", m.Subject)
	}
	mine := func(s string) resp { return e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", s, nil) }
	if r := mine(sa); !strings.Contains(r.raw, joinURL) {
		t.Errorf("my registrations (confirmed) lacks the join URL: %s", r.raw)
	}
	if r := mine(sb); strings.Contains(r.raw, "secret-123") || !strings.Contains(r.raw, `"waitlisted"`) {
		t.Errorf("my registrations (waitlisted) = %s", r.raw)
	}
}

// BOLA: one member can neither see nor cancel another's registration.
func TestNoAccessToOthersRegistrations(t *testing.T) {
	e := newEnv(t)
	ev := e.event(nil)
	a, sa := e.member(nil)
	b, sb := e.member(nil)
	ra := e.register(ev.ID, `{}`, sa)
	rb := e.register(ev.ID, `{}`, sb)
	if ra.code != 201 || rb.code != 201 {
		t.Fatal(ra.raw, rb.raw)
	}
	if r := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", sa, nil); strings.Contains(r.raw, rb.body["registration_id"].(string)) || strings.Contains(r.raw, b.Email) {
		t.Errorf("A's list shows B's registration: %s", r.raw)
	}
	// A forges a cancel token for B's registration from A's own.
	tokA := cancelToken(t, localtest.WaitMail(t, a.Email, 1)[0])
	forged := strings.Replace(tokA, ra.body["registration_id"].(string), rb.body["registration_id"].(string), 1)
	if r := e.call(e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"`+forged+`"}`, "", nil); r.code != 404 || strings.Contains(r.raw, b.Email) {
		t.Errorf("forged cancel = %d %s, want 404", r.code, r.raw)
	}
	// A cancelling "mine" twice cancels only A's, then finds nothing.
	if r := e.call(e.rsvp, rsvpapi.RouteCancelMine, ev.ID, "", sa, nil); r.code != 200 || r.body["registration_id"] != ra.body["registration_id"] {
		t.Errorf("cancel mine = %d %s", r.code, r.raw)
	}
	if r := e.call(e.rsvp, rsvpapi.RouteCancelMine, ev.ID, "", sa, nil); r.code != 404 {
		t.Errorf("cancel mine again = %d %s, want 404", r.code, r.raw)
	}
	got, err := e.svc.Store().Registration(context.Background(), ev.ID, rb.body["registration_id"].(string))
	if err != nil || got.Status != community.RegistrationConfirmed {
		t.Errorf("B's registration: %v %v", got, err)
	}
	// The cancel link works for B, and a second click is harmless.
	tokB := cancelToken(t, localtest.WaitMail(t, b.Email, 1)[0])
	for i := 0; i < 2; i++ {
		if r := e.call(e.rsvp, rsvpapi.RouteCancelByToken, "", `{"token":"`+tokB+`"}`, "", nil); r.code != 200 || r.body["status"] != "cancelled" {
			t.Errorf("cancel by link #%d = %d %s", i, r.code, r.raw)
		}
	}
	if c, _, n := e.counters(ev.ID); c != 0 || n != 0 {
		t.Errorf("confirmed %d/%d after both cancelled", c, n)
	}
}

// A suspended member keeps the registration but no longer sees the link.
func TestSuspendedMemberLosesJoinURL(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.event(nil)
	m, s := e.member(nil)
	if r := e.register(ev.ID, `{}`, s); r.body["status"] != "confirmed" {
		t.Fatal(r.raw)
	}
	if r := e.call(e.events, eventsapi.RouteDetail, ev.ID, "", s, nil); !strings.Contains(r.raw, joinURL) {
		t.Fatalf("active confirmed member does not see the join URL: %s", r.raw)
	}
	cur, err := e.svc.Store().Member(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.Status = community.MemberSuspended
	if err := e.svc.Store().UpdateMember(ctx, cur); err != nil {
		t.Fatal(err)
	}
	for _, r := range []resp{
		e.call(e.events, eventsapi.RouteDetail, ev.ID, "", s, nil),
		e.call(e.events, eventsapi.RouteList, "", "", s, nil),
		e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", s, nil),
	} {
		if strings.Contains(r.raw, "secret-123") {
			t.Errorf("suspended member sees the join URL: %s", r.raw)
		}
	}
}

// The public feed tells subscribed calendars of a cancellation, and never
// carries a join URL.
func TestFeedCarriesCancellations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	kept := e.event(nil)
	off := e.event(func(ev *community.Event) {
		ev.Title = "中止になる私塾"
		ev.StartsAt = ev.StartsAt.Add(time.Hour)
		ev.EndsAt = ev.EndsAt.Add(time.Hour)
	})
	if _, _, err := e.svc.Store().CancelEvent(ctx, off, "講師急病のため", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := e.call(e.events, eventsapi.RouteFeed, "", "", "", nil)
	if r.code != 200 {
		t.Fatalf("feed = %d", r.code)
	}
	unfolded := strings.ReplaceAll(r.raw, "\r\n ", "")
	for _, id := range []string{kept.ID, off.ID} {
		if !strings.Contains(unfolded, "UID:"+id+"@") {
			t.Errorf("feed lacks %s", id)
		}
	}
	if strings.Count(unfolded, "STATUS:CANCELLED") != 1 {
		t.Errorf("want exactly one cancelled VEVENT:\n%s", unfolded)
	}
	if strings.Contains(unfolded, "secret-123") {
		t.Error("feed carries a join URL")
	}
}
