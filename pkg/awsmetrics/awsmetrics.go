// Package awsmetrics counts the AWS SDK operations a program makes, by
// service and operation ("DynamoDB.Query"), so that benchmarks and tests can
// state how many calls an operation costs instead of guessing.
//
// Attach a Counter to one client:
//
//	c := awsmetrics.NewCounter()
//	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
//		o.APIOptions = append(o.APIOptions, c.Middleware())
//	})
//
// or to every client built from a config: cfg.APIOptions = append(cfg.APIOptions, c.Middleware()).
package awsmetrics

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts operations. It is safe for concurrent use; the zero value
// is ready.
type Counter struct {
	counts sync.Map // "Service.Operation" → *atomic.Int64
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{} }

// Middleware returns an SDK API option that counts each operation once when
// it is invoked — retries of the same call are not counted again, failed
// calls are.
func (c *Counter) Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		// The id is per counter, so a config-wide and a client's own counter can share a stack.
		id := fmt.Sprintf("tabane/awsmetrics/%p", c)
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(id,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.add(awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx))
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

func (c *Counter) add(name string) {
	v, ok := c.counts.Load(name)
	if !ok {
		v, _ = c.counts.LoadOrStore(name, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// Count returns the count of one "Service.Operation".
func (c *Counter) Count(name string) int64 {
	if v, ok := c.counts.Load(name); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// Snapshot returns the counts so far, keyed "Service.Operation"; operations
// not called since the last Reset are absent.
func (c *Counter) Snapshot() map[string]int64 {
	out := map[string]int64{}
	c.counts.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Load(); n > 0 {
			out[k.(string)] = n
		}
		return true
	})
	return out
}

// Reset sets every count to zero. Calls in flight during Reset may be
// counted before or after it.
func (c *Counter) Reset() {
	c.counts.Range(func(_, v any) bool {
		v.(*atomic.Int64).Store(0)
		return true
	})
}

// Total returns the sum of all counts.
func (c *Counter) Total() int64 {
	var n int64
	c.counts.Range(func(_, v any) bool {
		n += v.(*atomic.Int64).Load()
		return true
	})
	return n
}
