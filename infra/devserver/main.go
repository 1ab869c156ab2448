// Command devserver is `make run`: tabane on loopback, as in AWS. It starts
// DynamoDB Local and the SES stand-in, creates the table from template.yaml,
// stores the demo data on first start, and then serves every route, runs
// every schedule and polls every DynamoDB stream event of template.yaml by
// invoking the functions' handlers in-process through the Lambda JSON path
// (see pkg/devserver). Ctrl-C or SIGTERM stops everything it started.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go/middleware"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, options{}); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

// options lets tests run the server against stand-ins they already have.
type options struct {
	dynamoURL, sesURL string            // use these instead of starting a pair
	ready             func(addr string) // called once the server accepts requests
	log               io.Writer         // request and function logs; default stderr
	// Benchmarks only: apiOptions go on every AWS client (to count and time
	// calls), wrap wraps the HTTP handler (to time requests).
	apiOptions []func(*middleware.Stack) error
	wrap       func(http.Handler) http.Handler
}

func run(ctx context.Context, getenv func(string) string, out io.Writer, o options) error {
	started := time.Now()
	env := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	port, err := portEnv(env, "PORT", 8080)
	if err != nil {
		return err
	}
	dataDir := env("TABANE_DATA_DIR", "")
	if dataDir != "" {
		if dataDir, err = filepath.Abs(dataDir); err != nil {
			return err
		}
	}

	secret, secretNote, err := sessionSecret(getenv("TABANE_SESSION_SECRET"), dataDir)
	if err != nil {
		return err
	}
	cfg, err := config.FromEnv(func(k string) string {
		switch k {
		case "TABANE_SESSION_SECRET":
			return secret // a plain secret or a keyring's JSON (docs/keys.md)
		case "TABANE_KEYRING_SECRET":
			return "" // the keys of a local run are never AWS's
		}
		return getenv(k)
	})
	if err != nil {
		return err
	}
	tplPath, err := samtemplate.Find()
	if err != nil {
		return err
	}
	tpl, err := samtemplate.Load(tplPath)
	if err != nil {
		return err
	}
	repo := filepath.Dir(tplPath)

	// The API port first: if it is taken nothing else should start.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return portInUse("PORT", port, err)
	}
	defer ln.Close()

	dynamoURL, sesURL := o.dynamoURL, o.sesURL
	stackLog := ""
	if dynamoURL == "" {
		ddbPort, err := portEnv(env, "TABANE_DYNAMODB_PORT", 8000)
		if err != nil {
			return err
		}
		sesPort, err := portEnv(env, "TABANE_SES_PORT", 8005)
		if err != nil {
			return err
		}
		// A stand-in left over from a crashed run would answer the readiness
		// probe for the new one; refuse instead of talking to a stranger.
		for _, p := range []struct {
			name string
			port int
		}{{"TABANE_DYNAMODB_PORT", ddbPort}, {"TABANE_SES_PORT", sesPort}} {
			if err := checkFree(p.port); err != nil {
				return portInUse(p.name, p.port, err)
			}
		}
		if err := os.MkdirAll(filepath.Join(repo, ".tabane"), 0o755); err != nil {
			return err
		}
		stackLog = filepath.Join(repo, ".tabane", "stack.log")
		lf, err := os.Create(stackLog)
		if err != nil {
			return err
		}
		defer lf.Close()
		fmt.Fprintf(out, "==> starting DynamoDB Local (:%d) and the SES stand-in (:%d); their output goes to %s\n", ddbPort, sesPort, rel(stackLog))
		stack, err := standins.Start(ctx, standins.Options{
			InfraDir: filepath.Join(repo, "infra"), DynamoDBPort: ddbPort, SESPort: sesPort, DataDir: dataDir, Log: lf,
			// Only the dev server's own pages may call it from a browser.
			CORSOrigins: []string{fmt.Sprintf("http://127.0.0.1:%d", port), fmt.Sprintf("http://localhost:%d", port)},
		})
		if err != nil {
			return err
		}
		defer func() {
			fmt.Fprintln(out, "==> stopping DynamoDB Local and the SES stand-in")
			stack.Stop()
		}()
		dynamoURL, sesURL = stack.DynamoDBURL, stack.SESURL
	}

	logOut := o.log
	if logOut == nil {
		logOut = os.Stderr
	}
	log := app.NewLogger(logOut, cfg.LogLevel)
	awsCfg := app.LocalAWSConfig(cfg.Region)
	awsCfg.APIOptions = append(awsCfg.APIOptions, o.apiOptions...)
	// The functions reach the stand-in through a tap that keeps each mail's
	// SES message tags, which the stand-in drops: the mailbox simulator
	// publishes them with SES's Send event (mailbox.go).
	tap, err := devserver.NewSESTap(sesURL)
	if err != nil {
		return err
	}
	defer tap.Close()
	deps := app.New(cfg, awsCfg, app.Endpoints{DynamoDB: dynamoURL, SES: tap.URL()}, log)

	created, err := ensureTable(ctx, deps.DynamoDB(), tpl, cfg.TableName, out)
	if err != nil {
		return err
	}
	seed, err := demo.Seed(ctx, deps.Store(), cfg.Organizers, time.Now())
	if err != nil {
		return err
	}

	handlers, err := buildHandlers(deps)
	if err != nil {
		return err
	}
	// DynamoDB Local serves the Streams API on its own endpoint.
	streams := dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(dynamoURL) })
	srv, err := devserver.New(tpl, handlers, devserver.Options{
		Log: log, Region: cfg.Region, DynamoDB: deps.DynamoDB(), DynamoDBStreams: streams, Table: cfg.TableName,
	})
	if err != nil {
		return err
	}

	var handler http.Handler = srv
	if o.wrap != nil {
		handler = o.wrap(srv)
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	schedCtx, stopSchedules := context.WithCancel(ctx)
	schedDone, streamsDone := make(chan struct{}), make(chan struct{})
	go func() { srv.RunSchedules(schedCtx); close(schedDone) }()
	go func() { srv.RunStreams(schedCtx); close(streamsDone) }()
	stopMailbox, mailboxNote := startMailbox(ctx, tpl, srv, sesURL, tap, log) // mailbox.go
	defer stopMailbox()

	addr := ln.Addr().(*net.TCPAddr)
	printBanner(out, banner{
		started: started, port: addr.Port, cfg: cfg, dynamoURL: dynamoURL, sesURL: sesURL, dataDir: dataDir,
		tableCreated: created, seed: seed, secretNote: secretNote, srv: srv, stackLog: stackLog, mailbox: mailboxNote,
	})
	if o.ready != nil {
		o.ready(addr.String())
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopSchedules()
		<-schedDone
		<-streamsDone
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(out, "\n==> shutting down")
	stopSchedules()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(out, "devserver: shutdown:", err)
	}
	<-schedDone
	<-streamsDone
	return nil
}

