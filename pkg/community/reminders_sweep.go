package community

// Delivery policy of reminders: what a sweep promises, and what it leaves
// to the mailer.
//
// Which reminders: each offset of a published event is due at start−offset
// and stays due until it was handled for everyone or the event starts. A
// reminder whose due time had already passed when the person got their seat
// is skipped (SkipLate: the confirmation mail told them); any other is
// handed over by the first sweep after its due time — a missed sweep delays
// a reminder, never drops it, so after an outage the 24 h and the 1 h
// reminder of an event may both go out together, each stating the time
// actually left when it is sent.
//
// How often: the sweep decides what is due and to whom, and hands each
// (registration, offset, start) over to the mailer as an outbox mail
// (MailReminder), written in the same conditional write that marks the
// registration (Registration.RemindersSent): exactly one sweep's write
// commits, however many overlap or however often EventBridge delivers one.
// The mailer sends it once (Mailroom.Deliver), as things stand when it goes:
// to nobody whose registration, membership or opt-out changed since, and
// never about a start that no longer holds (the event moved or was
// cancelled: the reminders of the new start are due on their own).
//
// When and how fast: not the domain's business. The mailer sends at the
// pace SES allows; the sweep only writes, and stops handing over when its
// context ends (pkg/remindersjob ends it near the Lambda deadline). What it
// did not hand over stays due for the next sweep.

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"
)

// indexSettle is how long after its due time a reminder stays due even
// when everyone listed was handled: the registrations are listed from an
// eventually consistent index, and one confirmed just before the due time
// may not show yet in a sweep right after it.
const indexSettle = time.Minute

// regsPage is how many registrations a sweep lists per Query, and so at
// most how many reminders it hands over in one call.
const regsPage = 100

// Reminders is the clock's work: each sweep hands the reminders that are
// due over to the mailer, once per (registration, offset, start) even when
// sweeps overlap or EventBridge delivers one twice, and keeps the next
// occurrences of every series in the table.
type Reminders struct {
	Store ReminderStore
	Clock Clock
	// Log receives one line per failure (ids only: never an address or a
	// join URL); nil discards them. The caller logs the SweepResult.
	Log *slog.Logger
	// EnsureSeries tops up the occurrences of every series (SeriesAdmin's
	// EnsureAllSeries) and returns how many it created; nil skips it.
	EnsureSeries func(ctx context.Context) (int, error)
	// DrawLotteries draws the lotteries due (Applications.DrawDue) and
	// returns how many it finished; nil skips it.
	DrawLotteries func(ctx context.Context) (int, error)
	// Retain erases the personal data past its retention
	// (Retention.Sweep); nil skips it.
	Retain func(ctx context.Context) (RetentionResult, error)
	// Reconfirms runs the reconfirmation steps (reconfirm.go); nil skips
	// them.
	Reconfirms ReconfirmStore
}

// SweepResult is what one sweep did.
type SweepResult struct {
	Due int // (event, offset) reminders due
	// Sent counts the reminders handed over to the mailer: each is now an
	// outbox mail, sent once by the mailer.
	Sent      int
	Skipped   int            // registrations not mailed, for the reasons in SkippedBy
	SkippedBy map[string]int // Skip* reason → count
	Failed    int            // reminders whose hand-over failed; they stay due
	Finished  int            // reminders done for everyone, taken out of the due index
	Dropped   int            // reminders of cancelled, unpublished or started events, deleted
	Resynced  int            // reminders found stale (the event moved) and rebuilt from the event
	// Withheld counts reminders handed over for someone the event no
	// longer admits (its audience or eligibility was narrowed after they
	// registered): their mail goes without the join URL. They count in
	// Sent too.
	Withheld int
	// Stopped says why the sweep left reminders due for the next one: ""
	// when it did not, "time_budget" (its context's deadline), "canceled".
	Stopped     string
	Occurrences int // series occurrences created
	Draws       int // lotteries drawn and applied (Applications.DrawDue)
	// SurveysDue counts the events whose after-event survey was due,
	// SurveysSent the survey mails handed over to the mailer (each an
	// outbox mail, sent once), SurveysDropped the due surveys taken out of
	// the schedule unsent (the event cancelled or gone, the survey removed
	// or closed).
	SurveysDue     int
	SurveysSent    int
	SurveysDropped int
	// Retention is what the retention sweep erased.
	Retention RetentionResult
	// ReconfirmsDue counts the reconfirmation steps due; ReconfirmsAsked
	// the requests handed over to the mailer; Released the seats released
	// to the waitlist at a deadline, ReleasePromoted the promotions they
	// made; ReconfirmsFinished and ReconfirmsDropped the steps taken out
	// of the schedule, done or no longer wanted.
	ReconfirmsDue      int
	ReconfirmsAsked    int
	Released           int
	ReleasePromoted    int
	ReconfirmsFinished int
	ReconfirmsDropped  int
}

