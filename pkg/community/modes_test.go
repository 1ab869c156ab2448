package community

import (
	"errors"
	"testing"
	"time"
)

func TestValidateMode(t *testing.T) {
	start := time.Date(2026, 9, 1, 0, 30, 0, 0, time.UTC)
	closes := start.Add(-72 * time.Hour)
	base := func(mod func(e *Event)) *Event {
		e := &Event{Title: "キャリア開発塾", Kind: KindWorkshop, Audience: AudiencePublic, StartsAt: start,
			EndsAt: start.Add(8 * time.Hour), Capacity: 16, RegistrationClosesAt: &closes}
		mod(e)
		return e
	}
	tests := []struct {
		name  string
		e     *Event
		field string // "" when valid
	}{
		{"FirstComeZero", base(func(e *Event) {}), ""},
		{"Selection", base(func(e *Event) { e.Mode = ModeSelection }), ""},
		{"SelectionNeedsDeadline", base(func(e *Event) { e.Mode, e.RegistrationClosesAt = ModeSelection, nil }), "registration_closes_at"},
		{"UnknownMode", base(func(e *Event) { e.Mode = "raffle" }), "mode"},
		{"LotteryNeedsDrawAt", base(func(e *Event) { e.Mode = ModeLottery }), "lottery.draw_at"},
		{"LotteryBeforeDeadline", base(func(e *Event) {
			e.Mode, e.Lottery = ModeLottery, &Lottery{DrawAt: closes.Add(-time.Hour), FirstTimeWeight: 1}
		}), "lottery.draw_at"},
		{"LotteryAfterStart", base(func(e *Event) {
			e.Mode, e.Lottery = ModeLottery, &Lottery{DrawAt: start, FirstTimeWeight: 1}
		}), "lottery.draw_at"},
		{"LotteryWeightTooBig", base(func(e *Event) {
			e.Mode, e.Lottery = ModeLottery, &Lottery{DrawAt: closes.Add(time.Hour), FirstTimeWeight: 11}
		}), "lottery.first_time_weight"},
		{"LotteryOnFirstCome", base(func(e *Event) { e.Lottery = &Lottery{DrawAt: closes.Add(time.Hour)} }), "lottery"},
		{"Lottery", base(func(e *Event) {
			e.Mode, e.Lottery = ModeLottery, &Lottery{DrawAt: closes.Add(time.Hour), Reserves: 4, FirstTimeWeight: 2}
		}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Fields[tt.field] == "" {
				t.Fatalf("Validate() = %v, want a message on %s", err, tt.field)
			}
		})
	}
}

func TestTakesApplications(t *testing.T) {
	drawn := time.Date(2026, 8, 30, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		e               Event
		applies, refill bool
	}{
		{"FirstCome", Event{}, false, false},
		{"Selection", Event{Mode: ModeSelection}, true, false},
		{"LotteryUndrawn", Event{Mode: ModeLottery, Lottery: &Lottery{FillRemaining: true}}, true, false},
		{"LotteryDrawn", Event{Mode: ModeLottery, Lottery: &Lottery{DrawnAt: &drawn}}, true, false},
		{"LotteryDrawnFill", Event{Mode: ModeLottery, Lottery: &Lottery{DrawnAt: &drawn, FillRemaining: true}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.TakesApplications(); got != tt.applies {
				t.Errorf("TakesApplications() = %v, want %v", got, tt.applies)
			}
			if got := tt.e.FillingRemaining(); got != tt.refill {
				t.Errorf("FillingRemaining() = %v, want %v", got, tt.refill)
			}
		})
	}
}
