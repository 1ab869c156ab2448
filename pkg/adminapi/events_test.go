package adminapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestCreateEvent(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(14, nil)})
		want(t, r, 201, "")
		b := r.body
		if b["status"] != "draft" || b["join_url"] != "https://zoom.example.jp/j/81000000003?pwd=shijuku" ||
			b["confirmed_count"] != 0.0 || b["title"] != "私塾：インフラ長寿命化計画のつくり方" {
			t.Errorf("created %v", b)
		}
		if got := b["reminder_offsets"]; mustJSON(got) != `["24h","1h"]` {
			t.Errorf("reminder_offsets %v, want the default 24h and 1h", got)
		}
		if loc := r.resp.Headers["Location"]; loc != "/api/admin/events/"+b["id"].(string) {
			t.Errorf("Location %q", loc)
		}
		// A draft is not listed and is invisible to everyone else.
		if _, err := e.events.Get(context.Background(), community.Viewer{}, b["id"].(string)); community.ErrorCode(err) != community.NotFound {
			t.Errorf("draft visible to the public: %v", err)
		}
		e.audited(community.AuditEventCreate, b["id"].(string), "")
	})
	t.Run("FixtureNoReminders", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/create-event.json")
		if err != nil {
			t.Fatal(err)
		}
		var req events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		req.Headers["authorization"] = "Bearer " + e.orgToken
		r := e.send(req)
		want(t, r, 201, "")
		el, _ := r.body["eligibility"].(map[string]any)
		if r.body["kind"] != "workshop" || mustJSON(r.body["reminder_offsets"]) != `["72h"]` || r.body["capacity"] != 16.0 ||
			el["public_servant_only"] != true || el["min_age"] != 25.0 || el["max_age"] != 39.0 || r.body["fee_jpy"] != 35000.0 {
			t.Errorf("created %v", r.body)
		}
	})
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"ErrUnknownField", e.lecture(14, map[string]any{"status": "published"}), 400, "unknown_field", "status"},
		{"ErrCounter", e.lecture(14, map[string]any{"confirmed_count": 3}), 400, "unknown_field", "confirmed_count"},
		{"ErrVenueUnknownField", e.lecture(14, map[string]any{"venue": map[string]any{"name": "会場", "floor": 3}}), 400, "unknown_field", ""},
		{"ErrEligibilityUnknownField", e.lecture(14, map[string]any{"eligibility": map[string]any{"gender": "x"}}), 400, "unknown_field", ""},
		{"ErrEndBeforeStart", e.lecture(14, map[string]any{"ends_at": e.clock.Now().AddDate(0, 0, 13).Format(time.RFC3339)}), 400, "validation_failed", "ends_at"},
		{"ErrCapacity", e.lecture(14, map[string]any{"capacity": -1}), 400, "validation_failed", "capacity"},
		{"ErrAudience", e.lecture(14, map[string]any{"audience": "everyone"}), 400, "validation_failed", "audience"},
		{"ErrKind", e.lecture(14, map[string]any{"kind": "party"}), 400, "validation_failed", "kind"},
		{"ErrAges", e.lecture(14, map[string]any{"eligibility": map[string]any{"min_age": 40, "max_age": 25}}), 400, "validation_failed", "eligibility.max_age"},
		{"ErrJoinURLHTTP", e.lecture(14, map[string]any{"join_url": "http://zoom.example.jp/j/1"}), 400, "validation_failed", "join_url"},
		{"ErrJoinURLScript", e.lecture(14, map[string]any{"join_url": "javascript:alert(1)"}), 400, "validation_failed", "join_url"},
		{"ErrWindowAfterStart", e.lecture(14, map[string]any{"registration_closes_at": e.clock.Now().AddDate(0, 0, 20).Format(time.RFC3339)}), 400, "validation_failed", "registration_closes_at"},
		{"ErrTimeFormat", e.lecture(14, map[string]any{"starts_at": "2026/05/14 19:00"}), 400, "validation_failed", "starts_at"},
		{"ErrTimeNoOffset", e.lecture(14, map[string]any{"starts_at": "2026-05-14T19:00:00"}), 400, "validation_failed", "starts_at"},
		{"ErrNullTitle", e.lecture(14, map[string]any{"title": json.RawMessage("null")}), 400, "validation_failed", "title"},
		{"ErrMissingTitle", e.lecture(14, map[string]any{"title": nil}), 400, "validation_failed", "title"},
		{"ErrReminder", e.lecture(14, map[string]any{"reminder_offsets": []string{"soon"}}), 400, "validation_failed", "reminder_offsets"},
		{"ErrUnknownSeries", e.lecture(14, map[string]any{"series_id": community.NewID(time.Now())}), 400, "validation_failed", "series_id"},
		{"ErrTitleCRLF", e.lecture(14, map[string]any{"title": "私塾\r\nBcc: victim@example.jp"}), 400, "validation_failed", "title"},
		{"ErrTypeMismatch", e.lecture(14, map[string]any{"capacity": "30"}), 400, "invalid_field", "capacity"},
		{"ErrNotJSON", "{", 400, "invalid_json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteCreateEvent, body: tt.body})
			want(t, r, tt.status, tt.code)
			if tt.field != "" {
				if _, ok := r.fields()[tt.field]; !ok {
					t.Errorf("fields %v, want one for %s", r.fields(), tt.field)
				}
			}
		})
	}
	t.Run("ErrContentType", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(14, nil), ctype: "text/plain"}), 415, "unsupported_media_type")
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		big := e.lecture(14, map[string]any{"description": strings.Repeat("あ", 30000)})
		want(t, e.as(call{route: adminapi.RouteCreateEvent, body: big}), 413, "too_large")
	})
}

func TestPublishEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(7, nil)})
	id := r.body["id"].(string)
	p := map[string]string{"id": id}

	r = e.as(call{route: adminapi.RoutePublishEvent, params: p})
	want(t, r, 200, "")
	if r.body["status"] != "published" {
		t.Fatalf("published %v", r.body)
	}
	views, _, err := e.events.List(ctx, community.Viewer{}, community.EventQuery{})
	if err != nil || len(views) != 1 || views[0].ID != id || views[0].ShowJoinURL {
		t.Errorf("public listing %v %v, want the event without its join URL", views, err)
	}
	e.audited(community.AuditEventPublish, id, "")
	want(t, e.as(call{route: adminapi.RoutePublishEvent, params: p}), 200, "") // again: unchanged

	t.Run("ErrBody", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RoutePublishEvent, params: p, body: `{"status":"draft"}`}), 400, "unknown_field")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RoutePublishEvent, params: map[string]string{"id": community.NewID(time.Now())}}), 404, "event_not_found")
		want(t, e.as(call{route: adminapi.RoutePublishEvent, params: map[string]string{"id": "../../etc"}}), 404, "event_not_found")
	})
	t.Run("ErrStarted", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(1, nil)})
		e.clock.Advance(3 * 24 * time.Hour)
		defer e.clock.Advance(-3 * 24 * time.Hour)
		want(t, e.as(call{route: adminapi.RoutePublishEvent, params: map[string]string{"id": r.body["id"].(string)}}), 422, "event_started")
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		ev := e.published(5, nil)
		want(t, e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": ev.ID}, body: `{"reason":"講師の都合"}`}), 202, "")
		want(t, e.as(call{route: adminapi.RoutePublishEvent, params: map[string]string{"id": ev.ID}}), 422, "event_cancelled")
	})
}

func TestGetEvent(t *testing.T) {
	e := newEnv(t)
	r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(7, nil)})
	id := r.body["id"].(string)
	r = e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": id}})
	want(t, r, 200, "")
	if r.body["status"] != "draft" || r.body["join_url"] == nil {
		t.Errorf("organizer view %v", r.body)
	}
	want(t, e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": community.NewID(time.Now())}}), 404, "event_not_found")
}

func TestUpdateEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(10, map[string]any{"capacity": 2, "venue": map[string]any{"name": "伊勢崎市役所", "address": "群馬県伊勢崎市今泉町2-410"}})
	p := map[string]string{"id": ev.ID}
	m1 := e.member(community.MemberActive, community.MembershipRegular, "確定 一郎")
	e.seat(ev, m1, community.RegistrationConfirmed)
	e.guest(ev, "確定 二郎", community.RegistrationConfirmed)
	w1 := e.guest(ev, "待ち 一号", community.RegistrationWaitlisted)
	w2 := e.guest(ev, "待ち 二号", community.RegistrationWaitlisted)
	w3 := e.guest(ev, "待ち 三号", community.RegistrationWaitlisted)

	t.Run("OK", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{"title":"私塾：長寿命化計画（改訂版）","venue":null,"notes":"録画なし"}`})
		want(t, r, 200, "")
		if r.body["title"] != "私塾：長寿命化計画（改訂版）" || r.body["venue"] != nil || r.body["notes"] != "録画なし" ||
			r.body["confirmed_count"] != 2.0 || r.body["waitlist_count"] != 3.0 || r.body["capacity"] != 2.0 {
			t.Errorf("edited %v", r.body)
		}
		if got := mustJSON(r.body["changed"]); got != `["title","venue","notes"]` {
			t.Errorf("changed %s", got)
		}
		e.audited(community.AuditEventUpdate, ev.ID, "")
	})
	t.Run("NoChange", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{}`})
		want(t, r, 200, "")
		if mustJSON(r.body["changed"]) != `[]` {
			t.Errorf("changed %v", r.body["changed"])
		}
	})
	t.Run("ErrCapacityBelowConfirmed", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{"capacity":1}`})
		want(t, r, 409, "capacity_below_confirmed")
		if msg := r.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "2人") {
			t.Errorf("message %q does not say how many hold a seat", msg)
		}
	})
	t.Run("CapacityUpPromotesFIFO", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{"capacity":4}`})
		want(t, r, 200, "")
		if got, want := mustJSON(r.body["promoted"]), mustJSON([]string{w1.ID, w2.ID}); got != want {
			t.Errorf("promoted %s, want the head of the line %s", got, want)
		}
		if r.body["confirmed_count"] != 4.0 || r.body["waitlist_count"] != 1.0 {
			t.Errorf("counters %v/%v, want 4/1", r.body["confirmed_count"], r.body["waitlist_count"])
		}
		for _, w := range []*community.Registration{w1, w2} {
			m := localtest.WaitMail(t, w.Guest.Email, 1)
			if len(m) != 1 || !strings.Contains(m[0].Subject, "キャンセル待ちから参加が確定しました") ||
				!strings.Contains(m[0].Body.Text, "https://zoom.example.jp/j/81000000003") {
				t.Errorf("mail to %s: %d mails, %q", w.Guest.Email, len(m), m[0].Subject)
			}
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(localtest.MailTo(t, w3.Guest.Email)); n != 0 {
			t.Errorf("the third in line got %d mails", n)
		}
		if got, err := e.store.CountConfirmed(ctx, ev.ID); err != nil || got != 4 {
			t.Errorf("confirmed registrations %d %v", got, err)
		}
		if a := e.audited(community.AuditEventUpdate, ev.ID, ""); a == nil {
			t.Fatal("no audit")
		}
	})
	t.Run("MoveStart", func(t *testing.T) {
		start := ev.StartsAt.Add(48 * time.Hour).In(community.Tokyo)
		body := mustJSON(map[string]any{"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339)})
		want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: body}), 200, "")
		regs, err := e.store.MemberRegistrations(ctx, m1.ID)
		if err != nil || len(regs) != 1 || !regs[0].EventStartsAt.Equal(start) {
			t.Errorf("the member's registration did not move with the event: %v %v", regs, err)
		}
	})
	t.Run("ConcurrentEditsMerge", func(t *testing.T) {
		var wg sync.WaitGroup
		bodies := []string{`{"description":"並行編集その1"}`, `{"fee_jpy":1000}`, `{"speakers":["講師 A","講師 B"]}`}
		results := make([]result, len(bodies))
		for i, b := range bodies {
			wg.Go(func() { results[i] = e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: b}) })
		}
		wg.Wait()
		for i, r := range results {
			if r.status != 200 {
				t.Fatalf("edit %d = %d %v", i, r.status, r.body)
			}
		}
		got, err := e.store.Event(ctx, ev.ID)
		if err != nil || got.Description != "並行編集その1" || got.FeeJPY != 1000 || !slices.Equal(got.Speakers, []string{"講師 A", "講師 B"}) {
			t.Errorf("an edit was lost: %+v %v", got, err)
		}
		if got.ConfirmedCount != 4 || got.WaitlistCount != 1 {
			t.Errorf("counters %d/%d after edits", got.ConfirmedCount, got.WaitlistCount)
		}
	})
	refusals := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"ErrUnknown", `{"confirmed_count":0}`, 400, "unknown_field", "confirmed_count"},
		{"ErrStatus", `{"status":"draft"}`, 400, "unknown_field", "status"},
		{"ErrNullTitle", `{"title":null}`, 400, "validation_failed", "title"},
		{"ErrSeries", `{"series_id":"01hzzzzzzzzzzzzzzzzzzzzzzz"}`, 400, "validation_failed", "series_id"},
		{"ErrEnd", `{"ends_at":"2001-01-01T00:00:00+09:00"}`, 400, "validation_failed", "ends_at"},
		{"ErrJoinURL", `{"join_url":"ftp://example.jp"}`, 400, "validation_failed", "join_url"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: tt.body})
			want(t, r, tt.status, tt.code)
			if _, ok := r.fields()[tt.field]; !ok {
				t.Errorf("fields %v, want %s", r.fields(), tt.field)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": community.NewID(time.Now())}, body: `{"title":"x"}`}), 404, "event_not_found")
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"中止します"}`}), 202, "")
		want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{"title":"x"}`}), 422, "event_cancelled")
	})
}

