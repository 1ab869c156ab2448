package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// dueAt lists the reminders due at now as "<event id>/<offset>" strings.
func dueAt(t *testing.T, s *dynamo.Store, now time.Time) []string {
	t.Helper()
	due, err := s.DueReminders(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, d := range due {
		if !d.DueAt.Equal(d.StartsAt.Add(-d.Offset)) {
			t.Errorf("%s/%s: due %v, start %v", d.EventID, d.Offset, d.DueAt, d.StartsAt)
		}
		out = append(out, d.EventID+"/"+d.Offset.String())
	}
	return out
}

func dueOf(t *testing.T, s *dynamo.Store, now time.Time, eventID string, offset time.Duration) community.DueReminder {
	t.Helper()
	due, err := s.DueReminders(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range due {
		if d.EventID == eventID && d.Offset == offset {
			return d
		}
	}
	t.Fatalf("%s/%s is not due at %v", eventID, offset, now)
	return community.DueReminder{}
}

func TestSyncEventReminders(t *testing.T) {
	ctx := context.Background()

	t.Run("CreateWritesDefaults", func(t *testing.T) {
		s, _, _ := newStore(t)
		e := newEvent(base, community.KindMeeting, community.EventPublished)
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			now  time.Time
			want []string
		}{
			{"Before24h", base.Add(-24*time.Hour - time.Second), []string{}},
			{"At24h", base.Add(-24 * time.Hour), []string{e.ID + "/24h0m0s"}},
			{"At1h", base.Add(-time.Hour), []string{e.ID + "/24h0m0s", e.ID + "/1h0m0s"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := dueAt(t, s, tt.now); !slices.Equal(got, tt.want) {
					t.Errorf("due = %v, want %v", got, tt.want)
				}
			})
		}
		if err := s.CreateEvent(ctx, e); !errors.Is(err, community.ErrEventExists) {
			t.Errorf("second create: %v, want event_exists", err)
		}
	})

	t.Run("NoneForDraftsAndEmptyOffsets", func(t *testing.T) {
		s, _, _ := newStore(t)
		draft := newEvent(base, community.KindMeeting, community.EventDraft)
		none := newEvent(base.Add(time.Minute), community.KindMeeting, community.EventPublished)
		none.ReminderOffsets = []time.Duration{}
		series := newEvent(base.Add(2*time.Minute), community.KindMeeting, community.EventDraft)
		series.SeriesID = community.NewID(base)
		for _, e := range []*community.Event{draft, none, series} {
			if err := s.CreateEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if got := dueAt(t, s, base.Add(time.Hour)); len(got) != 0 {
			t.Errorf("due = %v, want none", got)
		}
		// [] (none) and nil (defaults) survive the round trip apart.
		got, err := s.Event(ctx, none.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ReminderOffsets == nil || len(got.ReminderOffsets) != 0 {
			t.Errorf("offsets of %q = %#v, want empty, non-nil", none.Title, got.ReminderOffsets)
		}
		if got, err := s.Event(ctx, draft.ID); err != nil || got.ReminderOffsets != nil {
			t.Errorf("offsets of an unset event = %#v, %v; want nil", got.ReminderOffsets, err)
		}
	})

	t.Run("FollowsTheEvent", func(t *testing.T) {
		s, _, _ := newStore(t)
		e := newEvent(base, community.KindMeeting, community.EventPublished)
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		at1h := base.Add(-time.Hour)
		d := dueOf(t, s, at1h, e.ID, time.Hour)
		if err := s.FinishReminder(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, at1h); !slices.Equal(got, []string{e.ID + "/24h0m0s"}) {
			t.Fatalf("after finishing 1h: due = %v", got)
		}
		// Syncing the unchanged event leaves the finished reminder finished.
		if err := s.SyncEventReminders(ctx, e); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, at1h); !slices.Equal(got, []string{e.ID + "/24h0m0s"}) {
			t.Fatalf("after a no-op sync: due = %v", got)
		}
		// Moved two hours later: both due again, at the new times.
		moved := *e
		moved.StartsAt = base.Add(2 * time.Hour)
		if err := s.SyncEventReminders(ctx, &moved); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, at1h); !slices.Equal(got, []string{e.ID + "/24h0m0s"}) {
			t.Errorf("after the move, due at the old 1h mark = %v, want only the new 24h", got)
		}
		if got := dueAt(t, s, moved.StartsAt.Add(-time.Hour)); !slices.Equal(got, []string{e.ID + "/24h0m0s", e.ID + "/1h0m0s"}) {
			t.Errorf("after the move: due = %v", got)
		}
		// A sweep that read the old start cannot finish or drop the new one.
		if err := s.FinishReminder(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := s.DropReminder(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, moved.StartsAt.Add(-time.Hour)); len(got) != 2 {
			t.Errorf("a stale finish or drop took effect: due = %v", got)
		}
		// Other offsets: the old ones go, the new one comes.
		moved.ReminderOffsets = []time.Duration{30 * time.Minute}
		if err := s.SyncEventReminders(ctx, &moved); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, moved.StartsAt); !slices.Equal(got, []string{e.ID + "/30m0s"}) {
			t.Errorf("after new offsets: due = %v", got)
		}
		// Cancelled: nothing left.
		moved.Status = community.EventCancelled
		if err := s.SyncEventReminders(ctx, &moved); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, moved.StartsAt); len(got) != 0 {
			t.Errorf("after cancelling: due = %v", got)
		}
		// Published again: due again (claims keep anyone from a second mail).
		moved.Status = community.EventPublished
		if err := s.SyncEventReminders(ctx, &moved); err != nil {
			t.Fatal(err)
		}
		d30 := dueOf(t, s, moved.StartsAt, e.ID, 30*time.Minute)
		if err := s.DropReminder(ctx, d30); err != nil {
			t.Fatal(err)
		}
		if got := dueAt(t, s, moved.StartsAt); len(got) != 0 {
			t.Errorf("after dropping: due = %v", got)
		}
	})
}

