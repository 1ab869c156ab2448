package eventsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/lottery"
)

// TestPublishedLottery: 404 lottery_not_drawn before the draw; after it,
// the stored result, which anyone recomputes from its seed and entries
// alone and checks against the commitment the event showed before.
func TestPublishedLottery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := event("抽選の私塾", community.KindLecture, community.AudiencePublic, now.Add(10*24*time.Hour))
	closes := now.Add(5 * 24 * time.Hour)
	ev.RegistrationClosesAt = &closes
	ev.Capacity, ev.Mode = 2, community.ModeLottery
	ev.Lottery = &community.Lottery{DrawAt: now.Add(6 * 24 * time.Hour), Reserves: 1, FirstTimeWeight: 1}
	commitment, err := e.store.EnsureLottery(ctx, ev.ID, ev.Lottery.DrawAt)
	if err != nil {
		t.Fatal(err)
	}
	ev.Lottery.Commitment = commitment
	e.seed(t, ev)
	for i := 0; i < 5; i++ {
		r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
			Guest: &community.Guest{Name: "ゲスト", Email: fmt.Sprintf("lottery-%d-%s@example.jp", i, ev.ID)}}
		if err := e.store.Apply(ctx, ev, r); err != nil {
			t.Fatal(err)
		}
	}
	req := fixture(t, "detail-anonymous.json")
	req.RouteKey = RouteLottery
	req.RequestContext.RouteKey = RouteLottery
	req.RawPath = "/api/events/" + ev.ID + "/lottery"
	req.RequestContext.HTTP.Path = req.RawPath
	req.PathParameters["id"] = ev.ID

	drawAt := ev.Lottery.DrawAt
	apps := &community.Applications{Store: e.store, Clock: community.ClockFunc(func() time.Time { return drawAt.Add(time.Minute) })}
	e.h.Lotteries = apps
	if resp := invoke(t, e.h, req); resp.StatusCode != 404 || !strings.Contains(resp.Body, "lottery_not_drawn") {
		t.Fatalf("before the draw: %d %s", resp.StatusCode, resp.Body)
	}
	if n, err := apps.DrawDue(ctx); err != nil || n != 1 {
		t.Fatalf("draw: %d, %v", n, err)
	}
	resp := invoke(t, e.h, req)
	if resp.StatusCode != 200 {
		t.Fatalf("after the draw: %d %s", resp.StatusCode, resp.Body)
	}
	var res lottery.Result
	if err := json.Unmarshal([]byte(resp.Body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Commitment != commitment || !lottery.Verify(res.Seed, commitment) {
		t.Fatalf("seed %s does not open the commitment %s shown before the draw", res.Seed, commitment)
	}
	again, err := lottery.Draw(res.Seed, res.Entries, res.Places, res.ReservePlaces)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(again)
	if string(b) != resp.Body {
		t.Errorf("recomputed %s\npublished %s", b, resp.Body)
	}
	if len(res.Winners) != 2 || len(res.Reserves) != 1 || len(res.Losers) != 2 || strings.Contains(resp.Body, "@") {
		t.Errorf("result %s", resp.Body)
	}
	var shown map[string]any
	detail := fixture(t, "detail-anonymous.json")
	detail.PathParameters["id"] = ev.ID
	if err := json.Unmarshal([]byte(invoke(t, e.h, detail).Body), &shown); err != nil {
		t.Fatal(err)
	}
	if l, _ := shown["lottery"].(map[string]any); l == nil || l["commitment"] != commitment || shown["mode"] != "lottery" {
		t.Errorf("event shows mode %v lottery %v", shown["mode"], shown["lottery"])
	}
}