func portEnv(env func(string, string) string, name string, def int) (int, error) {
	p, err := strconv.Atoi(env(name, strconv.Itoa(def)))
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port number", name, env(name, ""))
	}
	return p, nil
}

func checkFree(port int) error {
	if port == 0 {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

func portInUse(name string, port int, err error) error {
	return fmt.Errorf("port %d (%s) on 127.0.0.1 is not free: %v\n"+
		"  Is another `make run` (or a stand-in left from one) still running? See who holds it: ss -ltnp 'sport = :%d'\n"+
		"  Or pick another port, e.g. %s=%d make run", port, name, err, port, name, port+1)
}

// sessionSecret returns TABANE_SESSION_SECRET, or for local runs a generated
// one — kept in the data directory when there is one, so sessions survive a
// restart along with the data.
func sessionSecret(given, dataDir string) (secret, note string, err error) {
	if given != "" {
		return given, "", nil
	}
	if dataDir != "" {
		path := filepath.Join(dataDir, "session-secret")
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
			return strings.TrimSpace(string(b)), "TABANE_SESSION_SECRET not set: using the one generated earlier in " + rel(path), nil
		}
		s := randomSecret()
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			return "", "", fmt.Errorf("keep session secret: %w", err)
		}
		return s, "TABANE_SESSION_SECRET not set: generated one and kept it in " + rel(path), nil
	}
	return randomSecret(), "TABANE_SESSION_SECRET not set: generated a random one for this run (sign-ins end when the server stops)", nil
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b)
}

