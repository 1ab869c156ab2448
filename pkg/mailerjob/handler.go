// Package mailerjob is the MailerFunction Lambda: the table's DynamoDB
// Stream invokes it with new outbox items (template.yaml, the mapping's
// FilterCriteria), and it hands each to community.Mailroom, which sends it
// once. A mail that could not go now (SES throttled or down) is reported as
// a batch item failure, so Lambda retries from that record; records already
// delivered are claimed and done, so a retry never sends them again.
package mailerjob

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sorae/tabane/pkg/community"
)

// Deliverer sends one outbox item; *community.Mailroom is one.
type Deliverer interface {
	Deliver(ctx context.Context, id, owner string) (community.MailOutcome, error)
}

var _ Deliverer = (*community.Mailroom)(nil)

// Handler delivers the outbox items of one stream batch.
type Handler struct {
	Mailroom Deliverer
	Log      *slog.Logger
	// Workers is how many mails of a batch are in flight at once; 0 means
	// DefaultWorkers.
	Workers int
}

// DefaultWorkers keeps a few SES calls in flight per invocation: one at a
// time, a batch of 10 takes about as long as SES's round trips add up to,
// and mail falls behind a registration rush.
const DefaultWorkers = 4

// New returns a Handler.
func New(m Deliverer, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Mailroom: m, Log: log}
}

// Handle delivers the batch's outbox items, Workers at a time (the SES
// rate is the mapping's concurrency times this; pkg/mail's Sender backs off
// when SES throttles). It never fails the whole batch: a record whose mail
// must be retried is a batch item failure; one that names no outbox item
// is logged and passed over. Once SES has throttled or hung, records not yet
// started are failures too, untried: Lambda retries the batch from the
// first failure anyway, and each untried record would only wait out the
// sender's backoff (or its call timeout) once more.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	owner := "mailer"
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		owner = "mailer:" + lc.AwsRequestID
	}
	workers := h.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	type result struct {
		kind  string // outcome, "retry", "failed" or "not_outbox"
		retry bool
	}
	results := make([]result, len(ev.Records))
	var trouble atomic.Bool
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, len(ev.Records)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rec := ev.Records[i]
				id, ok := outboxID(rec)
				if !ok {
					results[i] = result{kind: "not_outbox"}
					h.Log.WarnContext(ctx, "stream record without an outbox item", "event_id", rec.EventID, "event_name", rec.EventName)
					continue
				}
				if trouble.Load() {
					results[i] = result{kind: "retry", retry: true}
					continue
				}
				outcome, err := h.Mailroom.Deliver(ctx, id, owner)
				switch {
				case err == nil:
					results[i] = result{kind: string(outcome)}
					if outcome == community.MailUncertain {
						trouble.Store(true)
					}
				case errors.Is(err, community.ErrRetryLater) || ctx.Err() != nil:
					results[i] = result{kind: "retry", retry: true}
					if community.ErrorCode(err) == community.Unavailable || ctx.Err() != nil {
						trouble.Store(true)
					}
				default:
					results[i] = result{kind: "failed", retry: true}
					h.Log.ErrorContext(ctx, "outbox mail failed", "mail_id", id, "error", community.RedactEmails(err.Error()))
				}
			}
		}()
	}
	for i := range ev.Records {
		next <- i
	}
	close(next)
	wg.Wait()

	var resp events.DynamoDBEventResponse
	counts := map[string]int{}
	for i, r := range results {
		counts[r.kind]++
		if r.retry {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: ev.Records[i].Change.SequenceNumber})
		}
	}
	h.Log.InfoContext(ctx, "mailer batch", "records", len(ev.Records), "outcomes", counts, "retry", len(resp.BatchItemFailures))
	return resp, nil
}

// outboxID reads the outbox item's id from a stream record's keys.
func outboxID(rec events.DynamoDBEventRecord) (string, bool) {
	pk, ok := rec.Change.Keys["PK"]
	if !ok || pk.DataType() != events.DataTypeString {
		return "", false
	}
	id, ok := strings.CutPrefix(pk.String(), "OUTBOX#")
	return id, ok && id != ""
}
