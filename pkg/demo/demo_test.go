package demo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

func tokyo(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, community.Tokyo)
}

func TestSecondTuesday(t *testing.T) {
	tests := []struct {
		name  string
		year  int
		month time.Month
		want  time.Time
	}{
		{"MonthStartsOnTuesday", 2025, time.April, tokyo(2025, 4, 8, 18, 0)},
		{"MonthStartsOnWednesday", 2025, time.January, tokyo(2025, 1, 14, 18, 0)},
		{"MonthStartsOnMonday", 2025, time.September, tokyo(2025, 9, 9, 18, 0)},
		{"MonthStartsOnSunday", 2025, time.June, tokyo(2025, 6, 10, 18, 0)},
		{"December", 2025, time.December, tokyo(2025, 12, 9, 18, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := demo.SecondTuesday(tt.year, tt.month, 18)
			if !got.Equal(tt.want) || got.Weekday() != time.Tuesday {
				t.Errorf("SecondTuesday(%d, %s) = %s, want %s", tt.year, tt.month, got, tt.want)
			}
		})
	}
}

func TestRegularMeetings(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want []time.Time
	}{
		{"BeforeThisMonths", tokyo(2025, 5, 1, 9, 0),
			[]time.Time{tokyo(2025, 5, 13, 18, 0), tokyo(2025, 6, 10, 18, 0), tokyo(2025, 7, 8, 18, 0)}},
		{"DuringThisMonths", tokyo(2025, 5, 13, 18, 30),
			[]time.Time{tokyo(2025, 6, 10, 18, 0), tokyo(2025, 7, 8, 18, 0), tokyo(2025, 8, 12, 18, 0)}},
		{"AcrossNewYear", tokyo(2025, 11, 20, 12, 0),
			[]time.Time{tokyo(2025, 12, 9, 18, 0), tokyo(2026, 1, 13, 18, 0), tokyo(2026, 2, 10, 18, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := demo.RegularMeetings(tt.now, 3)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("meeting %d = %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestEvents(t *testing.T) {
	now := tokyo(2025, 11, 20, 12, 0)
	evs := demo.Events(now)
	byKind := map[community.Kind][]*community.Event{}
	ids := map[string]bool{}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Title, err)
		}
		if !e.StartsAt.After(now) {
			t.Errorf("%s starts %s, not after now", e.Title, e.StartsAt)
		}
		if !community.ValidID(e.ID) || ids[e.ID] {
			t.Errorf("%s: id %q invalid or repeated", e.Title, e.ID)
		}
		ids[e.ID] = true
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	if again := demo.Events(now.Add(40 * 24 * time.Hour)); again[0].ID != evs[0].ID {
		t.Errorf("ids depend on the date: %s vs %s", again[0].ID, evs[0].ID)
	}

	t.Run("RegularMeetings", func(t *testing.T) {
		n := 0
		for _, e := range byKind[community.KindMeeting] {
			if e.Audience != community.AudienceRegular {
				continue
			}
			n++
			s := e.StartsAt.In(community.Tokyo)
			if s.Weekday() != time.Tuesday || s.Day() < 8 || s.Day() > 14 || s.Hour() != 18 || e.EndsAt.Sub(e.StartsAt) != time.Hour {
				t.Errorf("%s: %s–%s is not a second Tuesday 18:00–19:00", e.Title, s, e.EndsAt.In(community.Tokyo))
			}
			if e.SeriesID == "" || e.JoinURL == "" || e.OnlinePlatform != "Zoom" || e.Notes == "" {
				t.Errorf("%s: want series, Zoom join URL and notes", e.Title)
			}
		}
		if n != 3 {
			t.Errorf("regular meetings = %d, want 3", n)
		}
	})
	t.Run("Lectures", func(t *testing.T) {
		audiences := map[community.Audience]bool{}
		for _, e := range byKind[community.KindLecture] {
			audiences[e.Audience] = true
			if s := e.StartsAt.In(community.Tokyo); s.Hour() != 19 || e.EndsAt.Sub(e.StartsAt) != 90*time.Minute || len(e.Speakers) == 0 {
				t.Errorf("%s: want 19:00–20:30 with a speaker", e.Title)
			}
		}
		if !audiences[community.AudiencePublic] || !audiences[community.AudienceMembers] {
			t.Errorf("lecture audiences = %v, want public and members", audiences)
		}
	})
	t.Run("FieldTrip", func(t *testing.T) {
		e := byKind[community.KindFieldTrip][0]
		if e.Venue == nil || e.Venue.Address == "" || e.Capacity != 12 || !e.Waitlist {
			t.Errorf("field trip = %+v, want venue, 12 seats, waitlist", e)
		}
	})
	t.Run("Workshop", func(t *testing.T) {
		e := byKind[community.KindWorkshop][0]
		s, end := e.StartsAt.In(community.Tokyo), e.EndsAt.In(community.Tokyo)
		if s.Weekday() != time.Monday || end.Weekday() != time.Friday || end.Sub(s) > 5*24*time.Hour {
			t.Errorf("workshop %s–%s is not Monday to Friday", s, end)
		}
		el := e.Eligibility
		if e.Capacity != 16 || e.FeeJPY != 35000 || el == nil || !el.PublicServantOnly || *el.MinAge != 25 || *el.MaxAge != 39 ||
			e.RegistrationClosesAt == nil || !e.RegistrationClosesAt.Before(e.StartsAt) {
			t.Errorf("workshop = %+v, want 16 seats, 35,000 JPY, public servants 25–39, a deadline", e)
		}
	})
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	store := dynamo.New(localtest.DynamoDB(), localtest.NewTable(t))
	now := time.Now()
	organizer := localtest.UniqueEmail("organizer")

	first, err := demo.Seed(ctx, store, []string{organizer}, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.AlreadySeeded || first.Events != len(demo.Events(now)) || first.Members != 2 {
		t.Errorf("first Seed = %+v", first)
	}
	second, err := demo.Seed(ctx, store, []string{organizer}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !second.AlreadySeeded || second.Events != 0 {
		t.Errorf("second Seed = %+v, want AlreadySeeded", second)
	}
	page, err := store.UpcomingEvents(ctx, community.EventQuery{From: now, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != first.Events {
		t.Errorf("upcoming events = %d, want %d", len(page.Events), first.Events)
	}
	// The clock tops the series up without doubling a meeting the demo
	// already stored under its own id.
	series := &community.SeriesAdmin{Store: store, Clock: community.ClockFunc(func() time.Time { return now })}
	if _, err := series.EnsureAllSeries(ctx); err != nil {
		t.Fatal(err)
	}
	occ, err := store.SeriesOccurrences(ctx, demo.ID("series/regular-meeting"), now)
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for _, e := range occ {
		d := e.StartsAt.In(community.Tokyo).Format("2006-01-02")
		if days[d] {
			t.Errorf("two occurrences on %s", d)
		}
		days[d] = true
		if e.StartsAt.In(community.Tokyo).Weekday() != time.Tuesday {
			t.Errorf("occurrence on %s is not a Tuesday", d)
		}
	}
	if len(days) < 3 {
		t.Errorf("series has %d occurrences, want at least the 3 demo meetings", len(days))
	}
	m, err := store.MemberByEmail(ctx, organizer)
	if err != nil {
		t.Fatal(err)
	}
	if m.Role != community.RoleOrganizer || m.Status != community.MemberActive {
		t.Errorf("organizer = %+v", m)
	}
}

// Seeded around the turn of the year, no demo activity falls in the
// offices' year-end closure (29 December – 3 January).
func TestNoDemoEventInYearEndClosure(t *testing.T) {
	for day := 0; day < 40; day++ {
		now := time.Date(2026, 11, 15, 9, 0, 0, 0, community.Tokyo).AddDate(0, 0, day)
		for _, e := range demo.Events(now) {
			_, m, d := e.StartsAt.In(community.Tokyo).Date()
			if (m == time.December && d >= 29) || (m == time.January && d <= 3) {
				t.Errorf("seeded on %s: %q starts %s", now.Format("01-02"), e.Title, e.StartsAt.In(community.Tokyo).Format("2006-01-02"))
			}
		}
	}
}
