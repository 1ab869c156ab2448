// Package mailerjob is the MailerFunction Lambda: the table's DynamoDB
// Stream invokes it with new outbox items (template.yaml, the mapping's
// FilterCriteria), and it hands each to community.Mailroom, which sends it
// once. A mail that could not go now (SES throttled or down) is reported as
// a batch item failure, so Lambda retries from that record; records already
// delivered are claimed and done, so a retry never sends them again.
//
// EventBridge Scheduler invokes it too, every five minutes (the Redrive
// event): each such invocation delivers the outbox items still unsettled
// after community.RedriveAfter — a stream record that failed every retry
// or aged out, and a send held as uncertain that SES's Send event never
// confirmed. The re-drive lives here, not in the reminder sweep, so only
// the mailer links SES.
package mailerjob

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "MailerFunction"

// Deliverer sends one outbox item, or re-drives the unsettled ones;
// *community.Mailroom is one.
type Deliverer interface {
	Deliver(ctx context.Context, id, owner string) (community.MailOutcome, error)
	Redrive(ctx context.Context, owner string, limit int) (int, error)
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

// RedriveBatch bounds the outbox items one scheduled invocation re-drives;
// the next one, five minutes later, takes the rest.
const RedriveBatch = 200

// redriveReserve is kept back from the Lambda deadline: no re-drive send
// starts in it, so the one in flight settles before Lambda stops.
const redriveReserve = 15 * time.Second

// New returns a Handler.
func New(m Deliverer, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Mailroom: m, Log: log}
}

// Handle takes either invocation: a stream batch ({"Records": [...]}), or
// the schedule's re-drive (anything else; its fields are only logged).
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	ctx = awscalls.WithFunction(ctx, function)
	var probe struct {
		Records       json.RawMessage `json:"Records"`
		ScheduledTime string          `json:"scheduled_time"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		h.Log.WarnContext(ctx, "mailer: payload is not JSON; nothing done", "bytes", len(payload))
		return nil, nil
	}
	if probe.Records != nil {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			// Lambda never sends this; retrying cannot help either.
			h.Log.ErrorContext(ctx, "mailer: unreadable stream batch; nothing done", "bytes", len(payload))
			return events.DynamoDBEventResponse{}, nil
		}
		return h.HandleStream(ctx, ev)
	}
	return h.Redrive(ctx, probe.ScheduledTime)
}

// RedriveResult is what a re-drive invocation answers.
type RedriveResult struct {
	Sent int `json:"outbox_redriven"`
}

// Redrive delivers up to RedriveBatch unsettled outbox items, stopping
// redriveReserve before the Lambda deadline. Its error (DynamoDB) makes the
// scheduler retry; a mail that cannot go now waits for the next schedule.
func (h *Handler) Redrive(ctx context.Context, scheduled string) (RedriveResult, error) {
	ctx = awscalls.WithFunction(ctx, function)
	owner := "redrive"
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		owner = "redrive:" + lc.AwsRequestID
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-redriveReserve))
		defer cancel()
	}
	start := time.Now()
	n, err := h.Mailroom.Redrive(ctx, owner, RedriveBatch)
	attrs := []any{"sent", n, "duration_ms", time.Since(start).Milliseconds(), "scheduled_time", scheduled}
	if err != nil {
		h.Log.ErrorContext(ctx, "outbox re-drive failed", append(attrs, "error", community.RedactEmails(err.Error()))...)
		return RedriveResult{Sent: n}, err
	}
	h.Log.InfoContext(ctx, "outbox re-drive", attrs...)
	return RedriveResult{Sent: n}, nil
}

// HandleStream delivers the batch's outbox items, Workers at a time (the SES
// rate is the mapping's concurrency times this; pkg/mail's Sender backs off
// when SES throttles). It never fails the whole batch: a record whose mail
// must be retried is a batch item failure; one that names no outbox item
// is logged and passed over. Once SES has throttled or hung, records not yet
// started are failures too, untried: Lambda retries the batch from the
// first failure anyway, and each untried record would only wait out the
// sender's backoff (or its call timeout) once more.
func (h *Handler) HandleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	ctx = awscalls.WithFunction(ctx, function)
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
