package community

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on what an organizer may enter (Event.Validate and the reasons
// and messages below): generous for real events, small enough that a typo
// cannot make a mail unreadable.
const (
	maxCapacity     = 100000
	maxFeeJPY       = 10000000
	maxSpeakers     = 20
	maxReminders    = 5
	maxReasonRunes  = 1000
	maxSubjectRunes = 150
	maxBodyRunes    = 10000
)

// normalizeEvent trims what people type and puts times on whole seconds in
// UTC, as the listing keys are; duplicate reminders are dropped and the
// rest sorted, longest first.
func normalizeEvent(e *Event) {
	e.Title = strings.TrimSpace(e.Title)
	e.Description = strings.TrimSpace(e.Description)
	e.OnlinePlatform = strings.TrimSpace(e.OnlinePlatform)
	e.JoinURL = strings.TrimSpace(e.JoinURL)
	e.Notes = strings.TrimSpace(e.Notes)
	if v := e.Venue; v != nil {
		e.Venue = &Venue{Name: strings.TrimSpace(v.Name), Address: strings.TrimSpace(v.Address)}
	}
	if el := e.Eligibility; el != nil && !el.PublicServantOnly && el.MinAge == nil && el.MaxAge == nil {
		e.Eligibility = nil
	}
	speakers := make([]string, 0, len(e.Speakers))
	for _, s := range e.Speakers {
		speakers = append(speakers, strings.TrimSpace(s))
	}
	e.Speakers = speakers
	e.Questions = e.Questions.Normalized()
	e.Survey = e.Survey.clone()
	e.OrgSurvey = e.OrgSurvey.clone()
	if r := e.Reconfirm; r != nil {
		x := *r
		if r.DeadlineAt != nil {
			t := r.DeadlineAt.UTC().Truncate(time.Second)
			x.DeadlineAt = &t
		}
		e.Reconfirm = &x
	}
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Second)
	}
	e.StartsAt, e.EndsAt = sec(e.StartsAt), sec(e.EndsAt)
	if t := e.RegistrationOpensAt; t != nil {
		x := sec(*t)
		e.RegistrationOpensAt = &x
	}
	if t := e.RegistrationClosesAt; t != nil {
		x := sec(*t)
		e.RegistrationClosesAt = &x
	}
	if l := e.Lottery; l != nil {
		x := *l
		x.DrawAt = sec(l.DrawAt)
		e.Lottery = &x
	}
	if e.ReminderOffsets != nil {
		offs := slices.Clone(e.ReminderOffsets)
		slices.SortFunc(offs, func(a, b time.Duration) int { return int((b - a) / time.Second) })
		e.ReminderOffsets = slices.Compact(offs)
	}
}

// cloneEvent copies e deeply enough that editing the copy never touches e.
func cloneEvent(e *Event) *Event {
	c := *e
	if e.Venue != nil {
		v := *e.Venue
		c.Venue = &v
	}
	if e.Eligibility != nil {
		el := *e.Eligibility
		c.Eligibility = &el
	}
	if e.RegistrationOpensAt != nil {
		t := *e.RegistrationOpensAt
		c.RegistrationOpensAt = &t
	}
	if e.RegistrationClosesAt != nil {
		t := *e.RegistrationClosesAt
		c.RegistrationClosesAt = &t
	}
	c.Speakers = slices.Clone(e.Speakers)
	c.Questions = e.Questions.Normalized()
	c.Survey = e.Survey.clone()
	c.OrgSurvey = e.OrgSurvey.clone()
	if r := e.Reconfirm; r != nil {
		x := *r
		if r.DeadlineAt != nil {
			t := *r.DeadlineAt
			x.DeadlineAt = &t
		}
		c.Reconfirm = &x
	}
	c.ReminderOffsets = slices.Clone(e.ReminderOffsets)
	if e.Lottery != nil {
		l := *e.Lottery
		if l.DrawnAt != nil {
			t := *l.DrawnAt
			l.DrawnAt = &t
		}
		c.Lottery = &l
	}
	return &c
}

