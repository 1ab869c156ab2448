// Package communitytest holds test doubles for the interfaces pkg/community
// declares. It is meant for tests only: nothing a Lambda builds imports it.
package communitytest

import (
	"sync"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Clock is a community.Clock that stands still until a test moves it, so
// expiry, windows and schedules can be tested at fixed instants without
// waiting. It is safe for concurrent use: the services under test read it
// from their own goroutines (a mail sender's retries, parallel handlers)
// while the test moves it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ community.Clock = (*Clock)(nil)

// NewClock returns a Clock that reads now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, forward or back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock by d; a negative d moves it back.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
