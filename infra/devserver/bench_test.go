package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// BenchmarkListingVsQuery answers issue 13's question — what does the
// listing cost beyond the DynamoDB Query it sends? — by running, interleaved
// in one loop on one table of DynamoDB Local with the same data:
//
//   - raw:    the GSI1 Query GET /api/events?limit=20 sends (same key
//     condition, Limit 21, no projection: the index projects ALL), through
//     an SDK client configured as the functions' (pkg/app.New);
//   - direct: EventsFunction's handler, built as its main builds it, called
//     with the API Gateway event;
//   - invoke: the same through lambda.NewHandler(h).Invoke, the JSON path
//     lambda.Start takes;
//   - http:   GET /api/events?limit=20 over loopback HTTP to the dev server,
//     started as `make run` starts it.
//
// Each iteration runs the four once, in an order that rotates, so that
// drift in DynamoDB Local (JIT, GC) is shared alike. It reports each path's
// p50 (and for the handler paths the part inside AWS calls and the rest),
// and the ratios of the p50s to the raw Query's.
func BenchmarkListingVsQuery(b *testing.B) {
	table := "devbench-" + localtest.UniqueID()
	vars := map[string]string{
		"PORT": "0", "TABANE_TABLE": table,
		"TABANE_SESSION_SECRET": "bench-secret-bench-secret-bench-secret-0",
	}
	getenv := func(k string) string { return vars[k] }

	// The dev server, as make run starts it, timing each request's AWS calls.
	var servedAWS atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		done <- run(ctx, getenv, &out, options{
			dynamoURL: localtest.DynamoDBURL(), sesURL: localtest.SESURL(),
			ready: func(addr string) { ready <- addr }, log: io.Discard,
			apiOptions: []func(*middleware.Stack) error{awsmetrics.NewCounter().Middleware()},
			wrap: func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					ctx, t := awsmetrics.WithTimer(r.Context())
					h.ServeHTTP(&timedWriter{ResponseWriter: w, done: func() { servedAWS.Store(int64(t.Elapsed())) }}, r.WithContext(ctx))
				})
			},
		})
	}()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("run: %v", err)
		}
		_, _ = localtest.DynamoDB().DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) // the stand-in goes away after the run anyway
	})
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		b.Fatalf("dev server did not start: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		b.Fatalf("dev server not ready within 60 s\n%s", out.String())
	}

	// The same function and client, built as functions/events/main.go builds them.
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		b.Fatal(err)
	}
	awsCfg := app.LocalAWSConfig(cfg.Region)
	awsCfg.APIOptions = append(awsCfg.APIOptions, awsmetrics.NewCounter().Middleware())
	deps := app.New(cfg, awsCfg, app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: localtest.SESURL()}, app.NewLogger(io.Discard, cfg.LogLevel))
	h, err := eventsapi.Wire(deps)
	if err != nil {
		b.Fatal(err)
	}
	handle := h.Handle

	// Beyond the demo data, enough public events for a full page of 20.
	store := dynamo.New(deps.DynamoDB(), table)
	now := time.Now()
	for i := range 40 {
		start := now.Add(time.Duration(i+1) * 25 * time.Hour).Truncate(time.Hour)
		ev := &community.Event{
			ID: community.NewID(now), Title: fmt.Sprintf("私塾：ベンチマーク用の講義 %02d", i), Kind: community.KindLecture,
			Audience: community.AudiencePublic, Description: "道路維持管理のDXについての講義です。",
			StartsAt: start, EndsAt: start.Add(90 * time.Minute), OnlinePlatform: "Zoom", JoinURL: "https://zoom.example/j/bench",
			Speakers: []string{"講師 一郎", "講師 二郎"}, Notes: "録画・録音なし", Capacity: 30, Waitlist: true,
			Status: community.EventPublished, ReminderOffsets: community.DefaultReminderOffsets, CreatedAt: now, UpdatedAt: now,
		}
		if err := store.CreateEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}

	const path = "/api/events?limit=20"
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := devserver.New(tpl, nil, devserver.Options{})
	if err != nil {
		b.Fatal(err)
	}
	m, ok := srv.Match("GET", "/api/events")
	if !ok {
		b.Fatal("no route for GET /api/events")
	}
	hr := httptest.NewRequest("GET", path, nil)
	hr.Host = strings.TrimPrefix(base, "http://")
	event := devserver.BuildRequest(hr, nil, m, devserver.RequestID(), now)
	payload, err := json.Marshal(event)
	if err != nil {
		b.Fatal(err)
	}

	client := &http.Client{}
	paths := []struct {
		name string
		lat  awsmetrics.Latencies
		run  func(ctx context.Context) error
	}{
		{name: "raw", run: func(ctx context.Context) error {
			return rawQuery(ctx, deps.DynamoDB(), table, 20)
		}},
		{name: "direct", run: func(ctx context.Context) error {
			resp, err := handle(ctx, event)
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("status %d: %s", resp.StatusCode, resp.Body)
			}
			return err
		}},
		{name: "invoke", run: func(ctx context.Context) error {
			// A fresh lambda.Handler per call, as the dev server does.
			_, err := lambda.NewHandler(handle).Invoke(ctx, payload)
			return err
		}},
		{name: "http", run: func(ctx context.Context) error {
			resp, err := client.Get(base + path)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return err
			}
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		}},
	}
	const httpIdx = 3
	measure := func(i int, keep bool) {
		p := &paths[i]
		ctx, t := awsmetrics.WithTimer(context.Background())
		start := time.Now()
		if err := p.run(ctx); err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		total, inAWS := time.Since(start), t.Elapsed()
		if i == httpIdx {
			inAWS = time.Duration(servedAWS.Load())
		}
		if keep {
			p.lat.Add(total, inAWS)
		}
	}
	// Warm the JVM, the connection pools and the caches alike.
	for n := range 200 {
		measure(n%len(paths), false)
	}
	round := 0
	for b.Loop() {
		for k := range paths {
			measure((round+k)%len(paths), true)
		}
		round++
	}

	raw := paths[0].lat.Summary()
	var table2 strings.Builder
	fmt.Fprintf(&table2, "GET %s, %d rounds: p50 total / inside AWS calls / own share (ms), ratio to the raw Query\n", path, raw.N)
	for i := range paths {
		p := &paths[i]
		s := p.lat.Summary()
		unit := p.name
		b.ReportMetric(awsmetrics.Millis(s.P50), unit+"-p50-ms")
		if p.name != "raw" {
			b.ReportMetric(awsmetrics.Millis(s.P50AWS), unit+"-aws-ms")
			b.ReportMetric(awsmetrics.Millis(s.P50Own), unit+"-own-ms")
			b.ReportMetric(float64(s.P50)/float64(raw.P50), unit+"/raw")
		}
		fmt.Fprintf(&table2, "  %-7s %6.3f / %6.3f / %6.3f   ×%.2f\n", p.name,
			awsmetrics.Millis(s.P50), awsmetrics.Millis(s.P50AWS), awsmetrics.Millis(s.P50Own), float64(s.P50)/float64(raw.P50))
	}
	b.Log(table2.String())
}

