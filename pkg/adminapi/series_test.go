package adminapi_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jaholiday"
)

const idobataSeries = `{
	"title": "正会員の井戸端会議",
	"kind": "meeting",
	"audience": "regular",
	"description": "現役の公務員である正会員だけの、毎月第2火曜日のオンライン井戸端会議です。",
	"online_platform": "Zoom",
	"join_url": "https://zoom.example.jp/j/81000000001?pwd=idobata",
	"notes": "録画・録音なし。",
	"rule": {"week": 2, "weekday": "tuesday", "start_time": "18:00", "duration_minutes": 60},
	"months": 3,
	"publish": true,
	"registration_closes_before": "1h"
}`

func startsOf(list []any) []string {
	var out []string
	for _, x := range list {
		out = append(out, x.(map[string]any)["starts_at"].(string))
	}
	return out
}

func occurrenceStarts(t *testing.T, e *env, seriesID string, from time.Time) []string {
	t.Helper()
	occ, err := e.store.SeriesOccurrences(context.Background(), seriesID, from)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range occ {
		out = append(out, o.StartsAt.In(community.Tokyo).Format(time.RFC3339))
	}
	return out
}

func TestSeries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clock.Set(time.Date(2025, 12, 20, 12, 0, 0, 0, community.Tokyo))
	e.orgToken = e.token(e.org)

	r := e.as(call{route: adminapi.RouteCreateSeries, body: idobataSeries})
	want(t, r, 201, "")
	s := r.body["series"].(map[string]any)
	id := s["id"].(string)
	rule := s["rule"].(map[string]any)
	if rule["label"] != "毎月第2火曜日 18:00〜19:00" || rule["weekday"] != "tuesday" || s["months"] != 3.0 || s["publish"] != true {
		t.Errorf("series %v", s)
	}
	// Second Tuesdays read off a calendar: 13 January, 10 February, 10 March 2026.
	wantStarts := []string{"2026-01-13T18:00:00+09:00", "2026-02-10T18:00:00+09:00", "2026-03-10T18:00:00+09:00"}
	created := r.body["created"].([]any)
	if got := startsOf(created); !slices.Equal(got, wantStarts) {
		t.Fatalf("occurrences %v, want %v", got, wantStarts)
	}
	for _, x := range created {
		o := x.(map[string]any)
		if o["ends_at"] != o["starts_at"].(string)[:11]+"19:00:00+09:00" || o["status"] != "published" || o["series_id"] != id ||
			o["registration_closes_at"] != o["starts_at"].(string)[:11]+"17:00:00+09:00" || mustJSON(o["reminder_offsets"]) != `["24h","1h"]` {
			t.Errorf("occurrence %v", o)
		}
	}
	views, _, err := e.events.List(ctx, community.Viewer{}, community.EventQuery{})
	if err != nil || len(views) != 3 || !views[0].Restricted || views[0].ShowJoinURL {
		t.Errorf("public listing %d %v: want three restricted meetings without join URL", len(views), err)
	}
	e.audited(community.AuditSeriesCreate, id, "")

	t.Run("Get", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteGetSeries, params: map[string]string{"id": id}})
		want(t, r, 200, "")
		if got := startsOf(r.body["occurrences"].([]any)); !slices.Equal(got, wantStarts) {
			t.Errorf("occurrences %v", got)
		}
		r = e.as(call{route: adminapi.RouteListSeries})
		want(t, r, 200, "")
		if list := r.body["series"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Errorf("list %v", r.body)
		}
		want(t, e.as(call{route: adminapi.RouteGetSeries, params: map[string]string{"id": community.NewID(time.Now())}}), 404, "series_not_found")
	})

	t.Run("EnsureIsIdempotent", func(t *testing.T) {
		until := e.clock.Now().AddDate(0, 3, 0)
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i := range counts {
			wg.Go(func() {
				got, err := e.admin.Series.EnsureSeriesOccurrences(ctx, id, until)
				if err != nil {
					t.Error(err)
				}
				counts[i] = len(got)
			})
		}
		wg.Wait()
		if !slices.Equal(counts, []int{0, 0, 0, 0}) {
			t.Errorf("created %v on a full horizon", counts)
		}
		if got := occurrenceStarts(t, e, id, time.Time{}); !slices.Equal(got, wantStarts) {
			t.Errorf("occurrences %v", got)
		}
	})

	t.Run("TheClockTopsUp", func(t *testing.T) {
		e.clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, community.Tokyo))
		e.orgToken = e.token(e.org)
		var wg sync.WaitGroup
		total := make([]int, 3)
		for i := range total {
			wg.Go(func() {
				n, err := e.admin.Series.EnsureAllSeries(ctx)
				if err != nil {
					t.Error(err)
				}
				total[i] = n
			})
		}
		wg.Wait()
		if n := total[0] + total[1] + total[2]; n != 2 {
			t.Errorf("overlapping sweeps created %d occurrences (%v), want 2", n, total)
		}
		// 14 April and 12 May 2026; 9 June lies beyond 1 June, three months on.
		want := []string{"2026-03-10T18:00:00+09:00", "2026-04-14T18:00:00+09:00", "2026-05-12T18:00:00+09:00"}
		if got := occurrenceStarts(t, e, id, e.clock.Now()); !slices.Equal(got, want) {
			t.Errorf("occurrences %v, want %v", got, want)
		}
		e.audited(community.AuditSeriesExtend, id, community.SystemActor)
	})

	t.Run("EditAppliesToUntouchedFuture", func(t *testing.T) {
		occ, err := e.store.SeriesOccurrences(ctx, id, e.clock.Now())
		if err != nil || len(occ) != 3 {
			t.Fatalf("occurrences %v %v", occ, err)
		}
		march, april, may := occ[0], occ[1], occ[2]
		regular := e.member(community.MemberActive, community.MembershipRegular, "正会員 一郎")
		e.seat(april, regular, community.RegistrationConfirmed)
		want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": may.ID}, body: `{"title":"5月は拡大版"}`}), 200, "")

		r := e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": id},
			body: `{"title":"正会員の井戸端会議（新）","rule":{"start_time":"19:00"}}`})
		want(t, r, 200, "")
		if got := startsOf(r.body["updated"].([]any)); !slices.Equal(got, []string{"2026-03-10T19:00:00+09:00"}) {
			t.Errorf("updated %v, want only March, moved to 19:00", got)
		}
		if got := startsOf(r.body["kept"].([]any)); !slices.Equal(got, []string{"2026-04-14T18:00:00+09:00", "2026-05-12T18:00:00+09:00"}) {
			t.Errorf("kept %v, want April (registered) and May (edited by hand)", got)
		}
		if label := r.body["series"].(map[string]any)["rule"].(map[string]any)["label"]; label != "毎月第2火曜日 19:00〜20:00" {
			t.Errorf("rule %v", label)
		}
		for _, c := range []struct {
			ev    *community.Event
			title string
			hour  int
		}{{march, "正会員の井戸端会議（新）", 19}, {april, "正会員の井戸端会議", 18}, {may, "5月は拡大版", 18}} {
			got, err := e.store.Event(ctx, c.ev.ID)
			if err != nil || got.Title != c.title || got.StartsAt.In(community.Tokyo).Hour() != c.hour {
				t.Errorf("occurrence %s: %q at %v, want %q at %d:00", c.ev.ID, got.Title, got.StartsAt.In(community.Tokyo), c.title, c.hour)
			}
		}
		if got, _ := e.store.Event(ctx, april.ID); got.ConfirmedCount != 1 {
			t.Errorf("the registered occurrence lost its seat count: %d", got.ConfirmedCount)
		}
		e.audited(community.AuditSeriesUpdate, id, "")
	})

	refusals := []struct {
		name, body string
		field      string
	}{
		{"ErrWeekday", `{"rule":{"weekday":"wednesday"}}`, "rule"},
		{"ErrMonths", `{"months":0}`, "months"},
		{"ErrNullTitle", `{"title":null}`, "title"},
		{"ErrDuration", `{"rule":{"duration_minutes":0}}`, "rule.duration"},
	}
	for _, tt := range refusals {
		t.Run("Patch"+tt.name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": id}, body: tt.body})
			want(t, r, 400, "validation_failed")
			if _, ok := r.fields()[tt.field]; !ok {
				t.Errorf("fields %v, want %s", r.fields(), tt.field)
			}
		})
	}
	t.Run("PatchErrNotFound", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": community.NewID(time.Now())}, body: `{}`}), 404, "series_not_found")
	})
}

