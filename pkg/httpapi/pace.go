package httpapi

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// MinResponseTime is how long the answers that could tell a known address
// from an unknown one take at least (signup, sign-in link): only some of them
// send a mail, and an SES call is slow enough to be seen from outside.
const MinResponseTime = 600 * time.Millisecond

// Pace waits until at least min has passed since start, plus a random tenth
// of min at most, so the time an answer takes says nothing about the work
// behind it. Work that took longer is not delayed further. It returns early
// when ctx ends. Use it deferred: `defer httpapi.Pace(ctx, time.Now(), min)`.
func Pace(ctx context.Context, start time.Time, min time.Duration) {
	if min <= 0 {
		return
	}
	// The jitter keeps the floor itself from being a crisp signal that a
	// slower path (a real send) just exceeded it.
	wait := min + rand.N(min/10+1) - time.Since(start)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// RedactEmails replaces every email address in s with "[email]"
// (community.RedactEmails, the one implementation the domain's logs use too).
func RedactEmails(s string) string { return community.RedactEmails(s) }
