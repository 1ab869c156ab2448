package community

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestReminderOffsetsOf(t *testing.T) {
	tests := []struct {
		name string
		offs []time.Duration
		want []time.Duration
	}{
		{"UnsetMeansDefaults", nil, []time.Duration{24 * time.Hour, time.Hour}},
		{"EmptyMeansNone", []time.Duration{}, []time.Duration{}},
		{"SortedLongestFirst", []time.Duration{time.Hour, 48 * time.Hour, 30 * time.Minute}, []time.Duration{48 * time.Hour, time.Hour, 30 * time.Minute}},
		{"DuplicatesAndNonsenseDropped", []time.Duration{time.Hour, time.Hour + 300*time.Millisecond, 0, -time.Hour}, []time.Duration{time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReminderOffsetsOf(&Event{ReminderOffsets: tt.offs}); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReminderRules(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	d24 := DueReminder{EventID: "e", Offset: 24 * time.Hour, StartsAt: start, DueAt: start.Add(-24 * time.Hour)}
	active := &Member{ID: "m", Email: "m@example.jp", Status: MemberActive, Preferences: Preferences{Reminders: true}}
	reg := func(created time.Time, seq int64, updated time.Time) *Registration {
		return &Registration{ID: "r", EventID: "e", MemberID: "m", Status: RegistrationConfirmed, CreatedAt: created, UpdatedAt: updated, WaitlistSeq: seq}
	}
	before := start.Add(-48 * time.Hour)
	tests := []struct {
		name  string
		r     *Registration
		m     *Member
		guest bool
		want  string
	}{
		{"Sent", reg(before, 0, before), active, false, ""},
		{"ExactlyAtDue", reg(d24.DueAt, 0, d24.DueAt), active, false, ""},
		{"RegisteredAfterDue", reg(start.Add(-2*time.Hour), 0, start.Add(-2*time.Hour)), active, false, SkipLate},
		{"PromotedAfterDue", reg(before, 3, start.Add(-3*time.Hour)), active, false, SkipLate},
		{"PromotedBeforeDue", reg(before, 3, start.Add(-30*time.Hour)), active, false, ""},
		{"OptedOut", reg(before, 0, before), &Member{Email: "m@example.jp", Status: MemberActive}, false, SkipOptedOut},
		{"Suspended", reg(before, 0, before), &Member{Email: "m@example.jp", Status: MemberSuspended, Preferences: Preferences{Reminders: true}}, false, SkipInactive},
		{"Withdrawn", reg(before, 0, before), &Member{Status: MemberWithdrawn, Preferences: Preferences{Reminders: true}}, false, SkipInactive},
		{"UnknownMember", reg(before, 0, before), nil, false, SkipInactive},
		{"Guest", reg(before, 0, before), nil, true, ""},
		{"AlreadyMarked", func() *Registration {
			r := reg(before, 0, before)
			r.RemindersSent = []string{ReminderMark(24*time.Hour, start)}
			return r
		}(), active, false, SkipAlreadySent},
		{"MarkedForAnotherStart", func() *Registration {
			r := reg(before, 0, before)
			r.RemindersSent = []string{ReminderMark(24*time.Hour, start.Add(-time.Hour))}
			return r
		}(), active, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reminderSkip(d24, tt.r, tt.m, tt.guest); got != tt.want {
				t.Errorf("skip = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStartsIn(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	d := DueReminder{Offset: 24 * time.Hour, StartsAt: start, DueAt: start.Add(-24 * time.Hour)}
	tests := []struct {
		name string
		now  time.Time
		want time.Duration
	}{
		{"OnTime", d.DueAt, 24 * time.Hour},
		{"ANormalSweepLater", d.DueAt.Add(5 * time.Minute), 24 * time.Hour},
		{"MissedSweeps", d.DueAt.Add(time.Hour + 30*time.Second), 22*time.Hour + 59*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := startsIn(d, tt.now); got != tt.want {
				t.Errorf("startsIn = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSuperseded(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	e := &Event{StartsAt: start}
	d24 := DueReminder{Offset: 24 * time.Hour, StartsAt: start, DueAt: start.Add(-24 * time.Hour)}
	d1 := DueReminder{Offset: time.Hour, StartsAt: start, DueAt: start.Add(-time.Hour)}
	tests := []struct {
		name string
		d    DueReminder
		now  time.Time
		want bool
	}{
		{"24hAlone", d24, start.Add(-2 * time.Hour), false},
		{"24hWith1hDue", d24, start.Add(-30 * time.Minute), true},
		{"ShortestNever", d1, start.Add(-30 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := superseded(e, tt.d, tt.now); got != tt.want {
				t.Errorf("superseded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPacer(t *testing.T) {
	t.Run("Spaces", func(t *testing.T) {
		p := &pacer{every: 20 * time.Millisecond}
		start := time.Now()
		for range 6 {
			if err := p.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took < 100*time.Millisecond {
			t.Errorf("6 waits at 50/s took %v, want at least 100ms", took)
		}
	})
	t.Run("NilNeverWaits", func(t *testing.T) {
		var p *pacer
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		p := &pacer{every: time.Hour}
		ctx, cancel := context.WithCancel(context.Background())
		if err := p.wait(ctx); err != nil {
			t.Fatal(err) // the first slot is now
		}
		cancel()
		if err := p.wait(ctx); err == nil {
			t.Error("a canceled wait returned nil")
		}
	})
}