func TestCreateSeriesRefusals(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body, code, field string
	}{
		{"ErrNoRule", `{"title":"x","kind":"meeting","audience":"members"}`, "validation_failed", "rule"},
		{"ErrWeek", `{"title":"x","kind":"meeting","audience":"members","rule":{"week":5,"weekday":"tuesday","start_time":"18:00","duration_minutes":60}}`, "validation_failed", "rule.week"},
		{"ErrWeekday", `{"title":"x","kind":"meeting","audience":"members","rule":{"week":2,"weekday":"funday","start_time":"18:00","duration_minutes":60}}`, "validation_failed", "rule.weekday"},
		{"ErrStartTime", `{"title":"x","kind":"meeting","audience":"members","rule":{"week":2,"weekday":"火","start_time":"25:00","duration_minutes":60}}`, "validation_failed", "rule.start_time"},
		{"ErrMissingRuleField", `{"title":"x","kind":"meeting","audience":"members","rule":{"week":2,"weekday":"tue"}}`, "validation_failed", "rule.start_time"},
		{"ErrMonths", `{"title":"x","kind":"meeting","audience":"members","months":36,"rule":{"week":2,"weekday":"tue","start_time":"18:00","duration_minutes":60}}`, "validation_failed", "months"},
		{"ErrAudience", `{"title":"x","kind":"meeting","audience":"all","rule":{"week":2,"weekday":"tue","start_time":"18:00","duration_minutes":60}}`, "validation_failed", "audience"},
		{"ErrStartsAt", `{"title":"x","kind":"meeting","audience":"members","starts_at":"2026-01-13T18:00:00+09:00","rule":{"week":2,"weekday":"tue","start_time":"18:00","duration_minutes":60}}`, "unknown_field", "starts_at"},
		{"ErrRuleField", `{"title":"x","kind":"meeting","audience":"members","rule":{"week":2,"weekday":"tue","start_time":"18:00","duration_minutes":60,"every":"month"}}`, "unknown_field", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteCreateSeries, body: tt.body})
			want(t, r, 400, tt.code)
			if tt.field != "" {
				if _, ok := r.fields()[tt.field]; !ok {
					t.Errorf("fields %v, want %s", r.fields(), tt.field)
				}
			}
		})
	}
	if all, err := e.store.AllSeries(context.Background()); err != nil || len(all) != 0 {
		t.Errorf("a refused series was stored: %v %v", all, err)
	}
}

