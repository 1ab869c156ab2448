package community

import (
	"errors"
	"testing"
	"time"
)

func framedEvent(frames ...Frame) *Event {
	start := time.Date(2026, 12, 10, 19, 0, 0, 0, Tokyo)
	return &Event{
		Title: "研修", Kind: KindWorkshop, Audience: AudiencePublic, StartsAt: start, EndsAt: start.Add(time.Hour),
		Frames: frames,
	}
}

func TestFrameValidation(t *testing.T) {
	ok := Frame{ID: "venue", Name: "会場", Capacity: 10, Waitlist: true}
	online := Frame{ID: "online", Name: "オンライン", Capacity: 10, JoinURL: "https://zoom.example.jp/j/1"}
	tests := []struct {
		name   string
		e      *Event
		fields []string // fields that must be reported; none = valid
	}{
		{"NoFrames", framedEvent(), nil},
		{"TwoFrames", framedEvent(ok, online), nil},
		{"BadID", framedEvent(Frame{ID: "Venue!", Name: "会場"}), []string{"frames[0].id"}},
		{"LongID", framedEvent(Frame{ID: "abcdefghijklmnopqrstuvwxyz0123456", Name: "会場"}), []string{"frames[0].id"}},
		{"DuplicateID", framedEvent(ok, Frame{ID: "venue", Name: "別"}), []string{"frames[1].id"}},
		{"NoName", framedEvent(Frame{ID: "a"}), []string{"frames[0].name"}},
		{"NegativeCapacity", framedEvent(Frame{ID: "a", Name: "A", Capacity: -1}), []string{"frames[0].capacity"}},
		{"WaitlistUnlimited", framedEvent(Frame{ID: "a", Name: "A", Waitlist: true}), []string{"frames[0].waitlist"}},
		{"HTTPJoinURL", framedEvent(Frame{ID: "a", Name: "A", JoinURL: "http://x.example.jp"}), []string{"frames[0].join_url"}},
		{"EmptyVenue", framedEvent(Frame{ID: "a", Name: "A", Venue: &Venue{}}), []string{"frames[0].venue"}},
		// A lottery frame needs what a lottery event needs: a deadline and a draw.
		{"LotteryFrame", framedEvent(Frame{ID: "a", Name: "A", Mode: ModeLottery}), []string{"registration_closes_at", "lottery.draw_at"}},
		{"SelectionFrame", framedEvent(Frame{ID: "a", Name: "A", Mode: ModeSelection}), []string{"registration_closes_at"}},
		{"LotterySettingsWithoutLotteryFrame", func() *Event { e := framedEvent(ok); e.Lottery = &Lottery{}; return e }(), []string{"lottery"}},
		{"UnknownMode", framedEvent(Frame{ID: "a", Name: "A", Mode: "raffle"}), []string{"frames[0].mode"}},
		{"MultipleWithOne", func() *Event { e := framedEvent(ok); e.MultipleFrames = true; return e }(), []string{"multiple_frames"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.e.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrValidation) {
				t.Fatalf("Validate() = %v, want validation_failed", err)
			}
			for _, f := range tt.fields {
				if _, ok := ce.Fields[f]; !ok {
					t.Errorf("no message for %s in %v", f, ce.Fields)
				}
			}
		})
	}
}

func TestFrameLookup(t *testing.T) {
	venue := Frame{ID: "venue", Name: "会場", Capacity: 10, Venue: &Venue{Name: "市民会館"}}
	online := Frame{ID: "online", Name: "オンライン", Capacity: 5, JoinURL: "https://zoom.example.jp/j/1", OnlinePlatform: "Zoom"}
	plain := framedEvent()
	plain.JoinURL, plain.Capacity = "https://meet.example.jp/x", 7
	one := framedEvent(venue)
	two := framedEvent(venue, online)
	tests := []struct {
		name string
		e    *Event
		id   string
		want string
		err  error
	}{
		{"PlainDefault", plain, "", "", nil},
		{"PlainNamed", plain, "venue", "", ErrUnknownFrame},
		{"OneDefault", one, "", "venue", nil},
		{"TwoMissing", two, "", "", ErrFrameRequired},
		{"TwoNamed", two, "online", "online", nil},
		{"TwoUnknown", two, "party", "", ErrUnknownFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.e.Frame(tt.id)
			if !errors.Is(err, tt.err) || (err == nil && f.ID != tt.want) {
				t.Errorf("Frame(%q) = %v, %v; want %q, %v", tt.id, f, err, tt.want, tt.err)
			}
		})
	}
	if got := plain.ForFrame(""); got.JoinURL != plain.JoinURL || got.Capacity != 7 {
		t.Errorf("an event without frames is its own frame: %+v", got)
	}
	if got := two.ForFrame("venue"); got.JoinURL != "" || got.Venue == nil || got.Capacity != 10 || *got.SeatsLeft() != 10 {
		t.Errorf("venue frame: join %q venue %v capacity %d", got.JoinURL, got.Venue, got.Capacity)
	}
	if got := two.ForFrame("online"); got.JoinURL != online.JoinURL || got.Venue != nil || got.Capacity != 5 {
		t.Errorf("online frame: join %q venue %v capacity %d", got.JoinURL, got.Venue, got.Capacity)
	}
	if got := two.ForFrame("gone"); got.JoinURL != "" || got.OnlinePlatform != "" {
		t.Errorf("unknown frame keeps joining details: %+v", got)
	}
	lot := framedEvent(Frame{ID: "a", Name: "A", Mode: ModeLottery}, Frame{ID: "b", Name: "B"})
	lot.Mode = ModeFirstCome
	if _, fe, err := lot.Entry("a"); err != nil || !fe.TakesApplications() || fe.Mode != ModeLottery {
		t.Errorf("a lottery frame takes applications: %v, %+v", err, fe)
	}
	if _, fe, err := lot.Entry("b"); err != nil || fe.TakesApplications() {
		t.Errorf("a first-come frame beside it takes registrations: %v, %+v", err, fe)
	}
	lot.Lottery = &Lottery{DrawnAt: &lot.StartsAt}
	if _, _, err := lot.Entry("a"); !errors.Is(err, ErrLotteryDrawn) {
		t.Errorf("a drawn lottery frame: %v, want lottery_drawn", err)
	}
	if _, _, err := lot.Entry("b"); err != nil {
		t.Errorf("the first-come frame of a drawn event: %v", err)
	}
	full := framedEvent(Frame{ID: "a", Name: "A", Capacity: 2, ConfirmedCount: 2}, Frame{ID: "b", Name: "B", Capacity: 5, ConfirmedCount: 1})
	if left := full.SeatsLeft(); left == nil || *left != 4 {
		t.Errorf("seats left over frames = %v, want 4", left)
	}
	if left := framedEvent(Frame{ID: "a", Name: "A"}, Frame{ID: "b", Name: "B", Capacity: 5}).SeatsLeft(); left != nil {
		t.Errorf("an unlimited frame leaves %v seats, want unlimited", *left)
	}
}
