package community

import (
	"testing"
	"time"
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