// TestSeriesSkipsTakenDays: a day that already has an occurrence under
// another id (an organizer put an event into the series by hand) gets no
// second one from the clock.
func TestSeriesSkipsTakenDays(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clock.Set(time.Date(2025, 12, 20, 12, 0, 0, 0, community.Tokyo))
	e.orgToken = e.token(e.org)
	r := e.as(call{route: adminapi.RouteCreateSeries, body: strings.Replace(idobataSeries, `"months": 3`, `"months": 1`, 1)})
	want(t, r, 201, "")
	id := r.body["series"].(map[string]any)["id"].(string)
	if got := startsOf(r.body["created"].([]any)); !slices.Equal(got, []string{"2026-01-13T18:00:00+09:00"}) {
		t.Fatalf("created %v", got)
	}
	hand := e.lecture(0, map[string]any{
		"title": "2月は特別回", "kind": "meeting", "audience": "regular", "series_id": id,
		"starts_at": "2026-02-10T18:30:00+09:00", "ends_at": "2026-02-10T20:00:00+09:00",
	})
	want(t, e.as(call{route: adminapi.RouteCreateEvent, body: hand}), 201, "")
	created, err := e.admin.Series.EnsureSeriesOccurrences(ctx, id, time.Date(2026, 3, 20, 0, 0, 0, 0, community.Tokyo))
	if err != nil || len(created) != 1 {
		t.Fatalf("created %v %v, want only March", created, err)
	}
	want := []string{"2026-01-13T18:00:00+09:00", "2026-02-10T18:30:00+09:00", "2026-03-10T18:00:00+09:00"}
	if got := occurrenceStarts(t, e, id, time.Time{}); !slices.Equal(got, want) {
		t.Errorf("occurrences %v, want %v", got, want)
	}
}

