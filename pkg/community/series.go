package community

import (
	"fmt"
	"time"

	"github.com/sorae/tabane/pkg/jaholiday"
)

// MonthlyRule is a recurrence such as "every second Tuesday, 18:00–19:00
// JST". Dates are computed on Tokyo's calendar, so an occurrence never slips
// a day because of UTC.
type MonthlyRule struct {
	Week     int          // 1–4 for the first to fourth, -1 for the last
	Weekday  time.Weekday // Sunday = 0
	Hour     int          // start, Tokyo time
	Minute   int
	Duration time.Duration
	// Holidays says what happens when the rule's day is a Japanese
	// national holiday; the zero value keeps the day.
	Holidays HolidayPolicy
}

// HolidayPolicy is what a monthly rule does with a day that is a national
// holiday (a 国民の祝日, 振替休日 or 国民の休日, as pkg/jaholiday computes
// them). The members are public servants who attend on weekday evenings
// from their offices, so a meeting on a holiday often loses them.
type HolidayPolicy string

// The holiday policies. A moved occurrence lands on a 平日: not a
// Saturday or Sunday, not a holiday, and not in 年末年始 (12/29–1/3, when
// government offices are closed by 行政機関の休日に関する法律).
const (
	HolidayKeep         HolidayPolicy = ""                 // hold it on the holiday, as if it were any day
	HolidaySkip         HolidayPolicy = "skip"             // no occurrence that month
	HolidayNextWeekday  HolidayPolicy = "next_weekday"     // the first 平日 after the holiday
	HolidayPrevWeekday  HolidayPolicy = "previous_weekday" // the last 平日 before the holiday
	holidayMoveMaxDays                = 14                 // a 平日 is never further away (Golden Week 2019 was 10 days)
	holidayKeepExplicit               = "keep"
)

// HolidayPolicies lists the policies in the order a form offers them.
var HolidayPolicies = []HolidayPolicy{HolidayKeep, HolidaySkip, HolidayNextWeekday, HolidayPrevWeekday}

