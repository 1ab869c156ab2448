package dynamo_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

func admSeries() *community.Series {
	lo, hi := 25, 39
	return &community.Series{
		ID: community.NewID(base),
		Template: community.Event{
			Title: "正会員の井戸端会議", Kind: community.KindMeeting, Audience: community.AudienceRegular,
			Description: "毎月第2火曜日", OnlinePlatform: "Zoom", JoinURL: "https://zoom.example.jp/j/1",
			Capacity: 30, Waitlist: true, Venue: &community.Venue{Name: "オンライン"},
			Eligibility: &community.Eligibility{PublicServantOnly: true, MinAge: &lo, MaxAge: &hi},
			Speakers:    []string{"運営"}, Notes: "録画・録音なし", ReminderOffsets: []time.Duration{24 * time.Hour, time.Hour},
		},
		Rule:                     community.MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour, Holidays: community.HolidayNextWeekday},
		RegistrationOpensBefore:  30 * 24 * time.Hour,
		RegistrationClosesBefore: time.Hour,
		Months:                   6, Publish: true, CreatedAt: base, UpdatedAt: base,
	}
}

func TestSeries(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	sr := admSeries()
	if err := s.CreateSeries(ctx, sr); err != nil {
		t.Fatal(err)
	}
	if sr.Version != 1 {
		t.Errorf("version %d after create, want 1", sr.Version)
	}
	got, err := s.Series(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sr) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, sr)
	}
	err = s.CreateSeries(ctx, sr)
	wantErr(t, err, community.ErrSeriesExists)
	_, err = s.Series(ctx, community.NewID(base))
	wantErr(t, err, community.ErrSeriesNotFound)

	t.Run("Update", func(t *testing.T) {
		stale := *got
		got.Template.Title, got.Template.ReminderOffsets = "全会員の井戸端会議", []time.Duration{}
		got.Rule.Holidays = community.HolidayKeep // stored as no attribute, as series made before the policy are
		if err := s.UpdateSeries(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, err := s.Series(ctx, sr.ID)
		if err != nil || again.Template.Title != "全会員の井戸端会議" || again.Version != 2 ||
			again.Template.ReminderOffsets == nil || len(again.Template.ReminderOffsets) != 0 ||
			again.Rule.Holidays != community.HolidayKeep {
			t.Fatalf("after update %+v %v (no reminders must stay no reminders)", again, err)
		}
		err = s.UpdateSeries(ctx, &stale)
		wantErr(t, err, community.ErrSeriesChanged)
		missing := admSeries()
		err = s.UpdateSeries(ctx, missing)
		wantErr(t, err, community.ErrSeriesNotFound)
	})
	t.Run("All", func(t *testing.T) {
		other := admSeries()
		other.CreatedAt = base.Add(time.Hour)
		if err := s.CreateSeries(ctx, other); err != nil {
			t.Fatal(err)
		}
		all, err := s.AllSeries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range all {
			ids = append(ids, x.ID)
		}
		if !slices.Equal(ids, []string{sr.ID, other.ID}) {
			t.Errorf("all series %v, want oldest first %v", ids, []string{sr.ID, other.ID})
		}
	})
	t.Run("Occurrences", func(t *testing.T) {
		var want []string
		for i, st := range []community.EventStatus{community.EventDraft, community.EventPublished, community.EventCancelled} {
			e := newEvent(base.Add(time.Duration(i+1)*24*time.Hour), community.KindMeeting, st)
			e.SeriesID = sr.ID
			if err := s.CreateEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			want = append(want, e.ID)
		}
		lone := newEvent(base.Add(time.Hour), community.KindMeeting, community.EventPublished)
		if err := s.CreateEvent(ctx, lone); err != nil {
			t.Fatal(err)
		}
		occ, err := s.SeriesOccurrences(ctx, sr.ID, base)
		if err != nil {
			t.Fatal(err)
		}
		if got := regIDsOfEvents(occ); !slices.Equal(got, want) {
			t.Errorf("occurrences %v, want every status by start %v", got, want)
		}
		later, err := s.SeriesOccurrences(ctx, sr.ID, base.Add(36*time.Hour))
		if err != nil || !slices.Equal(regIDsOfEvents(later), want[1:]) {
			t.Errorf("occurrences from a later time = %v %v", regIDsOfEvents(later), err)
		}
	})
}

func regIDsOfEvents(list []*community.Event) []string {
	out := []string{}
	for _, e := range list {
		out = append(out, e.ID)
	}
	return out
}
