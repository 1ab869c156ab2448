// Package localtest gives tests the local stand-ins for AWS: the DynamoDB
// Local and SES stand-in that `make test` started (TABANE_TEST_DYNAMODB_URL,
// TABANE_TEST_SES_URL), or a pair started for this test binary alone. Tests
// isolate themselves by table name (a fresh table each) and by recipient
// address (a unique one each), never by clearing shared state.
package localtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/awscalls/policycheck"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins"
)

// Environment variables through which `make test` shares one stack.
const (
	EnvDynamoDB = "TABANE_TEST_DYNAMODB_URL"
	EnvSES      = "TABANE_TEST_SES_URL"
)

var (
	dynamoURL, sesURL string
	started           *standins.Stack
	// recorder sees every client AWSConfig configures; only calls made in a
	// handler's context (awscalls.WithFunction) are recorded.
	recorder = awscalls.NewRecorder(os.Getenv(awscalls.EnvDir))
)

// Main runs the package's tests with the stand-ins available; call it from
// TestMain: func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }.
// After the tests it fails the run when a handler made a call that its
// function's policy in template.yaml does not allow.
func Main(m *testing.M) int {
	return MainServing(m, "")
}

// MainServing is Main for the package whose handler serves function (its
// LogicalId): when every test ran and passed, it also fails the run when
// the function's policy grants what none of the handler's calls used and
// policycheck.Untested does not excuse.
func MainServing(m *testing.M, function string) int {
	dynamoURL, sesURL = pickDynamoDB(os.Getenv(EnvDynamoDB)), os.Getenv(EnvSES)
	if dynamoURL == "" || sesURL == "" {
		s, err := standins.Start(context.Background(), standins.Options{Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "localtest:", err)
			return 1
		}
		started = s
		dynamoURL, sesURL = s.DynamoDBURL, s.SESURL
	}
	code := m.Run()
	if code == 0 {
		code = checkCalls(function)
	}
	if heldDynamoDB != nil {
		heldDynamoDB.Close() // the next package may take this DynamoDB Local
	}
	if started != nil {
		started.Stop()
	}
	return code
}

// DynamoDBURL is the endpoint of DynamoDB Local.
func DynamoDBURL() string { return dynamoURL }

// SESURL is the endpoint of the SES stand-in (its page and /store).
func SESURL() string { return sesURL }

// AWSConfig is an SDK configuration with dummy credentials; the clients below
// point it at the stand-ins.
//
// Its HTTP client gives up on a request after 30 s, so that the SDK retries
// it on a fresh connection: under a whole run's load, with stream pollers
// of other packages reading at the same time, DynamoDB Local has been seen
// to leave a request unanswered for good, which would hang a test forever.
func AWSConfig() aws.Config {
	cfg := aws.Config{
		Region:      "ap-northeast-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  awshttp.NewBuildableClient().WithTimeout(30 * time.Second),
		// As pkg/app configures the functions' clients: retries without the
		// standard retryer's shared budget, which a registration rush
		// empties (DynamoDB Local answers lock waits with 500s), turning
		// contention into errors.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.RateLimiter = ratelimit.None
				o.MaxAttempts = 10
			})
		},
	}
	cfg.APIOptions = append(cfg.APIOptions, recorder.Middleware())
	return cfg
}

// checkCalls holds what the handlers called against template.yaml.
func checkCalls(function string) int {
	calls, err := recorder.Calls()
	if err != nil {
		fmt.Fprintln(os.Stderr, "localtest:", err)
		return 1
	}
	_, tpl, err := samtemplate.LoadRepo()
	if err != nil {
		fmt.Fprintln(os.Stderr, "localtest:", err)
		return 1
	}
	fns := map[string]bool{function: function != ""}
	for _, c := range calls {
		fns[c.Function] = true
	}
	var stmts, own []policycheck.Statement
	for fn, ok := range fns {
		if !ok {
			continue
		}
		st, err := policycheck.Statements(tpl, fn)
		if err != nil {
			fmt.Fprintln(os.Stderr, "localtest:", err)
			return 1
		}
		stmts = append(stmts, st...)
		if fn == function {
			own = st
		}
	}
	problems := policycheck.Denied(stmts, calls)
	// A run narrowed by -run or -skip makes only some of the calls.
	if function != "" && flagValue("test.run") == "" && flagValue("test.skip") == "" {
		problems = append(problems, policycheck.Unused(own, calls, policycheck.Untested)...)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "localtest: IAM:", p)
	}
	if len(problems) > 0 {
		return 1
	}
	return 0
}