// EventAdmin is event administration for organizers: drafts, edits,
// publishing and cancelling. It is its own service rather than methods on
// Events, the read service every visitor goes through: its writes end
// registrations and owe mail, which the read side should not carry.
type EventAdmin struct {
	Store EventAdminStore
	Clock Clock
	// Log reports what failed after the change it belongs to was stored
	// (an audit entry): the change stands and the failure is visible.
	Log *slog.Logger
}

// EventAdminStore is what event administration keeps and reads: events
// and the series an event joins, the registrations an edit checks and a
// cancellation ends, with their cancel notices, and the audit log. Its
// event writes keep the event's reminders in step with what they wrote, as
// part of the write: when the event is stored but its reminders could not
// follow, they return the stored event together with the error, and the
// caller reports it without undoing the write.
type EventAdminStore interface {
	// CreateEvent stores a new event. Conflict when the id exists.
	CreateEvent(ctx context.Context, e *Event) error
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Series returns one series. NotFound (reason "series_not_found").
	Series(ctx context.Context, id string) (*Series, error)
	// UpdateEvent writes the editable fields of u.Event with one
	// conditional write that leaves the counters alone, and returns the
	// event as stored. NotFound (reason "event_not_found") when unknown;
	// Conflict (reason "event_changed") when written since u.ReadAt or no
	// longer in u.Status, (reason "capacity_below_confirmed") when the new
	// capacity is below the confirmed count, (reason "occurrence_taken")
	// when u.Untouched and the occurrence has places or was edited by hand.
	UpdateEvent(ctx context.Context, u EventUpdate) (*Event, error)
	// PublishEvent turns draft e into published, as of e.UpdatedAt, adding
	// it to the listing indexes; changed is false when it was published
	// already. NotFound; Conflict (reason "event_changed") when written
	// since e was read; Closed (reason "event_cancelled") when cancelled.
	PublishEvent(ctx context.Context, e *Event, now time.Time) (stored *Event, changed bool, err error)
	// CancelEvent turns published e into cancelled with reason: the event
	// leaves the upcoming listing and is indexed as cancelled. changed is
	// false when it was cancelled already (its reason kept). NotFound;
	// Conflict (reason "event_changed") when written since e was read,
	// (reason "event_not_published") for a draft.
	CancelEvent(ctx context.Context, e *Event, reason string, now time.Time) (stored *Event, changed bool, err error)
	// PromoteWaitlistHead gives a free seat of a published event to the
	// head of its waitlist in one transaction, and returns the promoted
	// registration; nil when no seat is free or nobody waits. Unavailable
	// (reason "busy") when contention outlasts every attempt.
	PromoteWaitlistHead(ctx context.Context, eventID string, now time.Time) (*Registration, error)
	// AllRegistrations returns every registration of an event, read
	// consistently, in id (arrival) order.
	AllRegistrations(ctx context.Context, eventID string) ([]*Registration, error)
	// SyncEventReminders makes e's reminder items follow e. The event
	// writes above do it themselves; a repeated action (publishing a
	// published event, cancelling a cancelled one, an edit that changes
	// nothing) calls it to repair a sync that failed the first time.
	SyncEventReminders(ctx context.Context, e *Event) error
	// MoveRegistrations copies an event's new start into its
	// registrations, which members' lists sort by.
	MoveRegistrations(ctx context.Context, eventID string, startsAt time.Time) error
	// EndRegistration cancels a live registration of a cancelled event as
	// RegistrationStore.CancelRegistration does and, in the same
	// transaction, puts the event-cancelled notice it owes
	// (EventCancelledMail) in the outbox instead of the registrant's own
	// cancellation mail. Conflict (reason "already_cancelled") when it has
	// ended already: whoever ended it owed its mail then.
	EndRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *Registration, err error)
	// HasRegistrations reports whether anyone ever registered for (or
	// applied to) an event, read consistently.
	HasRegistrations(ctx context.Context, eventID string) (bool, error)
	// EnsureLottery is as LotteryStore says.
	EnsureLottery(ctx context.Context, eventID string, drawAt time.Time) (commitment string, err error)
	MemberLookup
	AuditAppender
}

