package community

// Reconfirmation (参加予定の再確認, issue 12). Free events lose many
// registrants to no-shows while others wait. An event may ask its confirmed
// registrants, some days before the start, 「参加予定ですか？」 with two
// one-click answers: keep the seat, or cancel it. Where the organizer turned
// release on, the seats of those who did not answer by the deadline go to
// the waitlist, in its order, with a notice to both sides.
//
// The timing lives on the event (Reconfirmation) and its two steps — the
// request and the deadline — are kept in the store's schedule as the
// reminders and surveys are (DueReconfirm, written by the event writes). The
// reminder sweep runs them:
//
//   - ask: each confirmed registrant who got their seat before the request
//     was due is handed a MailReconfirm in the same conditional write that
//     sets the registration's ReconfirmAskedAt, so overlapping sweeps owe
//     it once. Who got the seat later (a late registration, a promotion) is
//     not asked, and so never released: they just said they would come.
//   - deadline: with release on, each registrant asked, really mailed (SES
//     took the request: ReconfirmMailedAt, set by the mailer) and not
//     answering is cancelled through the one cancel-and-promote transaction
//     (ReconfirmStore.ReleaseUnanswered: the same as every cancellation,
//     conditioned on the registration being still confirmed and still
//     unanswered), only while somebody waits in that registrant's frame —
//     a seat nobody waits for is left with its holder. The transaction puts
//     the release notice and the promotion mail in the outbox: whichever of
//     several sweeps commits owes them, once.
//
// Answers are recorded on the registration (ReconfirmAnswer) and counted on
// the event (EventTally) in the same transaction, for the organizers'
// attendance figures.

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits of a reconfirmation's timing.
const (
	MaxReconfirmDaysBefore = 30
	// minReconfirmWindow is the least time between the request and the
	// deadline: a person must have a fair chance to read the mail.
	minReconfirmWindow = 12 * time.Hour
)

// Reconfirmation is an event's 参加予定の再確認 setting.
type Reconfirmation struct {
	// DaysBefore is how many days before the start the request goes (1–30).
	DaysBefore int
	// DeadlineHours is the answer deadline in hours before the start;
	// used when DeadlineAt is nil.
	DeadlineHours int
	// DeadlineAt is a stated answer deadline, in place of DeadlineHours.
	DeadlineAt *time.Time
	// Release hands the seats of those who did not answer by the deadline
	// to the waitlist.
	Release bool
}

// Equal reports whether r and o ask and release alike.
func (r *Reconfirmation) Equal(o *Reconfirmation) bool {
	if r == nil || o == nil {
		return r == o
	}
	if (r.DeadlineAt == nil) != (o.DeadlineAt == nil) || (r.DeadlineAt != nil && !r.DeadlineAt.Equal(*o.DeadlineAt)) {
		return false
	}
	return r.DaysBefore == o.DaysBefore && r.DeadlineHours == o.DeadlineHours && r.Release == o.Release
}

// ReconfirmAskAt is when e's reconfirmation request is due (to the
// second); zero when e asks none.
func ReconfirmAskAt(e *Event) time.Time {
	r := e.Reconfirm
	if r == nil || e.StartsAt.IsZero() {
		return time.Time{}
	}
	return e.StartsAt.UTC().Truncate(time.Second).Add(-time.Duration(r.DaysBefore) * 24 * time.Hour)
}

// ReconfirmDeadline is when answers to e's reconfirmation stop being taken
// (to the second); zero when e asks none.
func ReconfirmDeadline(e *Event) time.Time {
	r := e.Reconfirm
	if r == nil || e.StartsAt.IsZero() {
		return time.Time{}
	}
	if r.DeadlineAt != nil {
		return r.DeadlineAt.UTC().Truncate(time.Second)
	}
	return e.StartsAt.UTC().Truncate(time.Second).Add(-time.Duration(r.DeadlineHours) * time.Hour)
}

