package community

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func jst(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, Tokyo)
}

func validLecture() *Event {
	start := jst(2026, 5, 13, 19, 0)
	closes := start.Add(-24 * time.Hour)
	return &Event{
		Title: "私塾：橋梁点検の基礎", Kind: KindLecture, Audience: AudiencePublic,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute), OnlinePlatform: "Zoom",
		JoinURL: "https://zoom.example.jp/j/1", Capacity: 100, RegistrationClosesAt: &closes,
	}
}

func TestEventValidate(t *testing.T) {
	at := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name  string
		edit  func(e *Event)
		field string // "" for valid
	}{
		{"OK", func(e *Event) {}, ""},
		{"ErrEndBeforeStart", func(e *Event) { e.EndsAt = e.StartsAt.Add(-time.Minute) }, "ends_at"},
		{"ErrCapacity", func(e *Event) { e.Capacity = -1 }, "capacity"},
		{"ErrCapacityHuge", func(e *Event) { e.Capacity = maxCapacity + 1 }, "capacity"},
		{"ErrAudience", func(e *Event) { e.Audience = "vip" }, "audience"},
		{"ErrKind", func(e *Event) { e.Kind = "party" }, "kind"},
		{"ErrHTTPJoinURL", func(e *Event) { e.JoinURL = "http://zoom.example.jp/j/1" }, "join_url"},
		{"ErrJoinURLSpace", func(e *Event) { e.JoinURL = "https://zoom.example.jp/j/1 x" }, "join_url"},
		{"ErrClosesAfterStart", func(e *Event) { e.RegistrationClosesAt = at(e.StartsAt.Add(time.Hour)) }, "registration_closes_at"},
		{"ErrClosesAtStart", func(e *Event) { e.RegistrationClosesAt = at(e.StartsAt) }, "registration_closes_at"},
		{"ErrOpensAtStart", func(e *Event) { e.RegistrationOpensAt = at(e.StartsAt); e.RegistrationClosesAt = nil }, "registration_opens_at"},
		{"ErrAgeRange", func(e *Event) { lo, hi := 40, 25; e.Eligibility = &Eligibility{MinAge: &lo, MaxAge: &hi} }, "eligibility.max_age"},
		{"ErrTitleNewline", func(e *Event) { e.Title = "私塾\r\nBcc: x@example.jp" }, "title"},
		{"ErrNoTitle", func(e *Event) { e.Title = "" }, "title"},
		{"ErrSpeakerEmpty", func(e *Event) { e.Speakers = []string{" "} }, "speakers"},
		{"ErrReminder", func(e *Event) { e.ReminderOffsets = []time.Duration{-time.Hour} }, "reminder_offsets"},
		{"ErrVenueEmpty", func(e *Event) { e.Venue = &Venue{} }, "venue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validLecture()
			tt.edit(e)
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid event refused: %v", err)
				}
				return
			}
			if ErrorCode(err) != Invalid || !errors.Is(err, ErrValidation) {
				t.Fatalf("err = %v, want invalid/validation_failed", err)
			}
			if _, ok := ErrorFields(err)[tt.field]; !ok {
				t.Errorf("fields %v, want one for %s", ErrorFields(err), tt.field)
			}
		})
	}
}

func TestNormalizeEvent(t *testing.T) {
	e := validLecture()
	e.Title = "  私塾  "
	e.StartsAt = e.StartsAt.Add(300 * time.Millisecond)
	e.ReminderOffsets = []time.Duration{time.Hour, 24 * time.Hour, time.Hour}
	e.Eligibility = &Eligibility{}
	normalizeEvent(e)
	if e.Title != "私塾" || e.StartsAt.Nanosecond() != 0 || e.StartsAt.Location() != time.UTC || e.Eligibility != nil {
		t.Errorf("normalized %+v", e)
	}
	if want := []time.Duration{24 * time.Hour, time.Hour}; !slices.Equal(e.ReminderOffsets, want) {
		t.Errorf("reminders %v, want %v", e.ReminderOffsets, want)
	}
}

func TestChangedFields(t *testing.T) {
	a := validLecture()
	b := cloneEvent(a)
	if got := changedFields(a, b); len(got) != 0 {
		t.Fatalf("a clone differs in %v", got)
	}
	b.Capacity, b.Venue = 50, &Venue{Name: "会場"}
	b.RegistrationClosesAt = nil
	if got, want := changedFields(a, b), []string{"venue", "capacity", "registration_closes_at"}; !slices.Equal(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
	b.Speakers = append(b.Speakers, "講師")
	if a.Speakers != nil {
		t.Error("editing the clone changed the original")
	}
}

func TestAuditSummary(t *testing.T) {
	got := auditSummary("「私塾 https://zoom.example.jp/j/81?pwd=x」を作成、連絡先 yamada@example.jp\nへ")
	for _, secret := range []string{"zoom.example.jp", "pwd=x", "yamada@example.jp", "\n"} {
		if strings.Contains(got, secret) {
			t.Errorf("summary %q still holds %q", got, secret)
		}
	}
	if !strings.Contains(got, "（URL）") || !strings.Contains(got, "（メールアドレス）") {
		t.Errorf("summary %q does not say what was removed", got)
	}
	if long := auditSummary(strings.Repeat("あ", 400)); len([]rune(long)) != 300 {
		t.Errorf("long summary has %d runes, want 300", len([]rune(long)))
	}
}

func TestRequireOrganizer(t *testing.T) {
	organizer := &Member{ID: "o", Role: RoleOrganizer, Status: MemberActive}
	suspended := &Member{ID: "s", Role: RoleOrganizer, Status: MemberSuspended}
	member := &Member{ID: "m", Role: RoleMember, Status: MemberActive}
	tests := []struct {
		name string
		v    Viewer
		want Code
	}{
		{"OK", Viewer{Member: organizer}, ""},
		{"ErrAnonymous", Viewer{}, Unauthorized},
		{"ErrMember", Viewer{Member: member}, Forbidden},
		{"ErrSuspendedOrganizer", Viewer{Member: suspended}, Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(RequireOrganizer(tt.v)); got != tt.want {
				t.Errorf("code %q, want %q", got, tt.want)
			}
		})
	}
}

