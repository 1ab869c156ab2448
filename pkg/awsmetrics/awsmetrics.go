// Package awsmetrics counts and times the AWS SDK operations a program
// makes, by service and operation ("DynamoDB.Query"), so that benchmarks and
// tests can state how many calls an operation costs, and how much of its
// time is spent inside them, instead of guessing.
//
// Attach a Counter to one client:
//
//	c := awsmetrics.NewCounter()
//	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
//		o.APIOptions = append(o.APIOptions, c.Middleware())
//	})
//
// or to every client built from a config: cfg.APIOptions = append(cfg.APIOptions, c.Middleware()).
//
// A Counter sums over everything its clients do. To know what one request
// spent inside AWS calls while others run at the same time, give the request
// a context from WithTimer; Latencies does that for benchmarks and reports
// the split.
//
// The package is for tests and benchmarks; no Lambda function links it.
package awsmetrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts and times operations. It is safe for concurrent use; the
// zero value is ready.
type Counter struct {
	ops sync.Map // "Service.Operation" → *opStats
}

type opStats struct {
	calls atomic.Int64
	nanos atomic.Int64
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{} }

// Middleware returns an SDK API option that counts each operation once when
// it is invoked — retries of the same call are not counted again, failed
// calls are — and times it from the start of the middleware stack to its
// end: serialization, signing, every attempt with its backoff, and decoding
// the response. The few microseconds the client spends assembling the stack
// before that are not included. The time is added to the operation's total
// and to the Timer of the call's context, if any.
func (c *Counter) Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		// The id is per counter, so a config-wide and a client's own counter can share a stack.
		id := fmt.Sprintf("tabane/awsmetrics/%p", c)
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(id,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				st := c.stats(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx))
				st.calls.Add(1)
				if t, ok := ctx.Value(timerKey{}).(*Timer); ok && ctx.Value(timedKey{}) == nil {
					// Only the outermost of several counters on one stack
					// charges the request's timer.
					ctx = context.WithValue(ctx, timedKey{}, true)
					t.begin()
					defer t.end()
				}
				start := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				st.nanos.Add(int64(time.Since(start)))
				return out, md, err
			}), middleware.Before)
	}
}

func (c *Counter) stats(name string) *opStats {
	v, ok := c.ops.Load(name)
	if !ok {
		v, _ = c.ops.LoadOrStore(name, new(opStats))
	}
	return v.(*opStats)
}

// Count returns the count of one "Service.Operation".
func (c *Counter) Count(name string) int64 {
	if v, ok := c.ops.Load(name); ok {
		return v.(*opStats).calls.Load()
	}
	return 0
}

// Duration returns the time spent inside calls of one "Service.Operation",
// summed over calls: concurrent calls each count in full.
func (c *Counter) Duration(name string) time.Duration {
	if v, ok := c.ops.Load(name); ok {
		return time.Duration(v.(*opStats).nanos.Load())
	}
	return 0
}

// Snapshot returns the counts so far, keyed "Service.Operation"; operations
// not called since the last Reset are absent.
func (c *Counter) Snapshot() map[string]int64 {
	out := map[string]int64{}
	c.ops.Range(func(k, v any) bool {
		if n := v.(*opStats).calls.Load(); n > 0 {
			out[k.(string)] = n
		}
		return true
	})
	return out
}

// Durations returns, like Snapshot, the time spent inside each operation's
// calls so far, summed over calls.
func (c *Counter) Durations() map[string]time.Duration {
	out := map[string]time.Duration{}
	c.ops.Range(func(k, v any) bool {
		if v.(*opStats).calls.Load() > 0 {
			out[k.(string)] = time.Duration(v.(*opStats).nanos.Load())
		}
		return true
	})
	return out
}

// Reset sets every count and duration to zero. Calls in flight during
// Reset may be counted before or after it.
func (c *Counter) Reset() {
	c.ops.Range(func(_, v any) bool {
		v.(*opStats).calls.Store(0)
		v.(*opStats).nanos.Store(0)
		return true
	})
}

// Total returns the sum of all counts.
func (c *Counter) Total() int64 {
	var n int64
	c.ops.Range(func(_, v any) bool {
		n += v.(*opStats).calls.Load()
		return true
	})
	return n
}

type (
	timerKey struct{}
	timedKey struct{}
)

// Timer is the wall time one unit of work (a request, a sweep) spends
// inside AWS calls made with its context, through a client that has a
// Counter's middleware. Calls that overlap — a handler fanning out — count
// once for the time they overlap, so Elapsed never exceeds the work's own
// wall time and the rest is the work's own share. It is safe for concurrent
// use.
type Timer struct {
	mu     sync.Mutex
	active int
	since  time.Time
	wall   time.Duration
	calls  int64
}

// WithTimer returns ctx carrying a new Timer, and the Timer. Pass the
// context to the code whose AWS time is wanted.
func WithTimer(ctx context.Context) (context.Context, *Timer) {
	t := &Timer{}
	return context.WithValue(ctx, timerKey{}, t), t
}

func (t *Timer) begin() {
	t.mu.Lock()
	t.calls++
	if t.active == 0 {
		t.since = time.Now()
	}
	t.active++
	t.mu.Unlock()
}

func (t *Timer) end() {
	t.mu.Lock()
	t.active--
	if t.active == 0 {
		t.wall += time.Since(t.since)
	}
	t.mu.Unlock()
}

// Elapsed returns the wall time during which at least one AWS call of the
// Timer's context was in flight, including calls still running.
func (t *Timer) Elapsed() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.wall
	if t.active > 0 {
		w += time.Since(t.since)
	}
	return w
}

// Calls returns how many AWS calls were made with the Timer's context.
func (t *Timer) Calls() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls
}
