package community

// Delivery policy of reminders: what a sweep promises, and what it gives up.
//
// Which reminders: each offset of a published event is due at start−offset
// and stays due until it was handled for everyone or the event starts. A
// reminder whose due time had already passed when the person got their seat
// is skipped (SkipLate: the confirmation mail told them); any other is sent
// by the first sweep after its due time — a missed sweep delays a reminder,
// never drops it, so after an outage the 24 h and the 1 h reminder of an
// event may both go out in one sweep, each stating the time actually left.
//
// How often: every send of a (registration, offset, start) is claimed with
// a conditional write right before it is made — after the pacer's wait, so
// the send rate never eats into the claim — and the claim ends as
//   - sent: recorded on the registration, never sent again;
//   - refused (the message itself is unusable): never sent again;
//   - uncertain: the SES call timed out or the sweep was cut off during it.
//     SES may have accepted the mail, so it is treated as possibly delivered
//     and not retried: an uncertain send is made at most once, since a
//     second copy is worse than a missing one;
//   - released: SES throttled or failed without taking the mail; a later
//     sweep sends it.
//
// The one duplicate left: a sweep that dies (or cannot write "sent") after
// SES accepted the mail but before recording it leaves its claim to expire
// (ClaimTTL), and the first sweep after that takes the claim over and sends
// again. That is rare and accepted: the same takeover is what retries a
// send whose sweep died between claiming and sending, which would otherwise
// be dropped.

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Defaults for Reminders' zero fields.
const (
	// DefaultClaimTTL is how long a claimed send stays with its sweep. It
	// must outlast one send, and it is how late a send is retried after a
	// sweep died between claiming and sending. A claim is taken after the
	// pacer's wait, right before its send, so however long a paced sweep
	// runs, a claim is held only for one send and its bookkeeping: with the
	// Sender's defaults at most 5 calls of 10 s plus about 4 s of backoff,
	// then 10 s to record it — about 65 s.
	DefaultClaimTTL = 10 * time.Minute
	// DefaultReminderWorkers is how many sends a sweep has in flight: SES
	// answers in tens of milliseconds, so a few keep a rate of tens per
	// second without hurrying DynamoDB.
	DefaultReminderWorkers = 4
)

// indexSettle is how long after its due time a reminder stays due even
// when everyone listed was handled: the registrations are listed from an
// eventually consistent index, and one confirmed just before the due time
// may not show yet in a sweep right after it.
const indexSettle = time.Minute

// regsPage is how many registrations a sweep lists per Query.
const regsPage = 100

// Reminders is the clock's work: each sweep sends the reminders that are
// due, once per (registration, offset, start) even when sweeps overlap or
// EventBridge delivers one twice, and keeps the next occurrences of every
// series in the table.
type Reminders struct {
	Store    ReminderStore
	Notifier ReminderNotifier
	Links    ReminderLinks
	Clock    Clock
	// Log receives one line per failure (ids only: never an address or a
	// join URL); nil discards them. The caller logs the SweepResult.
	Log *slog.Logger
	// Workers is how many sends are in flight at once; 0 means
	// DefaultReminderWorkers.
	Workers int
	// ClaimTTL is how long a claim holds; 0 means DefaultClaimTTL.
	ClaimTTL time.Duration
	// EnsureSeries tops up the occurrences of every series (SeriesAdmin's
	// EnsureAllSeries) and returns how many it created; nil skips it.
	EnsureSeries func(ctx context.Context) (int, error)
}

// SweepResult is what one sweep did.
type SweepResult struct {
	Due       int            // (event, offset) reminders due
	Sent      int            // mails handed to SES
	Skipped   int            // registrations not mailed, for the reasons in SkippedBy
	SkippedBy map[string]int // Skip* reason → count
	Failed    int            // sends that failed; the throttled and transient ones stay due
	Finished  int            // reminders done for everyone, taken out of the due index
	Dropped   int            // reminders of cancelled, unpublished or started events, deleted
	Resynced  int            // reminders found stale (the event moved) and rebuilt from the event
	// Withheld counts reminders sent without the join URL: the registrant
	// no longer fits the event's audience or eligibility (it was narrowed
	// after they registered). They count in Sent too.
	Withheld int
	// Stopped says why the sweep left mail due for the next one: "" when it
	// did not, "time_budget", "mail_throttled", "mail_failed", "canceled".
	Stopped     string
	Occurrences int // series occurrences created
}