func secondTuesdaySeries() *Series {
	return &Series{
		ID: "01jseries000000000000000000",
		Template: Event{
			Title: "正会員の井戸端会議", Kind: KindMeeting, Audience: AudienceRegular, OnlinePlatform: "Zoom",
			JoinURL: "https://zoom.example.jp/j/2", ReminderOffsets: []time.Duration{24 * time.Hour, time.Hour},
		},
		Rule:                     MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour},
		RegistrationOpensBefore:  14 * 24 * time.Hour,
		RegistrationClosesBefore: 30 * time.Minute,
		Months:                   6,
		Publish:                  true,
	}
}

// The dates are second Tuesdays read off a calendar, not computed:
// September and December 2026 start on a Tuesday, and January 2027 is
// across the turn of the year.
func TestSeriesOccurrence(t *testing.T) {
	s := secondTuesdaySeries()
	now := jst(2025, 4, 1, 0, 0)
	for _, day := range []string{"2025-05-13", "2025-06-10", "2026-01-13", "2026-02-10", "2026-03-10", "2026-09-08", "2026-12-08", "2027-01-12"} {
		t.Run(day, func(t *testing.T) {
			d, _ := time.ParseInLocation(time.DateOnly, day, Tokyo)
			start := s.Rule.InMonth(d.Year(), d.Month())
			e := s.Occurrence(start, now)
			if got := e.StartsAt.In(Tokyo).Format("2006-01-02 15:04"); got != day+" 18:00" {
				t.Errorf("starts %s, want %s 18:00", got, day)
			}
			if got := e.EndsAt.In(Tokyo).Format("15:04"); got != "19:00" {
				t.Errorf("ends %s, want 19:00", got)
			}
			if e.StartsAt.UTC().Hour() != 9 {
				t.Errorf("UTC start %v, want 09:00Z", e.StartsAt.UTC())
			}
			if o := e.RegistrationOpensAt; o == nil || o.In(Tokyo).Format("2006-01-02 15:04") != d.AddDate(0, 0, -14).Format("2006-01-02")+" 18:00" {
				t.Errorf("opens %v, want 14 days before", o)
			}
			if c := e.RegistrationClosesAt; c == nil || c.In(Tokyo).Format("15:04") != "17:30" {
				t.Errorf("closes %v, want 17:30", c)
			}
			if e.Status != EventPublished || e.SeriesID != s.ID || e.JoinURL != s.Template.JoinURL || !ValidID(e.ID) {
				t.Errorf("occurrence %+v", e)
			}
			if err := e.Validate(); err != nil {
				t.Errorf("occurrence invalid: %v", err)
			}
		})
	}
}

func TestOccurrenceID(t *testing.T) {
	a := OccurrenceID("s1", jst(2026, 1, 13, 18, 0))
	if !ValidID(a) {
		t.Fatalf("%q is not an id", a)
	}
	if b := OccurrenceID("s1", jst(2026, 1, 13, 19, 30)); b != a {
		t.Errorf("same day, other time: %s != %s (a moved start must keep its id)", b, a)
	}
	// 2026-01-13 00:30 JST is the 12th in UTC: the Tokyo day decides.
	if b := OccurrenceID("s1", time.Date(2026, 1, 12, 15, 30, 0, 0, time.UTC)); b != a {
		t.Errorf("the UTC day leaked into the id: %s != %s", b, a)
	}
	for _, other := range []string{OccurrenceID("s1", jst(2026, 2, 10, 18, 0)), OccurrenceID("s2", jst(2026, 1, 13, 18, 0))} {
		if other == a {
			t.Errorf("another day or series shares id %s", a)
		}
	}
	if jan, feb := OccurrenceID("s1", jst(2026, 1, 13, 18, 0)), OccurrenceID("s1", jst(2026, 2, 10, 18, 0)); jan >= feb {
		t.Errorf("ids do not sort by day: %s >= %s", jan, feb)
	}
}

func TestSeriesValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *Series)
		field string
	}{
		{"OK", func(s *Series) {}, ""},
		{"ErrWeek", func(s *Series) { s.Rule.Week = 5 }, "rule.week"},
		{"ErrDuration", func(s *Series) { s.Rule.Duration = 0 }, "rule.duration"},
		{"ErrMonths", func(s *Series) { s.Months = 0 }, "months"},
		{"ErrMonthsMany", func(s *Series) { s.Months = 25 }, "months"},
		{"ErrWindow", func(s *Series) { s.RegistrationClosesBefore = s.RegistrationOpensBefore }, "registration_closes_before"},
		{"ErrTemplate", func(s *Series) { s.Template.JoinURL = "http://x.example.jp" }, "join_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := secondTuesdaySeries()
			tt.edit(s)
			err := s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, ok := ErrorFields(err)[tt.field]; !ok {
				t.Errorf("err %v fields %v, want %s", err, ErrorFields(err), tt.field)
			}
		})
	}
}
