package rsvpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/localstack/localtest"
)

// BenchmarkRegister measures POST /api/events/{id}/registrations for guests
// against DynamoDB Local and the SES stand-in, through the Lambda JSON path:
// seats while they last, then the waitlist. It reports requests per second,
// p50/p99 latency and the DynamoDB and SES calls each registration made,
// counted by the SDK middleware.
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
			var mu sync.Mutex
			var latencies []time.Duration
			e.calls.Reset()
			began := time.Now()
			work := make(chan struct{})
			var wg sync.WaitGroup
			for range c.parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						i := n.Add(1)
						t0 := time.Now()
						r := e.register(ev.ID, guestBody(fmt.Sprintf("ベンチ %d", i), fmt.Sprintf("bench-%d-%s@example.jp", i, localtest.UniqueID())), "")
						if r.code != 201 {
							b.Errorf("status %d: %s", r.code, r.raw)
						}
						mu.Lock()
						latencies = append(latencies, time.Since(t0))
						mu.Unlock()
					}
				}()
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			elapsed := time.Since(began)
			report(b, latencies, elapsed, e.calls.Snapshot())
		})
	}
}

func report(b *testing.B, latencies []time.Duration, elapsed time.Duration, calls map[string]int64) {
	n := len(latencies)
	if n == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		i := max(0, min(n-1, int(p*float64(n)+0.5)-1))
		return float64(latencies[i]) / float64(time.Millisecond)
	}
	var dynamo, ses int64
	for op, c := range calls {
		switch {
		case strings.HasPrefix(op, "DynamoDB."):
			dynamo += c
		case strings.HasPrefix(op, "SES."):
			ses += c
		}
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(dynamo)/float64(n), "dynamodb-calls/op")
	b.ReportMetric(float64(ses)/float64(n), "ses-calls/op")
}
