package communitytest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// end is later than any outbox item a test makes.
var end = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// deliverers is how many mails Deliver sends at once, as a few mailer
// invocations would, when there are more than ordered of them; up to
// ordered it sends them one after another, oldest first, so a test reads
// a person's mails in the order they were owed.
const (
	deliverers = 8
	ordered    = 20
)

// Deliver sends every unsettled outbox mail of room: what a test runs where
// no table stream invokes the mailer (before reading the mailbox), so mail
// arrives as deterministically as when requests sent it themselves. A mail
// that cannot go now stays for the next call.
func Deliver(t testing.TB, room *community.Mailroom) {
	t.Helper()
	ctx := context.Background()
	unsent, err := room.Store.UnsentMail(ctx, end, 1000)
	if err != nil {
		t.Errorf("deliver the outbox: %v", err)
		return
	}
	if len(unsent) <= ordered {
		for _, m := range unsent {
			if _, err := room.Deliver(ctx, m.ID, "test"); err != nil && !errors.Is(err, community.ErrRetryLater) {
				t.Errorf("deliver the outbox: %v", err)
			}
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan community.Mail)
	)
	for range deliverers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if _, err := room.Deliver(ctx, m.ID, "test"); err != nil && !errors.Is(err, community.ErrRetryLater) {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, m := range unsent {
		next <- m
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("deliver the outbox: %v", err)
	}
}
