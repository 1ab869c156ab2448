package devserver

import (
	"testing"
	"time"
)

func TestParseScheduleNext(t *testing.T) {
	base := time.Date(2025, 5, 1, 10, 7, 30, 0, time.UTC) // a Thursday
	tests := []struct {
		name, expr, tz string
		after          time.Time
		want           []time.Time // consecutive firings
	}{
		{"RateMinutes", "rate(5 minutes)", "", base, []time.Time{base.Add(5 * time.Minute), base.Add(10 * time.Minute)}},
		{"RateOneHour", "rate(1 hour)", "", base, []time.Time{base.Add(time.Hour)}},
		{"CronEveryFiveMinutes", "cron(0/5 * * * ? *)", "", base,
			[]time.Time{time.Date(2025, 5, 1, 10, 10, 0, 0, time.UTC), time.Date(2025, 5, 1, 10, 15, 0, 0, time.UTC)}},
		{"CronDailyUTC", "cron(0 9 * * ? *)", "", base,
			[]time.Time{time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC), time.Date(2025, 5, 3, 9, 0, 0, 0, time.UTC)}},
		{"CronWeekdaysTokyo", "cron(30 8 ? * MON-FRI *)", "Asia/Tokyo", base, // 19:07 JST Thursday
			[]time.Time{time.Date(2025, 5, 2, 8, 30, 0, 0, tz(t, "Asia/Tokyo")), time.Date(2025, 5, 5, 8, 30, 0, 0, tz(t, "Asia/Tokyo"))}},
		{"CronSecondTuesday", "cron(0 18 ? * 3#2 *)", "Asia/Tokyo", base,
			[]time.Time{time.Date(2025, 5, 13, 18, 0, 0, 0, tz(t, "Asia/Tokyo")), time.Date(2025, 6, 10, 18, 0, 0, 0, tz(t, "Asia/Tokyo"))}},
		{"CronLastDayOfMonth", "cron(0 0 L * ? *)", "", base,
			[]time.Time{time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)}},
		{"CronLastFriday", "cron(0 12 ? * 6L *)", "", base,
			[]time.Time{time.Date(2025, 5, 30, 12, 0, 0, 0, time.UTC), time.Date(2025, 6, 27, 12, 0, 0, 0, time.UTC)}},
		{"CronMonthNamesAndList", "cron(15 6,18 1 JAN,JUL ? 2026)", "", base,
			[]time.Time{time.Date(2026, 1, 1, 6, 15, 0, 0, time.UTC), time.Date(2026, 1, 1, 18, 15, 0, 0, time.UTC), time.Date(2026, 7, 1, 6, 15, 0, 0, time.UTC)}},
		{"At", "at(2025-05-02T09:00:00)", "", base, []time.Time{time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := ParseSchedule(tt.expr, tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			at := tt.after
			for i, want := range tt.want {
				got, ok := tm.Next(at)
				if !ok || !got.Equal(want) {
					t.Fatalf("firing %d after %s = %s %v, want %s", i, at, got, ok, want)
				}
				at = got
			}
		})
	}
}

func TestScheduleEnds(t *testing.T) {
	tests := []struct{ name, expr string }{
		{"AtInThePast", "at(2020-01-01T00:00:00)"},
		{"CronYearsOver", "cron(0 0 1 1 ? 2021)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := ParseSchedule(tt.expr, "")
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := tm.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
				t.Errorf("Next = %s, want none", got)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, expr := range []string{
		"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 weeks)", "rate(five minutes)",
		"cron(0 9 * * * *)", "cron(0 9 ? * ? *)", "cron(0 9 * *)", "cron(60 9 * * ? *)", "cron(0 9 15W * ? *)",
		"cron(0 9 ? * 3#6 *)", "every 5 minutes", "at(tomorrow)",
	} {
		t.Run(expr, func(t *testing.T) {
			if _, err := ParseSchedule(expr, ""); err == nil {
				t.Errorf("ParseSchedule(%q) accepted", expr)
			}
		})
	}
	if _, err := ParseSchedule("rate(5 minutes)", "Mars/Olympus"); err == nil {
		t.Error("unknown time zone accepted")
	}
}

func tz(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
