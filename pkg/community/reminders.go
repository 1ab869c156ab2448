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

// HandOver is what handing one reminder over to the mailer found.
type HandOver int

// Outcomes of ReminderStore.HandOverReminders.
const (
	// HandedOver: the reminder is now owed, as an outbox mail, and marked
	// on its registration.
	HandedOver HandOver = iota + 1
	// HandOverDone: it was handed over before (an earlier or concurrent
	// sweep); it is never owed twice.
	HandOverDone
	// HandOverNotConfirmed: the registration is no longer confirmed.
	HandOverNotConfirmed
)

// ReminderStore keeps the schedule of upcoming reminders and hands each
// reminder over to the mailer once. pkg/store/dynamo implements it.
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

	// HandOverReminders hands each of mails (ReminderMail) over to the
	// mailer: with one conditional write per mail, or per batch of them, it
	// puts the outbox mail and adds the reminder's mark to the registration
	// (Registration.RemindersSent) IF the registration is confirmed and
	// does not carry the mark yet. So a reminder is owed exactly once per
	// (registration, offset, start), however many sweeps try at once. It
	// returns what it found for each mail, in order; an error leaves the
	// mails it did not report on owed or not, whichever committed.
	HandOverReminders(ctx context.Context, mails []Mail) ([]HandOver, error)

	// DueSurveys returns the events whose survey is due at or before now
	// and not yet finished, oldest due first (surveys.go). Its cost grows
	// with what is due.
	DueSurveys(ctx context.Context, now time.Time) ([]DueSurvey, error)
	// FinishSurvey takes d out of the due surveys. It does nothing when the
	// survey's due time changed since d was read.
	FinishSurvey(ctx context.Context, d DueSurvey) error
	// HandOverSurveys hands each of mails (SurveyMail) over to the mailer:
	// it puts the outbox mail and sets the registration's survey_sent_at
	// to now in one conditional write IF the registration is confirmed
	// and its survey was not sent yet, so each is owed exactly once
	// however many sweeps try at once. Results as HandOverReminders.
	HandOverSurveys(ctx context.Context, mails []Mail, now time.Time) ([]HandOver, error)
	// HandOverOrgSurvey hands an organization's survey mail (OrgSurveyMail)
	// over to the mailer: it puts the outbox mail and creates s, the
	// (event, organization) record, in one conditional write IF no record
	// exists yet, so each organization is owed it exactly once however
	// many sweeps try at once. HandedOver or HandOverDone.
	HandOverOrgSurvey(ctx context.Context, s *OrgSurvey, mail Mail) (HandOver, error)
}

// ReminderNotifier mails reminders.
type ReminderNotifier interface {
	// Reminder mails to a confirmed registrant that e starts in (about)
	// startsIn. joinURL is passed only because the recipient holds a seat
	// the event still admits; unsubscribe is the one-click opt-out link:
	// the member's reminders list, or, for a guest, this registration's
	// reminders. Unavailable (reason "mail_throttled",
	// "mail_quota_exceeded", "mail_timeout") when SES did not take it,
	// Invalid when the message itself is unusable (a bad address).
	Reminder(ctx context.Context, to Recipient, e *Event, startsIn time.Duration, joinURL, cancelLink, unsubscribe string) error
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
	SkipOptedOut    = "opted_out"           // the member turned reminders off, or the registrant opted out by the mail's link
	SkipInactive    = "member_inactive"     // suspended, withdrawn or unknown member
	SkipAlreadySent = "already_sent"        // an earlier or concurrent sweep handed it over
	SkipCancelled   = "not_confirmed"       // cancelled between listing and handing over
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
	if slices.Contains(r.OptOuts, ListReminders) {
		return SkipOptedOut
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