// check adds the reconfirmation's problems to f (JSON names under
// "reconfirmation").
func (r *Reconfirmation) check(f FieldErrors, e *Event) {
	if r.DaysBefore < 1 || r.DaysBefore > MaxReconfirmDaysBefore {
		f.Add("reconfirmation.days_before", fmt.Sprintf("再確認のメールは開始の1日前から%d日前の間で指定してください。", MaxReconfirmDaysBefore))
		return
	}
	switch {
	case r.DeadlineAt != nil && r.DeadlineHours != 0:
		f.Add("reconfirmation.deadline_hours", "回答期限は「開始の何時間前」か日時のどちらか一方で指定してください。")
		return
	case r.DeadlineAt == nil && (r.DeadlineHours < 1 || r.DeadlineHours > r.DaysBefore*24):
		f.Add("reconfirmation.deadline_hours", "回答期限は開始の1時間前以降、再確認のメールより後にしてください。")
		return
	}
	if e.StartsAt.IsZero() {
		return
	}
	ask, deadline := ReconfirmAskAt(e), ReconfirmDeadline(e)
	field := "reconfirmation.deadline_hours"
	if r.DeadlineAt != nil {
		field = "reconfirmation.deadline_at"
	}
	switch {
	case !deadline.Before(e.StartsAt):
		f.Add(field, "回答期限は開始日時より前にしてください。")
	case deadline.Sub(ask) < minReconfirmWindow:
		f.Add(field, "回答期限は再確認のメールから12時間以上あとにしてください。")
	}
}

// Answers to a reconfirmation (Registration.ReconfirmAnswer).
const (
	ReconfirmKeep   = "keep"
	ReconfirmCancel = "cancel"
)

// CancelReasonUnanswered is Registration.CancelReason of a seat released
// to the waitlist because the reconfirmation went unanswered.
const CancelReasonUnanswered = "reconfirmation_unanswered"

// EventTally is what the store counts on the event item in the same
// transactions that change registrations, so the attendance figures need
// no query (absent counters, on events from before them, read 0).
type EventTally struct {
	// Cancelled counts the seats given back: confirmed registrations
	// cancelled by their registrant, an organizer or a release; not the
	// cancellations of a cancelled event, nor waitlist places.
	Cancelled int
	// Released counts the seats released because the reconfirmation went
	// unanswered (a part of Cancelled).
	Released int
	// ReconfirmAsked counts the reconfirmation requests handed over;
	// ReconfirmKept the answers 「参加します」; ReconfirmCancelled the
	// cancellations of asked registrants before the deadline (by the
	// mail's link or otherwise), which answer 「キャンセルします」.
	ReconfirmAsked     int
	ReconfirmKept      int
	ReconfirmCancelled int
}

// Step names the two steps of a reconfirmation in the schedule.
type ReconfirmStep string

// The steps.
const (
	StepAsk      ReconfirmStep = "ask"
	StepDeadline ReconfirmStep = "deadline"
)

// DueReconfirm is one step of an event's reconfirmation that is due.
type DueReconfirm struct {
	EventID string
	Step    ReconfirmStep
	DueAt   time.Time // ReconfirmAskAt or ReconfirmDeadline when the item was written
}

// dueAt is when step st of e is due; zero when e asks none.
func (st ReconfirmStep) dueAt(e *Event) time.Time {
	if st == StepDeadline {
		return ReconfirmDeadline(e)
	}
	return ReconfirmAskAt(e)
}

// The outbox mails of a reconfirmation.
const (
	// MailReconfirm asks 「参加予定ですか？」 with the keep and cancel links.
	MailReconfirm MailKind = "reconfirm"
	// MailReconfirmReleased tells a registrant their seat went to the
	// waitlist because they did not answer.
	MailReconfirmReleased MailKind = "reconfirm_released"
)

// ReconfirmMail is the request owed to r's registrant, named by the
// registration: never owed twice.
func ReconfirmMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailReconfirm, r, now)
}

