package adminapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/lottery"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// One event, three ways in: the venue drawn by lottery, the online frame
// first come, the 懇親会 selected by organizers. Each frame keeps its own
// places and its own rule: applying to the venue or the party takes no
// seat, the 決定通知 decides only the party, the draw only the venue, and
// the online join URL reaches only those confirmed online.
func TestFrameModes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := e.clock.Now().In(community.Tokyo).AddDate(0, 0, 10).Truncate(time.Hour)
	drawAt := start.AddDate(0, 0, -2)
	frames := []map[string]any{
		{"id": "venue", "name": "会場", "capacity": 2, "mode": "lottery", "venue": map[string]any{"name": "伊勢崎市民会館"}},
		{"id": "online", "name": "オンライン", "capacity": 5, "online_platform": "Zoom", "join_url": "https://" + joinHost + "/j/frame-online"},
		{"id": "party", "name": "懇親会", "capacity": 2, "mode": "selection"},
	}
	ev := e.published(10, map[string]any{"frames": frames, "join_url": nil, "online_platform": nil, "multiple_frames": true,
		"registration_closes_at": start.AddDate(0, 0, -3).Format(time.RFC3339),
		"lottery":                map[string]any{"draw_at": drawAt.Format(time.RFC3339), "reserves": 1}})
	if ev.Lottery == nil || len(ev.Lottery.Commitment) != 64 {
		t.Fatalf("an event with a lottery frame shows no commitment: %+v", ev.Lottery)
	}
	in := func(m *community.Member, frame string) *community.Registration {
		t.Helper()
		res, err := e.regs.RegisterIn(ctx, e.viewer(m), ev.ID, frame, nil)
		if err != nil {
			t.Fatalf("register in %s: %v", frame, err)
		}
		return res.Registration
	}
	var venue, party []*community.Registration
	var venueMs, partyMs []*community.Member
	for i := 0; i < 5; i++ {
		m := e.member(community.MemberActive, community.MembershipRegular, "会場 太郎")
		venueMs, venue = append(venueMs, m), append(venue, in(m, "venue"))
	}
	for i := 0; i < 3; i++ {
		m := e.member(community.MemberActive, community.MembershipRegular, "懇親 花子")
		partyMs, party = append(partyMs, m), append(party, in(m, "party"))
	}
	onlineM := e.member(community.MemberActive, community.MembershipRegular, "配信 一郎")
	online := in(onlineM, "online")
	// The same member in two frames: one place per frame.
	both := in(venueMs[0], "online")

	t.Run("ApplyTakesNoSeat", func(t *testing.T) {
		for _, r := range append(venue, party...) {
			if r.Status != community.RegistrationApplied {
				t.Errorf("%s in %s is %s, want applied", r.ID, r.FrameID, r.Status)
			}
		}
		if online.Status != community.RegistrationConfirmed || both.Status != community.RegistrationConfirmed {
			t.Errorf("online registrations %s, %s; want confirmed", online.Status, both.Status)
		}
		cur := e.event(ev.ID)
		for id, want := range map[string]int{"venue": 0, "party": 0, "online": 2} {
			f, _ := cur.Frame(id)
			if f.ConfirmedCount != want || f.WaitlistCount != 0 {
				t.Errorf("frame %s counters %d/%d, want %d/0", id, f.ConfirmedCount, f.WaitlistCount, want)
			}
		}
	})
	decide := func(rid, d string) result {
		return e.as(call{route: adminapi.RouteDecision, params: map[string]string{"id": ev.ID, "rid": rid}, body: `{"decision":"` + d + `"}`})
	}
	t.Run("DrawnFramesAreNotSelected", func(t *testing.T) {
		want(t, decide(venue[0].ID, "selected"), 409, "not_selection_event")
		if st := e.status(ev, venue[0].ID); st != community.RegistrationApplied {
			t.Errorf("venue application is %s after a refused decision", st)
		}
	})
	t.Run("SelectionOverFrameCapacity", func(t *testing.T) {
		for _, r := range party {
			want(t, decide(r.ID, "selected"), 200, "")
		}
		r := e.as(call{route: adminapi.RouteNotifyDecision, params: map[string]string{"id": ev.ID}})
		want(t, r, 409, "selection_over_capacity")
		if msg, _ := r.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "懇親会") {
			t.Errorf("message does not name the frame: %q", msg)
		}
		want(t, decide(party[2].ID, "declined"), 200, "")
	})
	t.Run("NotifyDecidesOnlyTheSelectionFrame", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteNotifyDecision, params: map[string]string{"id": ev.ID}})
		want(t, r, 202, "")
		if r.body["confirmed"].(float64) != 2 || r.body["declined"].(float64) != 1 || r.body["undecided"].(float64) != 0 {
			t.Errorf("notify %v; the venue's applications are the draw's, not undecided", r.body)
		}
		cur := e.event(ev.ID)
		if f, _ := cur.Frame("party"); f.ConfirmedCount != 2 {
			t.Errorf("party confirmed %d, want 2", f.ConfirmedCount)
		}
		if cur.ConfirmedCount != 0 {
			t.Errorf("the event's own counter moved to %d", cur.ConfirmedCount)
		}
		for _, r := range venue {
			if st := e.status(ev, r.ID); st != community.RegistrationApplied {
				t.Errorf("venue application %s after the 決定通知", st)
			}
		}
		for i, m := range partyMs {
			if got := e.mails(m.Email, false); len(got) != 2 {
				t.Errorf("party applicant %d got %d mails, want receipt and result", i, len(got))
			}
		}
	})

	apps := &community.Applications{Store: e.store, Clock: e.clock, Log: communitytest.Logf(t)}
	e.clock.Set(drawAt.Add(time.Minute))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = apps.DrawDue(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	raw, err := apps.PublishedLottery(ctx, community.Viewer{}, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("PublishedPerFrame", func(t *testing.T) {
		var pub struct {
			Seed       string           `json:"seed"`
			Commitment string           `json:"commitment"`
			Frames     []lottery.Result `json:"frames"`
		}
		if err := json.Unmarshal(raw, &pub); err != nil {
			t.Fatal(err)
		}
		if len(pub.Frames) != 1 || pub.Frames[0].FrameID != "venue" || pub.Commitment != ev.Lottery.Commitment {
			t.Fatalf("published %s", raw)
		}
		fr := pub.Frames[0]
		if len(fr.Entries) != 5 || fr.Places != 2 || len(fr.Winners) != 2 || len(fr.Reserves) != 1 || len(fr.Losers) != 2 {
			t.Fatalf("venue draw %+v", fr)
		}
		again, err := lottery.Draw(pub.Seed, fr.Entries, fr.Places, fr.ReservePlaces)
		if err != nil {
			t.Fatal(err)
		}
		again.FrameID = fr.FrameID
		a, _ := json.Marshal(again)
		b, _ := json.Marshal(fr)
		if string(a) != string(b) || !lottery.Verify(pub.Seed, ev.Lottery.Commitment) {
			t.Errorf("recomputed\n%s\npublished\n%s", a, b)
		}
		cur := e.event(ev.ID)
		v, _ := cur.Frame("venue")
		if v.ConfirmedCount != 2 || v.WaitlistCount != 1 {
			t.Errorf("venue after the draw %d/%d, want 2/1", v.ConfirmedCount, v.WaitlistCount)
		}
		if p, _ := cur.Frame("party"); p.ConfirmedCount != 2 {
			t.Errorf("the draw moved the party frame: %d", p.ConfirmedCount)
		}
		won := map[string]bool{fr.Winners[0]: true, fr.Winners[1]: true}
		for i, r := range venue {
			want := community.RegistrationDeclined
			switch {
			case won[r.ID]:
				want = community.RegistrationConfirmed
			case r.ID == fr.Reserves[0]:
				want = community.RegistrationWaitlisted
			}
			if st := e.status(ev, r.ID); st != want {
				t.Errorf("venue applicant %d is %s, want %s", i, st, want)
			}
			// No venue mail carries the online join URL (mails fails on it);
			// venueMs[0] is online too, so theirs may.
			if i > 0 {
				if got := e.mails(venueMs[i].Email, false); len(got) != 2 {
					t.Errorf("venue applicant %d got %d mails, want receipt and result", i, len(got))
				}
			}
		}
		if got := localtest.MailTo(t, onlineM.Email); len(got) != 1 || !strings.Contains(got[0].Body.Text, joinHost) {
			t.Errorf("the online registrant's mails %v lack the join URL", got)
		}
	})
	t.Run("DrawnFrameClosedOthersOpen", func(t *testing.T) {
		late := e.member(community.MemberActive, community.MembershipRegular, "遅刻 三郎")
		if _, err := e.regs.RegisterIn(ctx, e.viewer(late), ev.ID, "venue", nil); !errors.Is(err, community.ErrLotteryDrawn) {
			t.Errorf("venue after the draw: %v, want lottery_drawn", err)
		}
	})
	t.Run("FrameModeFixedOnceApplied", func(t *testing.T) {
		changed := []map[string]any{frames[0], frames[1], {"id": "party", "name": "懇親会", "capacity": 2}}
		r := e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: mustJSON(map[string]any{"frames": changed})})
		if r.resp.StatusCode < 400 {
			t.Fatalf("changing the party frame to first come after its 決定通知 answered %d", r.resp.StatusCode)
		}
		if cur := e.event(ev.ID); cur.FrameMode("party") != community.ModeSelection {
			t.Errorf("party mode %q after a refused edit", cur.FrameMode("party"))
		}
	})
}
