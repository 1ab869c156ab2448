package adminapi_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// Organizers set frames on an event: each with its own places, the join
// URL theirs to see; a frame with people in it keeps its places and
// cannot go; the attendee list and CSV name each registrant's frame.
func TestEventFrames(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	frames := []map[string]any{
		{"id": "venue", "name": "会場", "capacity": 2, "waitlist": true, "venue": map[string]any{"name": "伊勢崎市民会館", "address": "群馬県伊勢崎市"}},
		{"id": "online", "name": "オンライン", "capacity": 5, "online_platform": "Zoom", "join_url": "https://zoom.example.jp/j/frame-online"},
	}
	ev := e.published(10, map[string]any{"frames": frames, "join_url": nil, "online_platform": nil})
	p := map[string]string{"id": ev.ID}
	if len(ev.Frames) != 2 || ev.Frames[1].JoinURL != "https://zoom.example.jp/j/frame-online" {
		t.Fatalf("stored frames %+v", ev.Frames)
	}
	r := e.as(call{route: adminapi.RouteGetEvent, params: p})
	want(t, r, 200, "")
	if got := mustJSON(r.body["frames"]); !strings.Contains(got, `"join_url":"https://zoom.example.jp/j/frame-online"`) {
		t.Errorf("organizers see frames %s", got)
	}
	m := e.member(community.MemberActive, community.MembershipRegular, "会場 一郎")
	e.register(ev, &community.Registration{MemberID: m.ID, FrameID: "venue"}, community.RegistrationConfirmed)
	e.register(ev, &community.Registration{Guest: &community.Guest{Name: "会場 二郎", Email: "v2@example.jp"}, FrameID: "venue"}, community.RegistrationConfirmed)
	e.register(ev, &community.Registration{Guest: &community.Guest{Name: "会場 三郎", Email: "v3@example.jp"}, FrameID: "venue"}, community.RegistrationWaitlisted)
	e.register(ev, &community.Registration{Guest: &community.Guest{Name: "配信 花子", Email: "o1@example.jp"}, FrameID: "online"}, community.RegistrationConfirmed)

	t.Run("ErrCapacityBelowConfirmed", func(t *testing.T) {
		low := []map[string]any{frames[0], frames[1]}
		low[0] = map[string]any{"id": "venue", "name": "会場", "capacity": 1, "waitlist": true}
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: mustJSON(map[string]any{"frames": low})})
		want(t, r, 409, "capacity_below_confirmed")
	})
	t.Run("ErrFrameHasRegistrations", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: mustJSON(map[string]any{"frames": frames[:1]})})
		want(t, r, 409, "frame_has_registrations")
	})
	t.Run("ErrValidation", func(t *testing.T) {
		bad := []map[string]any{frames[0], {"id": "venue", "name": "重複"}}
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: mustJSON(map[string]any{"frames": bad})})
		want(t, r, 400, "validation_failed")
		if _, ok := r.fields()["frames[1].id"]; !ok {
			t.Errorf("fields %v", r.fields())
		}
	})
	t.Run("AddFrameAndGrow", func(t *testing.T) {
		more := []map[string]any{
			{"id": "venue", "name": "会場", "capacity": 3, "waitlist": true},
			frames[1],
			{"id": "party", "name": "懇親会", "capacity": 20},
		}
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: p, body: mustJSON(map[string]any{"frames": more})})
		want(t, r, 200, "")
		got, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		venue, _ := got.Frame("venue")
		party, _ := got.Frame("party")
		// The venue's third place went to the head of its waitlist.
		if venue.Capacity != 3 || venue.ConfirmedCount != 3 || venue.WaitlistCount != 0 || party.Capacity != 20 || party.ConfirmedCount != 0 {
			t.Errorf("frames after the edit: venue %+v party %+v", venue, party)
		}
		if len(r.body["promoted"].([]any)) != 1 {
			t.Errorf("promoted %v", r.body["promoted"])
		}
	})
	t.Run("AttendeesAndCSV", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteRegistrations, params: p})
		want(t, r, 200, "")
		for _, x := range r.body["registrations"].([]any) {
			a := x.(map[string]any)
			if a["frame_id"] == nil || a["frame_name"] == nil {
				t.Errorf("attendee without frame: %v", a)
			}
		}
		c := e.as(call{route: adminapi.RouteRegistrations, params: p, query: "format=csv"})
		want(t, c, 200, "")
		raw, _ := base64.StdEncoding.DecodeString(c.resp.Body)
		if !strings.HasPrefix(string(raw), "\uFEFFステータス,参加枠,") || !strings.Contains(string(raw), "オンライン") {
			t.Errorf("CSV %q", raw)
		}
	})
}