// ReleasedMail is the notice a release owes its registrant, put by
// ReleaseUnanswered's transaction in place of the cancellation mail.
func ReleasedMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailReconfirmReleased, r, now)
}

// ReconfirmStore is what the sweep's reconfirmation steps need beyond the
// reminders'. pkg/store/dynamo implements it.
type ReconfirmStore interface {
	// DueReconfirms returns the reconfirmation steps due at or before now
	// and not finished, oldest first. Its cost grows with what is due.
	DueReconfirms(ctx context.Context, now time.Time) ([]DueReconfirm, error)
	// FinishReconfirm takes d out of the due steps. It does nothing when
	// the step's due time changed since d was read.
	FinishReconfirm(ctx context.Context, d DueReconfirm) error
	// HandOverReconfirms hands each of mails (ReconfirmMail) over to the
	// mailer: the outbox mail, the registration's reconfirm_asked_at set
	// to now, and the event's ReconfirmAsked counter, in one conditional
	// write IF the registration is confirmed and was not asked yet. Results
	// as HandOverReminders.
	HandOverReconfirms(ctx context.Context, mails []Mail, now time.Time) ([]HandOver, error)
	// ReleaseUnanswered cancels registration regID — IF it is confirmed,
	// was asked and has not answered — and promotes the head of its
	// frame's waitlist, in the one cancelling transaction every
	// cancellation uses, with ReleasedMail and PromotedMail in the outbox
	// and CancelReasonUnanswered on the registration. It releases nothing
	// (ErrNobodyWaiting) when nobody waits in the frame. Conflict
	// "already_cancelled" when it was cancelled, ErrReconfirmAnswered when
	// it answered meanwhile; NotFound when unknown.
	ReleaseUnanswered(ctx context.Context, eventID, regID string, now time.Time) (released, promoted *Registration, err error)
}

// ErrNobodyWaiting is ReleaseUnanswered's answer when the frame's waitlist
// is empty: the seat stays with its holder.
var ErrNobodyWaiting = errors.New("community: nobody waits for the seat")

// ErrReconfirmNotMailed is ReleaseUnanswered's answer when the request
// never reached SES (ReconfirmMailedAt unset), or reached it too close to
// the deadline to give a fair chance to answer: the seat stays.
var ErrReconfirmNotMailed = errors.New("community: the reconfirmation request was not mailed in time")

// ErrReconfirmCheckedIn is ReleaseUnanswered's answer for a registrant
// already checked in (a door opening before the deadline): they came.
var ErrReconfirmCheckedIn = errors.New("community: the registrant is checked in")

// ReconfirmMailedInTime reports whether a request SES took at mailedAt
// left its registrant the fair window (minReconfirmWindow) before e's
// deadline. A request sent later — reconfirmation turned on the day
// before, a mail held by an outage — asks, but its silence costs nothing.
func ReconfirmMailedInTime(e *Event, mailedAt *time.Time) bool {
	return mailedAt != nil && !mailedAt.After(ReconfirmDeadline(e).Add(-minReconfirmWindow))
}

// Why a reconfirmation is not asked of, or released from, someone
// (SweepResult.SkippedBy keys).
const (
	SkipReconfirmLate      = "reconfirm_confirmed_after_ask" // got the seat after the request was due
	SkipReconfirmAsked     = "reconfirm_already_asked"       // an earlier or concurrent sweep handed it over
	SkipReconfirmAnswered  = "reconfirm_answered"            // answered (or cancelled) before the deadline
	SkipReconfirmNotAsked  = "reconfirm_not_asked"           // never asked: keeps the seat
	SkipNobodyWaiting      = "reconfirm_nobody_waiting"      // nobody waits in the frame: the seat stays
	SkipReconfirmNotMailed = "reconfirm_not_mailed"          // the request did not reach SES in time: the seat stays
	SkipReconfirmCheckedIn = "reconfirm_checked_in"          // already checked in: the seat stays
)

