package rsvpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// BenchmarkRegister measures POST /api/events/{id}/registrations for guests
// against DynamoDB Local and the SES stand-in, through the Lambda JSON path:
// seats while they last, then the waitlist. It reports requests per second,
// p50/p99 latency, the p50 time inside AWS calls and the handler's own share
// (p50-aws-ms, p50-own-ms; with eight at once each request's own calls are
// timed), and the DynamoDB and SES calls each registration made, counted
// and timed by the SDK middleware in pkg/awsmetrics.
func BenchmarkRegister(b *testing.B) {
	for _, c := range []struct {
		name     string
		capacity int
		parallel int
	}{
		{"Seats", 0, 1},        // unlimited: every registration confirmed
		{"Waitlist", 1, 1},     // full after the first: the waitlist path with its ticket
		{"Concurrent8", 50, 8}, // eight at once on one event: transactions contend
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b)
			ev := e.event(func(ev *community.Event) { ev.Capacity = c.capacity })
			var n atomic.Int64
			var lat awsmetrics.Latencies
			e.calls.Reset()
			began := time.Now()
			work := make(chan struct{})
			var wg sync.WaitGroup
			for range c.parallel {
				wg.Go(func() {
					for range work {
						i := n.Add(1)
						body := guestBody(fmt.Sprintf("ベンチ %d", i), fmt.Sprintf("bench-%d-%s@example.jp", i, localtest.UniqueID()))
						lat.Measure(context.Background(), func(ctx context.Context) {
							// A guest's request holds nothing and answers 202; the
							// seat is taken when the mailed link is followed.
							if code, raw := benchRegister(ctx, e, ev.ID, body); code != 202 {
								b.Errorf("status %d: %s", code, raw)
							}
						})
					}
				})
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			lat.Report(b, time.Since(began), e.calls.Snapshot(), "DynamoDB", "SES")
		})
	}
}

// benchRegister is e.register with the caller's context, which carries the
// request's timer, through the same JSON round trip Lambda makes.
func benchRegister(ctx context.Context, e *env, eventID, body string) (int, string) {
	method, path, _ := strings.Cut(rsvpapi.RouteRegister, " ")
	path = strings.Replace(path, "{id}", eventID, 1)
	raw, err := json.Marshal(events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: rsvpapi.RouteRegister, RawPath: path, Body: body,
		Headers:        map[string]string{"content-type": "application/json"},
		PathParameters: map[string]string{"id": eventID},
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: localtest.UniqueID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: nextIP()}},
	})
	if err != nil {
		return 0, err.Error()
	}
	var in events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		return 0, err.Error()
	}
	out, err := e.rsvp.Handle(ctx, in)
	if err != nil {
		return 0, err.Error()
	}
	if _, err := json.Marshal(out); err != nil {
		return 0, err.Error()
	}
	return out.StatusCode, out.Body
}