// Event returns any event, drafts included, for an organizer.
func (a *EventAdmin) Event(ctx context.Context, v Viewer, id string) (*Event, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	return a.Store.Event(ctx, id)
}

// CreateEvent stores in as a new draft. Reminders default to
// DefaultReminderOffsets when in has none (nil); an empty, non-nil list
// means no reminders.
func (a *EventAdmin) CreateEvent(ctx context.Context, v Viewer, in *Event) (*Event, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	e := cloneEvent(in)
	e.ID, e.Status, e.CancelReason = NewID(now), EventDraft, ""
	e.ConfirmedCount, e.WaitlistCount, e.CheckedInCount = 0, 0, 0
	e.CreatedAt, e.UpdatedAt = now, now
	if e.ReminderOffsets == nil {
		e.ReminderOffsets = slices.Clone(DefaultReminderOffsets)
	}
	normalizeEvent(e)
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if e.SeriesID != "" {
		if _, err := a.Store.Series(ctx, e.SeriesID); ErrorCode(err) == NotFound {
			return nil, FieldErrors{"series_id": "シリーズが見つかりません。"}.Err()
		} else if err != nil {
			return nil, err
		}
	}
	if err := a.Store.CreateEvent(ctx, e); err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditEventCreate, "event", e.ID, fmt.Sprintf("「%s」を下書きとして作成（%s）", e.Title, e.StartsAt.In(Tokyo).Format("2006-01-02 15:04")))
	return e, nil
}

// EventEdit is the outcome of an edit.
type EventEdit struct {
	Event    *Event
	Changed  []string        // the JSON names of the fields that changed
	Promoted []*Registration // moved from the waitlist to a seat, in order
}

// editAttempts bounds the read-apply-write loop of an edit that meets
// concurrent writes; each retry applies the organizer's change afresh.
const editAttempts = 5

// memberAttempts bounds how often a member's own change (signup, profile,
// unsubscribe) reads again after a concurrent write won.
const memberAttempts = 4