// TestEventWritesKeepReminders: every write of an event keeps its reminder
// schedule in step, as part of the write itself: publish schedules the
// reminders, moving the start moves them, cancelling drops them.
// dueOf lists when the reminders of event id fall due, soonest first.
func (e *env) dueOf(id string) []community.DueReminder {
	e.t.Helper()
	all, err := e.store.DueReminders(context.Background(), e.clock.Now().AddDate(1, 0, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []community.DueReminder
	for _, d := range all {
		if d.EventID == id {
			out = append(out, d)
		}
	}
	return out
}

// TestRepeatRepairsReminders: when an event's reminders failed to follow a
// write (here: dropped behind the store's back), repeating the action —
// publish again, an edit that changes nothing, cancel again — repairs them.
func TestRepeatRepairsReminders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(8, nil)
	p := map[string]string{"id": ev.ID}
	lose := func() {
		t.Helper()
		for _, d := range e.dueOf(ev.ID) {
			if err := e.store.DropReminder(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.dueOf(ev.ID)); n != 0 {
			t.Fatalf("%d reminders left after dropping them", n)
		}
	}
	lose()
	want(t, e.as(call{route: adminapi.RoutePublishEvent, params: p}), 200, "")
	if n := len(e.dueOf(ev.ID)); n != 2 {
		t.Errorf("publishing again: %d reminders, want the 2 repaired", n)
	}
	lose()
	want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: `{}`}), 200, "")
	if n := len(e.dueOf(ev.ID)); n != 2 {
		t.Errorf("an edit that changes nothing: %d reminders, want the 2 repaired", n)
	}
}

func TestEventWritesKeepReminders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	due := func(id string) []time.Time {
		t.Helper()
		all, err := e.store.DueReminders(ctx, e.clock.Now().AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Time
		for _, d := range all {
			if d.EventID == id {
				out = append(out, d.DueAt.UTC())
			}
		}
		slices.SortFunc(out, time.Time.Compare)
		return out
	}
	ev := e.published(8, nil)
	p := map[string]string{"id": ev.ID}
	want1 := []time.Time{ev.StartsAt.Add(-24 * time.Hour).UTC(), ev.StartsAt.Add(-time.Hour).UTC()}
	if got := due(ev.ID); !slices.Equal(got, want1) {
		t.Errorf("published: reminders due %v, want %v", got, want1)
	}
	moved := ev.StartsAt.Add(48 * time.Hour)
	body := fmt.Sprintf(`{"starts_at":%q,"ends_at":%q}`, moved.Format(time.RFC3339), moved.Add(90*time.Minute).Format(time.RFC3339))
	want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: body}), 200, "")
	want2 := []time.Time{moved.Add(-24 * time.Hour).UTC(), moved.Add(-time.Hour).UTC()}
	if got := due(ev.ID); !slices.Equal(got, want2) {
		t.Errorf("moved: reminders due %v, want %v", got, want2)
	}
	want(t, e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"中止"}`}), 202, "")
	if got := due(ev.ID); len(got) != 0 {
		t.Errorf("cancelled: reminders due %v, want none", got)
	}
}