// TestHandOverReminders: a reminder handed over is an outbox mail and a
// mark on its registration, written together; handing it over again owes
// nothing, another offset or start is another reminder, and a registration
// no longer confirmed gets none.
func TestHandOverReminders(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 0, false)
	r := guestReg(e, "ゲスト", "handover@example.jp")
	register(t, s, e, r, community.RegistrationConfirmed)
	other := guestReg(e, "ゲスト", "handover-other@example.jp")
	register(t, s, e, other, community.RegistrationConfirmed)
	mail := func(reg *community.Registration, offset time.Duration, start time.Time) community.Mail {
		return community.ReminderMail(community.DueReminder{EventID: e.ID, Offset: offset, StartsAt: start, DueAt: start.Add(-offset)}, reg, base)
	}
	try := func(t *testing.T, mails []community.Mail, want ...community.HandOver) {
		t.Helper()
		got, err := s.HandOverReminders(ctx, mails)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("hand over = %v, want %v", got, want)
		}
	}
	unsent := func(t *testing.T) []string {
		t.Helper()
		ms, err := s.UnsentMail(ctx, base.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range ms {
			if m.Kind == community.MailReminder {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	hour := mail(r, time.Hour, e.StartsAt)
	t.Run("HandedOver", func(t *testing.T) {
		try(t, []community.Mail{hour, mail(other, time.Hour, e.StartsAt)}, community.HandedOver, community.HandedOver)
		got, err := s.Registration(ctx, e.ID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{community.ReminderMark(time.Hour, e.StartsAt)}; !slices.Equal(got.RemindersSent, want) {
			t.Errorf("reminders_sent = %v, want %v", got.RemindersSent, want)
		}
		ms, err := s.UnsentMail(ctx, base.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var m *community.Mail
		for i := range ms {
			if ms[i].ID == hour.ID {
				m = &ms[i]
			}
		}
		if m == nil || m.Offset != time.Hour || !m.StartsAt.Equal(e.StartsAt) || m.RegistrationID != r.ID || m.EventID != e.ID {
			t.Errorf("outbox mail %+v, want the 1 h reminder of %s for %v", m, r.ID, e.StartsAt)
		}
	})
	t.Run("Again", func(t *testing.T) {
		// In one batch with one still owed: that one commits all the same.
		try(t, []community.Mail{hour, mail(r, 24*time.Hour, e.StartsAt)}, community.HandOverDone, community.HandedOver)
		if got := len(unsent(t)); got != 3 {
			t.Errorf("%d reminder mails owed, want 3", got)
		}
	})
	t.Run("OtherStart", func(t *testing.T) {
		try(t, []community.Mail{mail(r, time.Hour, e.StartsAt.Add(time.Hour))}, community.HandedOver)
	})
	t.Run("NotConfirmed", func(t *testing.T) {
		if _, _, err := s.CancelRegistration(ctx, e.ID, other.ID, base); err != nil {
			t.Fatal(err)
		}
		try(t, []community.Mail{mail(other, 24*time.Hour, e.StartsAt)}, community.HandOverNotConfirmed)
		gone := mail(other, time.Hour, e.StartsAt)
		gone.RegistrationID = community.NewID(base)
		try(t, []community.Mail{gone}, community.HandOverNotConfirmed)
		if got := len(unsent(t)); got != 4 {
			t.Errorf("%d reminder mails owed, want 4", got)
		}
	})
}

// TestHandOverRace: of many sweeps handing one reminder over at once,
// exactly one owes it.
func TestHandOverRace(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 0, false)
	r := guestReg(e, "ゲスト", "race@example.jp")
	register(t, s, e, r, community.RegistrationConfirmed)
	const racers = 20
	results := make([]community.HandOver, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := community.ReminderMail(community.DueReminder{EventID: e.ID, Offset: time.Hour, StartsAt: e.StartsAt}, r, base)
			got, err := s.HandOverReminders(ctx, []community.Mail{m})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = got[0]
		}()
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		if r == community.HandedOver {
			won++
		} else if r != community.HandOverDone {
			t.Errorf("result %v, want handed over or done", r)
		}
	}
	if won != 1 {
		t.Errorf("%d sweeps handed it over, want 1", won)
	}
}

// TestOptOutRegistration: a registration's opt-outs are a set read back
// with it; an unknown registration is not found.
func TestOptOutRegistration(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 0, false)
	r := guestReg(e, "ゲスト", "optout@example.jp")
	register(t, s, e, r, community.RegistrationConfirmed)
	for _, list := range []string{community.ListReminders, community.ListMessages, community.ListReminders} {
		if err := s.OptOutRegistration(ctx, e.ID, r.ID, list); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Registration(ctx, e.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{community.ListMessages, community.ListReminders}; !slices.Equal(got.OptOuts, want) {
		t.Errorf("opt-outs = %v, want %v", got.OptOuts, want)
	}
	wantErr(t, s.OptOutRegistration(ctx, e.ID, community.NewID(base), community.ListMessages), community.ErrRegistrationNotFound)
}

// TestConfirmedAtOfPromotion: the promotion time is what ConfirmedAt reads
// for a registration that waited, so the reminder rule sees when the seat
// was really taken.
func TestConfirmedAtOfPromotion(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 1, true)
	first, waiting := memberReg(e), memberReg(e)
	register(t, s, e, first, community.RegistrationConfirmed)
	register(t, s, e, waiting, community.RegistrationWaitlisted)
	promotedAt := base.Add(3 * time.Hour)
	if _, _, err := s.CancelRegistration(ctx, e.ID, first.ID, promotedAt); err != nil {
		t.Fatal(err)
	}
	// Check-in and a moved event must not disturb it.
	if _, err := s.SetCheckIn(ctx, e.ID, waiting.ID, &promotedAt); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveRegistrations(ctx, e.ID, e.StartsAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	regs := allRegs(t, s, e.ID, community.RegistrationConfirmed, 10)
	if len(regs) != 1 || regs[0].ID != waiting.ID {
		t.Fatalf("confirmed = %v, want the promoted one", regIDs(regs))
	}
	if got := community.ConfirmedAt(regs[0]); !got.Equal(promotedAt) {
		t.Errorf("ConfirmedAt = %v, want the promotion %v", got, promotedAt)
	}
	if got := community.ConfirmedAt(first); !got.Equal(first.CreatedAt) {
		t.Errorf("ConfirmedAt of a direct seat = %v, want its creation %v", got, first.CreatedAt)
	}
	if diff := cmp.Diff(regs[0].CreatedAt, waiting.CreatedAt); diff != "" {
		t.Errorf("created_at changed: %s", diff)
	}
}
