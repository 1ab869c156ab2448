package httpapi

import (
	"context"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"
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

// emailPattern finds things shaped like addresses in free text. It is loose
// on purpose: redacting a little too much from a log line costs nothing.
// Compiled on first use, when something is logged, not in every cold start.
var emailPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[^\s<>()\[\]"',;:@]+@[^\s<>()\[\]"',;:@]+`)
})

// RedactEmails replaces every email address in s with "[email]". Error text
// from SES and the store can carry a recipient's address, which has no place
// in logs kept long after a member withdraws.
func RedactEmails(s string) string {
	return emailPattern().ReplaceAllString(s, "[email]")
}
