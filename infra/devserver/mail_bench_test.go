package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/sorae/tabane/pkg/awsmetrics"
)

// BenchmarkMailPaths measures, over HTTP against the dev server as `make
// run` starts it (with an SES stand-in of its own), the two requests that
// owe a mail and what becomes of the mail:
//
//   - Register:   a member's POST /api/events/{id}/registrations (201);
//   - SignInLink: POST /api/auth/link for a member's address (202; the
//     answer is held to httpapi.MinResponseTime so that it does not tell who
//     is a member, which its p50 shows);
//   - MailLatency/Paced, /BackToBack: from a registration's answer to its
//     confirmation in the SES stand-in's /store, through the table's
//     stream, the dev server's poller (250 ms polls, the mapping's 1 s
//     batching window) and the MailerFunction; one registration every
//     300 ms, and as fast as one client makes them.
//
// The request benchmarks report p50/p99 and the DynamoDB and SES calls each
// request made itself — counted by the request's context, so the mailer's
// calls running meanwhile are not charged to it — and fail if a request
// path calls SES at all.
func BenchmarkMailPaths(b *testing.B) {
	ses := privateSES(b).SESURL
	calls := &requestCalls{}
	var last atomic.Pointer[requestCount]
	stack := startMailStack(b, ses, options{
		apiOptions: []func(*middleware.Stack) error{calls.middleware, awsmetrics.NewCounter().Middleware()},
		wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rc := &requestCount{}
				ctx, t := awsmetrics.WithTimer(context.WithValue(r.Context(), requestCountKey{}, rc))
				h.ServeHTTP(&timedWriter{ResponseWriter: w, done: func() {
					rc.aws = t.Elapsed()
					last.Store(rc)
				}}, r.WithContext(ctx))
			})
		},
	})
	ev := stack.event(b, 0) // no limit: every registration is confirmed
	ips := &sourceIPs{}

	// request runs one request per iteration, made by do after setup (not
	// timed), and reports it.
	request := func(b *testing.B, setup func(i int) string, do func(ctx context.Context, arg string) error) {
		var lat awsmetrics.Latencies
		var ddb, sesCalls int64
		elapsed := time.Duration(0)
		i := 0
		for b.Loop() {
			b.StopTimer()
			arg := setup(i)
			i++
			b.StartTimer()
			start := time.Now()
			if err := do(context.Background(), arg); err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			elapsed += took
			rc := last.Swap(nil)
			if rc == nil {
				b.Fatal("the request was not counted")
			}
			lat.Add(took, rc.aws)
			ddb += rc.ddb.Load()
			sesCalls += rc.ses.Load()
		}
		lat.Report(b, elapsed, map[string]int64{"DynamoDB.all": ddb, "SES.all": sesCalls}, "DynamoDB", "SES")
		if sesCalls != 0 {
			b.Fatalf("%d SES calls on the request path: a request must only write its mail to the outbox", sesCalls)
		}
	}

	b.Run("Register", func(b *testing.B) {
		client := &http.Client{}
		request(b, func(i int) string {
			_, tok := stack.member(b, "benchreg", i)
			return tok
		}, func(ctx context.Context, tok string) error {
			code, _, err := stack.register(ctx, client, ev.ID, tok)
			if code != 201 {
				return fmt.Errorf("register: %d %v", code, err)
			}
			return nil
		})
	})

	b.Run("SignInLink", func(b *testing.B) {
		request(b, func(i int) string {
			addr, _ := stack.member(b, "benchlink", i)
			return addr
		}, func(ctx context.Context, addr string) error {
			// community.RequestsPerIP link requests an hour from one source
			// address: each request comes from its own loopback address.
			return linkRequest(ctx, ips.client(), stack.base, addr)
		})
	})

	// One action every 300 ms is a busy evening; back to back is one
	// client registering as fast as the API answers, past what one shard's
	// mailer sends (a batch at a time, its records one after another), so
	// the mails queue.
	for _, c := range []struct {
		name  string
		every time.Duration
	}{{"MailLatency/Paced", 300 * time.Millisecond}, {"MailLatency/BackToBack", 0}} {
		b.Run(c.name, func(b *testing.B) { mailLatency(b, stack, ses, ev.ID, c.every) })
	}
}