// reconfirm handles one due step of an event's reconfirmation: everyone
// has it handed over, released or skipped for a reason, and then it
// leaves the due index. Anything left (a stop, a failure) keeps it due.
func (sw *sweep) reconfirm(ctx context.Context, d DueReconfirm) error {
	st := sw.s.Reconfirms
	e, err := sw.s.Store.Event(ctx, d.EventID)
	if ErrorCode(err) == NotFound {
		sw.res.ReconfirmsDropped++
		return st.FinishReconfirm(ctx, d)
	}
	if err != nil {
		return err
	}
	if e.Status != EventPublished || e.Reconfirm == nil || !sw.now.Before(e.StartsAt) ||
		(d.Step == StepDeadline && !e.Reconfirm.Release) {
		sw.res.ReconfirmsDropped++
		return st.FinishReconfirm(ctx, d)
	}
	if !d.Step.dueAt(e).Equal(d.DueAt) {
		sw.res.Resynced++
		return sw.s.Store.SyncEventReminders(ctx, e)
	}
	if d.Step == StepAsk && !sw.now.Before(ReconfirmDeadline(e).Add(-minReconfirmWindow)) {
		// Asked now, nobody would have a fair chance to answer in time
		// (reconfirmation turned on too late, or the sweeps were down).
		sw.res.ReconfirmsDropped++
		return st.FinishReconfirm(ctx, d)
	}
	done, err := sw.eachConfirmedPage(ctx, e.ID, d.DueAt, func(regs []*Registration) error {
		if d.Step == StepAsk {
			return sw.askReconfirm(ctx, d, regs)
		}
		return sw.release(ctx, e, regs)
	})
	if err != nil || !done {
		return err
	}
	if err := st.FinishReconfirm(ctx, d); err != nil {
		return err
	}
	sw.res.ReconfirmsFinished++
	return nil
}

// askReconfirm hands the request over to who of one page gets it.
func (sw *sweep) askReconfirm(ctx context.Context, d DueReconfirm, regs []*Registration) error {
	var mails []Mail
	for _, r := range regs {
		switch {
		case r.Status != RegistrationConfirmed:
		case ConfirmedAt(r).After(d.DueAt):
			sw.skip(SkipReconfirmLate)
		case r.ReconfirmAskedAt != nil:
			sw.skip(SkipReconfirmAsked)
		default:
			mails = append(mails, ReconfirmMail(r, sw.now))
		}
	}
	if len(mails) == 0 {
		return nil
	}
	got, err := sw.s.Reconfirms.HandOverReconfirms(ctx, mails, sw.now)
	for _, h := range got {
		switch h {
		case HandedOver:
			sw.res.ReconfirmsAsked++
		case HandOverDone:
			sw.skip(SkipReconfirmAsked)
		case HandOverNotConfirmed:
			sw.skip(SkipCancelled)
		}
	}
	if err != nil {
		sw.res.Failed += len(mails) - len(got)
	}
	return err
}

// release cancels, in arrival order, the registrations of one page that
// were asked and did not answer, while somebody waits in their frame.
func (sw *sweep) release(ctx context.Context, e *Event, regs []*Registration) error {
	for _, r := range regs {
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case r.Status != RegistrationConfirmed:
			continue
		case r.ReconfirmAskedAt == nil:
			sw.skip(SkipReconfirmNotAsked)
			continue
		case r.ReconfirmAnswer != "":
			sw.skip(SkipReconfirmAnswered)
			continue
		case !ReconfirmMailedInTime(e, r.ReconfirmMailedAt):
			// Handed over but never taken by SES (a suppressed or vanished
			// address, a mail still held), or taken too late to answer:
			// nobody asked them, really.
			sw.skip(SkipReconfirmNotMailed)
			continue
		case r.CheckedInAt != nil:
			sw.skip(SkipReconfirmCheckedIn)
			continue
		}
		if f, err := e.Frame(r.FrameID); err == nil && f.WaitlistCount == 0 {
			// As read at the start: the store decides, this only saves a
			// transaction per seat of a frame nobody waits for.
			sw.skip(SkipNobodyWaiting)
			continue
		}
		_, promoted, err := sw.s.Reconfirms.ReleaseUnanswered(ctx, e.ID, r.ID, sw.now)
		switch {
		case err == nil:
			sw.res.Released++
			if promoted != nil {
				sw.res.ReleasePromoted++
			}
			if f, ferr := e.Frame(r.FrameID); ferr == nil && f.WaitlistCount > 0 {
				f.WaitlistCount-- // e is this sweep's own copy
			}
		case errors.Is(err, ErrNobodyWaiting):
			sw.skip(SkipNobodyWaiting)
		case errors.Is(err, ErrAlreadyCancelled):
			sw.skip(SkipCancelled)
		case errors.Is(err, ErrReconfirmAnswered):
			sw.skip(SkipReconfirmAnswered)
		case errors.Is(err, ErrReconfirmNotMailed):
			sw.skip(SkipReconfirmNotMailed)
		case errors.Is(err, ErrReconfirmCheckedIn):
			sw.skip(SkipReconfirmCheckedIn)
		default:
			return err
		}
	}
	return nil
}

