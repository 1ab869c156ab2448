package community

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// DueReminder is one (event, offset) reminder of the schedule of upcoming
// reminders: the store keeps one per published event and offset, computed
// for the event's start at the time.
type DueReminder struct {
	EventID  string
	Offset   time.Duration // before the start
	StartsAt time.Time     // the event start DueAt was computed for
	DueAt    time.Time     // StartsAt - Offset
}

// ReminderClaim names one send of one reminder: a registration, an offset,
// and the start it is for, so that moving an event makes its reminders due
// again for the new start. Owner is the sweep that holds the claim.
type ReminderClaim struct {
	EventID        string
	RegistrationID string
	Offset         time.Duration
	StartsAt       time.Time
	Owner          string
}

// ClaimResult is what an attempt to claim a send found.
type ClaimResult int

// Outcomes of ReminderStore.ClaimReminder.
const (
	// ClaimWon: the caller holds the send until the claim expires.
	ClaimWon ClaimResult = iota + 1
	// ClaimDone: the send already ended (sent, refused, or of unknown fate);
	// it is never made again.
	ClaimDone
	// ClaimBusy: another sweep holds an unexpired claim on it.
	ClaimBusy
	// ClaimNotConfirmed: the registration is no longer confirmed.
	ClaimNotConfirmed
)

// ReminderOutcome is how a claimed send ended.
type ReminderOutcome string

// Outcomes recorded by ReminderStore.CompleteReminder; each ends the claim
// for good.
const (
	ReminderSent ReminderOutcome = "sent"
	// ReminderRefused: SES or the composer refused the message itself (a bad
	// address): sending again would fail again.
	ReminderRefused ReminderOutcome = "refused"
	// ReminderUncertain: the send timed out and SES may have accepted it; a
	// second copy is worse than a missing one, so it is not sent again.
	ReminderUncertain ReminderOutcome = "uncertain"
)

// ReminderStore keeps the schedule of upcoming reminders and the claims
// that make each send happen once. pkg/store/dynamo implements it.
type ReminderStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// EventRegistrations returns a page of an event's registrations with
	// status, in arrival order. Invalid for a bad limit or cursor.
	EventRegistrations(ctx context.Context, eventID string, status RegistrationStatus, limit int, cursor string) ([]*Registration, string, error)
	// MembersByID returns the members with these ids; unknown ids are absent.
	MembersByID(ctx context.Context, ids []string) (map[string]*Member, error)

	// SyncEventReminders makes the schedule follow e: one reminder per
	// offset (ReminderOffsetsOf) while e is published, none otherwise. A
	// reminder whose start did not change is left as it is (a finished one
	// stays finished); a moved start makes it due again at its new time.
	// Idempotent.
	SyncEventReminders(ctx context.Context, e *Event) error
	// DueReminders returns every reminder of the schedule due at or before
	// now (to the second) and not finished, oldest due first. Its cost
	// grows with what is due, not with the table.
	DueReminders(ctx context.Context, now time.Time) ([]DueReminder, error)
	// FinishReminder takes d out of the due reminders: everyone it was for
	// has been handled. It does nothing when the event moved since d was read.
	FinishReminder(ctx context.Context, d DueReminder) error
	// DropReminder deletes d from the schedule (its event is cancelled,
	// unpublished or started). It does nothing when the event moved since d
	// was read.
	DropReminder(ctx context.Context, d DueReminder) error

	// ClaimReminder claims the send c for its owner until now+ttl, with
	// one conditional write that also requires the registration to be
	// confirmed. A claim held by another owner past its expiry is taken
	// over: that sweep crashed between claim and send.
	ClaimReminder(ctx context.Context, c ReminderClaim, now time.Time, ttl time.Duration) (ClaimResult, error)
	// CompleteReminder ends the claim c with outcome, when c's owner still
	// holds it; a sent reminder is also recorded on the registration
	// (Registration.RemindersSent). Conflict (reason "claim_lost") when
	// another owner took the claim over meanwhile.
	CompleteReminder(ctx context.Context, c ReminderClaim, outcome ReminderOutcome, now time.Time) error
	// ReleaseReminder gives up the claim c, when c's owner still holds it,
	// so that a later sweep makes the send.
	ReleaseReminder(ctx context.Context, c ReminderClaim) error
}

