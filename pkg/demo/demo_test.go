package demo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/jaholiday"
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
		// 2025-02-11, the second Tuesday, is 建国記念の日: the meeting
		// moves to Wednesday the 12th.
		{"HolidayMovesToNextWeekday", tokyo(2025, 1, 20, 9, 0),
			[]time.Time{tokyo(2025, 2, 12, 18, 0), tokyo(2025, 3, 11, 18, 0), tokyo(2025, 4, 8, 18, 0)}},
		// 2026-09-22 is 国民の休日 and 09-23 秋分の日, but the second
		// Tuesday (09-08) is not a holiday.
		{"SeptemberHolidaysElsewhere", tokyo(2026, 9, 1, 9, 0),
			[]time.Time{tokyo(2026, 9, 8, 18, 0), tokyo(2026, 10, 13, 18, 0), tokyo(2026, 11, 10, 18, 0)}},
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
			if slot := demo.RegularRule.SlotIn(s.Year(), s.Month()); !slot.Start.Equal(s) || s.Hour() != 18 || e.EndsAt.Sub(e.StartsAt) != time.Hour {
				t.Errorf("%s: %s–%s is not the month's 18:00–19:00 the rule gives (%s)", e.Title, s, e.EndsAt.In(community.Tokyo), slot.Start)
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
	history := demo.History(now)
	wantRegs := 2 // the next 井戸端会議 and the field trip
	for _, h := range history {
		wantRegs += len(h.Attendees)
	}
	if first.AlreadySeeded || first.Events != len(demo.Events(now)) || first.Members != 2 ||
		first.PastEvents != len(history) || first.Registrations != wantRegs {
		t.Errorf("first Seed = %+v, want %d events, %d past, %d registrations", first, len(demo.Events(now)), len(history), wantRegs)
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
		if s := e.StartsAt.In(community.Tokyo); !demo.RegularRule.SlotIn(s.Year(), s.Month()).Start.Equal(s) {
			t.Errorf("occurrence on %s is not where the rule puts the month's meeting", d)
		}
	}
	if len(days) < 3 {
		t.Errorf("series has %d occurrences, want at least the 3 demo meetings", len(days))
	}
	t.Run("History", func(t *testing.T) {
		held, err := store.HeldEvents(ctx, community.EventQuery{To: now, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(held.Events) != len(history) {
			t.Errorf("held events = %d, want %d", len(held.Events), len(history))
		}
		regular := demo.ID("member/regular")
		for _, h := range history {
			e, err := store.Event(ctx, h.Event.ID)
			if err != nil {
				t.Fatal(err)
			}
			checkedIn, confirmed := 0, 0
			for _, a := range h.Attendees {
				r, err := store.Registration(ctx, e.ID, a.ID)
				if err != nil {
					t.Fatalf("%s: %v", e.Title, err)
				}
				if (a.Guest == nil) != (r.MemberID == regular) {
					t.Errorf("%s: registration %s is not whom the demo says", e.Title, a.ID)
				}
				if a.CheckedIn != (r.CheckedInAt != nil) || a.Cancelled != (r.Status == community.RegistrationCancelled) {
					t.Errorf("%s: registration %+v, want %+v", e.Title, r, a)
				}
				if !a.Cancelled {
					confirmed++
				}
				if a.CheckedIn {
					checkedIn++
				}
				// Nobody is mailed about what the demo says happened.
				if _, got, err := store.ClaimMail(ctx, r.ID+"."+string(community.MailRegistrationConfirmed), "test", now, time.Minute); err != nil || got != community.MailDone {
					t.Errorf("%s: the registration mail is claimable (%v, %v), want settled", e.Title, got, err)
				}
			}
			if e.ConfirmedCount != confirmed || e.CheckedInCount != checkedIn {
				t.Errorf("%s: confirmed %d, checked in %d; want %d, %d", e.Title, e.ConfirmedCount, e.CheckedInCount, confirmed, checkedIn)
			}
		}
		regs, err := store.MemberRegistrations(ctx, regular)
		if err != nil {
			t.Fatal(err)
		}
		attended, upcoming := 0, 0
		for _, r := range regs {
			switch {
			case r.EventStartsAt.Before(now) && r.CheckedInAt != nil:
				attended++
			case r.EventStartsAt.After(now) && r.Status == community.RegistrationConfirmed:
				upcoming++
			}
		}
		if attended < 5 || upcoming != 2 {
			t.Errorf("the regular member attended %d held events and holds %d seats, want at least 5 and 2", attended, upcoming)
		}
	})

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

// TestHistory: the held events fill more than a page of 開催履歴, all
// before now, on 平日, with the regular member's attendance for my page's
// certificates and the console's figures.
func TestHistory(t *testing.T) {
	now := tokyo(2026, 2, 20, 12, 0)
	history := demo.History(now)
	ids := map[string]bool{}
	for _, e := range demo.Events(now) {
		ids[e.ID] = true
	}
	if len(history) <= 20 {
		t.Errorf("%d held events; want more than one page of 20", len(history))
	}
	attended, guests, noShows, cancelled := 0, 0, 0, 0
	for _, h := range history {
		e := h.Event
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Title, err)
		}
		if !e.StartsAt.Before(now) || ids[e.ID] || !community.ValidID(e.ID) {
			t.Errorf("%s: starts %s, id %q; want before now and a fresh valid id", e.Title, e.StartsAt, e.ID)
		}
		ids[e.ID] = true
		if s := e.StartsAt.In(community.Tokyo); jaholiday.IsDayOff(s) {
			t.Errorf("%s was held on %s, a day off", e.Title, s.Format("2006-01-02 (Mon)"))
		}
		for _, a := range h.Attendees {
			if ids[a.ID] || !community.ValidID(a.ID) {
				t.Errorf("%s: registration id %q invalid or repeated", e.Title, a.ID)
			}
			ids[a.ID] = true
			switch {
			case a.Guest != nil && e.Audience != community.AudiencePublic:
				t.Errorf("%s: a guest at a %s event", e.Title, e.Audience)
			case a.Guest != nil:
				guests++
			case a.CheckedIn:
				attended++
			}
			if a.Cancelled {
				cancelled++
			} else if !a.CheckedIn {
				noShows++
			}
		}
	}
	if attended < 5 || guests == 0 || noShows == 0 || cancelled == 0 {
		t.Errorf("the regular member attended %d, %d guests, %d no-shows, %d cancelled; want some of each", attended, guests, noShows, cancelled)
	}
	if again := demo.History(now.AddDate(0, 1, 0)); again[0].Event.ID != history[0].Event.ID {
		t.Errorf("ids depend on the date")
	}
	// The regular meetings held are where the rule put them, February
	// 2025's on Wednesday the 12th (the 11th was 建国記念の日).
	for _, h := range demo.History(tokyo(2025, 3, 1, 9, 0)) {
		if h.Event.SeriesID != "" && h.Event.StartsAt.In(community.Tokyo).Month() == time.February {
			if got := h.Event.StartsAt.In(community.Tokyo); !got.Equal(tokyo(2025, 2, 12, 18, 0)) {
				t.Errorf("February 2025's meeting was held %s, want 2025-02-12 18:00", got)
			}
		}
	}
}