// ReconfirmLinks makes and reads the signed links of reconfirmation mails.
// auth.Links implements it.
type ReconfirmLinks interface {
	// ReconfirmLink is the page answering answer (ReconfirmKeep or
	// ReconfirmCancel) for one registration.
	ReconfirmLink(eventID, regID, answer string) string
	ParseReconfirmToken(token string) (eventID, regID string, ok bool)
}

// ReconfirmNotifier mails the reconfirmation request and the release
// notice.
type ReconfirmNotifier interface {
	// Reconfirm asks whether the registrant still comes to e, with the
	// one-click links keep and cancel, answerable until deadline.
	// Unavailable or Invalid as ReminderNotifier.Reminder.
	Reconfirm(ctx context.Context, to Recipient, e *Event, deadline time.Time, keep, cancel string) error
	// Released tells a registrant their seat at e went to the waitlist
	// because they did not answer by deadline.
	Released(ctx context.Context, to Recipient, e *Event, deadline time.Time) error
}

// sendReconfirm sends a handed-over request or release notice as things
// stand now: the request only while the seat is held, unanswered and the
// deadline ahead; the notice only to a registration that was released.
func (m *Mailroom) sendReconfirm(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Reconfirms == nil || m.ReconfirmLinks == nil {
		return MailRefused, errors.New("community: mailroom cannot send reconfirmations")
	}
	e, r, ok, err := m.placeOf(ctx, mail)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil
	}
	deadline := ReconfirmDeadline(e)
	switch mail.Kind {
	case MailReconfirm:
		if e.Status != EventPublished || e.Reconfirm == nil || r.Status != RegistrationConfirmed ||
			r.ReconfirmAnswer != "" || !m.Clock.Now().Before(deadline) {
			return MailSkipped, nil
		}
	case MailReconfirmReleased:
		if r.Status != RegistrationCancelled || r.CancelReason != CancelReasonUnanswered {
			return MailSkipped, nil
		}
	}
	to, ok, err := m.mailableRecipient(ctx, r)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil
	}
	if mail.Kind == MailReconfirmReleased {
		return sendOutcome(ctx, m.Reconfirms.Released(ctx, to, e, deadline))
	}
	keep := m.ReconfirmLinks.ReconfirmLink(e.ID, r.ID, ReconfirmKeep)
	cancel := m.ReconfirmLinks.ReconfirmLink(e.ID, r.ID, ReconfirmCancel)
	outcome, err := sendOutcome(ctx, m.Reconfirms.Reconfirm(ctx, to, e, deadline, keep, cancel))
	if outcome == MailSent && m.ReconfirmMarks != nil {
		// Only now can not answering cost the seat. A failed mark keeps
		// the seat with its holder rather than send the mail again.
		if err := m.ReconfirmMarks.MarkReconfirmMailed(ctx, e.ID, r.ID, m.Clock.Now()); err != nil {
			logFailure(ctx, m.Log, "reconfirmation mailed but not marked; the seat stays with its holder", err,
				"event_id", e.ID, "registration_id", r.ID)
		}
	}
	return outcome, err
}