// Stop reasons of SweepResult.Stopped.
const (
	StopBudget    = "time_budget"
	StopThrottled = "mail_throttled"
	StopMailError = "mail_failed"
	StopCanceled  = "canceled"
)

// Sweep sends every due reminder it can at pace, until pace is spent (nil:
// unpaced and unlimited), then tops up the series. Mail left unsent — SES
// throttling, the time budget — stays due for the next sweep and is not an
// error. The error reports what went wrong beyond that (DynamoDB, an SES
// failure that is not throttling), after the sweep did what it could, so
// that the scheduler retries it.
func (s *Reminders) Sweep(ctx context.Context, pace Pace) (SweepResult, error) {
	sw := &sweep{
		s: s, now: s.Clock.Now(), owner: NewID(s.Clock.Now()), pace: paceOr(pace),
		res: SweepResult{SkippedBy: map[string]int{}},
	}
	var errs []error
	dues, err := s.Store.DueReminders(ctx, sw.now)
	if err != nil {
		errs = append(errs, err)
	}
	sw.res.Due = len(dues)
	// The soonest event first: what is left when the sweep stops early is
	// what can best wait for the next one.
	slices.SortStableFunc(dues, func(a, b DueReminder) int { return a.StartsAt.Compare(b.StartsAt) })
	for _, d := range dues {
		if sw.pace.Spent() {
			sw.halt(StopBudget)
		}
		if sw.stopped() != "" {
			break
		}
		if err := sw.remind(ctx, d); err != nil {
			errs = append(errs, err)
			logFailure(ctx, s.Log, "reminder failed", err, "event_id", d.EventID, "offset", d.Offset.String())
		}
	}
	if s.EnsureSeries != nil && ctx.Err() == nil && !sw.pace.Spent() {
		n, err := s.EnsureSeries(ctx)
		sw.res.Occurrences = n
		if err != nil {
			errs = append(errs, err)
			logFailure(ctx, s.Log, "series occurrences not kept up", err)
		}
	}
	sw.res.Stopped = sw.stopped()
	if sw.res.Stopped == "" && ctx.Err() != nil {
		sw.res.Stopped = StopCanceled
	}
	return sw.res, errors.Join(errs...)
}

func (s *Reminders) claimTTL() time.Duration {
	if s.ClaimTTL > 0 {
		return s.ClaimTTL
	}
	return DefaultClaimTTL
}

func (s *Reminders) workers() int {
	if s.Workers > 0 {
		return s.Workers
	}
	return DefaultReminderWorkers
}

// sweep is the state of one Sweep, shared by its workers.
type sweep struct {
	s     *Reminders
	now   time.Time // the domain clock at the start: what is due, and who was late
	owner string    // claims are held in this sweep's name
	pace  Pace

	mu   sync.Mutex
	res  SweepResult
	stop string
}

func (sw *sweep) halt(reason string) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if sw.stop == "" {
		sw.stop = reason
	}
}

func (sw *sweep) stopped() string {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.stop
}

func (sw *sweep) count(f func(r *SweepResult)) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	f(&sw.res)
}

func (sw *sweep) skip(reason string) {
	sw.count(func(r *SweepResult) { r.Skipped++; r.SkippedBy[reason]++ })
}

