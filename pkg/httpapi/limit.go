package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Per-client write limits. API Gateway's route throttle is one bucket for
// every client, so one client sending 25 writes a second would lock every
// member out of registering; AWS WAF, which limits per client, cannot be
// put in front of an HTTP API. The functions therefore count each client's
// writes themselves, in the table, so the count holds across Lambda
// instances: one UpdateItem per write (docs/architecture.md, "Rate limits").
//
// A signed-in client is counted by its session, anyone else by source IP.
// Municipal offices reach the internet through a few shared addresses
// (LGWAN), so the per-IP limit is generous and only anonymous writes —
// mailed links, guest requests — count against it; a registration rush
// from one city hall is many sessions, each well under its own limit.
const (
	WriteWindow          = time.Minute
	WritesPerSession     = 60
	AnonymousWritesPerIP = 300
	writeLimitKeyAnon    = "w#ip#"
	writeLimitKeySession = "w#s#"
)

// HitCounter counts one more event under key in the window holding now and
// returns the count so far (dynamo.Store.Hit).
type HitCounter interface {
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// WriteLimiter refuses a client's writes past its limit in the window.
type WriteLimiter struct {
	Counter HitCounter
	Hash    func(string) string // keyed digest: no token or address is stored
	Now     func() time.Time
	Log     *slog.Logger // nil: slog.Default()
}

// Check counts req when it is a write and answers Throttled (reason
// "too_many_requests") past the limit. Reads, and a nil limiter, pass
// without a count; so does a write whose count failed (fail open).
func (l *WriteLimiter) Check(ctx context.Context, req Request) error {
	if l == nil || !writes(req) {
		return nil
	}
	key, limit := writeLimitKeyAnon+l.Hash(req.RequestContext.HTTP.SourceIP), AnonymousWritesPerIP
	if tok := bearerOrCookie(req); tok != "" {
		key, limit = writeLimitKeySession+l.Hash(tok), WritesPerSession
	}
	n, err := l.Counter.Hit(ctx, key, WriteWindow, l.Now())
	if err != nil {
		// The limit protects the others; it must never be why a
		// registration fails. A counter that cannot be read lets the write
		// through (and says so in the log).
		log := l.Log
		if log == nil {
			log = slog.Default()
		}
		Logger(ctx, log).WarnContext(ctx, "write limit not counted", "error", err)
		return nil
	}
	if n > limit {
		return community.ErrTooManyRequests
	}
	return nil
}

// bearerOrCookie is the session credential req presents, whatever its
// validity ("" for none): a forged one is counted as its own client, and
// refused later by the route.
func bearerOrCookie(req Request) string {
	if h := Header(req, "Authorization"); h != "" {
		return h
	}
	return SessionCookieValue(req)
}
