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
		{"GuestOptedOut", func() *Registration {
			r := reg(before, 0, before)
			r.OptOuts = []string{ListReminders}
			return r
		}(), nil, true, SkipOptedOut},
		{"MessagesStoppedOnly", func() *Registration {
			r := reg(before, 0, before)
			r.OptOuts = []string{ListMessages}
			return r
		}(), nil, true, ""},
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
// is dues, and the outbox the mails handed over.
type memReminders struct {
	mu      sync.Mutex
	event   *Event
	regs    []*Registration
	dues    []DueReminder
	outbox  []Mail
	done    []DueReminder // finished
	dropped []DueReminder
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

func (s *memReminders) HandOverReminders(_ context.Context, mails []Mail) ([]HandOver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []HandOver
	for _, m := range mails {
		i := slices.IndexFunc(s.regs, func(r *Registration) bool { return r.ID == m.RegistrationID })
		mark := ReminderMark(m.Offset, m.StartsAt)
		switch {
		case i < 0 || s.regs[i].Status != RegistrationConfirmed:
			out = append(out, HandOverNotConfirmed)
		case slices.Contains(s.regs[i].RemindersSent, mark):
			out = append(out, HandOverDone)
		default:
			s.regs[i].RemindersSent = append(s.regs[i].RemindersSent, mark)
			s.outbox = append(s.outbox, m)
			out = append(out, HandedOver)
		}
	}
	return out, nil
}

// sentReminder is one reminder handed over: to which registration, and
// what its mail says about the start when the mailer sends it at once.
type sentReminder struct {
	reg      string
	startsIn time.Duration
}

// TestSweepSendsEveryDueReminder: when sweeps were missed and both the 24 h
// and the 1 h reminder of an event are due, each is handed over for
// everyone it is for — a missed sweep delays a reminder, never drops it —
// and both state the time actually left. Only a reminder already due when
// the person registered is skipped.
func TestSweepSendsEveryDueReminder(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		now        time.Time
		registered time.Time
		want       []sentReminder // in the order handed over
		late       int
		finished   int
	}{
		// The sweeps between 24 h and 30 min before were all missed.
		{"RegisteredBeforeBoth", start.Add(-30 * time.Minute), start.Add(-48 * time.Hour),
			[]sentReminder{{"r", 30 * time.Minute}, {"r", 30 * time.Minute}}, 0, 2},
		// As in the issue: registered 2 h before, the 1 h reminder only.
		{"RegisteredBetweenMarks", start.Add(-30 * time.Minute), start.Add(-2 * time.Hour),
			[]sentReminder{{"r", 30 * time.Minute}}, 1, 2},
		{"RegisteredAfterBoth", start.Add(-30 * time.Minute), start.Add(-45 * time.Minute),
			nil, 2, 2},
		// On time, the 1 h reminder is not due yet and the 24 h one says so.
		{"OnlyTheLongerDue", start.Add(-24*time.Hour + 2*time.Minute), start.Add(-48 * time.Hour),
			[]sentReminder{{"r", 24 * time.Hour}}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Event{ID: "e", Status: EventPublished, Audience: AudiencePublic, StartsAt: start, EndsAt: start.Add(time.Hour)}
			st := &memReminders{
				event: e,
				regs: []*Registration{{ID: "r", EventID: "e", Status: RegistrationConfirmed, CreatedAt: tt.registered, UpdatedAt: tt.registered,
					Guest: &Guest{Name: "ゲスト", Email: "g@example.jp"}}},
			}
			for _, off := range ReminderOffsetsOf(e) {
				st.dues = append(st.dues, DueReminder{EventID: "e", Offset: off, StartsAt: start, DueAt: start.Add(-off)})
			}
			svc := &Reminders{Store: st, Clock: ClockFunc(func() time.Time { return tt.now })}
			res, err := svc.Sweep(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var sent []sentReminder
			for _, m := range st.outbox {
				if m.Kind != MailReminder || m.EventID != "e" || !m.StartsAt.Equal(start) {
					t.Errorf("mail %+v", m)
				}
				sent = append(sent, sentReminder{m.RegistrationID, startsIn(DueReminder{Offset: m.Offset, StartsAt: m.StartsAt}, tt.now)})
			}
			if !slices.Equal(sent, tt.want) {
				t.Errorf("handed over %v, want %v", sent, tt.want)
			}
			if res.Sent != len(tt.want) || res.SkippedBy[SkipLate] != tt.late || res.Finished != tt.finished || res.Failed != 0 {
				t.Errorf("result %+v, want %d sent, %d late, %d finished", res, len(tt.want), tt.late, tt.finished)
			}
			// Nothing is left for a later sweep to hand over.
			again, err := svc.Sweep(context.Background())
			if err != nil || again.Due != 0 || again.Sent != 0 {
				t.Errorf("second sweep %+v, %v; want nothing due", again, err)
			}
		})
	}
}

// TestSweepStopsWithItsContext: a sweep whose context ended (its time
// budget) hands nothing over, reports why, and is no failure.
func TestSweepStopsWithItsContext(t *testing.T) {
	start := time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)
	e := &Event{ID: "e", Status: EventPublished, Audience: AudiencePublic, StartsAt: start, EndsAt: start.Add(time.Hour)}
	st := &memReminders{event: e, regs: []*Registration{{ID: "r", EventID: "e", Status: RegistrationConfirmed,
		CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-48 * time.Hour), Guest: &Guest{Name: "ゲスト", Email: "g@example.jp"}}},
		dues: []DueReminder{{EventID: "e", Offset: time.Hour, StartsAt: start, DueAt: start.Add(-time.Hour)}}}
	svc := &Reminders{Store: st, Clock: ClockFunc(func() time.Time { return start.Add(-30 * time.Minute) })}
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want string
	}{
		{"Budget", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, StopBudget},
		{"Canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, StopCanceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			res, err := svc.Sweep(ctx)
			if err != nil || res.Sent != 0 || res.Stopped != tt.want || len(st.outbox) != 0 {
				t.Errorf("sweep = %+v, %v; want nothing handed over, stopped %q", res, err, tt.want)
			}
		})
	}
}

// memReminders' event has no survey: none is ever due.
func (s *memReminders) DueSurveys(context.Context, time.Time) ([]DueSurvey, error) { return nil, nil }
func (s *memReminders) FinishSurvey(context.Context, DueSurvey) error              { return nil }
func (s *memReminders) HandOverSurveys(context.Context, []Mail, time.Time) ([]HandOver, error) {
	return nil, nil
}
func (s *memReminders) HandOverOrgSurvey(context.Context, *OrgSurvey, Mail) (HandOver, error) {
	return 0, nil
}
