package mail

import (
	"context"
	"testing"
	"time"
)

func TestPace(t *testing.T) {
	t.Run("Spaces", func(t *testing.T) {
		p := NewPace(50, time.Time{})
		start := time.Now()
		for range 6 {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took < 100*time.Millisecond {
			t.Errorf("6 waits at 50/s took %v, want at least 100ms", took)
		}
	})
	t.Run("UnpacedNeverWaits", func(t *testing.T) {
		p := NewPace(0, time.Time{})
		start := time.Now()
		for range 100 {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("100 unpaced waits took %v", took)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		p := NewPace(1.0/3600, time.Time{})
		ctx, cancel := context.WithCancel(context.Background())
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err) // the first slot is now
		}
		cancel()
		if err := p.Wait(ctx); err == nil {
			t.Error("a canceled wait returned nil")
		}
	})
	t.Run("Spent", func(t *testing.T) {
		if NewPace(0, time.Time{}).Spent() {
			t.Error("a pace without a stop is spent")
		}
		if NewPace(0, time.Now().Add(time.Hour)).Spent() {
			t.Error("a pace an hour from its stop is spent")
		}
		if !NewPace(0, time.Now().Add(-time.Millisecond)).Spent() {
			t.Error("a pace past its stop is not spent")
		}
	})
	t.Run("PacingStopsBeforeTheDeadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if !Pacing(0, 5*time.Second)(ctx).Spent() {
			t.Error("3 s before the deadline with a 5 s margin: not spent")
		}
		if Pacing(0, time.Second)(ctx).Spent() {
			t.Error("3 s before the deadline with a 1 s margin: spent")
		}
		if Pacing(0, time.Second)(context.Background()).Spent() {
			t.Error("no deadline: spent")
		}
	})
}