// UpdateEvent edits event id: apply sets the organizer's changes on a copy
// of the stored event, then the edit is validated and written without
// touching the counters. Capacity below the confirmed count is refused
// (Conflict "capacity_below_confirmed"); added seats go to the waitlist's
// head first, each promoted person mailed. An edit of who may attend
// (audience, eligibility, or the start an age limit is counted at) that
// someone holding a seat or a waitlist place would no longer fit is refused
// (Conflict "audience_has_registrations"). A cancelled event is Closed
// (reason "event_cancelled").
func (a *EventAdmin) UpdateEvent(ctx context.Context, v Viewer, id string, apply func(e *Event) error) (*EventEdit, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	var cur, stored *Event
	var changed []string
	var followErr error // the edit is stored, what derives from it is not
	err := RetryOn(editAttempts, func() error {
		var err error
		if cur, err = a.Store.Event(ctx, id); err != nil {
			return err
		}
		if cur.Status == EventCancelled {
			return ErrEventCancelled.Messagef("中止したイベントは編集できません。")
		}
		next := cloneEvent(cur)
		if err := apply(next); err != nil {
			return err
		}
		next.ID, next.Status, next.SeriesID, next.CancelReason = cur.ID, cur.Status, cur.SeriesID, cur.CancelReason
		next.ConfirmedCount, next.WaitlistCount, next.CreatedAt = cur.ConfirmedCount, cur.WaitlistCount, cur.CreatedAt
		next.CheckedInCount = cur.CheckedInCount
		normalizeEvent(next)
		if err := next.Validate(); err != nil {
			return err
		}
		if changed = changedFields(cur, next); len(changed) == 0 {
			stored = cur
			return nil
		}
		if next.Capacity > 0 && next.Capacity < cur.ConfirmedCount {
			return CapacityBelowConfirmed(cur.ConfirmedCount)
		}
		if err := a.checkModeEdit(ctx, cur, next, changed); err != nil {
			return err
		}
		recheck := admissionChanged(changed, next)
		if recheck {
			if err := a.checkAdmission(ctx, next); err != nil {
				return err
			}
		}
		if cur.Questions.Breaks(next.Questions) {
			// Stored answers must keep fitting the form they answered; the
			// counters as read (Counted) make a registration that lands
			// meanwhile send the edit back here.
			if err := a.checkAnswered(ctx, cur); err != nil {
				return err
			}
			recheck = true
		}
		next.UpdatedAt = after(a.Clock, cur.UpdatedAt)
		// After a check of the registrations the write requires the counters
		// as read: whoever registers meanwhile makes the edit read and check
		// again, rather than slip in under the old rules.
		stored, err = a.Store.UpdateEvent(ctx, EventUpdate{Event: next, ReadAt: cur.UpdatedAt, Status: cur.Status, Detach: cur.SeriesID != "", Counted: recheck, Before: cur})
		if stored != nil {
			followErr = err
			return nil
		}
		return err
	}, ErrEventChanged)
	if errors.Is(err, ErrCapacityBelowConfirmed) && !cur.HasFrames() {
		// Someone took a seat meanwhile: say how many hold one now (a
		// frame's refusal names its frame and count already).
		if now, rerr := a.Store.Event(ctx, id); rerr == nil {
			return nil, CapacityBelowConfirmed(now.ConfirmedCount)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		// Nothing to write; an organizer repeating an edit whose reminders
		// failed to follow gets them repaired.
		return &EventEdit{Event: cur}, a.Store.SyncEventReminders(ctx, cur)
	}
	// The edit is stored: what follows from it is attempted in full and
	// its failures reported together, never by leaving the rest undone.
	errs := []error{followErr}
	if !stored.StartsAt.Equal(cur.StartsAt) {
		errs = append(errs, a.Store.MoveRegistrations(ctx, id, stored.StartsAt))
	}
	edit := &EventEdit{Event: stored, Changed: changed}
	if stored.Status == EventPublished && stored.promotable() {
		// Whoever was promoted stays promoted and mailed; an error
		// stops the rest, which the next edit (or a cancellation) resumes.
		edit.Promoted, err = a.promote(ctx, stored)
		errs = append(errs, err)
		if fresh, err := a.Store.Event(ctx, id); err == nil {
			edit.Event = fresh
		}
	}
	summary := "変更: " + strings.Join(changed, ", ")
	if slices.Contains(changed, "capacity") {
		summary += fmt.Sprintf("（定員 %d→%d）", cur.Capacity, stored.Capacity)
	}
	if n := len(edit.Promoted); n > 0 {
		summary += fmt.Sprintf("、キャンセル待ちから%d人を繰り上げ", n)
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditEventUpdate, "event", id, summary)
	return edit, errors.Join(errs...)
}

// admissionChanged reports whether an edit that changed the fields named
// changed (as changedFields names them) may change who e admits.
func admissionChanged(changed []string, e *Event) bool {
	if slices.Contains(changed, "audience") || slices.Contains(changed, "eligibility") {
		return true
	}
	el := e.Eligibility
	return slices.Contains(changed, "starts_at") && el != nil && (el.MinAge != nil || el.MaxAge != nil)
}

// admits reports whether e's audience and eligibility admit the person
// behind a registration, a guest or member m, as registering would, with
// the member's status left aside: a suspended member who fits still fits
// (their status, not the audience, keeps mail from them while suspended).
func admits(e *Event, guest bool, m *Member) bool {
	if guest {
		el := e.Eligibility
		return e.Audience == AudiencePublic &&
			(el == nil || (!el.PublicServantOnly && el.MinAge == nil && el.MaxAge == nil))
	}
	if m == nil {
		return false
	}
	active := *m
	active.Status = MemberActive
	return Viewer{Member: &active}.MayAttend(e) && e.checkEligibility(&active) == nil
}

// checkAdmission refuses an edited e while someone holds a seat or a
// waitlist place it would not admit: they would keep it, and with it the
// join URL in their reminders. The organizer ends those registrations
// first (Conflict "audience_has_registrations"). Withdrawn members count
// for nothing: no address is left to mail.
func (a *EventAdmin) checkAdmission(ctx context.Context, e *Event) error {
	regs, err := a.Store.AllRegistrations(ctx, e.ID)
	if err != nil {
		return err
	}
	live := regs[:0:0]
	for _, r := range regs {
		if r.Status == RegistrationConfirmed || r.Status == RegistrationWaitlisted {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return nil
	}
	_, members, err := recipients(ctx, a.Store, live)
	if err != nil {
		return err
	}
	misfits := 0
	for _, r := range live {
		m := members[r.MemberID]
		switch {
		case r.Guest != nil:
			if !admits(e, true, nil) {
				misfits++
			}
		case m == nil || m.Status == MemberWithdrawn:
		case !admits(e, false, m):
			misfits++
		}
	}
	if misfits > 0 {
		return ErrAudienceHasRegistrations.Messagef("変更後の対象・参加条件に当てはまらない方の申込（参加確定またはキャンセル待ち）が%d件あります。先にそれらの申込を取り消してから、もう一度変更してください。", misfits)
	}
	return nil
}

// checkAnswered refuses an edit of e's questions that breaks stored
// answers while e has any registration (cancelled ones keep their answers
// too, for the organizers' records). Conflict (reason "questions_have_answers").
func (a *EventAdmin) checkAnswered(ctx context.Context, e *Event) error {
	if e.ConfirmedCount > 0 || e.WaitlistCount > 0 {
		return ErrQuestionsHaveAnswers
	}
	regs, err := a.Store.AllRegistrations(ctx, e.ID)
	if err != nil {
		return err
	}
	if len(regs) > 0 {
		return ErrQuestionsHaveAnswers
	}
	return nil
}

// CapacityBelowConfirmed refuses a capacity below the confirmed count,
// saying how many hold a seat; the store says it too when a registration
// won the race.
func CapacityBelowConfirmed(confirmed int) error {
	return ErrCapacityBelowConfirmed.Messagef("定員を参加確定者数（%d人）より少なくはできません。", confirmed)
}

// after returns now, or a moment after t when the clock has not moved past
// it: UpdatedAt is what the next edit's condition compares.
func after(clock Clock, t time.Time) time.Time {
	now := clock.Now()
	if !now.After(t) {
		return t.Add(time.Millisecond)
	}
	return now
}

// promotable reports whether a frame of e (or e itself, without frames)
// has a free seat and people waiting for it.
func (e *Event) promotable() bool {
	if !e.HasFrames() {
		return e.WaitlistCount > 0 && (e.Capacity == 0 || e.ConfirmedCount < e.Capacity)
	}
	for _, f := range e.Frames {
		if f.WaitlistCount > 0 && (f.Capacity == 0 || f.ConfirmedCount < f.Capacity) {
			return true
		}
	}
	return false
}

// promote fills the free seats of e from its waitlist, head first, each in
// its own transaction with the promotion mail it owes (the outbox).
func (a *EventAdmin) promote(ctx context.Context, e *Event) ([]*Registration, error) {
	var out []*Registration
	for {
		r, err := a.Store.PromoteWaitlistHead(ctx, e.ID, a.Clock.Now())
		if err != nil || r == nil {
			return out, err
		}
		out = append(out, r)
	}
}

// sameFrames reports whether two frame lists offer the same (counters aside).
func sameFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.ConfirmedCount, x.WaitlistCount, y.ConfirmedCount, y.WaitlistCount = 0, 0, 0, 0
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// changedFields names (as the API does) the fields that differ between a and b.
func changedFields(a, b *Event) []string {
	var out []string
	add := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	eqPtr := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	add("title", a.Title == b.Title)
	add("kind", a.Kind == b.Kind)
	add("audience", a.Audience == b.Audience)
	add("description", a.Description == b.Description)
	add("starts_at", a.StartsAt.Equal(b.StartsAt))
	add("ends_at", a.EndsAt.Equal(b.EndsAt))
	add("venue", (a.Venue == nil) == (b.Venue == nil) && (a.Venue == nil || *a.Venue == *b.Venue))
	add("online_platform", a.OnlinePlatform == b.OnlinePlatform)
	add("join_url", a.JoinURL == b.JoinURL)
	add("capacity", a.Capacity == b.Capacity)
	add("waitlist", a.Waitlist == b.Waitlist)
	add("frames", sameFrames(a.Frames, b.Frames))
	add("multiple_frames", a.MultipleFrames == b.MultipleFrames)
	add("registration_opens_at", eqTime(a.RegistrationOpensAt, b.RegistrationOpensAt))
	add("registration_closes_at", eqTime(a.RegistrationClosesAt, b.RegistrationClosesAt))
	add("eligibility", (a.Eligibility == nil) == (b.Eligibility == nil) && (a.Eligibility == nil ||
		a.Eligibility.PublicServantOnly == b.Eligibility.PublicServantOnly &&
			eqPtr(a.Eligibility.MinAge, b.Eligibility.MinAge) && eqPtr(a.Eligibility.MaxAge, b.Eligibility.MaxAge)))
	add("fee_jpy", a.FeeJPY == b.FeeJPY)
	add("speakers", slices.Equal(a.Speakers, b.Speakers))
	add("notes", a.Notes == b.Notes)
	add("reminder_offsets", slices.Equal(a.ReminderOffsets, b.ReminderOffsets))
	add("mode", a.Mode.Normal() == b.Mode.Normal())
	add("lottery", (a.Lottery == nil) == (b.Lottery == nil) && (a.Lottery == nil || lotterySettingsEqual(a.Lottery, b.Lottery)))
	add("questions", a.Questions.Equal(b.Questions))
	add("survey", a.Survey.Equal(b.Survey))
	add("org_survey", a.OrgSurvey.Equal(b.OrgSurvey))
	add("reconfirmation", a.Reconfirm.Equal(b.Reconfirm))
	return out
}

// errPublishCancelled refuses to publish a cancelled event, in the domain's
// check and in the store's when a cancel won the race.
var errPublishCancelled = ErrEventCancelled.Messagef("中止したイベントは公開できません。")

// PublishEvent makes a draft visible and open for registration.
// Publishing a published event changes nothing but repairs its reminders
// if they failed to follow the first time. A cancelled event is Closed
// (reason "event_cancelled"), and so is one that has started (reason
// "event_started").
func (a *EventAdmin) PublishEvent(ctx context.Context, v Viewer, id string) (*Event, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	var stored *Event
	var changed bool
	var followErr error
	err := RetryOn(editAttempts, func() error {
		cur, err := a.Store.Event(ctx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case EventPublished:
			stored, changed = cur, false
			followErr = a.Store.SyncEventReminders(ctx, cur)
			return nil
		case EventCancelled:
			return errPublishCancelled
		}
		if !a.Clock.Now().Before(cur.StartsAt) {
			return ErrEventStarted.Messagef("開始日時を過ぎたイベントは公開できません。")
		}
		if err := cur.Validate(); err != nil {
			return err
		}
		if err := a.commitLottery(ctx, cur); err != nil {
			return err
		}
		stored, changed, err = a.Store.PublishEvent(ctx, cur, after(a.Clock, cur.UpdatedAt))
		if stored != nil {
			followErr = err
			return nil
		}
		return err
	}, ErrEventChanged)
	if err != nil {
		return nil, err
	}
	if changed {
		auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditEventPublish, "event", id, fmt.Sprintf("「%s」を公開", stored.Title))
	}
	return stored, followErr
}

// CancelResult is the outcome of cancelling an event.
type CancelResult struct {
	Event *Event
	// Cancelled counts the registrations this call ended, each with its
	// event-cancelled notice in the outbox: the notices this call owes.
	// The mailer sends them.
	Cancelled int
	// Complete is false when this call left live registrations for a
	// repeat: its time ran out first.
	Complete bool
}

// CancelEvent cancels published event id with reason: the event leaves the
// listing and every live registration ends (counters reach zero), each in
// a transaction that also writes its event-cancelled notice to the outbox,
// so each registrant is owed the notice exactly once, however often the
// cancel is repeated. Nothing is mailed here: the mailer sends the notices.
// Repeating the cancel (after an interruption, or when the context ended
// first) ends what is left; the repeat keeps the first reason and needs
// none. A registration its owner ended before the cancellation reached it
// is owed its own cancellation mail, not the notice. A draft is Conflict
// (reason "event_not_published").
func (a *EventAdmin) CancelEvent(ctx context.Context, v Viewer, id, reason string) (*CancelResult, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch _, ok := cleanText(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(reason)); {
	case !ok:
		return nil, FieldErrors{"reason": "中止の理由に使えない文字が含まれています。"}.Err()
	case utf8.RuneCountInString(reason) > maxReasonRunes:
		return nil, FieldErrors{"reason": fmt.Sprintf("中止の理由は%d文字以内で入力してください。", maxReasonRunes)}.Err()
	}
	var e *Event
	var flipped bool
	var followErr error
	err := RetryOn(editAttempts, func() error {
		cur, err := a.Store.Event(ctx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case EventDraft:
			return ErrEventNotPublished
		case EventCancelled:
			e, flipped = cur, false
			followErr = a.Store.SyncEventReminders(ctx, cur)
			return nil
		}
		if reason == "" {
			return FieldErrors{"reason": "中止の理由を入力してください。"}.Err()
		}
		e, flipped, err = a.Store.CancelEvent(ctx, cur, reason, after(a.Clock, cur.UpdatedAt))
		if e != nil {
			followErr = err
			return nil
		}
		return err
	}, ErrEventChanged)
	if err != nil {
		return nil, err
	}
	res, err := a.endRegistrations(ctx, e)
	// What follows must land even when ctx ended the loop above.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if fresh, ferr := a.Store.Event(bctx, e.ID); ferr == nil {
		res.Event = fresh
	}
	summary := fmt.Sprintf("「%s」を中止、申込%d件を取り消し（中止のお知らせ%d件を送信待ちに）", e.Title, res.Cancelled, res.Cancelled)
	if !res.Complete {
		summary += "、未完了（再実行で続きを処理）"
	}
	if !flipped {
		summary = "中止処理の再開：" + summary
	}
	auditor{a.Store, a.Clock, a.Log}.record(bctx, actorOf(v), AuditEventCancel, "event", id, summary)
	// The reminders went with the cancel (or with this repeat), whether or
	// not every registration ended: the event is cancelled either way.
	return res, errors.Join(err, followErr)
}