// TestSeriesHolidays: the second-Tuesday meeting with holidays skipped has
// no occurrence on 2025-02-11 (建国記念の日) nor on any other holiday to
// the end of 2030; moving puts February on a 平日 under the same id, and
// the preview says which months moved or were skipped.
func TestSeriesHolidays(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.clock.Set(time.Date(2024, 12, 20, 12, 0, 0, 0, community.Tokyo))
	e.orgToken = e.token(e.org)
	body := strings.Replace(idobataSeries, `"duration_minutes": 60}`, `"duration_minutes": 60, "holidays": "skip"}`, 1)
	r := e.as(call{route: adminapi.RouteCreateSeries, body: body})
	want(t, r, 201, "")
	s := r.body["series"].(map[string]any)
	id := s["id"].(string)
	if rule := s["rule"].(map[string]any); rule["holidays"] != "skip" || rule["label"] != "毎月第2火曜日 18:00〜19:00（祝日は休み）" {
		t.Errorf("rule %v", rule)
	}
	if got := startsOf(r.body["created"].([]any)); !slices.Equal(got, []string{"2025-01-14T18:00:00+09:00", "2025-03-11T18:00:00+09:00"}) {
		t.Fatalf("created %v, want January and March only", got)
	}

	g := e.as(call{route: adminapi.RouteGetSeries, params: map[string]string{"id": id}})
	want(t, g, 200, "")
	up := g.body["upcoming"].([]any)
	if len(up) != 3 || mustJSON(up[1]) != `{"holiday":"建国記念の日","moved":false,"rule_date":"2025-02-11","skipped":true,"starts_at":null}` {
		t.Errorf("upcoming %v", mustJSON(up))
	}

	t.Run("MoveNext", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": id}, body: `{"rule":{"holidays":"next_weekday"}}`})
		want(t, r, 200, "")
		if got := startsOf(r.body["created"].([]any)); !slices.Equal(got, []string{"2025-02-12T18:00:00+09:00"}) {
			t.Errorf("created %v, want the 12th", got)
		}
	})
	feb := community.OccurrenceID(id, time.Date(2025, 2, 11, 18, 0, 0, 0, community.Tokyo))
	t.Run("MovePrevious", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": id}, body: `{"rule":{"holidays":"previous_weekday"}}`})
		want(t, r, 200, "")
		o, err := e.store.Event(ctx, feb)
		if err != nil || o.StartsAt.In(community.Tokyo).Format(time.DateTime) != "2025-02-10 18:00:00" {
			t.Errorf("February's occurrence %v %v, want moved to the 10th under its id", o, err)
		}
		want := []string{"2025-01-14T18:00:00+09:00", "2025-02-10T18:00:00+09:00", "2025-03-11T18:00:00+09:00"}
		if got := occurrenceStarts(t, e, id, time.Time{}); !slices.Equal(got, want) {
			t.Errorf("occurrences %v, want %v", got, want)
		}
	})
	t.Run("ErrPolicy", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": id}, body: `{"rule":{"holidays":"monday"}}`})
		want(t, r, 400, "validation_failed")
		if _, ok := r.fields()["rule.holidays"]; !ok {
			t.Errorf("fields %v", r.fields())
		}
	})
	t.Run("Skip2025To2030", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteCreateSeries, body: strings.Replace(body, `"title": "正会員の井戸端会議"`, `"title": "全会員の井戸端会議"`, 1)})
		want(t, r, 201, "")
		sid := r.body["series"].(map[string]any)["id"].(string)
		if _, err := e.admin.Series.EnsureSeriesOccurrences(ctx, sid, time.Date(2031, 1, 1, 0, 0, 0, 0, community.Tokyo)); err != nil {
			t.Fatal(err)
		}
		occ, err := e.store.SeriesOccurrences(ctx, sid, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range occ {
			if name, ok := jaholiday.Name(o.StartsAt); ok {
				t.Errorf("an occurrence on %s (%s)", o.StartsAt.Format(time.DateOnly), name)
			}
		}
		// 72 months less the two whose second Tuesday is a holiday:
		// 2025-02-11 建国記念の日 and 2026-08-11 山の日.
		if len(occ) != 70 {
			t.Errorf("%d occurrences, want 70", len(occ))
		}
	})
}
