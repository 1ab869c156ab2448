package dynamo

import "testing"

func TestWaitlistPlace(t *testing.T) {
	tests := []struct {
		name string
		seq  int64
		c    waitlistSeqItem
		want int
	}{
		{"Fresh", 7, waitlistSeqItem{Seq: 9}, 7},
		{"BurnedBelow", 7, waitlistSeqItem{Seq: 9, Burned: []int64{2, 5}}, 5},
		{"LeftBelow", 7, waitlistSeqItem{Seq: 9, Left: []int64{1}}, 6},
		{"AboveIgnored", 3, waitlistSeqItem{Seq: 9, Burned: []int64{4, 8}, Left: []int64{5}}, 3},
		{"Both", 6, waitlistSeqItem{Seq: 9, Burned: []int64{1, 3}, Left: []int64{2, 6, 7}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := waitlistPlace(tt.seq, tt.c); got != tt.want {
				t.Errorf("waitlistPlace(%d) = %d, want %d", tt.seq, got, tt.want)
			}
		})
	}
}
