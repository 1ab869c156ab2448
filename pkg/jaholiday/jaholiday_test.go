package jaholiday

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The expected lists are the Cabinet Office's published 国民の祝日・休日
// for each year (内閣府「国民の祝日について」), written out by hand, not
// computed: a rule got wrong here shows up as a diff.
var published = map[int]string{
	2019: `01-01 元日, 01-14 成人の日, 02-11 建国記念の日, 03-21 春分の日, 04-29 昭和の日, 04-30 国民の休日,
		05-01 即位の日, 05-02 国民の休日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日,
		07-15 海の日, 08-11 山の日, 08-12 振替休日, 09-16 敬老の日, 09-23 秋分の日, 10-14 体育の日,
		10-22 即位礼正殿の儀の行われる日, 11-03 文化の日, 11-04 振替休日, 11-23 勤労感謝の日`,
	2020: `01-01 元日, 01-13 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 02-24 振替休日, 03-20 春分の日,
		04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-23 海の日,
		07-24 スポーツの日, 08-10 山の日, 09-21 敬老の日, 09-22 秋分の日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2021: `01-01 元日, 01-11 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日,
		05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-22 海の日, 07-23 スポーツの日, 08-08 山の日,
		08-09 振替休日, 09-20 敬老の日, 09-23 秋分の日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2022: `01-01 元日, 01-10 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-21 春分の日, 04-29 昭和の日,
		05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-18 海の日, 08-11 山の日, 09-19 敬老の日,
		09-23 秋分の日, 10-10 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2023: `01-01 元日, 01-02 振替休日, 01-09 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-21 春分の日,
		04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-17 海の日, 08-11 山の日,
		09-18 敬老の日, 09-23 秋分の日, 10-09 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2024: `01-01 元日, 01-08 成人の日, 02-11 建国記念の日, 02-12 振替休日, 02-23 天皇誕生日, 03-20 春分の日,
		04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-15 海の日,
		08-11 山の日, 08-12 振替休日, 09-16 敬老の日, 09-22 秋分の日, 09-23 振替休日, 10-14 スポーツの日,
		11-03 文化の日, 11-04 振替休日, 11-23 勤労感謝の日`,
	2025: `01-01 元日, 01-13 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 02-24 振替休日, 03-20 春分の日,
		04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-21 海の日,
		08-11 山の日, 09-15 敬老の日, 09-23 秋分の日, 10-13 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日,
		11-24 振替休日`,
	2026: `01-01 元日, 01-12 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日,
		05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-20 海の日, 08-11 山の日,
		09-21 敬老の日, 09-22 国民の休日, 09-23 秋分の日, 10-12 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2027: `01-01 元日, 01-11 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-21 春分の日, 03-22 振替休日,
		04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-19 海の日, 08-11 山の日,
		09-20 敬老の日, 09-23 秋分の日, 10-11 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2028: `01-01 元日, 01-10 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日,
		05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-17 海の日, 08-11 山の日, 09-18 敬老の日,
		09-22 秋分の日, 10-09 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日`,
	2029: `01-01 元日, 01-08 成人の日, 02-11 建国記念の日, 02-12 振替休日, 02-23 天皇誕生日, 03-20 春分の日,
		04-29 昭和の日, 04-30 振替休日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-16 海の日,
		08-11 山の日, 09-17 敬老の日, 09-23 秋分の日, 09-24 振替休日, 10-08 スポーツの日, 11-03 文化の日,
		11-23 勤労感謝の日`,
	2030: `01-01 元日, 01-14 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日,
		05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-15 海の日, 08-11 山の日,
		08-12 振替休日, 09-16 敬老の日, 09-23 秋分の日, 10-14 スポーツの日, 11-03 文化の日, 11-04 振替休日,
		11-23 勤労感謝の日`,
}

func listOf(year int) []string {
	var out []string
	for _, h := range InYear(year) {
		out = append(out, h.Date.Format("01-02")+" "+h.Name)
	}
	return out
}

func TestPublishedLists(t *testing.T) {
	for year := 2019; year <= 2030; year++ {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			var want []string
			for _, s := range strings.Split(published[year], ",") {
				want = append(want, strings.Join(strings.Fields(s), " "))
			}
			if diff := cmp.Diff(want, listOf(year)); diff != "" {
				t.Errorf("holidays of %d (-published +computed):\n%s", year, diff)
			}
		})
	}
}