// mailLatency registers a member per iteration, at most one every every,
// and reports the time from each answer to the confirmation's arrival in
// the SES stand-in's /store (mail-p50-ms, mail-p99-ms).
func mailLatency(b *testing.B, stack *mailStack, ses, eventID string, every time.Duration) {
	quiesce(b, ses) // the mails of the benchmarks before are out
	watch := newMailWatch(ses, "参加登録が完了しました")
	ctx, stop := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { watch.run(ctx); close(watched) }()
	defer func() { stop(); <-watched }()

	client := &http.Client{}
	answered := map[string]time.Time{}
	i := 0
	next := time.Now()
	for b.Loop() {
		b.StopTimer()
		addr, tok := stack.member(b, "benchlat", i)
		i++
		time.Sleep(time.Until(next))
		b.StartTimer()
		next = time.Now().Add(every)
		code, _, err := stack.register(context.Background(), client, eventID, tok)
		if code != 201 {
			b.Fatalf("register: %d %v", code, err)
		}
		answered[strings.ToLower(addr)] = time.Now()
	}
	b.StopTimer()
	deadline := time.Now().Add(60 * time.Second)
	var lat awsmetrics.Latencies
	for addr, at := range answered {
		arrived, ok := watch.wait(addr, deadline)
		if !ok {
			b.Fatalf("no confirmation for %s within 60 s", addr)
		}
		lat.Add(arrived.Sub(at), 0)
	}
	s := lat.Summary()
	b.ReportMetric(awsmetrics.Millis(s.P50), "mail-p50-ms")
	b.ReportMetric(awsmetrics.Millis(s.P99), "mail-p99-ms")
	b.Logf("%d confirmations, action → mailbox: p50 %.0f ms, p99 %.0f ms", s.N, awsmetrics.Millis(s.P50), awsmetrics.Millis(s.P99))
}

// quiesce waits (up to 60 s) until the SES stand-in has taken no mail for
// 1.5 s: the mailer has caught up.
func quiesce(b *testing.B, ses string) {
	b.Helper()
	last, since := -1, time.Now()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err := mailbox(ses, "")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, c := range got {
			n += c
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > 1500*time.Millisecond {
			return
		}
	}
}

// requestCount is the AWS calls one HTTP request made, by service.
type requestCount struct {
	ddb, ses atomic.Int64
	aws      time.Duration // inside AWS calls, from its awsmetrics.Timer
}

type requestCountKey struct{}

// requestCalls counts each SDK operation made with a request's context
// (see requestCount) once, as awsmetrics.Counter does.
type requestCalls struct{}

func (requestCalls) middleware(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("tabane/bench/request-calls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if rc, ok := ctx.Value(requestCountKey{}).(*requestCount); ok {
				switch awsmiddleware.GetServiceID(ctx) {
				case "DynamoDB":
					rc.ddb.Add(1)
				case "SES":
					rc.ses.Add(1)
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// linkRequest is POST /api/auth/link for addr; it must answer 202.
func linkRequest(ctx context.Context, client *http.Client, base, addr string) error {
	body, err := json.Marshal(map[string]string{"email": addr})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/auth/link", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 202 {
		return fmt.Errorf("POST /api/auth/link: %d %s", resp.StatusCode, raw)
	}
	return nil
}

// sourceIPs hands out HTTP clients that connect from a fresh loopback
// address each (127.1.x.y; Linux routes all of 127/8 to lo), so that the
// dev server sees each request from its own source IP.
type sourceIPs struct{ n int }

func (s *sourceIPs) client() *http.Client {
	s.n++
	local := &net.TCPAddr{IP: net.IPv4(127, 1, byte(s.n/250), byte(s.n%250+1))}
	d := &net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// mailWatch polls an SES stand-in's /store and notes when a mail with the
// subject first appeared for each address.
type mailWatch struct {
	sesURL, subject string
	mu              sync.Mutex
	seen            map[string]time.Time
}

func newMailWatch(sesURL, subject string) *mailWatch {
	return &mailWatch{sesURL: sesURL, subject: subject, seen: map[string]time.Time{}}
}

func (w *mailWatch) run(ctx context.Context) {
	for ctx.Err() == nil {
		got, err := mailbox(w.sesURL, w.subject)
		now := time.Now()
		if err == nil {
			w.mu.Lock()
			for a := range got {
				if _, ok := w.seen[a]; !ok {
					w.seen[a] = now
				}
			}
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait returns when addr's mail was first seen, waiting until deadline.
func (w *mailWatch) wait(addr string, deadline time.Time) (time.Time, bool) {
	for {
		w.mu.Lock()
		at, ok := w.seen[addr]
		w.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return at, ok
		}
		time.Sleep(20 * time.Millisecond)
	}
}
