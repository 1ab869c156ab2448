package mail

import (
	"context"
	"sync"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Pace spaces the sends of one bulk action evenly at a rate that stays
// under the SES sending quota, and says when the time for starting sends is
// over. Both are wall-clock matters of the adapter that talks to SES: the
// domain asks before each send (community.Pace) and decides only what to
// send. It is safe for concurrent use by the workers of one action.
type Pace struct {
	every  time.Duration // 0 for no spacing
	stopAt time.Time     // zero for no limit

	mu   sync.Mutex
	next time.Time
}

var _ community.Pace = (*Pace)(nil)

// NewPace returns a pace of rate sends per second (0 or less: unpaced) that
// is spent at stopAt (zero: never).
func NewPace(rate float64, stopAt time.Time) *Pace {
	p := &Pace{stopAt: stopAt}
	if rate > 0 {
		p.every = time.Duration(float64(time.Second) / rate)
	}
	return p
}

// Pacing returns what organizer actions use: a pace at rate that is spent
// margin before the context's deadline (the function's timeout), so the
// sends in flight, their bookkeeping and the answer still fit.
func Pacing(rate float64, margin time.Duration) func(ctx context.Context) community.Pace {
	return func(ctx context.Context) community.Pace {
		var stopAt time.Time
		if dl, ok := ctx.Deadline(); ok {
			stopAt = dl.Add(-margin)
		}
		return NewPace(rate, stopAt)
	}
}

// Wait blocks until the next send's turn; ctx's error when it ends first.
func (p *Pace) Wait(ctx context.Context) error {
	if p.every <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Stop returns when the pace is spent; zero for never.
func (p *Pace) Stop() time.Time { return p.stopAt }

// Spent reports whether the time for starting sends is over.
func (p *Pace) Spent() bool { return !p.stopAt.IsZero() && !time.Now().Before(p.stopAt) }
