package community

import (
	"fmt"
	"time"
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
}

// Validate reports field errors in the rule.
func (r MonthlyRule) Validate() error {
	f := FieldErrors{}
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

// Label describes the rule in Japanese, e.g. "毎月第2火曜日 18:00〜19:00".
func (r MonthlyRule) Label() string {
	week := fmt.Sprintf("第%d", r.Week)
	if r.Week == -1 {
		week = "最終"
	}
	end := time.Date(2000, 1, 1, r.Hour, r.Minute, 0, 0, Tokyo).Add(r.Duration)
	return fmt.Sprintf("毎月%s%s曜日 %d:%02d〜%d:%02d", week, weekdayKanji[r.Weekday], r.Hour, r.Minute, end.Hour(), end.Minute())
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
// month of from and the following ones, n of them.
func (r MonthlyRule) Next(from time.Time, n int) []time.Time {
	var out []time.Time
	t := from.In(Tokyo)
	y, m := t.Year(), t.Month()
	for len(out) < n {
		if s := r.InMonth(y, m); s.After(from) {
			out = append(out, s)
		}
		m++
		if m > time.December {
			y, m = y+1, time.January
		}
	}
	return out
}