// ReminderNotifier mails reminders.
type ReminderNotifier interface {
	// Reminder mails to a confirmed registrant that e starts in (about)
	// startsIn. joinURL is passed only because the recipient holds a seat;
	// unsubscribe is the opt-out link for reminders ("" for guests, who
	// have no preferences). Unavailable (reason "mail_throttled",
	// "mail_quota_exceeded", "mail_timeout") when SES did not take it,
	// Invalid when the message itself is unusable (a bad address).
	Reminder(ctx context.Context, to Recipient, e *Event, startsIn time.Duration, joinURL, cancelLink, unsubscribe string) error
}

// ReminderLinks makes the links a reminder carries. auth.Links implements it.
type ReminderLinks interface {
	CancelLink(eventID, regID string) string
	UnsubscribeLink(memberID, list string) string
}

// ReminderOffsetsOf returns the reminders of e, longest first: its own
// offsets, or DefaultReminderOffsets when it has none set (nil). An empty,
// non-nil list means no reminders, as organizers enter it.
func ReminderOffsetsOf(e *Event) []time.Duration {
	offs := e.ReminderOffsets
	if offs == nil {
		offs = DefaultReminderOffsets
	}
	out := make([]time.Duration, 0, len(offs))
	for _, d := range offs {
		if d > 0 {
			out = append(out, d.Truncate(time.Second))
		}
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return int((b - a) / time.Second) })
	return slices.Compact(out)
}

// ReminderMark is how a sent reminder is recorded in
// Registration.RemindersSent: the offset in seconds and the start it was
// for, e.g. "3600@2030-05-14T09:00:00Z".
func ReminderMark(offset time.Duration, startsAt time.Time) string {
	return fmt.Sprintf("%d@%s", int64(offset/time.Second), startsAt.UTC().Format("2006-01-02T15:04:05Z"))
}

// ConfirmedAt is when r got its seat: when it was made, or, for a
// registration promoted from the waitlist, when it was promoted. The store
// writes a registration's UpdatedAt only when its status changes, so for a
// confirmed registration that once waited UpdatedAt is the promotion.
func ConfirmedAt(r *Registration) time.Time {
	if r.WaitlistSeq > 0 && r.UpdatedAt.After(r.CreatedAt) {
		return r.UpdatedAt
	}
	return r.CreatedAt
}

// Why a reminder is not sent to someone (SweepResult.SkippedBy keys).
const (
	SkipLate        = "confirmed_after_due" // the confirmation mail came after the due time
	SkipOptedOut    = "opted_out"           // the member turned reminders off
	SkipInactive    = "member_inactive"     // suspended, withdrawn or unknown member
	SkipAlreadySent = "already_sent"        // an earlier or concurrent sweep sent it
	SkipInFlight    = "in_flight"           // another sweep holds the claim right now
	SkipCancelled   = "not_confirmed"       // cancelled between listing and claiming
)

// reminderSkip decides, from the registration and its member (nil for a
// guest), whether the reminder d goes to r; "" means it does.
func reminderSkip(d DueReminder, r *Registration, m *Member, isGuest bool) string {
	if ConfirmedAt(r).After(d.DueAt) {
		return SkipLate
	}
	if slices.Contains(r.RemindersSent, ReminderMark(d.Offset, d.StartsAt)) {
		return SkipAlreadySent
	}
	if isGuest {
		return ""
	}
	switch {
	case m == nil || m.Status != MemberActive || m.Email == "":
		return SkipInactive
	case !m.Preferences.Reminders:
		return SkipOptedOut
	}
	return ""
}

// lateTolerance is how far past its due time a reminder may go out and still
// say its nominal offset; later than that, it says the time actually left.
const lateTolerance = 15 * time.Minute

// startsIn is what a reminder sent at now says about the start: the offset
// ("1時間後") when on time, the real time left when sweeps were missed. A
// missed sweep delays a reminder and never drops it, so after an outage the
// 24 h and the 1 h reminder may go out together: both then state the time
// actually left, not "24時間後".
func startsIn(d DueReminder, now time.Time) time.Duration {
	left := d.StartsAt.Sub(now)
	if left < d.Offset-lateTolerance {
		return left.Truncate(time.Minute)
	}
	return d.Offset
}
