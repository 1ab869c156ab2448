package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/mailerjob"
	"github.com/sorae/tabane/pkg/standins"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// The acceptance tests of issue 9 about mail that must arrive, each exactly
// once, whatever SES does meanwhile: run against the whole dev server (HTTP,
// the rsvp function, DynamoDB Local, the table's stream polled into the
// MailerFunction, SES), as `make run` runs it.

// mailStack is a dev server started for one test, and what the test needs
// to set up data behind its back: the store and the sessions it uses.
type mailStack struct {
	base   string // http://127.0.0.1:port
	sesURL string // the SES stand-in the server mails through
	deps   *app.Deps
}

// startMailStack runs the dev server against the shared DynamoDB Local, a
// table of its own, and the SES stand-in at sesURL, with o's apiOptions and
// wrap (benchmarks).
func startMailStack(t testing.TB, sesURL string, o options) *mailStack {
	t.Helper()
	table := "devmail-" + localtest.UniqueID()
	vars := map[string]string{
		"PORT": "0", "TABANE_TABLE": table, "TABANE_ORGANIZERS": "",
		"TABANE_SESSION_SECRET": "mail-e2e-secret-" + localtest.UniqueID() + localtest.UniqueID(),
	}
	getenv := func(k string) string { return vars[k] }
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		o.dynamoURL, o.sesURL, o.log = localtest.DynamoDBURL(), sesURL, io.Discard
		o.ready = func(addr string) { ready <- addr }
		done <- run(ctx, getenv, &out, o)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		_, _ = localtest.DynamoDB().DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) // the stand-in goes away after the run anyway
	})
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("dev server did not start: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("dev server not ready within 60 s\n%s", out.String())
	}
	// The same store and session secret as the server's, for the test's
	// own members and events.
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	deps := app.New(cfg, app.LocalAWSConfig(cfg.Region), app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: sesURL}, app.NewLogger(io.Discard, "error"))
	return &mailStack{base: base, sesURL: sesURL, deps: deps}
}