// ReconfirmMailStore records that a registrant's reconfirmation request
// reached SES, which is what makes not answering it count.
type ReconfirmMailStore interface {
	// MarkReconfirmMailed sets the registration's ReconfirmMailedAt to at
	// unless it has one; an unknown registration is no error.
	MarkReconfirmMailed(ctx context.Context, eventID, regID string, at time.Time) error
}

// ReconfirmAnswerStore records a registrant's 「参加します」.
type ReconfirmAnswerStore interface {
	// KeepSeat records answer ReconfirmKeep at now on the registration and
	// counts it on the event, in one transaction IF the registration is
	// confirmed and has not answered. ErrReconfirmAnswered when it had
	// (keeping twice is the caller's to treat as done), ErrNotConfirmed
	// when it holds no seat; NotFound when unknown.
	KeepSeat(ctx context.Context, eventID, regID string, now time.Time) error
}

// Reconfirmations takes the answers behind a reconfirmation mail's links.
type Reconfirmations struct {
	Regs  *Registrations
	Store ReconfirmAnswerStore
	Links ReconfirmLinks
	Clock Clock
}

// ReconfirmView is what the page behind a reconfirmation link shows.
type ReconfirmView struct {
	Registration *Registration
	Event        *Event
	Deadline     time.Time
	// Open says the answer is still taken (before the deadline and the
	// start, the seat held, the event on).
	Open bool
}

// errBadReconfirmLink is NotFound: a forged or altered link names nothing,
// exactly as an unknown registration.
var errBadReconfirmLink = ErrRegistrationNotFound.Messagef("再確認のリンクが正しくないか、申込が見つかりません。メールに記載されたリンクをそのまま開いてください。")

// Look reads what the link names; it changes nothing (mail scanners open
// links).
func (s *Reconfirmations) Look(ctx context.Context, token string) (*ReconfirmView, error) {
	eventID, regID, ok := s.Links.ParseReconfirmToken(token)
	if !ok {
		return nil, errBadReconfirmLink
	}
	r, err := s.Regs.Regs.Registration(ctx, eventID, regID)
	if ErrorCode(err) == NotFound {
		return nil, errBadReconfirmLink
	}
	if err != nil {
		return nil, err
	}
	e, err := s.Regs.Events.Event(ctx, eventID)
	if ErrorCode(err) == NotFound {
		return nil, errBadReconfirmLink
	}
	if err != nil {
		return nil, err
	}
	v := &ReconfirmView{Registration: r, Event: e, Deadline: ReconfirmDeadline(e)}
	now := s.Clock.Now()
	v.Open = e.Reconfirm != nil && e.Status == EventPublished && r.Status == RegistrationConfirmed &&
		now.Before(v.Deadline) && now.Before(e.StartsAt)
	return v, nil
}