// Days the Act's history makes tricky, before the years above.
func TestHistory(t *testing.T) {
	cases := []struct {
		day, name string // name "" for not a holiday
	}{
		{"1988-05-04", CitizensName}, // 5/4 between 5/3 and 5/5, a Wednesday
		{"1986-05-04", ""},           // a Sunday: not 国民の休日 before 2007
		{"1992-05-04", "振替休日"},       // Monday after 5/3 on a Sunday
		{"2003-05-04", ""},           // Sunday; 5/5 Monday is こどもの日 and 5/6 no 振替 before 2007
		{"2003-05-06", ""},
		{"2008-05-06", SubstituteName}, // 5/4 みどりの日 on a Sunday moves past 5/5 to 5/6
		{"2009-09-22", CitizensName},   // the first silver week
		{"1989-02-24", "昭和天皇の大喪の礼"},
		{"1989-12-23", "天皇誕生日"},
		{"1988-04-29", "天皇誕生日"},
		{"2018-12-23", "天皇誕生日"},
		{"2018-12-24", SubstituteName},
		{"2019-12-23", ""}, // no 天皇誕生日 in 2019
		{"2019-02-23", ""},
		{"1999-01-15", "成人の日"},
		{"2000-01-10", "成人の日"},
		{"1999-10-11", SubstituteName}, // 体育の日 was still 10/10, a Sunday
		{"1999-10-10", "体育の日"},
		{"2015-08-11", ""}, // 山の日 from 2016
		{"2016-08-11", "山の日"},
		{"2020-10-12", ""}, // スポーツの日 moved to 7/24 in 2020
		{"2021-08-11", ""}, // 山の日 moved to 8/8 in 2021
		{"2021-10-11", ""},
		{"2020-07-20", ""},
	}
	for _, c := range cases {
		t.Run(c.day, func(t *testing.T) {
			d, err := time.ParseInLocation(time.DateOnly, c.day, Tokyo)
			if err != nil {
				t.Fatal(err)
			}
			name, ok := Name(d)
			if ok != (c.name != "") || name != c.name {
				t.Errorf("Name(%s) = %q, %v; want %q", c.day, name, ok, c.name)
			}
		})
	}
}

// A time is read on Tokyo's calendar, whatever its zone.
func TestTokyoCalendar(t *testing.T) {
	midnight := time.Date(2025, 2, 10, 15, 0, 0, 0, time.UTC) // 2025-02-11 00:00 JST
	if !IsHoliday(midnight) {
		t.Error("2025-02-10T15:00Z is 建国記念の日 in Tokyo")
	}
	if IsHoliday(midnight.Add(-time.Nanosecond)) {
		t.Error("2025-02-10T14:59:59Z is still the 10th in Tokyo")
	}
	if !IsDayOff(time.Date(2025, 2, 15, 12, 0, 0, 0, Tokyo)) || IsDayOff(time.Date(2025, 2, 12, 12, 0, 0, 0, Tokyo)) {
		t.Error("IsDayOff: a Saturday is off, a plain Wednesday is not")
	}
}

// The approximation must keep the equinoxes on the days the almanac gives
// across the supported range, spot-checked at its ends and in between.
func TestEquinoxes(t *testing.T) {
	cases := map[int][2]int{
		1980: {20, 23}, 1984: {20, 23}, 1992: {20, 23}, 2000: {20, 23}, 2012: {20, 22},
		2016: {20, 22}, 2044: {20, 22}, 2092: {19, 22}, 2099: {20, 23},
	}
	for y, want := range cases {
		if got := [2]int{vernalEquinox(y), autumnalEquinox(y)}; got != want {
			t.Errorf("%d: equinoxes March %d, September %d; want %v", y, got[0], got[1], want)
		}
	}
	if InYear(FirstYear-1) != nil || InYear(LastYear+1) != nil || !Supported(2099) || Supported(2100) {
		t.Error("years outside the supported range must have no holidays")
	}
}

// Every supported year has between 12 and 22 days off, and no day is both
// a 振替休日 and a weekday it cannot be.
func TestEveryYearSane(t *testing.T) {
	for y := FirstYear; y <= LastYear; y++ {
		hs := InYear(y)
		if len(hs) < 12 || len(hs) > 22 {
			t.Errorf("%d: %d holidays", y, len(hs))
		}
		for _, h := range hs {
			if h.Name == SubstituteName && h.Date.Weekday() == time.Sunday {
				t.Errorf("%s: a 振替休日 on a Sunday", h.Date.Format(time.DateOnly))
			}
		}
	}
}
