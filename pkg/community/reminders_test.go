package community

import (
	"context"
	"slices"
	"sync"
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

// memReminders is an in-memory ReminderStore for one event: the schedule
// is dues, and a claim is settled or not.
type memReminders struct {
	mu      sync.Mutex
	event   *Event
	regs    []*Registration
	dues    []DueReminder
	claims  map[string]bool // claim key → settled (sent)
	done    []DueReminder   // finished
	dropped []DueReminder
}

func claimKey(regID string, off time.Duration, start time.Time) string {
	return regID + "/" + ReminderMark(off, start)
}

func (s *memReminders) Event(_ context.Context, id string) (*Event, error) {
	if id != s.event.ID {
		return nil, ErrEventNotFound
	}
	e := *s.event
	return &e, nil
}

func (s *memReminders) EventRegistrations(_ context.Context, _ string, status RegistrationStatus, _ int, _ string) ([]*Registration, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Registration
	for _, r := range s.regs {
		if r.Status == status {
			c := *r
			c.RemindersSent = slices.Clone(r.RemindersSent)
			out = append(out, &c)
		}
	}
	return out, "", nil
}

func (s *memReminders) MembersByID(context.Context, []string) (map[string]*Member, error) {
	return map[string]*Member{}, nil
}

func (s *memReminders) SyncEventReminders(context.Context, *Event) error { return nil }

func (s *memReminders) DueReminders(_ context.Context, now time.Time) ([]DueReminder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []DueReminder
	for _, d := range s.dues {
		if !d.DueAt.After(now) && !slices.Contains(s.done, d) && !slices.Contains(s.dropped, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *memReminders) FinishReminder(_ context.Context, d DueReminder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = append(s.done, d)
	return nil
}

func (s *memReminders) DropReminder(_ context.Context, d DueReminder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropped = append(s.dropped, d)
	return nil
}

func (s *memReminders) ClaimReminder(_ context.Context, c ReminderClaim, _ time.Time, _ time.Duration) (ClaimResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := claimKey(c.RegistrationID, c.Offset, c.StartsAt)
	if sent, ok := s.claims[k]; ok {
		if sent {
			return ClaimDone, nil
		}
		return ClaimBusy, nil
	}
	s.claims[k] = false
	return ClaimWon, nil
}

func (s *memReminders) CompleteReminder(_ context.Context, c ReminderClaim, outcome ReminderOutcome, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claims[claimKey(c.RegistrationID, c.Offset, c.StartsAt)] = true
	if outcome == ReminderSent {
		for _, r := range s.regs {
			if r.ID == c.RegistrationID {
				r.RemindersSent = append(r.RemindersSent, ReminderMark(c.Offset, c.StartsAt))
			}
		}
	}
	return nil
}

func (s *memReminders) ReleaseReminder(_ context.Context, c ReminderClaim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.claims, claimKey(c.RegistrationID, c.Offset, c.StartsAt))
	return nil
}

// sentReminder is one mail of recordingNotifier.
type sentReminder struct {
	to       string
	startsIn time.Duration
}

type recordingNotifier struct {
	mu   sync.Mutex
	sent []sentReminder
}

func (n *recordingNotifier) Reminder(_ context.Context, to Recipient, _ *Event, startsIn time.Duration, _, _, _ string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, sentReminder{to.Email, startsIn})
	return nil
}

type noLinks struct{}

func (noLinks) CancelLink(eventID, regID string) string      { return "https://x.example/c/" + regID }
func (noLinks) UnsubscribeLink(memberID, list string) string { return "" }

// TestSweepSendsEveryDueReminder: when sweeps were missed and both the 24 h
// and the 1 h reminder of an event are due, each goes to everyone it is
// for — a missed sweep delays a reminder, never drops it — and both state
// the time actually left. Only a reminder already due when the person
// registered is skipped.
func TestSweepSendsEveryDueReminder(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		now        time.Time
		registered time.Time
		want       []sentReminder // to "g", in the order sent
		late       int
		finished   int
	}{
		// The sweeps between 24 h and 30 min before were all missed.
		{"RegisteredBeforeBoth", start.Add(-30 * time.Minute), start.Add(-48 * time.Hour),
			[]sentReminder{{"g@example.jp", 30 * time.Minute}, {"g@example.jp", 30 * time.Minute}}, 0, 2},
		// As in the issue: registered 2 h before, the 1 h reminder only.
		{"RegisteredBetweenMarks", start.Add(-30 * time.Minute), start.Add(-2 * time.Hour),
			[]sentReminder{{"g@example.jp", 30 * time.Minute}}, 1, 2},
		{"RegisteredAfterBoth", start.Add(-30 * time.Minute), start.Add(-45 * time.Minute),
			nil, 2, 2},
		// On time, the 1 h reminder is not due yet and the 24 h one says so.
		{"OnlyTheLongerDue", start.Add(-24*time.Hour + 2*time.Minute), start.Add(-48 * time.Hour),
			[]sentReminder{{"g@example.jp", 24 * time.Hour}}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Event{ID: "e", Status: EventPublished, Audience: AudiencePublic, StartsAt: start, EndsAt: start.Add(time.Hour)}
			st := &memReminders{
				event: e,
				regs: []*Registration{{ID: "r", EventID: "e", Status: RegistrationConfirmed, CreatedAt: tt.registered, UpdatedAt: tt.registered,
					Guest: &Guest{Name: "ゲスト", Email: "g@example.jp"}}},
				claims: map[string]bool{},
			}
			for _, off := range ReminderOffsetsOf(e) {
				st.dues = append(st.dues, DueReminder{EventID: "e", Offset: off, StartsAt: start, DueAt: start.Add(-off)})
			}
			n := &recordingNotifier{}
			svc := &Reminders{Store: st, Notifier: n, Links: noLinks{}, Clock: ClockFunc(func() time.Time { return tt.now })}
			res, err := svc.Sweep(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(n.sent, tt.want) {
				t.Errorf("sent %v, want %v", n.sent, tt.want)
			}
			if res.Sent != len(tt.want) || res.SkippedBy[SkipLate] != tt.late || res.Finished != tt.finished || res.Failed != 0 {
				t.Errorf("result %+v, want %d sent, %d late, %d finished", res, len(tt.want), tt.late, tt.finished)
			}
			// Nothing is left for a later sweep to send.
			again, err := svc.Sweep(context.Background(), nil)
			if err != nil || again.Due != 0 || again.Sent != 0 {
				t.Errorf("second sweep %+v, %v; want nothing due", again, err)
			}
		})
	}
}