// ensureTable creates the table from template.yaml's definition when it is
// missing, and warns when a kept table no longer matches the template.
func ensureTable(ctx context.Context, db *dynamodb.Client, tpl *samtemplate.Template, name string, out io.Writer) (bool, error) {
	tbl, err := tpl.DynamoDBTable()
	if err != nil {
		return false, err
	}
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		if err := tbl.Create(ctx, db, name); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("describe table %s: %w", name, err)
	}
	want := map[string]bool{}
	for _, g := range tbl.CreateTableInput(name).GlobalSecondaryIndexes {
		want[aws.ToString(g.IndexName)] = true
	}
	have := map[string]bool{}
	for _, g := range desc.Table.GlobalSecondaryIndexes {
		have[aws.ToString(g.IndexName)] = true
	}
	for g := range want {
		if !have[g] {
			fmt.Fprintf(out, "WARNING: table %s has no index %s that template.yaml defines; remove TABANE_DATA_DIR's data to recreate it\n", name, g)
		}
	}
	// A table kept from before template.yaml gave it a stream gets one now,
	// so that the stream events run; its earlier writes are not in it.
	if in := tbl.EnableStreamInput(name); in != nil {
		cur := desc.Table.StreamSpecification
		switch {
		case cur == nil || !aws.ToBool(cur.StreamEnabled):
			if _, err := db.UpdateTable(ctx, in); err != nil {
				return false, fmt.Errorf("table %s stream: %w", name, err)
			}
			fmt.Fprintf(out, "Table %q had no stream: turned it on (%s) as template.yaml has it\n", name, in.StreamSpecification.StreamViewType)
		case cur.StreamViewType != in.StreamSpecification.StreamViewType:
			fmt.Fprintf(out, "WARNING: table %s streams %s, template.yaml %s; remove TABANE_DATA_DIR's data to recreate it\n", name, cur.StreamViewType, in.StreamSpecification.StreamViewType)
		}
	}
	return false, nil
}

type banner struct {
	started           time.Time
	port              int
	cfg               config.Config
	dynamoURL, sesURL string
	dataDir           string
	tableCreated      bool
	seed              demo.Result
	secretNote        string
	srv               *devserver.Server
	stackLog          string
	mailbox           string // the mailbox simulator, or why it is off
}

