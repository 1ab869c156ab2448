// Package jadate writes dates and times for people the way the community
// and the public bodies its members work for write them: with the era,
// "令和7年5月14日(水) 19:00〜20:30", the first year of an era as 元年 —
// always in Asia/Tokyo, whatever location the time.Time carries, because
// events are stored in UTC and Lambda runs in UTC.
//
// Every page and mail that shows a date to a person goes through this
// package, so there is one way to write one. Machine formats (RFC 3339 in
// JSON, ISO columns in CSV, iCalendar) are not written here.
package jadate

import (
	"strconv"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// weekdays are the one-kanji day names, indexed by time.Weekday.
var weekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// era is a Japanese era and the Tokyo calendar day it began.
type era struct {
	name             string
	year, month, day int
	startsAt         time.Time
}

// eras are newest first so the first whose start is not after a day wins.
var eras = func() []era {
	es := []era{
		{name: "令和", year: 2019, month: 5, day: 1},
		{name: "平成", year: 1989, month: 1, day: 8},
		{name: "昭和", year: 1926, month: 12, day: 25},
	}
	for i := range es {
		es[i].startsAt = time.Date(es[i].year, time.Month(es[i].month), es[i].day, 0, 0, 0, 0, community.Tokyo)
	}
	return es
}()

// year writes the era and year of a time already in Tokyo, "令和7年", with
// 元年 for an era's first year ("令和元年"). Days before 昭和 (no event or
// living member's birth falls there in practice) keep the Western year,
// "1926年", rather than a made-up era.
func year(t time.Time) string {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, community.Tokyo)
	for _, e := range eras {
		if day.Before(e.startsAt) {
			continue
		}
		if y := t.Year() - e.year + 1; y > 1 {
			return e.name + strconv.Itoa(y) + "年"
		}
		return e.name + "元年"
	}
	return strconv.Itoa(t.Year()) + "年"
}

// Date returns the Tokyo calendar day of t with its era, e.g.
// "令和7年5月14日(水)", "令和元年5月1日(水)", "平成31年4月30日(火)".
func Date(t time.Time) string {
	t = t.In(community.Tokyo)
	return year(t) + monthDay(t)
}

// Month returns the Tokyo calendar month of t, "令和7年5月": a heading
// over a month's events.
func Month(t time.Time) string {
	t = t.In(community.Tokyo)
	return year(t) + strconv.Itoa(int(t.Month())) + "月"
}

// DateTime returns the Tokyo day and clock time of t, e.g.
// "令和7年5月14日(水) 19:00": a deadline.
func DateTime(t time.Time) string {
	t = t.In(community.Tokyo)
	return year(t) + monthDay(t) + " " + clock(t)
}

// TimeRange returns the Tokyo clock times of start and end, "19:00〜20:30".
// When end falls on another day the days are written too, the end's era
// and year only when they differ from the start's:
// "令和7年9月1日(月) 9:30〜9月5日(金) 17:00", but
// "令和7年12月31日(水) 22:00〜令和8年1月1日(木) 1:00". A zero end gives
// an open range, "19:00〜".
func TimeRange(start, end time.Time) string {
	start = start.In(community.Tokyo)
	if end.IsZero() {
		return clock(start) + "〜"
	}
	end = end.In(community.Tokyo)
	if sameDay(start, end) {
		return clock(start) + "〜" + clock(end)
	}
	sy, ey := year(start), year(end)
	endDay := monthDay(end)
	if ey != sy {
		endDay = ey + endDay
	}
	return sy + monthDay(start) + " " + clock(start) + "〜" + endDay + " " + clock(end)
}

// DateTimeRange returns the day and times of an event,
// "令和7年5月14日(水) 19:00〜20:30"; across days it is what TimeRange writes.
// It is the form every page and mail shows an event's date in.
func DateTimeRange(start, end time.Time) string {
	if !end.IsZero() && !sameDay(start.In(community.Tokyo), end.In(community.Tokyo)) {
		return TimeRange(start, end)
	}
	return Date(start) + " " + TimeRange(start, end)
}

// monthDay writes "5月14日(水)" for a time already in Tokyo. (strconv
// rather than fmt: a page of events formats dozens of these per request.)
func monthDay(t time.Time) string {
	return strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日(" + weekdays[t.Weekday()] + ")"
}

// clock writes "9:00" or "19:30": hours without a leading zero, as timetables do here.
func clock(t time.Time) string {
	m := t.Minute()
	if m < 10 {
		return strconv.Itoa(t.Hour()) + ":0" + strconv.Itoa(m)
	}
	return strconv.Itoa(t.Hour()) + ":" + strconv.Itoa(m)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