// Answer records answer (ReconfirmKeep or ReconfirmCancel) for the
// registration the token names. Keeping twice, or cancelling a cancelled
// place, is harmless and answers as the first time. Cancelling goes
// through the registrant's own cancellation (the seat to the waitlist head
// at once), and is taken until the start, as a cancel link is; keeping is
// taken until the deadline. NotFound for a forged, altered or unknown
// link; Closed "reconfirm_closed" past the deadline.
func (s *Reconfirmations) Answer(ctx context.Context, token, answer string) (*ReconfirmView, error) {
	v, err := s.Look(ctx, token)
	if err != nil {
		return nil, err
	}
	r := v.Registration
	switch answer {
	case ReconfirmCancel:
		if r.Status == RegistrationCancelled {
			return v, nil
		}
		c, err := s.Regs.cancel(ctx, r)
		if errors.Is(err, ErrAlreadyCancelled) {
			return s.Look(ctx, token)
		}
		if err != nil {
			return nil, err
		}
		v.Registration, v.Open = c, false
		return v, nil
	case ReconfirmKeep:
		if r.ReconfirmAnswer == ReconfirmKeep {
			return v, nil
		}
		if !v.Open {
			if r.Status != RegistrationConfirmed {
				return nil, ErrNotConfirmed.Messagef("この申込は参加確定ではないため、回答できません。")
			}
			return nil, ErrReconfirmClosed
		}
		err := s.Store.KeepSeat(ctx, r.EventID, r.ID, s.Clock.Now())
		if errors.Is(err, ErrReconfirmAnswered) || errors.Is(err, ErrNotConfirmed) {
			// A click racing the deadline's release or another answer:
			// say how things stand.
			if v, lerr := s.Look(ctx, token); lerr == nil && v.Registration.ReconfirmAnswer == ReconfirmKeep {
				return v, nil
			}
		}
		if err != nil {
			return nil, err
		}
		return s.Look(ctx, token)
	}
	return nil, FieldErrors{"answer": "answer は keep か cancel で指定してください。"}.Err()
}

// AttendanceFigures are an event's attendance numbers for organizers, read
// from the event item's counters alone (one GetItem).
type AttendanceFigures struct {
	Event     *Event
	Confirmed int // seats held now, every frame
	Waitlist  int
	CheckedIn int
	// CheckInRate is CheckedIn / Confirmed, nil when nobody is confirmed.
	CheckInRate *float64
	Cancelled   int // seats given back (EventTally.Cancelled)
	Released    int // of which released after an unanswered reconfirmation
	// NoShows are the confirmed not checked in, once the event has ended;
	// nil before.
	NoShows *int
	// Reconfirmation: nil when the event asks none and asked nobody.
	Reconfirm *ReconfirmFigures
}

// ReconfirmFigures are the answers to an event's reconfirmation.
type ReconfirmFigures struct {
	AskAt, Deadline time.Time
	Release         bool
	Asked           int
	Answered        int // Kept + Cancelled
	Kept            int
	Cancelled       int
	Unanswered      int // Asked − Answered (released ones included)
}

// Figures returns event id's attendance figures.
func (a *Attendance) Figures(ctx context.Context, v Viewer, id string) (*AttendanceFigures, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	return FiguresOf(e, a.Clock.Now()), nil
}

// FiguresOf computes e's figures at now from its counters.
func FiguresOf(e *Event, now time.Time) *AttendanceFigures {
	f := &AttendanceFigures{Event: e, CheckedIn: e.CheckedInCount, Cancelled: e.Tally.Cancelled, Released: e.Tally.Released}
	if e.HasFrames() {
		for _, fr := range e.Frames {
			f.Confirmed += fr.ConfirmedCount
			f.Waitlist += fr.WaitlistCount
		}
	} else {
		f.Confirmed, f.Waitlist = e.ConfirmedCount, e.WaitlistCount
	}
	if f.Confirmed > 0 {
		rate := float64(f.CheckedIn) / float64(f.Confirmed)
		f.CheckInRate = &rate
	}
	end := e.EndsAt
	if end.IsZero() {
		end = e.StartsAt
	}
	if e.Status != EventCancelled && !now.Before(end) {
		n := max(f.Confirmed-f.CheckedIn, 0)
		f.NoShows = &n
	}
	t := e.Tally
	if e.Reconfirm != nil || t.ReconfirmAsked > 0 {
		rf := &ReconfirmFigures{Asked: t.ReconfirmAsked, Kept: t.ReconfirmKept, Cancelled: t.ReconfirmCancelled}
		rf.Answered = rf.Kept + rf.Cancelled
		rf.Unanswered = max(rf.Asked-rf.Answered, 0)
		if e.Reconfirm != nil {
			rf.AskAt, rf.Deadline, rf.Release = ReconfirmAskAt(e), ReconfirmDeadline(e), e.Reconfirm.Release
		}
		f.Reconfirm = rf
	}
	return f
}