func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// DynamoDB returns a client for DynamoDB Local.
func DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(dynamoURL)
		o.DisableValidateResponseChecksum = true
	})
}

// SES returns a client for the SES stand-in.
func SES() *ses.Client {
	return ses.NewFromConfig(AWSConfig(), func(o *ses.Options) { o.BaseEndpoint = aws.String(sesURL) })
}

var (
	tmplOnce  sync.Once
	tmplTable samtemplate.Table
	tmplErr   error
)

// NewTable creates a fresh table from template.yaml's definition and returns
// its name; the table is deleted when the test ends.
func NewTable(t testing.TB) string {
	t.Helper()
	tmplOnce.Do(func() {
		p, err := samtemplate.Find()
		if err != nil {
			tmplErr = err
			return
		}
		tpl, err := samtemplate.Load(p)
		if err != nil {
			tmplErr = err
			return
		}
		tmplTable, tmplErr = tpl.DynamoDBTable()
	})
	if tmplErr != nil {
		t.Fatal(tmplErr)
	}
	name := "test-" + UniqueID()
	ctx := context.Background()
	db := DynamoDB()
	if err := tmplTable.Create(ctx, db, name); err != nil {
		t.Fatal("localtest:", err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) // the emulator vanishes after the run anyway
	})
	return name
}

// UniqueID returns 16 random hex characters.
func UniqueID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return hex.EncodeToString(b)
}

// UniqueEmail returns a fresh address for one test, so its mail can be told apart.
func UniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%s@example.jp", prefix, UniqueID())
}

