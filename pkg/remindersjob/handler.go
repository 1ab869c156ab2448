// Package remindersjob is the RemindersFunction Lambda: EventBridge Scheduler
// invokes it every few minutes (template.yaml, ScheduleV2), and each
// invocation runs one sweep of community.Reminders — the due reminders
// handed over to the mailer as outbox mails, then the next occurrences of
// every series — within a time budget taken from the Lambda deadline: this
// package, not the domain, decides when the sweep stops handing over. The
// dev server runs it on the same schedule and on POST
// /_dev/invoke/RemindersFunction.
//
// A sweep that failed (DynamoDB) returns its error, so Lambda retries the
// invocation and, in the end, dead-letters it; reminders left due because
// the budget ran out are no failure: the next sweep hands them over.
package remindersjob

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "RemindersFunction"

// Event is the payload the schedule sends: template.yaml's Input, with
// EventBridge Scheduler's context attributes filled in. Every field is
// only logged; an empty payload ({}) runs the same sweep.
type Event struct {
	Source        string `json:"source"`
	ScheduleARN   string `json:"schedule_arn"`
	ScheduledTime string `json:"scheduled_time"` // RFC 3339
	ExecutionID   string `json:"execution_id"`
	AttemptNumber string `json:"attempt_number"`
}

// Result is what the invocation answers (the dev server shows it).
type Result struct {
	Due         int            `json:"due"`
	Sent        int            `json:"sent"`
	Skipped     int            `json:"skipped"`
	SkippedBy   map[string]int `json:"skipped_by"`
	Failed      int            `json:"failed"`
	Finished    int            `json:"finished"`
	Dropped     int            `json:"dropped"`
	Resynced    int            `json:"resynced"`
	Stopped     string         `json:"stopped,omitempty"`
	Occurrences int            `json:"occurrences_created"`
	Draws       int            `json:"lotteries_drawn"`
	// Retention (community.RetentionPolicy): guests anonymized, consent IPs dropped.
	GuestsAnonymized  int   `json:"guests_anonymized"`
	ConsentIPsDropped int   `json:"consent_ips_dropped"`
	DurationMS        int64 `json:"duration_ms"`
}

// Sweeper runs one sweep until ctx ends; *community.Reminders is one.
type Sweeper interface {
	Sweep(ctx context.Context) (community.SweepResult, error)
}

var _ Sweeper = (*community.Reminders)(nil)

// Budget defaults.
const (
	// DefaultReserve is kept back from the Lambda deadline: the sweep
	// hands nothing over in it, so the writes in flight finish before
	// Lambda stops the process.
	DefaultReserve = 30 * time.Second
	// DefaultBudget bounds a sweep whose context has no deadline (a test,
	// a tool): as long as the template's Timeout (900 s) allows, less
	// DefaultReserve.
	DefaultBudget = 900*time.Second - DefaultReserve
)

// Handler runs one sweep per invocation.
type Handler struct {
	Sweeper Sweeper
	Log     *slog.Logger
	Reserve time.Duration // 0 means DefaultReserve
	Budget  time.Duration // without a deadline; 0 means DefaultBudget
}

// New returns a Handler with the default budget.
func New(s Sweeper, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Sweeper: s, Log: log}
}

// Handle runs one sweep and logs what it did as one JSON line (counts and
// ids, never an address or a join URL). Its error is the sweep's, so that
// Lambda retries a failed sweep.
func (h *Handler) Handle(ctx context.Context, ev Event) (Result, error) {
	ctx = awscalls.WithFunction(ctx, function)
	now := time.Now()
	stopAt := h.stopAt(ctx, now)
	sweepCtx, cancel := context.WithDeadline(ctx, stopAt)
	res, err := h.Sweeper.Sweep(sweepCtx)
	cancel()
	out := Result{
		Due: res.Due, Sent: res.Sent, Skipped: res.Skipped, SkippedBy: res.SkippedBy, Failed: res.Failed,
		Finished: res.Finished, Dropped: res.Dropped, Resynced: res.Resynced, Stopped: res.Stopped,
		Occurrences: res.Occurrences, Draws: res.Draws, DurationMS: time.Since(now).Milliseconds(),
		GuestsAnonymized: res.Retention.GuestsAnonymized, ConsentIPsDropped: res.Retention.ConsentIPsDropped,
	}
	if out.SkippedBy == nil {
		out.SkippedBy = map[string]int{}
	}
	attrs := []any{
		"due", out.Due, "sent", out.Sent, "skipped", out.Skipped, "failed", out.Failed,
		"finished", out.Finished, "dropped", out.Dropped, "resynced", out.Resynced,
		"stopped", out.Stopped, "occurrences_created", out.Occurrences, "lotteries_drawn", out.Draws,
		"guests_anonymized", out.GuestsAnonymized, "consent_ips_dropped", out.ConsentIPsDropped, "duration_ms", out.DurationMS,
		"budget_ms", stopAt.Sub(now).Milliseconds(), "skipped_by", out.SkippedBy,
		"execution_id", ev.ExecutionID, "scheduled_time", ev.ScheduledTime, "attempt", ev.AttemptNumber,
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, "request_id", lc.AwsRequestID)
	}
	if t, perr := time.Parse(time.RFC3339, ev.ScheduledTime); perr == nil {
		attrs = append(attrs, "lag_ms", now.Sub(t).Milliseconds())
	}
	if err != nil {
		h.Log.ErrorContext(ctx, "reminder sweep failed", append(attrs, "error", community.RedactEmails(err.Error()))...)
		return out, err
	}
	h.Log.InfoContext(ctx, "reminder sweep", attrs...)
	return out, nil
}

// stopAt is when the sweep stops handing over: the deadline less the
// reserve, or, for a deadline too close for that, less a third of what is
// left.
func (h *Handler) stopAt(ctx context.Context, now time.Time) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		budget := h.Budget
		if budget <= 0 {
			budget = DefaultBudget
		}
		return now.Add(budget)
	}
	reserve := h.Reserve
	if reserve <= 0 {
		reserve = DefaultReserve
	}
	return deadline.Add(-min(reserve, deadline.Sub(now)/3))
}