// rawQuery sends the Query the listing sends for an anonymous first page of
// limit events: GSI1, the events partition, start keys from now (to the
// second, ceilinged, as the store bounds it), one more item than the page.
func rawQuery(ctx context.Context, db *dynamodb.Client, table string, limit int) error {
	now := time.Now()
	if u := now.Truncate(time.Second); !u.Equal(now) {
		now = u.Add(time.Second)
	}
	kc := expression.Key("GSI1PK").Equal(expression.Value("EVENTS")).
		And(expression.Key("GSI1SK").GreaterThanEqual(expression.Value(now.UTC().Format("2006-01-02T15:04:05Z"))))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return err
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String("GSI1"),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     aws.Int32(int32(limit + 1)),
		ScanIndexForward:          aws.Bool(true),
	})
	if err == nil && len(out.Items) != limit+1 {
		err = fmt.Errorf("raw Query returned %d items, want %d", len(out.Items), limit+1)
	}
	return err
}

// timedWriter calls done before the response is written, when the
// function has returned and every AWS call of the request is over.
type timedWriter struct {
	http.ResponseWriter
	done func()
	once bool
}

func (w *timedWriter) WriteHeader(code int) {
	w.record()
	w.ResponseWriter.WriteHeader(code)
}

func (w *timedWriter) Write(b []byte) (int, error) {
	w.record()
	return w.ResponseWriter.Write(b)
}

func (w *timedWriter) record() {
	if !w.once {
		w.once = true
		w.done()
	}
}