// Mail is one message as the SES stand-in stored it.
type Mail struct {
	MessageID   string `json:"messageId"`
	From        string `json:"from"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
	Attachments []struct {
		Content     string `json:"content"` // base64
		ContentType string `json:"contentType"`
		Filename    string `json:"filename"`
		Size        int    `json:"size"`
	} `json:"attachments"`
	At int64 `json:"at"`
}

// outboxes are the deliveries registered with DeliverOutbox.
var (
	outboxMu sync.Mutex
	outboxes = map[*func(context.Context) error]bool{}
)

// DeliverOutbox registers deliver, which sends a test's outbox mails (its
// mailroom's DeliverUnsent), for MailTo and WaitMail to run before they
// read the stand-in: a package test has no table stream to invoke the
// mailer, so its mail is delivered when the test looks at the mailbox.
// The registration ends with t.
func DeliverOutbox(t testing.TB, deliver func(ctx context.Context) error) {
	t.Helper()
	outboxMu.Lock()
	outboxes[&deliver] = true
	outboxMu.Unlock()
	t.Cleanup(func() {
		outboxMu.Lock()
		delete(outboxes, &deliver)
		outboxMu.Unlock()
	})
}

func deliverOutboxes(t testing.TB) {
	t.Helper()
	outboxMu.Lock()
	fs := make([]func(context.Context) error, 0, len(outboxes))
	for f := range outboxes {
		fs = append(fs, *f)
	}
	outboxMu.Unlock()
	for _, f := range fs {
		if err := f(context.Background()); err != nil {
			t.Errorf("localtest: deliver outbox: %v", err)
		}
	}
}

// seen caches what this test binary has read from the shared stand-in: a
// run sends thousands of mails, and reading the whole store on every poll
// of every test would cost far more than the tests themselves.
var seen struct {
	sync.Mutex
	since int64           // epoch seconds of the newest mail read
	ids   map[string]bool // message ids read
	mails []Mail          // in the stand-in's order
}

// storeMails returns every mail in the stand-in, fetching only those since
// the last read (the stand-in's ?since= is in whole seconds, so the last
// second is read again and de-duplicated by message id).
func storeMails(t testing.TB) []Mail {
	t.Helper()
	seen.Lock()
	defer seen.Unlock()
	resp, err := http.Get(sesURL + "/store?since=" + strconv.FormatInt(seen.since, 10))
	if err != nil {
		t.Fatalf("localtest: read SES store: %v", err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []Mail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatalf("localtest: decode SES store: %v", err)
	}
	if seen.ids == nil {
		seen.ids = map[string]bool{}
	}
	for _, m := range store.Emails {
		if seen.ids[m.MessageID] {
			continue
		}
		seen.ids[m.MessageID] = true
		seen.mails = append(seen.mails, m)
		seen.since = max(seen.since, m.At)
	}
	return seen.mails
}

// MailTo returns every mail the stand-in holds for the address to, after
// delivering the outbox mails of every DeliverOutbox registration.
func MailTo(t testing.TB, to string) []Mail {
	t.Helper()
	deliverOutboxes(t)
	var out []Mail
	for _, m := range storeMails(t) {
		for _, d := range append(append(m.Destination.To, m.Destination.Cc...), m.Destination.Bcc...) {
			if strings.Contains(strings.ToLower(d), strings.ToLower(to)) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitMail waits up to 10 s for at least n mails to to, and returns them.
func WaitMail(t testing.TB, to string, n int) []Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := MailTo(t, to)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				t.Fatalf("localtest: want %d mails to %s, got %d", n, to, len(got))
			}
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Crowd marks a test that sends DynamoDB Local a crowd at once (hundreds of
// concurrent registrations, a thousand attendees): such tests in different
// packages of one `go test ./...` run take turns, by an exclusive lock on a
// file named after the run's DynamoDB Local. Two crowds at once do not
// finish sooner than one after the other — DynamoDB Local serializes its
// transactions — but each one's retries and backoff then compound, and a
// package that took 90 s alone was seen to pass its 10-minute timeout. The
// lock is released when the test ends.
func Crowd(t testing.TB) {
	t.Helper()
	sum := sha256.Sum256([]byte(dynamoURL))
	name := filepath.Join(os.TempDir(), "tabane-crowd-"+hex.EncodeToString(sum[:8])+".lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("localtest: crowd lock: %v", err)
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("localtest: crowd lock: %v", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %v for another package's crowd test", waited.Round(time.Second))
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// pickDynamoDB chooses this test binary's DynamoDB Local from the run's
// comma-separated list: the first that no other binary of the run holds (a
// non-blocking lock, held until the process ends), so packages running at
// the same time use different ones; when every one is held, one by the
// package's directory.
func pickDynamoDB(list string) string {
	urls := strings.Split(list, ",")
	if len(urls) < 2 {
		return list
	}
	sum := sha256.Sum256([]byte(list))
	for i, u := range urls {
		name := filepath.Join(os.TempDir(), fmt.Sprintf("tabane-ddb-%s-%d.lock", hex.EncodeToString(sum[:8]), i))
		f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			heldDynamoDB = f // released when the tests end (Main)
			return u
		}
		f.Close()
	}
	wd, _ := os.Getwd()
	h := sha256.Sum256([]byte(wd))
	return urls[int(h[0])%len(urls)]
}

// heldDynamoDB keeps the lock of the chosen DynamoDB Local open.
var heldDynamoDB *os.File

// RushSize is how many people a rush test sends at once: def in a run of
// every test, which has to fit its time on a 2-core machine, or the
// acceptance size that TABANE_RUSH (e.g. 200) names when set larger. The
// rush is a race either way: everyone holds the same snapshot and only
// the store's conditions decide.
func RushSize(def int) int {
	if n, err := strconv.Atoi(os.Getenv("TABANE_RUSH")); err == nil && n > def {
		return n
	}
	return def
}
