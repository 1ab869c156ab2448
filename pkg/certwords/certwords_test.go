package certwords

import (
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// The certificate writes an event's day and hours as pages and mails do.
func TestWhen(t *testing.T) {
	start := time.Date(2025, 8, 4, 0, 0, 0, 0, time.UTC) // 9:00 JST
	for name, c := range map[string]struct {
		end  time.Time
		want string
	}{
		"SameDay":    {start.Add(8 * time.Hour), "令和7年8月4日(月) 9:00〜17:00"},
		"AcrossDays": {start.Add(4*24*time.Hour + 8*time.Hour), "令和7年8月4日(月) 9:00〜8月8日(金) 17:00"},
		"OpenEnd":    {time.Time{}, "令和7年8月4日(月) 9:00〜"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := When(start, c.end); got != c.want {
				t.Errorf("When = %q, want %q", got, c.want)
			}
		})
	}
	if got := Day(start); got != "令和7年8月4日" {
		t.Errorf("Day = %q", got)
	}
}

// Where: the venue, online, or both.
func TestPlace(t *testing.T) {
	v := &community.Venue{Name: "伊勢崎市民プラザ", Address: "群馬県伊勢崎市昭和町3919"}
	for name, c := range map[string]struct {
		e            community.Event
		label, place string
	}{
		"Venue":  {community.Event{Venue: v}, "会場", "伊勢崎市民プラザ（群馬県伊勢崎市昭和町3919）"},
		"Online": {community.Event{OnlinePlatform: "Zoom"}, "開催方法", "オンライン（Zoom）"},
		"Hybrid": {community.Event{Venue: v, OnlinePlatform: "Zoom"}, "会場", "伊勢崎市民プラザ（群馬県伊勢崎市昭和町3919）／オンライン（Zoom）"},
	} {
		t.Run(name, func(t *testing.T) {
			if l, p := Place(&c.e); l != c.label || p != c.place {
				t.Errorf("Place = %q, %q", l, p)
			}
		})
	}
}
