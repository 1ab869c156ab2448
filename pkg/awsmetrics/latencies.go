package awsmetrics

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Reporter receives a benchmark's custom metrics; *testing.B is one.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Latencies collects, for a benchmark, each request's latency and the part
// of it spent inside AWS calls, and reports them the one way make bench
// prints them. It is safe for concurrent use; the zero value is ready.
type Latencies struct {
	mu         sync.Mutex
	total, aws []time.Duration
}

// Measure runs f with a context carrying a Timer (see WithTimer) and
// records how long f took and how much of that was inside AWS calls.
func (l *Latencies) Measure(ctx context.Context, f func(ctx context.Context)) {
	ctx, t := WithTimer(ctx)
	start := time.Now()
	f(ctx)
	l.Add(time.Since(start), t.Elapsed())
}

// Add records one request that took total, inAWS of it inside AWS calls.
func (l *Latencies) Add(total, inAWS time.Duration) {
	l.mu.Lock()
	l.total = append(l.total, total)
	l.aws = append(l.aws, inAWS)
	l.mu.Unlock()
}

// Summary is what a set of latencies comes to.
type Summary struct {
	N        int
	P50, P99 time.Duration // latency of the whole request
	P50AWS   time.Duration // the median request's time inside AWS calls
	P50Own   time.Duration // the median of each request's total less its AWS time: the code's own share
}

// Summary returns the percentiles of what was recorded (nearest rank).
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	total, aws := slices.Clone(l.total), slices.Clone(l.aws)
	l.mu.Unlock()
	own := make([]time.Duration, len(total))
	for i := range total {
		own[i] = total[i] - aws[i]
	}
	slices.Sort(total)
	slices.Sort(aws)
	slices.Sort(own)
	return Summary{N: len(total), P50: pct(total, 0.50), P99: pct(total, 0.99), P50AWS: pct(aws, 0.50), P50Own: pct(own, 0.50)}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	return sorted[max(0, min(n-1, int(p*float64(n)+0.5)-1))]
}

// Report reports to r: req/s (requests over elapsed), p50-ms, p99-ms,
// p50-aws-ms (inside AWS calls), p50-own-ms (the rest), and for each of
// services ("DynamoDB", "SES") "<service>-calls/op" from calls, a Counter's
// Snapshot over the same requests. It reports nothing when nothing was
// recorded.
func (l *Latencies) Report(r Reporter, elapsed time.Duration, calls map[string]int64, services ...string) {
	s := l.Summary()
	if s.N == 0 {
		return
	}
	r.ReportMetric(float64(s.N)/elapsed.Seconds(), "req/s")
	r.ReportMetric(Millis(s.P50), "p50-ms")
	r.ReportMetric(Millis(s.P99), "p99-ms")
	r.ReportMetric(Millis(s.P50AWS), "p50-aws-ms")
	r.ReportMetric(Millis(s.P50Own), "p50-own-ms")
	for _, svc := range services {
		var n int64
		for op, c := range calls {
			if strings.HasPrefix(op, svc+".") {
				n += c
			}
		}
		r.ReportMetric(float64(n)/float64(s.N), strings.ToLower(svc)+"-calls/op")
	}
}

// Millis returns d in milliseconds, as the benchmarks print durations.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
