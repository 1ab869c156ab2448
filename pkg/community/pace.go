package community

import "context"

// Pace is how fast and for how long one bulk send may go: the sending
// quota and the function's deadline are the SES adapter's and the Lambda's
// business, not the domain's (pkg/mail.Pace implements it). The domain asks
// before each send and decides only what to send and to whom.
type Pace interface {
	// Wait blocks until the next send may start; ctx's error when it ends first.
	Wait(ctx context.Context) error
	// Spent reports whether the time for starting sends is over; sends
	// already started finish.
	Spent() bool
}

// unpaced is the Pace of a caller that gave none: no spacing, no limit.
type unpaced struct{}

func (unpaced) Wait(ctx context.Context) error { return ctx.Err() }
func (unpaced) Spent() bool                    { return false }

func paceOr(p Pace) Pace {
	if p == nil {
		return unpaced{}
	}
	return p
}
