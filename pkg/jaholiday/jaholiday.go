// Package jaholiday computes Japan's national holidays from the rules of
// 国民の祝日に関する法律 (the National Holidays Act) as amended, rather than
// from a list someone must remember to extend each year: fixed days, the
// Happy Monday days, the vernal and autumnal equinox days, 振替休日
// (a holiday on a Sunday moves to the next day that is not a holiday),
// 国民の休日 (a day between two holidays), the 天皇誕生日 moves of 1989 and
// 2020, the special days of the 2019 accession and of the Imperial
// ceremonies of 1989, 1990 and 1993, and the days moved for the Tokyo
// Olympics in 2020 and 2021.
//
// Dates are days on Tokyo's calendar: a time.Time is first read in
// Asia/Tokyo, so 2025-02-10T15:00Z (midnight in Tokyo) is 建国記念の日.
//
// The equinox days are fixed each February for the next year by the
// National Astronomical Observatory's almanac; the approximation used here
// agrees with it for 1980–2099, so the package answers for those years
// only (Supported). Outside them every day is reported as not a holiday.
// A future amendment of the law (a new holiday, another one-off day) needs
// a change here.
package jaholiday

import (
	"sort"
	"time"
)

// First and last years the package answers for.
const (
	FirstYear = 1980
	LastYear  = 2099
)

// Tokyo is the zone whose calendar decides which day a time falls on.
var Tokyo = mustZone("Asia/Tokyo")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No zoneinfo on the host: Japan has kept UTC+9 without daylight
		// saving since 1951, so a fixed zone gives the same calendar.
		return time.FixedZone("JST", 9*60*60)
	}
	return loc
}

// Names of the days that are holidays without being 国民の祝日 themselves.
const (
	SubstituteName = "振替休日"
	CitizensName   = "国民の休日"
)

// Holiday is one day off and its name as the Cabinet Office writes it.
type Holiday struct {
	Date time.Time // midnight in Tokyo
	Name string
}

// date is a Tokyo calendar day, comparable and cheap to use as a map key.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.In(Tokyo).Date()
	return date{y, m, d}
}

func (d date) time() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, Tokyo) }

func (d date) addDays(n int) date { return dateOf(d.time().AddDate(0, 0, n)) }

func (d date) weekday() time.Weekday { return d.time().Weekday() }

// table holds every holiday of the supported years, computed once: about
// 2,000 entries, cheaper than recomputing a year on each question.
var table = build()

// Supported reports whether year is within the years the package answers
// for.
func Supported(year int) bool { return year >= FirstYear && year <= LastYear }

// IsHoliday reports whether t falls, on Tokyo's calendar, on a national
// holiday, a 振替休日 or a 国民の休日.
func IsHoliday(t time.Time) bool {
	_, ok := table[dateOf(t)]
	return ok
}

// Name returns the name of the holiday t falls on in Tokyo, and false when
// it is not one.
func Name(t time.Time) (string, bool) {
	n, ok := table[dateOf(t)]
	return n, ok
}

// IsDayOff reports whether t falls on a Saturday, a Sunday or a holiday in
// Tokyo: the days a public servant's office is closed.
func IsDayOff(t time.Time) bool {
	wd := t.In(Tokyo).Weekday()
	return wd == time.Saturday || wd == time.Sunday || IsHoliday(t)
}