// endRegistrations ends every live registration of cancelled event e, each
// with its notice (Store.EndRegistration). When ctx ends first it stops and
// says the result is incomplete: the caller's infrastructure decides how
// long a request may take, and a repeat ends the rest.
func (a *EventAdmin) endRegistrations(ctx context.Context, e *Event) (*CancelResult, error) {
	res := &CancelResult{Event: e, Complete: true}
	regs, err := a.Store.AllRegistrations(ctx, e.ID)
	if err != nil {
		if ctx.Err() != nil {
			res.Complete = false
			return res, nil
		}
		return res, err
	}
	for _, r := range regs {
		if r.Status == RegistrationCancelled {
			continue
		}
		if ctx.Err() != nil {
			res.Complete = false
			return res, nil
		}
		_, _, err := a.Store.EndRegistration(ctx, e.ID, r.ID, a.Clock.Now())
		switch {
		case err == nil:
			res.Cancelled++
		case errors.Is(err, ErrAlreadyCancelled):
			// Ended meanwhile, by its owner or a concurrent cancel, with
			// the mail that end owed.
		case ctx.Err() != nil:
			// Cut off: whether it ended or not, a repeat settles it.
			res.Complete = false
			return res, nil
		default:
			return res, err
		}
	}
	return res, nil
}
