package rsvpapi_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

const onlineURL = "https://zoom.example.jp/j/online-frame-777"

// framedEvent is an event with a venue frame and an online frame of seats
// places each, both with a waitlist; only the online frame has a join URL.
func (e *env) framedEvent(seats int) *community.Event {
	return e.event(func(ev *community.Event) {
		ev.JoinURL, ev.OnlinePlatform = "", ""
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: seats, Waitlist: true, Venue: &community.Venue{Name: "伊勢崎市民会館", Address: "群馬県伊勢崎市"}},
			{ID: "online", Name: "オンライン", Capacity: seats, Waitlist: true, OnlinePlatform: "Zoom", JoinURL: onlineURL},
		}
	})
}

type rushed struct {
	session string
	status  string
	place   int
}

// rushFrame has people members register for frame fid of ev at once and
// returns each one's answer by email.
func (e *env) rushFrame(t *testing.T, ev *community.Event, fid, tag string, people int) map[string]*rushed {
	t.Helper()
	out := map[string]*rushed{}
	for range people {
		m, tok := e.member(func(m *community.Member) { m.Email = localtest.UniqueEmail(tag) })
		out[m.Email] = &rushed{session: tok}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range out {
		wg.Go(func() {
			r := e.register(ev.ID, `{"frame_id":"`+fid+`"}`, p.session)
			mu.Lock()
			defer mu.Unlock()
			if r.code != 201 {
				t.Errorf("register in %s: %d %s", fid, r.code, r.raw)
				return
			}
			if r.body["frame_id"] != fid || r.body["frame_name"] == nil {
				t.Errorf("answer names frame %v %v, want %s", r.body["frame_id"], r.body["frame_name"], fid)
			}
			p.status, _ = r.body["status"].(string)
			if pos, ok := r.body["waitlist_position"].(float64); ok {
				p.place = int(pos)
			}
		})
	}
	wg.Wait()
	return out
}

// Frames of one event: per frame, 200 members at once for 10 places get
// exactly 10 seats and 190 waitlist places 1..190, the frame's counters and
// items agree, and my registrations show the same places and only the
// registrant's own frame's joining details.
//
// A run of every test rushes 60 people per frame (10 places each), which
// keeps `make test` within its budget on 2 cores; TABANE_RUSH=200 runs
// the acceptance size (measured 32 s on its own).
func TestFramesRush(t *testing.T) {
	localtest.Crowd(t)
	people, seats := localtest.RushSize(60), 10
	e := newEnv(t)
	ev := e.framedEvent(seats)
	ctx := context.Background()
	for _, fid := range []string{"venue", "online"} {
		t.Run(fid, func(t *testing.T) {
			crowd := e.rushFrame(t, ev, fid, fid+localtest.UniqueID(), people)
			count := map[string]int{}
			places := map[string]int{}
			for addr, p := range crowd {
				count[p.status]++
				if p.status == "waitlisted" {
					places[addr] = p.place
				}
			}
			if count["confirmed"] != seats || count["waitlisted"] != people-seats {
				t.Errorf("answers %v, want %d confirmed and %d waitlisted", count, seats, people-seats)
			}
			checkPlaces(t, fid+" answers", places, people-seats)
			// The counters and the items.
			got, err := e.svc.Store().Event(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			f, err := got.Frame(fid)
			if err != nil {
				t.Fatal(err)
			}
			if f.ConfirmedCount != seats || f.WaitlistCount != people-seats {
				t.Errorf("frame counters %d confirmed, %d waitlisted", f.ConfirmedCount, f.WaitlistCount)
			}
			regs, err := e.svc.Store().AllRegistrations(ctx, ev.ID)
			if err != nil {
				t.Fatal(err)
			}
			items := map[community.RegistrationStatus]int{}
			for _, r := range regs {
				if r.FrameID == fid {
					items[r.Status]++
				}
			}
			if items[community.RegistrationConfirmed] != seats || items[community.RegistrationWaitlisted] != people-seats {
				t.Errorf("registration items in %s: %v", fid, items)
			}
			// My registrations: the same place, the frame, and the join URL
			// only for a confirmed online registrant.
			for addr, p := range crowd {
				r := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", p.session, nil)
				if fid == "venue" && strings.Contains(r.raw, onlineURL) {
					t.Fatalf("a venue registrant's my registrations carry the online join URL: %s", r.raw)
				}
				regs, _ := r.body["registrations"].([]any)
				if len(regs) != 1 {
					t.Fatalf("%s: %d registrations", addr, len(regs))
				}
				reg := regs[0].(map[string]any)
				pos, _ := reg["waitlist_position"].(float64)
				if reg["frame_id"] != fid || int(pos) != p.place {
					t.Errorf("%s: my registrations say frame %v place %v, answered %s place %d", addr, reg["frame_id"], pos, fid, p.place)
				}
				join, _ := reg["event"].(map[string]any)["join_url"].(string)
				if want := fid == "online" && p.status == "confirmed"; (join == onlineURL) != want {
					t.Errorf("%s (%s, %s): join_url %q", addr, fid, p.status, join)
				}
			}
		})
	}
	// The public event lists both frames with their places, and no join URL.
	r := e.call(e.events, eventsapi.RouteDetail, ev.ID, "", "", nil)
	if r.code != 200 || strings.Contains(r.raw, onlineURL) {
		t.Fatalf("public event: %d %s", r.code, r.raw)
	}
	frames, _ := r.body["frames"].([]any)
	if len(frames) != 2 || frames[0].(map[string]any)["seats_left"] != 0.0 {
		t.Errorf("public frames %v", frames)
	}
}

// Mails follow the registrant's frame: the venue's never carry the online
// join URL; the waitlist mails give the places the answers gave.
func TestFramesMail(t *testing.T) {
	const people, seats = 6, 2
	e := newEnv(t)
	ev := e.framedEvent(seats)
	for _, fid := range []string{"venue", "online"} {
		tag := "mail" + fid + localtest.UniqueID()
		crowd := e.rushFrame(t, ev, fid, tag, people)
		mailed := waitlistMailPlaces(t, tag)
		for addr, p := range crowd {
			for _, m := range localtest.MailTo(t, addr) {
				hasURL := strings.Contains(m.Body.Text+m.Body.HTML, onlineURL)
				if fid == "venue" && hasURL {
					t.Errorf("venue registrant %s got the online join URL in %q", addr, m.Subject)
				}
				if fid == "online" && p.status == "confirmed" && strings.Contains(m.Subject, "参加が確定しました") && !hasURL {
					t.Errorf("online registrant %s's confirmation lacks the join URL", addr)
				}
			}
			if p.status == "waitlisted" && mailed[addr] != p.place {
				t.Errorf("%s: answered place %d, mailed %d", addr, p.place, mailed[addr])
			}
		}
	}
}

// Bad frames are refused with the contract's error and change nothing.
func TestFramesBadInput(t *testing.T) {
	e := newEnv(t)
	ev := e.framedEvent(5)
	other := e.framedEvent(5)
	plain := e.event(nil)
	_, tok := e.member(nil)
	tests := []struct {
		name, event, body, code string
	}{
		{"MissingFrame", ev.ID, `{}`, "frame_required"},
		{"UnknownFrame", ev.ID, `{"frame_id":"nope"}`, "unknown_frame"},
		{"FrameOnPlainEvent", plain.ID, `{"frame_id":"venue"}`, "unknown_frame"},
		{"BadFrameID", ev.ID, `{"frame_id":"Venue!"}`, "unknown_frame"},
		{"UnknownField", ev.ID, `{"frame":"venue"}`, "unknown_field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.register(tt.event, tt.body, tok)
			if r.code != 400 || r.errCode() != tt.code {
				t.Errorf("%d %s, want 400 %s", r.code, r.raw, tt.code)
			}
		})
	}
	for _, id := range []string{ev.ID, plain.ID, other.ID} {
		regs, err := e.svc.Store().AllRegistrations(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.Store().Event(context.Background(), id)
		n := got.ConfirmedCount + got.WaitlistCount
		for _, f := range got.Frames {
			n += f.ConfirmedCount + f.WaitlistCount
		}
		if len(regs) != 0 || n != 0 {
			t.Errorf("event %s: %d registrations, counters %d after refusals", id, len(regs), n)
		}
	}
	// A frame of another event is refused as unknown here.
	odd := e.event(func(x *community.Event) {
		x.Frames = []community.Frame{{ID: "only-here", Name: "懇親会", Capacity: 3}, {ID: "b", Name: "B"}}
	})
	if r := e.register(ev.ID, `{"frame_id":"only-here"}`, tok); r.code != 400 || r.errCode() != "unknown_frame" {
		t.Errorf("frame of event %s on %s: %d %s", odd.ID, ev.ID, r.code, r.raw)
	}
}

// Several frames (multiple_frames): one member registers in the venue and
// online frames; both are theirs, the online join URL only with the online
// seat. Cancelling names a frame and keeps the other; without a frame it is
// refused while two are held. The places are read in two calls.
func TestMultipleFramesCancelOne(t *testing.T) {
	e := newEnv(t)
	ev := e.event(func(ev *community.Event) {
		ev.JoinURL, ev.OnlinePlatform = "", ""
		ev.Frames = []community.Frame{
			{ID: "venue", Name: "会場", Capacity: 5, Venue: &community.Venue{Name: "伊勢崎市民会館"}},
			{ID: "online", Name: "オンライン", Capacity: 5, OnlinePlatform: "Zoom", JoinURL: onlineURL},
		}
		ev.MultipleFrames = true
	})
	m, tok := e.member(nil)
	for _, fid := range []string{"venue", "online"} {
		if r := e.register(ev.ID, `{"frame_id":"`+fid+`"}`, tok); r.code != 201 || r.body["status"] != "confirmed" {
			t.Fatalf("register in %s: %d %s", fid, r.code, r.raw)
		}
	}
	if r := e.register(ev.ID, `{"frame_id":"venue"}`, tok); r.code != 409 || r.errCode() != "already_registered" {
		t.Fatalf("a second venue place: %d %s", r.code, r.raw)
	}
	mine := func() map[string]string { // frame → the event's join_url as shown
		t.Helper()
		r := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", tok, nil)
		out := map[string]string{}
		for _, x := range r.body["registrations"].([]any) {
			reg := x.(map[string]any)
			join, _ := reg["event"].(map[string]any)["join_url"].(string)
			out[reg["frame_id"].(string)] = join
		}
		return out
	}
	if got := mine(); len(got) != 2 || got["venue"] != "" || got["online"] != onlineURL {
		t.Fatalf("my registrations: %v", got)
	}

	// Bounded reads: one Query of the attendee items, one BatchGetItem.
	e.calls.Reset()
	held, err := e.svc.Store().MemberEventRegistrations(context.Background(), ev.ID, m.ID)
	if err != nil || len(held) != 2 {
		t.Fatalf("held %v, %v", held, err)
	}
	if q, b, all := e.calls.Count("DynamoDB.Query"), e.calls.Count("DynamoDB.BatchGetItem"), e.calls.Total(); q != 1 || b != 1 || all != 2 {
		t.Errorf("reading two frames' places took %d Query, %d BatchGetItem, %d calls", q, b, all)
	}

	if r := e.call(e.rsvp, rsvpapi.RouteCancelMine, ev.ID, "", tok, nil); r.code != 400 || r.errCode() != "frame_required" {
		t.Fatalf("cancel without a frame while holding two: %d %s", r.code, r.raw)
	}
	r := e.callQuery("192.0.2.1", e.rsvp, rsvpapi.RouteCancelMine, ev.ID, url.Values{"frame_id": {"online"}}, "", tok, nil)
	if r.code != 200 || r.body["frame_id"] != "online" || r.body["status"] != "cancelled" {
		t.Fatalf("cancel online: %d %s", r.code, r.raw)
	}
	rest, _ := r.body["remaining"].([]any)
	if len(rest) != 1 || rest[0].(map[string]any)["frame_id"] != "venue" || rest[0].(map[string]any)["status"] != "confirmed" {
		t.Fatalf("remaining after cancelling online: %s", r.raw)
	}
	// The venue-only registrant never sees the online join URL.
	if got := mine(); len(got) != 1 || got["venue"] != "" {
		t.Fatalf("my registrations after cancelling online: %v", got)
	}
	if r := e.call(e.rsvp, rsvpapi.RouteMyRegistrations, "", "", tok, nil); strings.Contains(r.raw, onlineURL) {
		t.Fatalf("venue-only registrant sees the online join URL: %s", r.raw)
	}
	got, err := e.svc.Store().Event(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v, o := got.Frames[0].ConfirmedCount, got.Frames[1].ConfirmedCount; v != 1 || o != 0 {
		t.Errorf("frame counters venue %d, online %d", v, o)
	}
	// One place left: no frame needs naming, and nothing remains.
	r = e.call(e.rsvp, rsvpapi.RouteCancelMine, ev.ID, "", tok, nil)
	if _, ok := r.body["remaining"]; r.code != 200 || r.body["frame_id"] != "venue" || ok {
		t.Fatalf("cancel the last place: %d %s", r.code, r.raw)
	}
	if r := e.callQuery("192.0.2.1", e.rsvp, rsvpapi.RouteCancelMine, ev.ID, url.Values{"frame_id": {"venue"}}, "", tok, nil); r.code != 404 {
		t.Fatalf("cancel a frame no longer held: %d %s", r.code, r.raw)
	}
}