// Stop reasons of SweepResult.Stopped.
const (
	StopBudget   = "time_budget"
	StopCanceled = "canceled"
)

// Sweep hands every due reminder over to the mailer, then tops up the
// series. It stops handing over when ctx ends
// (the caller's time budget): what is left stays due for the next sweep
// and is not an error. The error reports what went wrong beyond that
// (DynamoDB), after the sweep did what it could, so that the scheduler
// retries it.
func (s *Reminders) Sweep(ctx context.Context) (SweepResult, error) {
	sw := &sweep{s: s, now: s.Clock.Now(), res: SweepResult{SkippedBy: map[string]int{}}}
	var errs []error
	fail := func(msg string, err error, args ...any) {
		if ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			return // cut off by the budget: the next sweep carries on
		}
		errs = append(errs, err)
		logFailure(ctx, s.Log, msg, err, args...)
	}
	dues, err := s.Store.DueReminders(ctx, sw.now)
	if err != nil {
		fail("due reminders not read", err)
	}
	sw.res.Due = len(dues)
	// The soonest event first: what is left when the sweep stops early is
	// what can best wait for the next one.
	slices.SortStableFunc(dues, func(a, b DueReminder) int { return a.StartsAt.Compare(b.StartsAt) })
	for _, d := range dues {
		if ctx.Err() != nil {
			break
		}
		if err := sw.remind(ctx, d); err != nil {
			fail("reminder failed", err, "event_id", d.EventID, "offset", d.Offset.String())
		}
	}
	if s.DrawLotteries != nil && ctx.Err() == nil {
		n, err := s.DrawLotteries(ctx)
		sw.res.Draws = n
		if err != nil {
			fail("lotteries not drawn", err)
		}
	}
	surveys, err := s.Store.DueSurveys(ctx, sw.now)
	if err != nil {
		fail("due surveys not read", err)
	}
	sw.res.SurveysDue = len(surveys)
	for _, d := range surveys {
		if ctx.Err() != nil {
			break
		}
		if err := sw.survey(ctx, d); err != nil {
			fail("survey failed", err, "event_id", d.EventID)
		}
	}
	if s.Reconfirms != nil && ctx.Err() == nil {
		dues, err := s.Reconfirms.DueReconfirms(ctx, sw.now)
		if err != nil {
			fail("due reconfirmations not read", err)
		}
		sw.res.ReconfirmsDue = len(dues)
		for _, d := range dues {
			if ctx.Err() != nil {
				break
			}
			if err := sw.reconfirm(ctx, d); err != nil {
				fail("reconfirmation failed", err, "event_id", d.EventID, "step", string(d.Step))
			}
		}
	}
	if s.Retain != nil && ctx.Err() == nil {
		res, err := s.Retain(ctx)
		sw.res.Retention = res
		if err != nil {
			fail("retention sweep failed", err)
		}
	}
	if s.EnsureSeries != nil && ctx.Err() == nil {
		n, err := s.EnsureSeries(ctx)
		sw.res.Occurrences = n
		if err != nil {
			fail("series occurrences not kept up", err)
		}
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		sw.res.Stopped = StopBudget
	case ctx.Err() != nil:
		sw.res.Stopped = StopCanceled
	}
	return sw.res, errors.Join(errs...)
}