// remind handles one due (event, offset): everyone confirmed gets it or is
// skipped for a reason, and then it leaves the due index. Anything left
// (a stop, a failure, a claim in flight) keeps it due.
func (sw *sweep) remind(ctx context.Context, d DueReminder) error {
	st := sw.s.Store
	e, err := st.Event(ctx, d.EventID)
	if ErrorCode(err) == NotFound {
		sw.count(func(r *SweepResult) { r.Dropped++ })
		return st.DropReminder(ctx, d)
	}
	if err != nil {
		return err
	}
	if e.Status != EventPublished || !sw.now.Before(e.StartsAt) {
		sw.count(func(r *SweepResult) { r.Dropped++ })
		return st.DropReminder(ctx, d)
	}
	if !e.StartsAt.Equal(d.StartsAt) || !slices.Contains(ReminderOffsetsOf(e), d.Offset) {
		// The event changed and the schedule missed it: rebuild it from the
		// event; a reminder still due at its new time is found next sweep.
		sw.count(func(r *SweepResult) { r.Resynced++ })
		return st.SyncEventReminders(ctx, e)
	}
	settled := true
	cursor := ""
	for {
		regs, next, err := st.EventRegistrations(ctx, e.ID, RegistrationConfirmed, regsPage, cursor)
		if err != nil {
			return err
		}
		done, err := sw.sendPage(ctx, e, d, regs)
		if err != nil {
			return err
		}
		settled = settled && done
		if next == "" || sw.stopped() != "" {
			break
		}
		cursor = next
		// A big event takes a while: stop as soon as it is cancelled.
		if e, err = st.Event(ctx, d.EventID); err != nil {
			return err
		}
		if e.Status != EventPublished || !e.StartsAt.Equal(d.StartsAt) {
			return nil // the next sweep drops or rebuilds it
		}
	}
	if settled && sw.stopped() == "" && !sw.now.Before(d.DueAt.Add(indexSettle)) {
		if err := st.FinishReminder(ctx, d); err != nil {
			return err
		}
		sw.count(func(r *SweepResult) { r.Finished++ })
	}
	return nil
}

// delivery is one reminder to send.
type delivery struct {
	reg      *Registration
	to       Recipient
	memberID string
	joinURL  string // "" when the registrant may not have it
}

