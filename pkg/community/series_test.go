package community

import (
	"fmt"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/jaholiday"
)

// The expected dates were read off a printed calendar, not computed.
func TestSecondTuesday(t *testing.T) {
	rule := MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour}
	want := map[string]string{
		"2025-01": "2025-01-14", "2025-04": "2025-04-08", // April 2025 starts on a Tuesday: the 1st is the first
		"2025-05": "2025-05-13", "2025-06": "2025-06-10", "2025-07": "2025-07-08",
		"2025-12": "2025-12-09", "2026-01": "2026-01-13", "2026-02": "2026-02-10",
		"2026-09": "2026-09-08", // September 2026 starts on a Tuesday
		"2026-12": "2026-12-08",
	}
	for ym, day := range want {
		t.Run(ym, func(t *testing.T) {
			m, _ := time.Parse("2006-01", ym)
			got := rule.InMonth(m.Year(), m.Month())
			if s := got.Format("2006-01-02"); s != day {
				t.Errorf("got %s, want %s", s, day)
			}
			if got.Hour() != 18 || got.Location() != Tokyo {
				t.Errorf("got %v, want 18:00 Tokyo", got)
			}
			if u := got.UTC(); u.Hour() != 9 {
				t.Errorf("UTC hour %d, want 9", u.Hour())
			}
		})
	}
}

func TestNextAcrossYearEnd(t *testing.T) {
	rule := MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour}
	// 2025-12-09 18:00 JST is 09:00 UTC; from just after it, December is done.
	from := time.Date(2025, 12, 9, 9, 0, 1, 0, time.UTC)
	got := rule.Next(from, 3)
	want := []string{"2026-01-13", "2026-02-10", "2026-03-10"}
	for i, w := range want {
		if s := got[i].Format("2006-01-02"); s != w {
			t.Errorf("Next[%d] = %s, want %s", i, s, w)
		}
	}
	// From the morning of the day, that day's meeting is still to come.
	got = rule.Next(time.Date(2025, 12, 9, 8, 0, 0, 0, Tokyo), 1)
	if s := got[0].Format("2006-01-02 15:04"); s != "2025-12-09 18:00" {
		t.Errorf("same-day Next = %s", s)
	}
}

func TestLastFriday(t *testing.T) {
	rule := MonthlyRule{Week: -1, Weekday: time.Friday, Hour: 19, Duration: 90 * time.Minute}
	cases := map[string]string{"2025-01": "2025-01-31", "2025-02": "2025-02-28", "2026-02": "2026-02-27"}
	for ym, day := range cases {
		m, _ := time.Parse("2006-01", ym)
		if s := rule.InMonth(m.Year(), m.Month()).Format("2006-01-02"); s != day {
			t.Errorf("%s: got %s, want %s", ym, s, day)
		}
	}
	if l := rule.Label(); l != "毎月最終金曜日 19:00〜20:30" {
		t.Errorf("Label = %q", l)
	}
}