// sweep is the state of one Sweep.
type sweep struct {
	s   *Reminders
	now time.Time // the domain clock at the start: what is due, and who was late
	res SweepResult
}

func (sw *sweep) skip(reason string) {
	sw.res.Skipped++
	sw.res.SkippedBy[reason]++
}

// remind handles one due (event, offset): everyone confirmed has it handed
// over or is skipped for a reason, and then it leaves the due index.
// Anything left (a stop, a failure) keeps it due.
func (sw *sweep) remind(ctx context.Context, d DueReminder) error {
	st := sw.s.Store
	e, err := st.Event(ctx, d.EventID)
	if ErrorCode(err) == NotFound {
		sw.res.Dropped++
		return st.DropReminder(ctx, d)
	}
	if err != nil {
		return err
	}
	if e.Status != EventPublished || !sw.now.Before(e.StartsAt) {
		sw.res.Dropped++
		return st.DropReminder(ctx, d)
	}
	if !e.StartsAt.Equal(d.StartsAt) || !slices.Contains(ReminderOffsetsOf(e), d.Offset) {
		// The event changed and the schedule missed it: rebuild it from the
		// event; a reminder still due at its new time is found next sweep.
		sw.res.Resynced++
		return st.SyncEventReminders(ctx, e)
	}
	done, err := sw.eachConfirmedPage(ctx, e.ID, d.DueAt, func(regs []*Registration) error {
		return sw.handOver(ctx, e, d, regs)
	})
	if err != nil || !done {
		return err
	}
	if err := st.FinishReminder(ctx, d); err != nil {
		return err
	}
	sw.res.Finished++
	return nil
}

// handOver decides who of one page gets d and hands their reminders over
// in one call.
func (sw *sweep) handOver(ctx context.Context, e *Event, d DueReminder, regs []*Registration) error {
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
			return err
		}
	}
	var mails []Mail
	var withheld []bool
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
		mails = append(mails, ReminderMail(d, r, sw.now))
		// The seat was taken under the rules of its day; the join URL goes
		// only to whom the event admits (the mailer decides again when it
		// sends). The reminder itself still goes: the seat is theirs until
		// someone ends it, and they should know the event is on.
		withheld = append(withheld, e.JoinURL != "" && !admits(e, guest, m))
	}
	if len(mails) == 0 {
		return nil
	}
	got, err := sw.s.Store.HandOverReminders(ctx, mails)
	for i, h := range got {
		switch h {
		case HandedOver:
			sw.res.Sent++
			if withheld[i] {
				sw.res.Withheld++
				if sw.s.Log != nil {
					sw.s.Log.WarnContext(ctx, "reminder without the join URL: the registrant no longer fits the event's audience",
						"event_id", e.ID, "registration_id", mails[i].RegistrationID)
				}
			}
		case HandOverDone:
			sw.skip(SkipAlreadySent)
		case HandOverNotConfirmed:
			sw.skip(SkipCancelled)
		}
	}
	if err != nil {
		sw.res.Failed += len(mails) - len(got)
	}
	return err
}

// eachConfirmedPage runs do on each page of the event's confirmed
// registrations and reports whether the step due at dueAt is done for
// everyone: every page ran, time is left, and the index has settled
// since dueAt (a registration confirmed just before it may not be listed
// yet). Out of time it stops between pages; the rest stays due.
func (sw *sweep) eachConfirmedPage(ctx context.Context, eventID string, dueAt time.Time, do func([]*Registration) error) (bool, error) {
	cursor := ""
	for {
		regs, next, err := sw.s.Store.EventRegistrations(ctx, eventID, RegistrationConfirmed, regsPage, cursor)
		if err != nil {
			return false, err
		}
		if err := do(regs); err != nil {
			return false, err
		}
		if next == "" {
			break
		}
		if ctx.Err() != nil {
			return false, nil
		}
		cursor = next
	}
	return !sw.now.Before(dueAt.Add(indexSettle)) && ctx.Err() == nil, nil
}
