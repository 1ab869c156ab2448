package demo

import (
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// TestDeadline: a deadline is 17:00 in Tokyo, and one that would fall in
// 年末年始 moves back to 28 December.
func TestDeadline(t *testing.T) {
	tokyo := community.Tokyo
	for _, tt := range []struct {
		start time.Time
		days  int
		want  time.Time
	}{
		{time.Date(2027, 1, 8, 13, 30, 0, 0, tokyo), 7, time.Date(2026, 12, 28, 17, 0, 0, 0, tokyo)},
		{time.Date(2027, 1, 25, 9, 30, 0, 0, tokyo), 21, time.Date(2027, 1, 4, 17, 0, 0, 0, tokyo)},
		{time.Date(2027, 1, 24, 9, 30, 0, 0, tokyo), 21, time.Date(2026, 12, 28, 17, 0, 0, 0, tokyo)},
		{time.Date(2026, 6, 10, 19, 0, 0, 0, tokyo), 7, time.Date(2026, 6, 3, 17, 0, 0, 0, tokyo)},
	} {
		if got := deadline(tt.start, tt.days); !got.Equal(tt.want) {
			t.Errorf("deadline(%v, %d) = %v, want %v", tt.start, tt.days, got, tt.want)
		}
	}
}
