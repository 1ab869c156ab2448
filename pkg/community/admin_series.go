package community

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Series is a recurring activity, such as the regular members' 井戸端会議
// on the second Tuesday of each month: a template event, a monthly rule,
// and how far ahead its occurrences are kept in the table.
type Series struct {
	ID string
	// Template is what every occurrence copies: title, kind, audience,
	// description, venue, online platform and join URL, capacity, waitlist,
	// eligibility, fee, speakers, notes and reminders. Its times, status
	// and ids are not used.
	Template Event
	Rule     MonthlyRule
	// RegistrationOpensBefore opens registration this long before each
	// start; 0 opens it as soon as the occurrence is published.
	RegistrationOpensBefore time.Duration
	// RegistrationClosesBefore closes registration this long before each
	// start; 0 keeps it open until the start.
	RegistrationClosesBefore time.Duration
	// Months is how far ahead occurrences are kept: the clock tops them up
	// to now plus Months months.
	Months int
	// Publish creates occurrences published; otherwise they are drafts an
	// organizer publishes one by one.
	Publish   bool
	Version   int64 // the store's write counter; edits are based on it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SeriesStore keeps series; their occurrences are events with SeriesID set.
type SeriesStore interface {
	// CreateSeries stores a new series. Conflict (reason "series_exists")
	// when the id exists.
	CreateSeries(ctx context.Context, s *Series) error
	// Series returns one series. NotFound (reason "series_not_found").
	Series(ctx context.Context, id string) (*Series, error)
	// UpdateSeries replaces a series as of s.Version and advances
	// s.Version. NotFound; Conflict (reason "series_changed") when another
	// write came first.
	UpdateSeries(ctx context.Context, s *Series) error
	// AllSeries returns every series, oldest first.
	AllSeries(ctx context.Context) ([]*Series, error)
	// SeriesOccurrences returns the occurrences of a series (any status)
	// starting at or after from, by start time.
	SeriesOccurrences(ctx context.Context, seriesID string, from time.Time) ([]*Event, error)
}

// Bounds on a series.
const (
	maxSeriesMonths = 24
	maxWindowBefore = 366 * 24 * time.Hour
)

// occurrenceStart is the start of the occurrence on the Tokyo calendar day
// of day, at the rule's time.
func (r MonthlyRule) occurrenceStart(day time.Time) time.Time {
	y, m, d := day.In(Tokyo).Date()
	return time.Date(y, m, d, r.Hour, r.Minute, 0, 0, Tokyo)
}

// OccurrenceID is the id of a series' occurrence on the Tokyo calendar day
// of start. It is derived, not random, so that two sweeps (or a sweep and
// an organizer) creating the same occurrence write the same key and the
// table's conditional put lets only one through. It is shaped like NewID:
// the day's first millisecond, then 80 bits of a digest.
func OccurrenceID(seriesID string, start time.Time) string {
	y, m, d := start.In(Tokyo).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, Tokyo)
	var b [16]byte
	ms := uint64(day.UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	sum := sha256.Sum256([]byte("tabane-occurrence:" + seriesID + ":" + day.Format(time.DateOnly)))
	copy(b[6:], sum[:10])
	return idEncoding.EncodeToString(b[:])
}

// Occurrence returns the series' event starting at start (a time the rule
// gives), as it would be created at now.
func (s *Series) Occurrence(start, now time.Time) *Event {
	return s.occurrence(Slot{Nominal: start, Start: start}, now)
}

// occurrence returns the series' event for a slot that is not skipped: its
// id comes from the rule's day, its times from the day it takes place.
func (s *Series) occurrence(slot Slot, now time.Time) *Event {
	start := slot.Start
	e := cloneEvent(&s.Template)
	e.ID, e.SeriesID = OccurrenceID(s.ID, slot.Nominal), s.ID
	e.StartsAt, e.EndsAt = start, start.Add(s.Rule.Duration)
	e.RegistrationOpensAt, e.RegistrationClosesAt = nil, nil
	if s.RegistrationOpensBefore > 0 {
		t := start.Add(-s.RegistrationOpensBefore)
		e.RegistrationOpensAt = &t
	}
	if s.RegistrationClosesBefore > 0 {
		t := start.Add(-s.RegistrationClosesBefore)
		e.RegistrationClosesAt = &t
	}
	e.Status = EventDraft
	if s.Publish {
		e.Status = EventPublished
	}
	e.CancelReason, e.ConfirmedCount, e.WaitlistCount, e.CheckedInCount = "", 0, 0, 0
	e.CreatedAt, e.UpdatedAt = now, now
	normalizeEvent(e)
	return e
}

// Validate checks a series as an organizer enters it; the template is
// checked as its next occurrence would be.
func (s *Series) Validate() error {
	f := FieldErrors{}
	for k, v := range ErrorFields(s.Rule.Validate()) {
		f.Add(k, v)
	}
	if s.Months < 1 || s.Months > maxSeriesMonths {
		f.Add("months", fmt.Sprintf("作成する期間は1〜%dか月で指定してください。", maxSeriesMonths))
	}
	if s.RegistrationOpensBefore < 0 || s.RegistrationOpensBefore > maxWindowBefore {
		f.Add("registration_opens_before", "受付開始は開始の366日前までの範囲で指定してください。")
	}
	if s.RegistrationClosesBefore < 0 || s.RegistrationClosesBefore > maxWindowBefore {
		f.Add("registration_closes_before", "申込締切は開始の366日前までの範囲で指定してください。")
	}
	if s.RegistrationOpensBefore > 0 && s.RegistrationClosesBefore >= s.RegistrationOpensBefore {
		f.Add("registration_closes_before", "申込締切は受付開始より後（開始に近い時刻）にしてください。")
	}
	if len(f) == 0 {
		start := s.Rule.InMonth(2030, time.January)
		sample := s.Occurrence(start, start)
		for k, v := range ErrorFields(sample.Validate()) {
			f.Add(k, v)
		}
	}
	return f.Err()
}

// SeriesEdit is the outcome of creating or editing a series.
type SeriesEdit struct {
	Series  *Series
	Created []*Event // occurrences created now
	Updated []*Event // future occurrences the edit was applied to
	Kept    []*Event // future occurrences left as they were: registrations, or edited by hand
}

// SeriesAdmin runs monthly series for organizers, and tops up their
// occurrences for the clock.
type SeriesAdmin struct {
	Store SeriesAdminStore
	Clock Clock
	// Log reports an audit entry that could not be written.
	Log *slog.Logger
}

// SeriesAdminStore is what series administration keeps and reads: the
// series, the occurrences it creates and rewrites, and the audit log.
type SeriesAdminStore interface {
	SeriesStore
	// CreateEvent stores a new event. Conflict when the id exists.
	CreateEvent(ctx context.Context, e *Event) error
	// UpdateEvent is as EventAdminStore says.
	UpdateEvent(ctx context.Context, u EventUpdate) (*Event, error)
	// HasRegistrations reports whether anyone ever registered for the
	// event, cancelled registrations included, read consistently.
	HasRegistrations(ctx context.Context, eventID string) (bool, error)
	AuditAppender
}

// CreateSeries stores a series and creates its occurrences from now to
// Months months ahead, published or draft as s.Publish says.
func (a *SeriesAdmin) CreateSeries(ctx context.Context, v Viewer, in *Series) (*SeriesEdit, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	s := *in
	s.Template = *cloneEvent(&in.Template)
	s.ID, s.Version, s.CreatedAt, s.UpdatedAt = NewID(now), 0, now, now
	if s.Template.ReminderOffsets == nil {
		s.Template.ReminderOffsets = slices.Clone(DefaultReminderOffsets)
	}
	normalizeEvent(&s.Template)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := a.Store.CreateSeries(ctx, &s); err != nil {
		return nil, err
	}
	created, err := a.ensure(ctx, &s, now.AddDate(0, s.Months, 0))
	state := "下書き"
	if s.Publish {
		state = "公開"
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditSeriesCreate, "series", s.ID,
		fmt.Sprintf("シリーズ「%s」（%s）を作成、開催%d件を%sで作成", s.Template.Title, s.Rule.Label(), len(created), state))
	if err != nil {
		return nil, err
	}
	return &SeriesEdit{Series: &s, Created: created}, nil
}

// ensure creates the occurrences of s that start after now and before
// until and are not in the table yet. An occurrence that exists — created
// by an earlier run, moved or cancelled by an organizer — is left alone:
// its derived id is taken. A day that already has an occurrence under
// another id (an event an organizer put in the series by hand) is skipped
// too.
func (a *SeriesAdmin) ensure(ctx context.Context, s *Series, until time.Time) ([]*Event, error) {
	now := a.Clock.Now()
	existing, err := a.Store.SeriesOccurrences(ctx, s.ID, now)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, o := range existing {
		taken[o.StartsAt.In(Tokyo).Format(time.DateOnly)] = true
	}
	var created []*Event
	from := now
	for {
		slot := s.Rule.Slots(from, 1)[0]
		if slot.Skipped() {
			if !slot.Nominal.Before(until) {
				return created, nil
			}
			from = slot.Nominal
			continue
		}
		next := slot.Start
		if !next.Before(until) {
			return created, nil
		}
		from = next
		if taken[next.Format(time.DateOnly)] {
			continue
		}
		e := s.occurrence(slot, now)
		err := a.Store.CreateEvent(ctx, e)
		if ErrorCode(err) == Conflict {
			continue
		}
		if err != nil {
			return created, err
		}
		created = append(created, e)
	}
}

// EnsureSeriesOccurrences creates the occurrences of series id that start
// before until and are missing. It is the clock's work (no viewer) and
// idempotent: occurrence ids are derived from the series and the day, so
// overlapping runs never duplicate one.
func (a *SeriesAdmin) EnsureSeriesOccurrences(ctx context.Context, seriesID string, until time.Time) ([]*Event, error) {
	s, err := a.Store.Series(ctx, seriesID)
	if err != nil {
		return nil, err
	}
	created, err := a.ensure(ctx, s, until)
	if len(created) > 0 {
		auditor{a.Store, a.Clock, a.Log}.record(ctx, SystemActor, AuditSeriesExtend, "series", s.ID,
			fmt.Sprintf("シリーズ「%s」の開催を%d件作成", s.Template.Title, len(created)))
	}
	return created, err
}

// EnsureAllSeries tops up every series to its horizon (now plus its
// Months) and returns how many occurrences it created. The scheduled sweep
// calls it.
func (a *SeriesAdmin) EnsureAllSeries(ctx context.Context) (int, error) {
	all, err := a.Store.AllSeries(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range all {
		created, err := a.EnsureSeriesOccurrences(ctx, s.ID, a.Clock.Now().AddDate(0, s.Months, 0))
		n += len(created)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ListSeries returns every series, oldest first.
func (a *SeriesAdmin) ListSeries(ctx context.Context, v Viewer) ([]*Series, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	return a.Store.AllSeries(ctx)
}

// Series returns a series and its occurrences from now on.
func (a *SeriesAdmin) Series(ctx context.Context, v Viewer, id string) (*Series, []*Event, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	s, err := a.Store.Series(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	occ, err := a.Store.SeriesOccurrences(ctx, id, a.Clock.Now())
	return s, occ, err
}

// UpdateSeries edits series id: apply sets the changes on a copy. The
// rule's week and weekday are fixed (a different day is a new series);
// its time and length, the template, the window, Months and Publish may
// change. The edit is applied to every future occurrence that nobody ever
// registered for and no organizer edited by hand; the rest are kept.
func (a *SeriesAdmin) UpdateSeries(ctx context.Context, v Viewer, id string, apply func(s *Series) error) (*SeriesEdit, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	var s *Series
	err := RetryOn(editAttempts, func() error {
		cur, err := a.Store.Series(ctx, id)
		if err != nil {
			return err
		}
		next := *cur
		next.Template = *cloneEvent(&cur.Template)
		if err := apply(&next); err != nil {
			return err
		}
		next.ID, next.Version, next.CreatedAt = cur.ID, cur.Version, cur.CreatedAt
		if next.Rule.Week != cur.Rule.Week || next.Rule.Weekday != cur.Rule.Weekday {
			return FieldErrors{"rule": "第何週・曜日は変更できません。別の日程は新しいシリーズとして作成してください。"}.Err()
		}
		normalizeEvent(&next.Template)
		if err := next.Validate(); err != nil {
			return err
		}
		next.UpdatedAt = after(a.Clock, cur.UpdatedAt)
		s = &next
		return a.Store.UpdateSeries(ctx, &next)
	}, ErrSeriesChanged)
	if err != nil {
		return nil, err
	}
	edit := &SeriesEdit{Series: s}
	now := a.Clock.Now()
	occ, err := a.Store.SeriesOccurrences(ctx, id, now)
	if err != nil {
		return nil, err
	}
	var followErrs []error // occurrences written whose reminders did not follow
	for _, o := range occ {
		updated, applied, err := a.applyTemplate(ctx, s, o)
		if err != nil && !applied {
			return nil, err
		}
		followErrs = append(followErrs, err)
		if applied {
			edit.Updated = append(edit.Updated, updated)
		} else {
			edit.Kept = append(edit.Kept, o)
		}
	}
	edit.Created, err = a.ensure(ctx, s, now.AddDate(0, s.Months, 0))
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditSeriesUpdate, "series", id,
		fmt.Sprintf("シリーズ「%s」を変更、今後の開催%d件に反映（%d件は申込あり・個別編集のため据え置き）、%d件を新規作成",
			s.Template.Title, len(edit.Updated), len(edit.Kept), len(edit.Created)))
	return edit, errors.Join(append(followErrs, err)...)
}

// applyTemplate rewrites occurrence o from the series template, keeping its
// day, id and status, when nobody ever registered and nobody edited it by
// hand; applied is false when o is kept as it is.
func (a *SeriesAdmin) applyTemplate(ctx context.Context, s *Series, o *Event) (*Event, bool, error) {
	if o.Status == EventCancelled || o.ConfirmedCount > 0 || o.WaitlistCount > 0 {
		return o, false, nil
	}
	has, err := a.Store.HasRegistrations(ctx, o.ID)
	if err != nil || has {
		return o, false, err
	}
	start := s.Rule.occurrenceStart(o.StartsAt)
	if slot, ok := s.slotOf(o); ok && !slot.Skipped() {
		start = slot.Start // the holiday policy may have changed: follow it
	}
	next := s.Occurrence(start, a.Clock.Now())
	next.ID, next.Status, next.CreatedAt = o.ID, o.Status, o.CreatedAt
	if len(changedFields(o, next)) == 0 {
		return o, true, nil // already as the template says
	}
	next.UpdatedAt = after(a.Clock, o.UpdatedAt)
	stored, err := a.Store.UpdateEvent(ctx, EventUpdate{Event: next, ReadAt: o.UpdatedAt, Status: o.Status, Untouched: true})
	if errors.Is(err, ErrOccurrenceTaken) || errors.Is(err, ErrEventChanged) {
		return o, false, nil // someone registered or edited it meanwhile: theirs wins
	}
	if stored != nil {
		return stored, true, err // stored; err is only about its reminders
	}
	return o, false, err
}

// slotOf finds the month whose slot o was made for, by its derived id: the
// rule's day in o's month or a neighbour (a moved occurrence may have
// crossed a month's end). An event an organizer added to the series by
// hand has none.
func (s *Series) slotOf(o *Event) (Slot, bool) {
	t := o.StartsAt.In(Tokyo)
	for _, k := range []int{0, -1, 1} {
		m := time.Date(t.Year(), t.Month()+time.Month(k), 1, 0, 0, 0, 0, Tokyo)
		slot := s.Rule.SlotIn(m.Year(), m.Month())
		if OccurrenceID(s.ID, slot.Nominal) == o.ID {
			return slot, true
		}
	}
	return Slot{}, false
}

// UpcomingSlots returns the series' slots from now to its horizon (now
// plus Months months), skipped and moved ones marked, for the organizer's
// preview of coming dates.
func (s *Series) UpcomingSlots(now time.Time) []Slot {
	until := now.AddDate(0, s.Months, 0)
	var out []Slot
	for _, slot := range s.Rule.Slots(now, s.Months+2) {
		if !slot.Nominal.Before(until) {
			break
		}
		out = append(out, slot)
	}
	return out
}

// Upcoming previews series s's dates from now to its horizon, holiday
// policy applied.
func (a *SeriesAdmin) Upcoming(s *Series) []Slot { return s.UpcomingSlots(a.Clock.Now()) }

// SkippedMonth reports whether occurrence o was made for a month the
// series' holiday policy now skips, and the holiday that skips it: an
// occurrence created before the organizer chose skip stays until cancelled
// by hand, and the console marks it.
func (s *Series) SkippedMonth(o *Event) (string, bool) {
	slot, ok := s.slotOf(o)
	if !ok || !slot.Skipped() {
		return "", false
	}
	return slot.Holiday, true
}