// privateSES starts an SES stand-in for this test alone: pausing or
// flooding the one the other packages share would fail their tests.
func privateSES(t testing.TB) *standins.Stack {
	t.Helper()
	s, err := standins.StartSES(context.Background(), standins.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// member stores an active regular member with a session; it returns the
// member's address and bearer token.
func (s *mailStack) member(t testing.TB, tag string, i int) (string, string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	birth := time.Date(1990, 4, 1, 0, 0, 0, 0, community.Tokyo)
	m := &community.Member{
		ID: community.NewID(now), Email: fmt.Sprintf("%s-%03d-%s@example.jp", tag, i, localtest.UniqueID()),
		Name: "会員 太郎", NameKana: "かいいん たろう", Membership: community.MembershipRegular, Affiliation: "伊勢崎市",
		PublicServant: true, BirthDate: &birth, Status: community.MemberActive, Role: community.RoleMember,
		Preferences: community.Preferences{Reminders: true}, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.deps.Store().CreateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.deps.Sessions().Issue(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m.Email, tok
}

// event stores a published public lecture with capacity seats.
func (s *mailStack) event(t testing.TB, capacity int) *community.Event {
	t.Helper()
	now := time.Now()
	start := now.Add(10 * 24 * time.Hour).Truncate(time.Hour)
	ev := &community.Event{
		ID: community.NewID(now), Title: "私塾：橋梁点検の基礎", Kind: community.KindLecture, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute), OnlinePlatform: "Zoom", JoinURL: "https://zoom.example.jp/j/e2e",
		Capacity: capacity, Waitlist: true, Status: community.EventPublished, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.deps.Store().CreateEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// register is a member's POST /api/events/{id}/registrations over HTTP;
// it returns the status and the registration's id.
func (s *mailStack) register(ctx context.Context, client *http.Client, eventID, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", s.base+"/api/events/"+eventID+"/registrations", strings.NewReader(`{}`))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	var r struct {
		ID string `json:"registration_id"`
	}
	if resp.StatusCode == 201 {
		if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
			return resp.StatusCode, "", fmt.Errorf("201 without a registration id: %s", body)
		}
		return resp.StatusCode, r.ID, nil
	}
	return resp.StatusCode, "", fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
}

// countIn counts the addresses of addrs with at least one mail in got.
func countIn(got map[string]int, addrs []string) int {
	n := 0
	for _, a := range addrs {
		if got[strings.ToLower(a)] > 0 {
			n++
		}
	}
	return n
}

// mailbox reads an SES stand-in's /store: how many mails each recipient
// has whose subject contains subject.
func mailbox(sesURL, subject string) (map[string]int, error) {
	resp, err := http.Get(sesURL + "/store")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var store struct {
		Emails []localtest.Mail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, m := range store.Emails {
		if !strings.Contains(m.Subject, subject) {
			continue
		}
		for _, to := range m.Destination.To {
			// "名前 <addr>" or a bare address
			if _, a, ok := strings.Cut(to, "<"); ok {
				to = strings.TrimSuffix(strings.TrimSpace(a), ">")
			}
			out[strings.ToLower(strings.TrimSpace(to))]++
		}
	}
	return out, nil
}

// waitMailboxes waits up to d for every address of want to have a mail
// whose subject contains subject, then 3 s more for any second copy, and
// returns the counts of the addresses of want.
func waitMailboxes(t *testing.T, sesURL, subject string, want []string, d time.Duration) map[string]int {
	t.Helper()
	deadline := time.Now().Add(d)
	var got map[string]int
	for {
		var err error
		if got, err = mailbox(sesURL, subject); err != nil {
			t.Fatalf("read the SES stand-in's store: %v", err)
		}
		missing := 0
		for _, a := range want {
			if got[strings.ToLower(a)] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after %v, %d of %d addresses have no mail %q", d, missing, len(want), subject)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a second copy would come now
	got, err := mailbox(sesURL, subject)
	if err != nil {
		t.Fatalf("read the SES stand-in's store: %v", err)
	}
	out := make(map[string]int, len(want))
	for _, a := range want {
		out[a] = got[strings.ToLower(a)]
	}
	return out
}

// outboxStates reads how the outbox items ids were settled ("sent",
// "skipped", …, or "pending"/"claimed" while unsettled, "held" after an
// uncertain send).
func (s *mailStack) outboxStates(t *testing.T, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		key, err := attributevalue.MarshalMap(struct {
			PK string `dynamodbav:"PK"`
			SK string `dynamodbav:"SK"`
		}{"OUTBOX#" + id, "OUTBOX"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.deps.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String(s.deps.Config.TableName), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var it struct {
			State     string `dynamodbav:"state"`
			Uncertain bool   `dynamodbav:"uncertain"`
		}
		if err := attributevalue.UnmarshalMap(got.Item, &it); err != nil {
			t.Fatal(err)
		}
		switch {
		case it.State == "":
			it.State = "missing"
		case it.State == "claimed" && it.Uncertain:
			it.State = "held" // a send cut off mid-call, waiting for SES's Send event
		}
		out[it.State]++
	}
	return out
}

// registerAll makes one registration per token, parallel at a time, and
// returns the registrations' ids by token; a request that is not 201 fails t.
func (s *mailStack) registerAll(t *testing.T, ctx context.Context, eventID string, tokens []string, parallel int) []string {
	t.Helper()
	client := &http.Client{}
	ids := make([]string, len(tokens))
	work := make(chan int)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := range work {
				code, id, err := s.register(ctx, client, eventID, tokens[i])
				if code != 201 {
					t.Errorf("registration %d: %d %v", i, code, err)
					continue
				}
				ids[i] = id
			}
		})
	}
	for i := range tokens {
		work <- i
	}
	close(work)
	wg.Wait()
	return ids
}

// confirmedMailIDs are the outbox ids of the confirmations registrations ids owe.
func confirmedMailIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			out = append(out, id+"."+string(community.MailRegistrationConfirmed))
		}
	}
	return out
}

// TestRegistrationsWhileSESHangs is issue 9's first acceptance line: the SES
// stand-in stopped (SIGSTOP) for 30 s while 100 members register. Every
// registration is stored and answered while SES is still stopped — the
// request path never waits for SES — and once it resumes every
// confirmation arrives, each exactly once.
func TestRegistrationsWhileSESHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("stops SES for 30 s")
	}
	t.Parallel() // with the throttling test: each has its own SES stand-in and table
	const (
		members = 100
		pause   = 30 * time.Second // the issue's figure
	)
	ses := privateSES(t)
	s := startMailStack(t, ses.SESURL, options{})
	ev := s.event(t, members+10)
	addrs, tokens := make([]string, members), make([]string, members)
	for i := range members {
		addrs[i], tokens[i] = s.member(t, "hang", i)
	}

	ses.Pause()
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			ses.Resume()
		}
	}()

	// Logic, not timing: every request must have its answer before Resume
	// is called, which is never before they are all done (or the pause is
	// over, and then the test fails).
	ctx, cancel := context.WithTimeout(context.Background(), pause)
	defer cancel()
	done := make(chan []string, 1)
	go func() { done <- s.registerAll(t, ctx, ev.ID, tokens, 10) }()
	var ids []string
	select {
	case ids = <-done:
	case <-ctx.Done():
		t.Fatalf("registrations still unanswered after SES was stopped for %v: the request path waits for SES", pause)
	}
	answered := time.Since(paused)
	stored := 0
	for _, id := range ids {
		if id != "" {
			stored++
		}
	}
	if stored != members {
		t.Fatalf("%d of %d registrations answered 201", stored, members)
	}
	t.Logf("%d registrations answered 201 in %v with SES stopped", members, answered.Round(time.Millisecond))

	time.Sleep(time.Until(paused.Add(pause)))
	ses.Resume()
	resumed = true
	t.Logf("SES resumed after %v; outbox then: %v", time.Since(paused).Round(time.Millisecond), s.outboxStates(t, confirmedMailIDs(ids)))

	// Sends cut off while SES was stopped were held, not settled. Those SES
	// took are settled by its Send event (the dev server plays it from the
	// tags the mails carry); one it never got would stay held. Wait until
	// every item is sent or held, and each sent one is in the mailbox.
	const subject = "参加登録が完了しました"
	mailIDs := confirmedMailIDs(ids)
	waitFor(t, 120*time.Second, "outbox settled or held", func() bool {
		time.Sleep(250 * time.Millisecond)
		st := s.outboxStates(t, mailIDs)
		got, err := mailbox(ses.SESURL, subject)
		return err == nil && st["sent"]+st["held"] == len(mailIDs) && st["sent"] == countIn(got, addrs)
	})
	t.Logf("mail in after %v; outbox: %v", time.Since(paused).Round(time.Millisecond), s.outboxStates(t, mailIDs))

	// The mailer's re-drive, run as if the hold were over, sends what SES
	// never took, and nothing it did.
	later := app.New(s.deps.Config, app.LocalAWSConfig(s.deps.Config.Region), s.deps.Endpoints, s.deps.Log)
	later.Clock = community.ClockFunc(func() time.Time {
		return time.Now().Add(max(community.UncertainHold, community.RedriveAfter) + time.Minute)
	})
	mailer, err := mailerjob.Wire(later)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mailer.Redrive(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := waitMailboxes(t, ses.SESURL, subject, addrs, 30*time.Second)
	t.Logf("the re-drive sent %d never taken; outbox in the end: %v", res.Sent, s.outboxStates(t, mailIDs))
	for _, a := range addrs {
		if got[a] != 1 {
			t.Errorf("%s: %d confirmations, want exactly 1", a, got[a])
		}
	}
	if st := s.outboxStates(t, mailIDs); st["sent"] != len(mailIDs) {
		t.Errorf("outbox in the end: %v, want all %d sent", st, len(mailIDs))
	}
}
