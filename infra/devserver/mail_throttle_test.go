package main

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/mailerjob"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// sesThrottle makes every SES SendRawEmail answer SES's throttling error
// while it is on, before the call leaves the client (so the SDK's own
// retryer does not see it either: SES throttles through its retries).
type sesThrottle struct {
	on        atomic.Bool
	throttled atomic.Int64 // calls refused so far
}

func (s *sesThrottle) middleware(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("tabane/test/ses-throttle",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if s.on.Load() && awsmiddleware.GetServiceID(ctx) == "SES" && awsmiddleware.GetOperationName(ctx) == "SendRawEmail" {
				s.throttled.Add(1)
				return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// startStreamServer is the dev server built by the test as run() builds it
// (the template's table, every function's handler from the same
// constructors, the stream poller on DynamoDB Local), with thr on every AWS
// client, so that the test can read the stream mappings' on-failure
// destination (Server.Dropped).
func startStreamServer(t *testing.T, sesURL string, thr *sesThrottle) (*mailStack, *devserver.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	table := "devmail-" + localtest.UniqueID()
	vars := map[string]string{"TABANE_TABLE": table, "TABANE_SESSION_SECRET": "mail-e2e-secret-" + localtest.UniqueID() + localtest.UniqueID()}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	log := app.NewLogger(io.Discard, "error")
	awsCfg := app.LocalAWSConfig(cfg.Region)
	awsCfg.APIOptions = append(awsCfg.APIOptions, thr.middleware)
	ep := app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: sesURL}
	deps := app.New(cfg, awsCfg, ep, log)
	if _, err := ensureTable(ctx, deps.DynamoDB(), tpl, table, io.Discard); err != nil {
		t.Fatal(err)
	}
	handlers, err := buildHandlers(deps)
	if err != nil {
		t.Fatal(err)
	}
	streams := dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(ep.DynamoDB) })
	srv, err := devserver.New(tpl, handlers, devserver.Options{
		Log: log, Region: cfg.Region, DynamoDB: deps.DynamoDB(), DynamoDBStreams: streams, Table: table,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	streamsDone := make(chan struct{})
	go func() { srv.RunStreams(ctx); close(streamsDone) }()
	t.Cleanup(func() {
		cancel()
		<-streamsDone
		hs.Close()
		_, _ = localtest.DynamoDB().DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) // the stand-in goes away after the run anyway
	})
	// The test's own store and sessions, on clients SES throttling does not touch.
	own := app.New(cfg, app.LocalAWSConfig(cfg.Region), ep, log)
	return &mailStack{base: hs.URL, sesURL: sesURL, deps: own}, srv
}

// TestThrottledMailIsSentLaterOnce is issue 9's second acceptance line: SES
// answers throttling errors for a while. The mailer's stream mapping
// retries (MaximumRetryAttempts 5); a batch that fails every retry goes to
// the on-failure destination, and only such a batch; once SES takes mail
// again the retried records are sent, and the mailer's scheduled re-drive sends the
// dropped ones — every mail once.
//
// "A while" is decided by what happened, not by a clock: SES throttles
// until the first batch has been given up on, and then until a second
// batch has been invoked at least twice.
func TestThrottledMailIsSentLaterOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the stream mapping's retries (about half a minute)")
	}
	t.Parallel()
	const subject = "参加登録が完了しました"
	ses := privateSES(t)
	thr := &sesThrottle{}
	thr.on.Store(true)
	s, srv := startStreamServer(t, ses.SESURL, thr)
	ev := s.event(t, 100)
	ctx := context.Background()

	signUp := func(tag string, n int) (addrs, ids []string) {
		tokens := make([]string, n)
		addrs = make([]string, n)
		for i := range n {
			addrs[i], tokens[i] = s.member(t, tag, i)
		}
		return addrs, s.registerAll(t, ctx, ev.ID, tokens, n)
	}

	// First batch: throttled through every retry.
	addrsA, idsA := signUp("thra", 10)
	waitFor(t, 120*time.Second, "a batch given up on", func() bool { return len(srv.Dropped()) > 0 })

	// Second batch: throttled, retried, then sent.
	before := thr.throttled.Load()
	addrsB, idsB := signUp("thrb", 10)
	// The sender tries a throttled mail up to mail.DefaultMaxAttempts times
	// per invocation; more refusals than that mean a retried invocation.
	waitFor(t, 60*time.Second, "a retried invocation", func() bool { return thr.throttled.Load()-before > 5 })
	thr.on.Store(false)
	t.Logf("SES throttled %d calls", thr.throttled.Load())

	addrs := append(append([]string(nil), addrsA...), addrsB...)
	ids := append(append([]string(nil), idsA...), idsB...)
	mailIDs := confirmedMailIDs(ids)
	addrOf := map[string]string{}
	for i, id := range mailIDs {
		addrOf[id] = addrs[i]
	}

	// What went to the on-failure destination: only records that failed
	// every invocation, and whose mail was not sent.
	dropped := map[string]bool{}
	for _, d := range srv.Dropped() {
		if d.Condition != devserver.RetryAttemptsExhausted || d.ApproximateInvokeCount != 6 || d.Destination == "" {
			t.Errorf("dropped batch: %s after %d invocations to %q; want %s after 6 (MaximumRetryAttempts 5) to the queue",
				d.Condition, d.ApproximateInvokeCount, d.Destination, devserver.RetryAttemptsExhausted)
		}
		for _, r := range d.Records {
			id, _ := strings.CutPrefix(r.Change.Keys["PK"].String(), "OUTBOX#")
			if addrOf[id] == "" {
				t.Errorf("dropped record %q is none of the registrations' mails", id)
			}
			dropped[id] = true
		}
	}
	var kept, gone []string
	for _, id := range mailIDs {
		if dropped[id] {
			gone = append(gone, addrOf[id])
		} else {
			kept = append(kept, addrOf[id])
		}
	}
	t.Logf("%d mails dropped after every retry, %d left to the stream", len(gone), len(kept))
	if len(gone) == 0 || len(kept) == 0 {
		t.Fatalf("want some records dropped and some retried to success; dropped %d of %d", len(gone), len(mailIDs))
	}

	// Everything the stream still held is sent once SES takes mail again.
	got := waitMailboxes(t, ses.SESURL, subject, kept, 60*time.Second)
	for _, a := range kept {
		if got[a] != 1 {
			t.Errorf("%s: %d confirmations after throttling, want 1", a, got[a])
		}
	}
	// The dropped ones are not, until the mailer's re-drive sends them.
	all, err := mailbox(ses.SESURL, subject)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range gone {
		if n := all[strings.ToLower(a)]; n != 0 {
			t.Errorf("%s: %d mails though its record was dropped", a, n)
		}
	}
	var goneIDs []string
	for id := range dropped {
		goneIDs = append(goneIDs, id)
	}
	if st := s.outboxStates(t, goneIDs); st["pending"] != len(goneIDs) {
		t.Errorf("dropped mails' outbox items: %v, want all %d pending", st, len(goneIDs))
	}

	// The mailer's scheduled re-drive (its Redrive event), run as the
	// schedule runs it once the items are older than community.RedriveAfter.
	later := app.New(s.deps.Config, app.LocalAWSConfig(s.deps.Config.Region), s.deps.Endpoints, s.deps.Log)
	later.Clock = community.ClockFunc(func() time.Time { return time.Now().Add(community.RedriveAfter + time.Minute) })
	mailer, err := mailerjob.Wire(later)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mailer.Redrive(ctx, "")
	if err != nil || res.Sent != len(gone) {
		t.Errorf("Redrive = %d, %v; want the %d dropped mails sent", res.Sent, err, len(gone))
	}
	got = waitMailboxes(t, ses.SESURL, subject, addrs, 30*time.Second)
	for _, a := range addrs {
		if got[a] != 1 {
			t.Errorf("%s: %d confirmations in the end, want exactly 1", a, got[a])
		}
	}
	if st := s.outboxStates(t, mailIDs); st["sent"] != len(mailIDs) {
		t.Errorf("outbox in the end: %v, want all %d sent", st, len(mailIDs))
	}
}

// waitFor polls cond every 100 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