// ParseHolidayPolicy reads a policy by its name ("keep", "skip",
// "next_weekday", "previous_weekday"); "" is keep.
func ParseHolidayPolicy(s string) (HolidayPolicy, bool) {
	if s == holidayKeepExplicit || s == "" {
		return HolidayKeep, true
	}
	for _, p := range HolidayPolicies {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

// String is the policy's name in the API: "keep", "skip", "next_weekday"
// or "previous_weekday".
func (p HolidayPolicy) String() string {
	if p == HolidayKeep {
		return holidayKeepExplicit
	}
	return string(p)
}

// Label says the policy in Japanese, as an organizer chooses it.
func (p HolidayPolicy) Label() string {
	switch p {
	case HolidayKeep:
		return "祝日でもそのまま開催する"
	case HolidaySkip:
		return "祝日に当たる月は休みにする"
	case HolidayNextWeekday:
		return "翌日以降の最初の平日に移す"
	case HolidayPrevWeekday:
		return "前の平日に移す"
	}
	return string(p)
}

// Slot is the rule's occurrence for one month: the day the rule names, and
// when it takes place once the holiday policy is applied.
type Slot struct {
	// Nominal is the start on the rule's own day (e.g. the second
	// Tuesday); an occurrence's id is derived from it, so the same month
	// keeps the same id whichever policy moved it.
	Nominal time.Time
	// Start is when the occurrence takes place; zero when skipped.
	Start time.Time
	// Holiday names the holiday on Nominal's day ("建国記念の日"), or "".
	Holiday string
}

// Skipped reports whether the month has no occurrence.
func (s Slot) Skipped() bool { return s.Start.IsZero() }

// Moved reports whether the occurrence takes place on another day than the
// rule's.
func (s Slot) Moved() bool { return !s.Skipped() && !s.Start.Equal(s.Nominal) }

// weekdayOff reports whether a Tokyo day is not a 平日 to move to.
func weekdayOff(t time.Time) bool {
	_, m, d := t.In(Tokyo).Date()
	return jaholiday.IsDayOff(t) || (m == time.December && d >= 29) || (m == time.January && d <= 3)
}

// SlotIn returns the month's slot: the rule's day, and where the holiday
// policy puts the occurrence.
func (r MonthlyRule) SlotIn(year int, month time.Month) Slot {
	nominal := r.InMonth(year, month)
	name, holiday := jaholiday.Name(nominal)
	s := Slot{Nominal: nominal, Start: nominal, Holiday: name}
	if !holiday {
		return s
	}
	step := 0
	switch r.Holidays {
	case HolidaySkip:
		s.Start = time.Time{}
	case HolidayNextWeekday:
		step = 1
	case HolidayPrevWeekday:
		step = -1
	}
	if step != 0 {
		s.Start = time.Time{} // skipped if no 平日 is near, which the calendar never gives
		for i := 1; i <= holidayMoveMaxDays; i++ {
			if t := nominal.AddDate(0, 0, step*i); !weekdayOff(t) {
				s.Start = t
				break
			}
		}
	}
	return s
}

// Slots returns the slots of the months from from's Tokyo month on whose
// day (the start, or the rule's day when skipped) is after from, n of
// them, skipped months included.
func (r MonthlyRule) Slots(from time.Time, n int) []Slot {
	var out []Slot
	// Start a month early: the previous month's occurrence may have
	// moved past its end into from's month.
	t := from.In(Tokyo)
	y, m := t.Year(), t.Month()-1
	if m < time.January {
		y, m = y-1, time.December
	}
	for len(out) < n {
		s := r.SlotIn(y, m)
		at := s.Start
		if s.Skipped() {
			at = s.Nominal
		}
		if at.After(from) {
			out = append(out, s)
		}
		m++
		if m > time.December {
			y, m = y+1, time.January
		}
	}
	return out
}

// Validate reports field errors in the rule.
func (r MonthlyRule) Validate() error {
	f := FieldErrors{}
	if _, ok := ParseHolidayPolicy(string(r.Holidays)); !ok || r.Holidays == holidayKeepExplicit {
		f.Add("rule.holidays", "祝日の扱いは「そのまま開催」「休み」「翌日以降の最初の平日」「前の平日」から選んでください。")
	}
	if r.Week != -1 && (r.Week < 1 || r.Week > 4) {
		f.Add("rule.week", "第何週かは1〜4、または最終週（-1）で指定してください。")
	}
	if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
		f.Add("rule.weekday", "曜日が正しくありません。")
	}
	if r.Hour < 0 || r.Hour > 23 || r.Minute < 0 || r.Minute > 59 {
		f.Add("rule.start_time", "開始時刻が正しくありません。")
	}
	if r.Duration <= 0 || r.Duration > 24*time.Hour {
		f.Add("rule.duration", "所要時間は24時間以内で指定してください。")
	}
	return f.Err()
}

// Label describes the rule in Japanese, e.g. "毎月第2火曜日 18:00〜19:00",
// with the holiday policy when it is not keep: "（祝日は翌日以降の最初の平日）".
func (r MonthlyRule) Label() string {
	week := fmt.Sprintf("第%d", r.Week)
	if r.Week == -1 {
		week = "最終"
	}
	end := time.Date(2000, 1, 1, r.Hour, r.Minute, 0, 0, Tokyo).Add(r.Duration)
	label := fmt.Sprintf("毎月%s%s曜日 %d:%02d〜%d:%02d", week, weekdayKanji[r.Weekday], r.Hour, r.Minute, end.Hour(), end.Minute())
	switch r.Holidays {
	case HolidaySkip:
		label += "（祝日は休み）"
	case HolidayNextWeekday:
		label += "（祝日は翌日以降の最初の平日）"
	case HolidayPrevWeekday:
		label += "（祝日は前の平日）"
	}
	return label
}

var weekdayKanji = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// InMonth returns the occurrence's start in the given Tokyo month.
func (r MonthlyRule) InMonth(year int, month time.Month) time.Time {
	if r.Week == -1 {
		last := time.Date(year, month+1, 0, r.Hour, r.Minute, 0, 0, Tokyo)
		back := (int(last.Weekday()) - int(r.Weekday) + 7) % 7
		return last.AddDate(0, 0, -back)
	}
	first := time.Date(year, month, 1, r.Hour, r.Minute, 0, 0, Tokyo)
	ahead := (int(r.Weekday) - int(first.Weekday()) + 7) % 7
	return first.AddDate(0, 0, ahead+7*(r.Week-1))
}

// Next returns the starts of the occurrences that begin after from, in the
// month of from and the following ones, n of them, with the holiday
// policy applied (a skipped month gives none).
func (r MonthlyRule) Next(from time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		s := r.Slots(from, 1)[0]
		from = s.Nominal
		if !s.Skipped() {
			from = s.Start
			out = append(out, s.Start)
		}
	}
	return out
}