// InYear returns the holidays of a year in date order; none for a year
// outside FirstYear–LastYear.
func InYear(year int) []Holiday {
	var out []Holiday
	for d, n := range table {
		if d.y == year {
			out = append(out, Holiday{Date: d.time(), Name: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

func build() map[date]string {
	all := map[date]string{}
	for y := FirstYear; y <= LastYear; y++ {
		for d, n := range yearHolidays(y) {
			all[d] = n
		}
	}
	return all
}

// yearHolidays returns a year's holidays: the 国民の祝日 of that year,
// then the days the Act derives from them.
func yearHolidays(y int) map[date]string {
	h := nationalHolidays(y)
	derived := map[date]string{}

	// 国民の休日 (Article 3.3, from 1985-12-27): a day whose day before
	// and day after are both 国民の祝日 is a day off. Until the 2005
	// amendment took effect in 2007 it did not apply to a Sunday (already
	// off) nor to a day that was a 振替休日.
	if y >= 1986 {
		for d := range h {
			mid := d.addDays(1)
			if _, ok := h[mid]; ok {
				continue
			}
			if _, ok := h[mid.addDays(1)]; !ok || mid.y != y {
				continue
			}
			if y < 2007 && (mid.weekday() == time.Sunday || mid.addDays(-1).weekday() == time.Sunday) {
				continue // a Sunday, or the Monday that is already the 振替休日 of a Sunday holiday
			}
			derived[mid] = CitizensName
		}
	}

	// 振替休日 (Article 3.2): a 国民の祝日 on a Sunday makes a day off of
	// the next day; since 2007, of the nearest later day that is not a
	// 国民の祝日 (so 5/3 on a Sunday gives 5/6).
	for d := range h {
		if d.weekday() != time.Sunday {
			continue
		}
		next := d.addDays(1)
		if y >= 2007 {
			for {
				if _, ok := h[next]; !ok {
					break
				}
				next = next.addDays(1)
			}
		} else if _, ok := h[next]; ok {
			continue
		}
		derived[next] = SubstituteName
	}

	// No derived day crosses a year: the last 国民の祝日 of a year is
	// 11/23 or 12/23, and 1/1 is itself a holiday.
	for d, n := range derived {
		h[d] = n
	}
	return h
}

// nationalHolidays returns the 国民の祝日 of a year: the days Article 2
// names, as the law stood in that year, and the one-off days of special
// laws.
func nationalHolidays(y int) map[date]string {
	h := map[date]string{}
	add := func(m time.Month, d int, name string) { h[date{y, m, d}] = name }
	monday := func(m time.Month, n int, name string) { h[nthWeekday(y, m, n, time.Monday)] = name }

	add(time.January, 1, "元日")
	if y >= 2000 {
		monday(time.January, 2, "成人の日")
	} else {
		add(time.January, 15, "成人の日")
	}
	add(time.February, 11, "建国記念の日")
	if y >= 2020 {
		add(time.February, 23, "天皇誕生日")
	}
	add(time.March, vernalEquinox(y), "春分の日")
	switch {
	case y >= 2007:
		add(time.April, 29, "昭和の日")
	case y >= 1989:
		add(time.April, 29, "みどりの日")
	default:
		add(time.April, 29, "天皇誕生日")
	}
	add(time.May, 3, "憲法記念日")
	if y >= 2007 {
		add(time.May, 4, "みどりの日")
	}
	add(time.May, 5, "こどもの日")

	switch {
	case y == 2020:
		add(time.July, 23, "海の日")
	case y == 2021:
		add(time.July, 22, "海の日")
	case y >= 2003:
		monday(time.July, 3, "海の日")
	case y >= 1996:
		add(time.July, 20, "海の日")
	}
	switch {
	case y == 2020:
		add(time.August, 10, "山の日")
	case y == 2021:
		add(time.August, 8, "山の日")
	case y >= 2016:
		add(time.August, 11, "山の日")
	}
	if y >= 2003 {
		monday(time.September, 3, "敬老の日")
	} else {
		add(time.September, 15, "敬老の日")
	}
	add(time.September, autumnalEquinox(y), "秋分の日")
	switch {
	case y == 2020:
		add(time.July, 24, "スポーツの日")
	case y == 2021:
		add(time.July, 23, "スポーツの日")
	case y >= 2020:
		monday(time.October, 2, "スポーツの日")
	case y >= 2000:
		monday(time.October, 2, "体育の日")
	default:
		add(time.October, 10, "体育の日")
	}
	add(time.November, 3, "文化の日")
	add(time.November, 23, "勤労感謝の日")
	if y >= 1989 && y <= 2018 {
		add(time.December, 23, "天皇誕生日")
	}

	// Days made 国民の祝日 by their own laws, once.
	switch y {
	case 1989:
		add(time.February, 24, "昭和天皇の大喪の礼")
	case 1990:
		add(time.November, 12, "即位礼正殿の儀")
	case 1993:
		add(time.June, 9, "皇太子徳仁親王の結婚の儀")
	case 2019:
		// The accession day; as a 国民の祝日 it makes 4/30 and 5/2
		// 国民の休日 by the rule above, as the special law intended.
		add(time.May, 1, "即位の日")
		add(time.October, 22, "即位礼正殿の儀の行われる日")
	}
	return h
}

// nthWeekday is the n-th given weekday of a month.
func nthWeekday(y int, m time.Month, n int, wd time.Weekday) date {
	first := time.Date(y, m, 1, 0, 0, 0, 0, Tokyo)
	ahead := (int(wd) - int(first.Weekday()) + 7) % 7
	return date{y, m, 1 + ahead + 7*(n-1)}
}

// The equinox days by the approximation the almanac's dates agree with
// for 1980–2099: the day of the month is
// floor(C + 0.242194·(y−1980) − floor((y−1980)/4)), with C = 20.8431 in
// March and 23.2488 in September. It is computed in millionths so that no
// floating-point rounding can move a day.
func vernalEquinox(y int) int   { return equinox(20_843_100, y) }
func autumnalEquinox(y int) int { return equinox(23_248_800, y) }

func equinox(c int, y int) int {
	n := y - FirstYear
	return (c+242_194*n)/1_000_000 - n/4
}