func printBanner(out io.Writer, b banner) {
	base := fmt.Sprintf("http://localhost:%d", b.port)
	storage := "in memory: gone when the server stops"
	if b.dataDir != "" {
		storage = "kept in " + rel(b.dataDir)
	}
	fmt.Fprintf(out, "\ntabane dev server — serving in %.1fs\n\n", time.Since(b.started).Seconds())
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "  Web pages\t%s/\n", base)
	fmt.Fprintf(w, "  API\t%s/api/events\n", base)
	fmt.Fprintf(w, "  iCalendar\t%s/api/events.ics\n", base)
	fmt.Fprintf(w, "  Mailbox (SES)\t%s/\tevery mail sent; JSON at %s/store\n", b.sesURL, b.sesURL)
	if b.mailbox != "" {
		fmt.Fprintf(w, "  SES events\t%s\n", b.mailbox)
	}
	fmt.Fprintf(w, "  DynamoDB Local\t%s\ttable %q, %s\n", b.dynamoURL, b.cfg.TableName, storage)
	fmt.Fprintf(w, "  Links in mails\t%s\tTABANE_BASE_URL\n", b.cfg.BaseURL)
	w.Flush()

	fmt.Fprintln(out, "\nRoutes (template.yaml → function, invoked in-process through the Lambda JSON path):")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, r := range b.srv.Routes() {
		state := ""
		if !b.srv.Served(r.Function) {
			state = "\tNOT SERVED: no constructor in infra/devserver/functions.go (answers 501)"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s%s\n", r.Method, r.Path, r.Function, state)
	}
	w.Flush()
	if scheds := b.srv.Schedules(); len(scheds) > 0 {
		fmt.Fprintln(out, "\nSchedules (run on their template timing; run one now with POST "+base+"/_dev/invoke/{LogicalId}):")
		for _, s := range scheds {
			tz := s.Timezone
			if tz == "" {
				tz = "UTC"
			}
			state := ""
			if !s.Enabled {
				state = " (disabled in template.yaml)"
			}
			fmt.Fprintf(out, "  %s  %s %s  → POST %s/_dev/invoke/%s%s\n", s.Name(), s.Expression, tz, base, s.Function, state)
		}
	} else {
		fmt.Fprintln(out, "\nSchedules: none in template.yaml yet (POST /_dev/invoke/{LogicalId} runs one once there are).")
	}
	printStreams(out, b)

	fmt.Fprintln(out)
	if len(b.cfg.Organizers) > 0 {
		fmt.Fprintf(out, "Organizers (TABANE_ORGANIZERS): %s\n", strings.Join(b.cfg.Organizers, ", "))
	} else {
		fmt.Fprintln(out, "Organizers (TABANE_ORGANIZERS): none — e.g. TABANE_ORGANIZERS=you@example.jp make run")
	}
	switch {
	case b.seed.AlreadySeeded:
		fmt.Fprintln(out, "Demo data: already there from an earlier start (not added again)")
	default:
		emails := append([]string(nil), b.seed.MemberEmails...)
		sort.Strings(emails)
		fmt.Fprintf(out, "Demo data: %d upcoming and %d past events (開催履歴, with attendance), %d members stored (%s); sign in from the mailbox page\n",
			b.seed.Events, b.seed.PastEvents, b.seed.Members, strings.Join(emails, ", "))
	}
	if b.tableCreated {
		fmt.Fprintf(out, "Table %q created from template.yaml\n", b.cfg.TableName)
	}
	if b.secretNote != "" {
		fmt.Fprintln(out, b.secretNote)
	}
	if m := b.srv.Missing(); len(m) > 0 {
		fmt.Fprintf(out, "WARNING: no constructor in infra/devserver/functions.go for %s — their routes answer 501\n", strings.Join(m, ", "))
	}
	if b.stackLog != "" {
		fmt.Fprintf(out, "Stand-in output: %s\n", rel(b.stackLog))
	}
	fmt.Fprintln(out, "Request and function logs (slog JSON) follow on stderr. Stop with Ctrl-C.")
}

// printStreams lists the DynamoDB stream events: which table's stream
// invokes which function, for which records, in what batches.
func printStreams(out io.Writer, b banner) {
	ms := b.srv.StreamMappings()
	if len(ms) == 0 {
		return
	}
	fmt.Fprintln(out, "\nStreams (template.yaml → function; DynamoDB Local's stream polled as Lambda polls it, batches invoked in-process):")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	replay := false
	for _, m := range ms {
		var filters []string
		for _, p := range b.srv.StreamFilters(m.Name()) {
			filters = append(filters, p.Summary())
		}
		which := "every record"
		if len(filters) > 0 {
			which = strings.Join(filters, " or ")
		}
		window := ""
		if m.MaximumBatchingWindowInSeconds > 0 {
			window = fmt.Sprintf(" within %ds", m.MaximumBatchingWindowInSeconds)
		}
		state := ""
		switch {
		case !b.srv.Served(m.Function):
			state = "\tNOT RUN: no constructor in infra/devserver/functions.go"
		case !m.Enabled:
			state = "\t(disabled in template.yaml)"
		case !b.srv.RunsStreams():
			state = "\tNOT RUN: no DynamoDB endpoint"
		}
		replay = replay || m.StartingPosition == "TRIM_HORIZON"
		fmt.Fprintf(w, "  %s stream\t→ %s\t(%s: %s; batches of up to %d%s, from %s)%s\n",
			m.Table, m.Function, m.Event, which, m.BatchSize, window, m.StartingPosition, state)
	}
	w.Flush()
	if replay && b.dataDir != "" {
		fmt.Fprintln(out, "  TRIM_HORIZON: the records the kept stream still holds are delivered again after a restart, as Lambda may redeliver")
	}
	fmt.Fprintln(out, "  Records given up on (retries or age) are logged at warn: \"stream records sent to the on-failure destination\"")
}

// rel shortens a path below the working directory for printing.
func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
