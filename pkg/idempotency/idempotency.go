// Package idempotency makes a retried request safe: the first request with a
// given Idempotency-Key does the work and its answer is kept for a day; every
// later or concurrent request with the same key gets that same answer. The
// claim is a conditional write, so among concurrent duplicates exactly one
// does the work.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// TTL is how long an answer is kept for replay.
const TTL = 24 * time.Hour

// Lease is how long a claim holds a key before its answer is stored. A
// request that dies after claiming (a crash, a Lambda timeout) must not
// block the key for a day: once the lease runs out, a retry takes it over.
const Lease = 30 * time.Second

// Record is a claimed key and, once the work is done, its answer.
type Record struct {
	Key         string
	Fingerprint string // digest of what the request asked for; a reused key with another request is refused
	Done        bool
	Status      int
	Body        string
	ContentType string
	ExpiresAt   time.Time
	LeaseUntil  time.Time // while not Done: the claim may be taken over after this
}

// Store keeps records.
type Store interface {
	// ClaimIdempotency stores rec as pending unless an unexpired record with
	// the key exists (a pending one whose lease ran out counts as expired);
	// it reports whether it claimed, and otherwise returns the existing record.
	ClaimIdempotency(ctx context.Context, rec Record, now time.Time) (claimed bool, existing *Record, err error)
	// CompleteIdempotency stores the answer of a claimed key.
	CompleteIdempotency(ctx context.Context, rec Record) error
	// ReleaseIdempotency drops a claim whose work failed transiently, so a
	// retry does the work again.
	ReleaseIdempotency(ctx context.Context, key string) error
	// IdempotencyRecord reads a record (consistently). NotFound when absent or expired.
	IdempotencyRecord(ctx context.Context, key string, now time.Time) (*Record, error)
}

// Answer is what the work produced.
type Answer struct {
	Status      int
	Body        string
	ContentType string
}

// Keeper runs work at most once per key.
type Keeper struct {
	Store Store
	Clock community.Clock
	// Wait bounds how long a duplicate waits for the first request to finish.
	Wait time.Duration
}

// Fingerprint digests the parts of a request that must match on replay.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ValidKey reports whether a client's key is acceptable (1–255 visible ASCII).
func ValidKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Do runs work once for key. Answers of 5xx are not kept: the failure was
// ours and a retry deserves a fresh attempt.
func (k *Keeper) Do(ctx context.Context, key, fingerprint string, work func(ctx context.Context) Answer) (Answer, error) {
	now := k.Clock.Now()
	rec := Record{Key: key, Fingerprint: fingerprint, ExpiresAt: now.Add(TTL), LeaseUntil: now.Add(Lease)}
	claimed, existing, err := k.Store.ClaimIdempotency(ctx, rec, now)
	if err != nil {
		return Answer{}, err
	}
	if !claimed {
		return k.replay(ctx, key, fingerprint, existing, work)
	}
	ans := work(ctx)
	if ans.Status >= 500 {
		// Release with a context of its own: the caller's may be ending.
		if err := k.Store.ReleaseIdempotency(context.WithoutCancel(ctx), key); err != nil {
			return ans, err
		}
		return ans, nil
	}
	rec.Done, rec.Status, rec.Body, rec.ContentType = true, ans.Status, ans.Body, ans.ContentType
	if err := k.Store.CompleteIdempotency(context.WithoutCancel(ctx), rec); err != nil {
		return Answer{}, err
	}
	return ans, nil
}

func (k *Keeper) replay(ctx context.Context, key, fingerprint string, rec *Record, work func(ctx context.Context) Answer) (Answer, error) {
	wait := k.Wait
	if wait == 0 {
		wait = 10 * time.Second
	}
	deadline := time.Now().Add(wait)
	// Answer before the caller's own deadline (the Lambda's) runs out.
	if d, ok := ctx.Deadline(); ok && d.Add(-time.Second).Before(deadline) {
		deadline = d.Add(-time.Second)
	}
	delay := 20 * time.Millisecond
	for {
		if rec != nil && rec.Fingerprint != fingerprint {
			return Answer{}, community.ErrIdempotencyKeyReused.Messagef("同じ Idempotency-Key が別の内容のリクエストに使われています。")
		}
		if rec != nil && rec.Done {
			return Answer{Status: rec.Status, Body: rec.Body, ContentType: rec.ContentType}, nil
		}
		if rec != nil && !rec.LeaseUntil.After(k.Clock.Now()) {
			// The first request died holding the claim: take it over.
			return k.Do(ctx, key, fingerprint, work)
		}
		if time.Now().After(deadline) {
			return Answer{}, community.ErrRequestInProgress.Messagef("同じリクエストを処理中です。しばらくしてから再度お試しください。")
		}
		select {
		case <-ctx.Done():
			return Answer{}, ctx.Err()
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
		r, err := k.Store.IdempotencyRecord(ctx, key, k.Clock.Now())
		switch {
		case community.ErrorCode(err) == community.NotFound:
			// The first request failed and released its claim: try to claim it ourselves.
			return k.Do(ctx, key, fingerprint, work)
		case err != nil:
			return Answer{}, err
		}
		rec = r
	}
}
