package idempotency_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

func newKeeper(t *testing.T) (*idempotency.Keeper, *dynamo.Store, *communitytest.Clock) {
	store := dynamo.New(localtest.DynamoDB(), localtest.NewTable(t))
	clk := communitytest.NewClock(time.Now())
	return &idempotency.Keeper{Store: store, Clock: clk, Wait: 3 * time.Second}, store, clk
}

func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	k, _, _ := newKeeper(t)
	var runs atomic.Int32
	work := func(context.Context) idempotency.Answer {
		n := runs.Add(1)
		time.Sleep(100 * time.Millisecond) // the duplicates arrive while it works
		return idempotency.Answer{Status: 201, Body: `{"run":` + string(rune('0'+n)) + `}`, ContentType: "application/json"}
	}
	answers := make([]idempotency.Answer, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := k.Do(context.Background(), "k1", "fp", work)
			if err != nil {
				t.Error(err)
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("work ran %d times", runs.Load())
	}
	for i, a := range answers {
		if a != answers[0] || a.Status != 201 {
			t.Errorf("answer %d = %+v, want %+v", i, a, answers[0])
		}
	}
}

func TestReusedKeyWithAnotherRequest(t *testing.T) {
	k, _, _ := newKeeper(t)
	ok := func(context.Context) idempotency.Answer { return idempotency.Answer{Status: 201, Body: "{}"} }
	if _, err := k.Do(context.Background(), "k2", "fp-a", ok); err != nil {
		t.Fatal(err)
	}
	_, err := k.Do(context.Background(), "k2", "fp-b", ok)
	if !errors.Is(err, community.ErrIdempotencyKeyReused) {
		t.Errorf("err = %v, want idempotency_key_reused", err)
	}
}

func TestServerErrorsAreNotKept(t *testing.T) {
	k, _, _ := newKeeper(t)
	var runs atomic.Int32
	work := func(context.Context) idempotency.Answer {
		if runs.Add(1) == 1 {
			return idempotency.Answer{Status: 503, Body: "{}"}
		}
		return idempotency.Answer{Status: 201, Body: `{"ok":true}`}
	}
	first, _ := k.Do(context.Background(), "k3", "fp", work)
	second, err := k.Do(context.Background(), "k3", "fp", work)
	if err != nil || first.Status != 503 || second.Status != 201 || runs.Load() != 2 {
		t.Errorf("first %+v, second %+v (%v), runs %d: a 5xx must not be replayed", first, second, err, runs.Load())
	}
}

// A request that died holding the claim blocks its key only for the lease.
func TestDeadClaimIsTakenOver(t *testing.T) {
	k, store, clk := newKeeper(t)
	now := clk.Now()
	claimed, _, err := store.ClaimIdempotency(context.Background(), idempotency.Record{
		Key: "k4", Fingerprint: "fp", ExpiresAt: now.Add(idempotency.TTL), LeaseUntil: now.Add(idempotency.Lease),
	}, now)
	if err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	work := func(context.Context) idempotency.Answer {
		return idempotency.Answer{Status: 201, Body: `{"again":true}`}
	}

	// Within the lease the duplicate waits, then says the request is in progress.
	k.Wait = 300 * time.Millisecond
	if _, err := k.Do(context.Background(), "k4", "fp", work); !errors.Is(err, community.ErrRequestInProgress) {
		t.Fatalf("within the lease: %v, want request_in_progress", err)
	}
	clk.Advance(idempotency.Lease + time.Second)
	a, err := k.Do(context.Background(), "k4", "fp", work)
	if err != nil || a.Status != 201 {
		t.Fatalf("after the lease: %+v %v, want the work done", a, err)
	}
	// And its answer is now the one replayed.
	again, err := k.Do(context.Background(), "k4", "fp", func(context.Context) idempotency.Answer {
		t.Error("work ran a third time")
		return idempotency.Answer{}
	})
	if err != nil || again != a {
		t.Errorf("replay = %+v %v, want %+v", again, err, a)
	}
}
