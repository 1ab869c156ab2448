package jadate

import (
	"testing"
	"time"
)

// The expectations below were worked out by hand from a calendar, not by
// running the code: they are what a person in Tokyo would write.

var jst = time.FixedZone("JST", 9*60*60)

func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, jst) }

func utc(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

func TestDate(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"Reiwa7Wednesday", at(2025, 5, 14, 19, 0), "令和7年5月14日(水)"},
		{"UTCInstantIsNextDayInTokyo", utc(2025, 5, 13, 15, 30), "令和7年5月14日(水)"},
		{"UTCInstantLastSecondOfTokyoDay", time.Date(2025, 5, 13, 14, 59, 59, 0, time.UTC), "令和7年5月13日(火)"},
		{"LeapDay", at(2024, 2, 29, 12, 0), "令和6年2月29日(木)"},
		{"NewYear", at(2026, 1, 1, 0, 0), "令和8年1月1日(木)"},
		{"Sunday", at(2025, 5, 18, 10, 0), "令和7年5月18日(日)"},
		{"Saturday", at(2025, 5, 17, 10, 0), "令和7年5月17日(土)"},
		{"ReiwaFirstDay", at(2019, 5, 1, 0, 0), "令和元年5月1日(水)"},
		{"ReiwaFirstDayFromUTC", utc(2019, 4, 30, 15, 0), "令和元年5月1日(水)"},
		{"ReiwaFirstYearEnd", at(2019, 12, 31, 12, 0), "令和元年12月31日(火)"},
		{"HeiseiLastDay", at(2019, 4, 30, 23, 59), "平成31年4月30日(火)"},
		{"HeiseiLastMinuteFromUTC", utc(2019, 4, 30, 14, 59), "平成31年4月30日(火)"},
		{"Reiwa2", at(2020, 1, 1, 9, 0), "令和2年1月1日(水)"},
		{"HeiseiFirstDay", at(1989, 1, 8, 0, 0), "平成元年1月8日(日)"},
		{"ShowaLastDay", at(1989, 1, 7, 12, 0), "昭和64年1月7日(土)"},
		{"BirthDateInHeisei", at(1990, 4, 1, 0, 0), "平成2年4月1日(日)"},
		{"BeforeShowaIsWestern", at(1926, 12, 24, 12, 0), "1926年12月24日(金)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Date(tt.t); got != tt.want {
				t.Errorf("Date(%v) = %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}

func TestMonth(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"Reiwa7", at(2025, 5, 14, 19, 0), "令和7年5月"},
		{"FromUTCIntoNextMonth", utc(2025, 5, 31, 15, 0), "令和7年6月"},
		{"ReiwaFirstMonth", at(2019, 5, 1, 0, 0), "令和元年5月"},
		// 2019年4月 is all 平成: 令和 began on 5月1日.
		{"HeiseiLastMonth", at(2019, 4, 1, 0, 0), "平成31年4月"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Month(tt.t); got != tt.want {
				t.Errorf("Month(%v) = %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}

func TestDateTime(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"Deadline", at(2025, 5, 1, 23, 59), "令和7年5月1日(木) 23:59"},
		{"MorningNoLeadingZero", at(2025, 5, 14, 9, 5), "令和7年5月14日(水) 9:05"},
		{"FromUTC", utc(2025, 5, 13, 15, 0), "令和7年5月14日(水) 0:00"},
		{"ReiwaFirstYear", at(2019, 10, 1, 18, 0), "令和元年10月1日(火) 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateTime(tt.t); got != tt.want {
				t.Errorf("DateTime(%v) = %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}

func TestTimeRange(t *testing.T) {
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"Evening", at(2025, 5, 14, 19, 0), at(2025, 5, 14, 20, 30), "19:00〜20:30"},
		{"MorningNoLeadingZero", at(2025, 5, 14, 9, 5), at(2025, 5, 14, 10, 0), "9:05〜10:00"},
		{"FromUTC", utc(2025, 5, 14, 10, 0), utc(2025, 5, 14, 11, 30), "19:00〜20:30"},
		{"MultiDay", at(2025, 5, 14, 9, 0), at(2025, 5, 16, 17, 0), "令和7年5月14日(水) 9:00〜5月16日(金) 17:00"},
		{"SameUTCDayButPastTokyoMidnight", utc(2025, 5, 14, 14, 0), utc(2025, 5, 14, 16, 0), "令和7年5月14日(水) 23:00〜5月15日(木) 1:00"},
		{"AcrossYears", at(2025, 12, 31, 22, 0), at(2026, 1, 1, 1, 0), "令和7年12月31日(水) 22:00〜令和8年1月1日(木) 1:00"},
		{"AcrossEras", at(2019, 4, 30, 22, 0), at(2019, 5, 1, 1, 0), "平成31年4月30日(火) 22:00〜令和元年5月1日(水) 1:00"},
		{"IntoReiwa2", at(2019, 12, 31, 22, 0), at(2020, 1, 1, 1, 0), "令和元年12月31日(火) 22:00〜令和2年1月1日(水) 1:00"},
		{"OpenEnd", at(2025, 5, 14, 19, 0), time.Time{}, "19:00〜"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TimeRange(tt.start, tt.end); got != tt.want {
				t.Errorf("TimeRange = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDateTimeRange(t *testing.T) {
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"Lecture", at(2025, 5, 14, 19, 0), at(2025, 5, 14, 20, 30), "令和7年5月14日(水) 19:00〜20:30"},
		{"SecondTuesdayMeeting", at(2026, 5, 12, 18, 0), at(2026, 5, 12, 19, 0), "令和8年5月12日(火) 18:00〜19:00"},
		{"FromUTCAcrossTokyoMidnight", utc(2025, 5, 13, 15, 30), utc(2025, 5, 13, 16, 30), "令和7年5月14日(水) 0:30〜1:30"},
		{"Workshop", at(2025, 9, 1, 9, 30), at(2025, 9, 5, 17, 0), "令和7年9月1日(月) 9:30〜9月5日(金) 17:00"},
		{"AcrossYears", at(2025, 12, 31, 22, 0), at(2026, 1, 1, 1, 0), "令和7年12月31日(水) 22:00〜令和8年1月1日(木) 1:00"},
		{"FirstYear", at(2019, 5, 14, 19, 0), at(2019, 5, 14, 20, 30), "令和元年5月14日(火) 19:00〜20:30"},
		{"OpenEnd", at(2025, 5, 14, 19, 0), time.Time{}, "令和7年5月14日(水) 19:00〜"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateTimeRange(tt.start, tt.end); got != tt.want {
				t.Errorf("DateTimeRange = %q, want %q", got, tt.want)
			}
		})
	}
}