// The regular meeting is the second Tuesday; 2025-02-11 (建国記念の日) is
// the case the community remembers. Across 2025–2030 no policy but keep
// lets an occurrence fall on a holiday, and a moved one lands on a 平日.
func TestSecondTuesdayHolidays(t *testing.T) {
	base := MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, Tokyo)
	until := time.Date(2031, 1, 1, 0, 0, 0, 0, Tokyo)
	onHoliday := map[HolidayPolicy][]string{}
	for _, p := range HolidayPolicies {
		rule := base
		rule.Holidays = p
		t.Run(p.String(), func(t *testing.T) {
			months := 0
			for _, s := range rule.Slots(from, 72) {
				if !s.Nominal.Before(until) {
					t.Fatalf("slot beyond 2030: %v", s.Nominal)
				}
				months++
				if s.Holiday != "" {
					onHoliday[p] = append(onHoliday[p], s.Nominal.Format(time.DateOnly))
				}
				switch {
				case s.Skipped():
					if p != HolidaySkip || s.Holiday == "" {
						t.Errorf("%s skipped under %s", s.Nominal.Format(time.DateOnly), p)
					}
				case s.Moved():
					if weekdayOff(s.Start) || s.Start.Hour() != 18 {
						t.Errorf("%s moved to %s, not a 平日 at 18:00", s.Nominal.Format(time.DateOnly), s.Start)
					}
					if d := s.Start.Sub(s.Nominal); (p == HolidayNextWeekday) != (d > 0) {
						t.Errorf("%s moved the wrong way to %s under %s", s.Nominal.Format(time.DateOnly), s.Start, p)
					}
				default:
					if s.Holiday != "" && p != HolidayKeep {
						t.Errorf("%s kept on %s under %s", s.Nominal.Format(time.DateOnly), s.Holiday, p)
					}
				}
			}
			if months != 72 {
				t.Errorf("%d months, want 72", months)
			}
			for _, start := range rule.Next(from.Add(-time.Nanosecond), 80) {
				if start.Before(until) && p != HolidayKeep && isHoliday(start) {
					t.Errorf("Next gives %s, a holiday", start.Format(time.DateOnly))
				}
			}
		})
	}
	// Second Tuesdays that are holidays in 2025–2030, from the published
	// lists: 建国記念の日 2025 and 山の日 2026.
	want := []string{"2025-02-11", "2026-08-11"}
	if got := onHoliday[HolidaySkip]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("holiday second Tuesdays = %v, want %v", got, want)
	}
	feb := func(p HolidayPolicy) Slot {
		r := base
		r.Holidays = p
		return r.SlotIn(2025, time.February)
	}
	if s := feb(HolidayNextWeekday); s.Start.Format(time.DateTime) != "2025-02-12 18:00:00" || s.Holiday != "建国記念の日" {
		t.Errorf("next_weekday: %v (%s)", s.Start, s.Holiday)
	}
	if s := feb(HolidayPrevWeekday); s.Start.Format(time.DateTime) != "2025-02-10 18:00:00" {
		t.Errorf("previous_weekday: %v", s.Start)
	}
	if s := feb(HolidayKeep); s.Start.Format(time.DateOnly) != "2025-02-11" || s.Moved() || s.Skipped() {
		t.Errorf("keep: %v", s)
	}
	if got := (MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour, Holidays: HolidaySkip}).Next(time.Date(2025, 1, 15, 0, 0, 0, 0, Tokyo), 2); got[0].Format(time.DateOnly) != "2025-03-11" {
		t.Errorf("Next after January 2025 under skip = %v, want 2025-03-11 first", got)
	}
}

// Moving looks past every day off: a Monday series in Golden Week 2019
// (4/27–5/6 all off) and a first-Friday series on 2027-01-01 (年末年始
// continues to 1/3, a Sunday) land on the first working day.
func TestHolidayMoveFarAndAcrossMonths(t *testing.T) {
	cases := []struct {
		rule MonthlyRule
		y    int
		m    time.Month
		want string
	}{
		{MonthlyRule{Week: 1, Weekday: time.Wednesday, Hour: 19, Duration: time.Hour, Holidays: HolidayNextWeekday}, 2019, time.May, "2019-05-07"},
		{MonthlyRule{Week: 1, Weekday: time.Friday, Hour: 19, Duration: time.Hour, Holidays: HolidayNextWeekday}, 2027, time.January, "2027-01-04"},
		{MonthlyRule{Week: 1, Weekday: time.Wednesday, Hour: 19, Duration: time.Hour, Holidays: HolidayPrevWeekday}, 2019, time.May, "2019-04-26"},
		{MonthlyRule{Week: -1, Weekday: time.Monday, Hour: 19, Duration: time.Hour, Holidays: HolidayNextWeekday}, 2029, time.April, "2029-05-01"},
	}
	for _, c := range cases {
		s := c.rule.SlotIn(c.y, c.m)
		if got := s.Start.Format(time.DateOnly); got != c.want {
			t.Errorf("%s in %d-%02d: %s, want %s", c.rule.Label(), c.y, c.m, got, c.want)
		}
	}
	// The April 2029 occurrence moved into May is still found from May 1st's morning.
	r := cases[3].rule
	if got := r.Next(time.Date(2029, 4, 30, 23, 0, 0, 0, Tokyo), 1)[0].Format(time.DateOnly); got != "2029-05-01" {
		t.Errorf("Next from 2029-04-30 = %s", got)
	}
}

func TestHolidayPolicyValidateAndLabel(t *testing.T) {
	r := MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour, Holidays: "monday"}
	if _, ok := ErrorFields(r.Validate())["rule.holidays"]; !ok {
		t.Error("an unknown policy must be a rule.holidays field error")
	}
	r.Holidays = HolidayNextWeekday
	if r.Validate() != nil || r.Label() != "毎月第2火曜日 18:00〜19:00（祝日は翌日以降の最初の平日）" {
		t.Errorf("Validate %v, Label %q", r.Validate(), r.Label())
	}
	for _, in := range []string{"", "keep", "skip", "next_weekday", "previous_weekday"} {
		p, ok := ParseHolidayPolicy(in)
		if !ok || (in != "" && p.String() != in) {
			t.Errorf("ParseHolidayPolicy(%q) = %q, %v", in, p, ok)
		}
	}
}

func isHoliday(t time.Time) bool { _, ok := jaholiday.Name(t); return ok }