// sendPage sends d to the registrations of one page that should get it, a
// few at a time, and reports whether every one of them is settled (sent,
// or skipped for good).
func (sw *sweep) sendPage(ctx context.Context, e *Event, d DueReminder, regs []*Registration) (bool, error) {
	var ids []string
	for _, r := range regs {
		if r.Guest == nil && r.MemberID != "" {
			ids = append(ids, r.MemberID)
		}
	}
	members := map[string]*Member{}
	if len(ids) > 0 {
		var err error
		if members, err = sw.s.Store.MembersByID(ctx, ids); err != nil {
			return false, err
		}
	}
	var todo []delivery
	for _, r := range regs {
		if r.Status != RegistrationConfirmed {
			continue
		}
		guest := r.Guest != nil
		m := members[r.MemberID]
		if why := reminderSkip(d, r, m, guest); why != "" {
			sw.skip(why)
			continue
		}
		x := delivery{reg: r}
		if guest {
			x.to = Recipient{Name: r.Guest.Name, Email: r.Guest.Email}
		} else {
			x.to, x.memberID = Recipient{Name: m.Name, Email: m.Email}, m.ID
		}
		// The seat was taken under the rules of its day; the join URL goes
		// only to whom the event admits now. The reminder itself still goes:
		// the seat is theirs until someone ends it, and they should know
		// the event is on.
		if admits(e, guest, m) {
			x.joinURL = e.JoinURL
		} else if e.JoinURL != "" {
			if sw.s.Log != nil {
				sw.s.Log.WarnContext(ctx, "reminder without the join URL: the registrant no longer fits the event's audience",
					"event_id", e.ID, "registration_id", r.ID)
			}
		}
		todo = append(todo, x)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		next    int
		settled = true
		errs    []error
	)
	for w := 0; w < min(sw.s.workers(), len(todo)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(todo) {
					return
				}
				done, err := sw.send(ctx, e, d, todo[i])
				mu.Lock()
				settled = settled && done
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return settled, errors.Join(errs...)
}

// send claims, mails and records one reminder, and reports whether it is
// settled. A sweep that stopped settles nothing more.
func (sw *sweep) send(ctx context.Context, e *Event, d DueReminder, x delivery) (bool, error) {
	if sw.stopped() != "" {
		return false, nil
	}
	if err := sw.pace.Wait(ctx); err != nil {
		sw.halt(StopCanceled)
		return false, nil
	}
	if sw.pace.Spent() {
		sw.halt(StopBudget)
		return false, nil
	}
	if !sw.s.Clock.Now().Before(e.StartsAt) {
		return false, nil // it started during this sweep: the next one drops it
	}
	st := sw.s.Store
	c := ReminderClaim{EventID: e.ID, RegistrationID: x.reg.ID, Offset: d.Offset, StartsAt: d.StartsAt, Owner: sw.owner}
	got, err := st.ClaimReminder(ctx, c, sw.s.Clock.Now(), sw.s.claimTTL())
	if err != nil {
		return false, err
	}
	switch got {
	case ClaimDone:
		sw.skip(SkipAlreadySent)
		return true, nil
	case ClaimNotConfirmed:
		sw.skip(SkipCancelled)
		return true, nil
	case ClaimBusy:
		sw.skip(SkipInFlight)
		return false, nil
	}
	unsub := ""
	if x.memberID != "" {
		unsub = sw.s.Links.UnsubscribeLink(x.memberID, ListReminders)
	}
	mailErr := sw.s.Notifier.Reminder(ctx, x.to, e, startsIn(d, sw.s.Clock.Now()), x.joinURL, sw.s.Links.CancelLink(e.ID, x.reg.ID), unsub)
	// The claim's bookkeeping must land even when the sweep's context is
	// ending: a lost "sent" means a second mail after the claim expires.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ids := []any{"event_id", e.ID, "registration_id", x.reg.ID, "offset", d.Offset.String()}
	switch code := ErrorCode(mailErr); {
	case mailErr == nil:
		sw.count(func(r *SweepResult) {
			r.Sent++
			if x.joinURL != e.JoinURL {
				r.Withheld++
			}
		})
		if err := st.CompleteReminder(bctx, c, ReminderSent, sw.s.Clock.Now()); err != nil {
			logFailure(ctx, sw.s.Log, "reminder sent but not recorded; it may be sent again after the claim expires", err, ids...)
			return false, err
		}
		return true, nil
	case errors.Is(mailErr, ErrMailTimeout), code != Unavailable && ctx.Err() != nil:
		// The call was cut off (its own deadline, or the sweep's): SES may
		// have taken the mail, and a second copy is worse than a missing one.
		sw.count(func(r *SweepResult) { r.Failed++ })
		if ctx.Err() != nil {
			sw.halt(StopCanceled)
		}
		logFailure(ctx, sw.s.Log, "reminder send cut off; not retried, SES may have taken it", mailErr, ids...)
		return true, st.CompleteReminder(bctx, c, ReminderUncertain, sw.s.Clock.Now())
	case code == Invalid:
		sw.count(func(r *SweepResult) { r.Failed++ })
		logFailure(ctx, sw.s.Log, "reminder refused", mailErr, ids...)
		return true, st.CompleteReminder(bctx, c, ReminderRefused, sw.s.Clock.Now())
	case code == Unavailable:
		// SES is at its limit (the Sender already backed off), or the sweep
		// ended while it waited: what is left waits for the next sweep.
		sw.count(func(r *SweepResult) { r.Failed++ })
		if ctx.Err() != nil {
			sw.halt(StopCanceled)
		} else {
			sw.halt(StopThrottled)
		}
		if err := st.ReleaseReminder(bctx, c); err != nil {
			logFailure(ctx, sw.s.Log, "claim not released; the send waits for the claim to expire", err, ids...)
		}
		return false, nil
	default:
		// Not a passing condition (permissions, a broken configuration):
		// every other send would fail the same way, so stop and say so.
		sw.count(func(r *SweepResult) { r.Failed++ })
		sw.halt(StopMailError)
		logFailure(ctx, sw.s.Log, "reminder send failed", mailErr, ids...)
		if err := st.ReleaseReminder(bctx, c); err != nil {
			logFailure(ctx, sw.s.Log, "claim not released; the send waits for the claim to expire", err, ids...)
		}
		return false, mailErr
	}
}
