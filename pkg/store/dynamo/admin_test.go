package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// admRaw returns an item as the table holds it, index keys included.
func admRaw(t *testing.T, table, pk, sk string) map[string]any {
	t.Helper()
	k, err := attributevalue.MarshalMap(map[string]string{"PK": pk, "SK": sk})
	if err != nil {
		t.Fatal(err)
	}
	out, err := localtest.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), Key: k, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// admIndexKeys returns an event item's index keys, "" where absent.
func admIndexKeys(t *testing.T, table, id string) [6]string {
	t.Helper()
	m := admRaw(t, table, "EVENT#"+id, "EVENT")
	var out [6]string
	for i, k := range []string{"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"} {
		out[i], _ = m[k].(string)
	}
	return out
}

func admStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func admEdit(e *community.Event) community.EventUpdate {
	x := *e
	x.UpdatedAt = e.UpdatedAt.Add(time.Second)
	return community.EventUpdate{Event: &x, ReadAt: e.UpdatedAt, Status: e.Status}
}

func TestUpdateEvent(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	e := seatsEvent(t, s, 3, true)
	for range 3 {
		register(t, s, e, memberReg(e), community.RegistrationConfirmed)
	}
	register(t, s, e, memberReg(e), community.RegistrationWaitlisted)

	t.Run("OK", func(t *testing.T) {
		u := admEdit(e)
		u.Event.Title, u.Event.Kind, u.Event.Capacity = "改題した研修", community.KindLecture, 5
		u.Event.StartsAt, u.Event.EndsAt = e.StartsAt.Add(time.Hour), e.EndsAt.Add(time.Hour)
		u.Event.Venue, u.Event.Notes = &community.Venue{Name: "伊勢崎市役所"}, "備考"
		u.Event.ConfirmedCount, u.Event.WaitlistCount = 0, 0 // never written
		got, err := s.UpdateEvent(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "改題した研修" || got.Capacity != 5 || got.ConfirmedCount != 3 || got.WaitlistCount != 1 || got.Venue == nil {
			t.Fatalf("stored %+v", got)
		}
		moved := admStamp(got.StartsAt) + "#" + e.ID
		if keys := admIndexKeys(t, table, e.ID); keys != [6]string{"EVENTS", moved, "EVENTS#lecture", moved, "", ""} {
			t.Errorf("index keys %v do not follow the published status, new kind and start", keys)
		}
		e = got
	})
	t.Run("ClearsOptional", func(t *testing.T) {
		u := admEdit(e)
		u.Event.Venue, u.Event.Notes = nil, ""
		got, err := s.UpdateEvent(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if m := admRaw(t, table, "EVENT#"+e.ID, "EVENT"); m["venue"] != nil || m["notes"] != nil {
			t.Errorf("venue/notes not removed: %v", m)
		}
		e = got
	})
	t.Run("ErrChanged", func(t *testing.T) {
		u := admEdit(e)
		u.ReadAt = e.UpdatedAt.Add(-time.Minute)
		_, err := s.UpdateEvent(ctx, u)
		wantErr(t, err, community.ErrEventChanged)
	})
	t.Run("ErrStatusChanged", func(t *testing.T) {
		u := admEdit(e)
		u.Status = community.EventDraft
		_, err := s.UpdateEvent(ctx, u)
		wantErr(t, err, community.ErrEventChanged)
	})
	t.Run("ErrCapacityBelowConfirmed", func(t *testing.T) {
		u := admEdit(e)
		u.Event.Capacity = 2
		_, err := s.UpdateEvent(ctx, u)
		wantErr(t, err, community.ErrCapacityBelowConfirmed)
	})
	t.Run("ErrUntouched", func(t *testing.T) {
		u := admEdit(e)
		u.Untouched = true
		_, err := s.UpdateEvent(ctx, u)
		wantErr(t, err, community.ErrOccurrenceTaken)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		u := admEdit(e)
		u.Event.ID = community.NewID(base)
		_, err := s.UpdateEvent(ctx, u)
		wantErr(t, err, community.ErrEventNotFound)
	})
}

func TestPublishAndCancelEvent(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	now := base
	draft := newEvent(base.Add(48*time.Hour), community.KindMeeting, community.EventDraft)
	draft.SeriesID = community.NewID(base)
	if err := s.CreateEvent(ctx, draft); err != nil {
		t.Fatal(err)
	}
	start := admStamp(draft.StartsAt) + "#" + draft.ID
	if keys := admIndexKeys(t, table, draft.ID); keys != [6]string{"DRAFTS", start, "", "", "SERIES#" + draft.SeriesID, start} {
		t.Fatalf("draft keys %v", keys)
	}
	_, _, err := s.CancelEvent(ctx, draft, "理由", now)
	wantErr(t, err, community.ErrEventNotPublished)

	pub, changed, err := s.PublishEvent(ctx, draft, now)
	if err != nil || !changed || pub.Status != community.EventPublished {
		t.Fatalf("publish = %+v %v %v", pub, changed, err)
	}
	if keys := admIndexKeys(t, table, draft.ID); keys != [6]string{"EVENTS", start, "EVENTS#meeting", start, "SERIES#" + draft.SeriesID, start} {
		t.Errorf("published keys %v", keys)
	}
	if again, changed, err := s.PublishEvent(ctx, draft, now); err != nil || changed || again.Status != community.EventPublished {
		t.Errorf("publishing twice = %v %v %v, want unchanged", again, changed, err)
	}
	_, _, err = s.CancelEvent(ctx, draft, "理由", now) // draft's UpdatedAt is stale now
	wantErr(t, err, community.ErrEventChanged)

	c, changed, err := s.CancelEvent(ctx, pub, "講師急病のため", now.Add(time.Second))
	if err != nil || !changed || c.Status != community.EventCancelled || c.CancelReason != "講師急病のため" {
		t.Fatalf("cancel = %+v %v %v", c, changed, err)
	}
	if keys := admIndexKeys(t, table, draft.ID); keys != [6]string{"CANCELLED", start, "", "", "SERIES#" + draft.SeriesID, start} {
		t.Errorf("cancelled keys %v", keys)
	}
	if again, changed, err := s.CancelEvent(ctx, pub, "別の理由", now); err != nil || changed || again.CancelReason != "講師急病のため" {
		t.Errorf("cancelling twice = %+v %v %v, want the first cancellation kept", again, changed, err)
	}
	_, _, err = s.PublishEvent(ctx, c, now)
	wantErr(t, err, community.ErrEventCancelled)

	page, err := s.UpcomingEvents(ctx, community.EventQuery{From: base, Limit: 10})
	if err != nil || len(page.Events) != 0 {
		t.Errorf("cancelled event still listed: %v %v", page.Events, err)
	}
	got, err := s.CancelledEvents(ctx, community.EventQuery{From: base, Limit: 10})
	if err != nil || len(got.Events) != 1 || got.Events[0].ID != draft.ID {
		t.Errorf("cancelled events = %v %v", got.Events, err)
	}
	if past, err := s.CancelledEvents(ctx, community.EventQuery{From: draft.StartsAt.Add(time.Second), Limit: 10}); err != nil || len(past.Events) != 0 {
		t.Errorf("a cancelled event in the past is listed: %v %v", past.Events, err)
	}
	_, err = s.CancelledEvents(ctx, community.EventQuery{From: base, Limit: 10, Cursor: "bogus"})
	wantErr(t, err, community.ErrInvalidCursor)
	_, _, err = s.PublishEvent(ctx, newEvent(base, community.KindMeeting, community.EventDraft), now)
	wantErr(t, err, community.ErrEventNotFound)
}

func TestCancelledEventsPages(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	var want []string
	for i := range 5 {
		e := newEvent(base.Add(time.Duration(i+1)*time.Hour), community.KindLecture, community.EventPublished)
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CancelEvent(ctx, e, "中止", base); err != nil {
			t.Fatal(err)
		}
		want = append(want, e.ID)
	}
	var got []string
	q := community.EventQuery{From: base, Limit: 2}
	for {
		page, err := s.CancelledEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, e.ID)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages\n got %v\nwant %v", got, want)
	}
}

func TestPromoteWaitlistHead(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	e := seatsEvent(t, s, 2, true)
	for range 2 {
		register(t, s, e, memberReg(e), community.RegistrationConfirmed)
	}
	var line []*community.Registration
	for range 4 {
		r := memberReg(e)
		register(t, s, e, r, community.RegistrationWaitlisted)
		line = append(line, r)
	}
	if r, err := s.PromoteWaitlistHead(ctx, e.ID, base); err != nil || r != nil {
		t.Fatalf("promotion without a free seat = %v %v", r, err)
	}
	cur, _ := s.Event(ctx, e.ID)
	u := admEdit(cur)
	u.Event.Capacity = 4
	if _, err := s.UpdateEvent(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.Capacity = 4
	// Racing promoters fill exactly the two free seats, head first.
	results := make([]*community.Registration, 6)
	errs := run(6, func(i int) error {
		r, err := s.PromoteWaitlistHead(ctx, e.ID, base)
		results[i] = r
		return err
	})
	var promoted []string
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if results[i] != nil {
			promoted = append(promoted, results[i].ID)
		}
	}
	slices.Sort(promoted)
	if want := regIDs(line[:2]); !slices.Equal(promoted, slices.Sorted(slices.Values(want))) {
		t.Errorf("promoted %v, want the head of the line %v", promoted, want)
	}
	if c, w := counters(t, s, e); c != 4 || w != 2 {
		t.Errorf("counters %d/%d, want 4/2", c, w)
	}
	checkPositions(t, s, e, regIDs(line[2:]))
	if got := admRaw(t, table, "EVENT#"+e.ID, "REG#"+line[0].ID); got["GSI1PK"] != "EREG#"+e.ID+"#confirmed" {
		t.Errorf("promoted registration not moved in the index: %v", got["GSI1PK"])
	}
	// Unlimited capacity takes everyone who waits.
	cur, _ = s.Event(ctx, e.ID)
	u = admEdit(cur)
	u.Event.Capacity = 0
	if _, err := s.UpdateEvent(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.Capacity = 0
	for _, want := range line[2:] {
		r, err := s.PromoteWaitlistHead(ctx, e.ID, base)
		if err != nil || r == nil || r.ID != want.ID {
			t.Fatalf("promoted %v %v, want %s", r, err, want.ID)
		}
	}
	if r, err := s.PromoteWaitlistHead(ctx, e.ID, base); err != nil || r != nil {
		t.Errorf("promotion with nobody waiting = %v %v", r, err)
	}
	if c, w := counters(t, s, e); c != 6 || w != 0 {
		t.Errorf("counters %d/%d, want 6/0", c, w)
	}
}

func TestRegistrationsOfEvent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	e := seatsEvent(t, s, 1, true)
	if has, err := s.HasRegistrations(ctx, e.ID); err != nil || has {
		t.Fatalf("has = %v %v, want false", has, err)
	}
	mine := memberReg(e)
	register(t, s, e, mine, community.RegistrationConfirmed)
	guest := guestReg(e, "ゲスト", localtest.UniqueEmail("g"))
	register(t, s, e, guest, community.RegistrationWaitlisted)
	if has, err := s.HasRegistrations(ctx, e.ID); err != nil || !has {
		t.Fatalf("has = %v %v, want true", has, err)
	}
	all, err := s.AllRegistrations(ctx, e.ID)
	if err != nil || len(all) != 2 {
		t.Fatalf("all = %v %v", all, err)
	}

	t.Run("CheckIn", func(t *testing.T) {
		at := base.Add(time.Hour)
		r, err := s.SetCheckIn(ctx, e.ID, mine.ID, &at)
		if err != nil || r.CheckedInAt == nil || !r.CheckedInAt.Equal(at) {
			t.Fatalf("check in = %+v %v", r, err)
		}
		later := at.Add(time.Minute)
		if r, err := s.SetCheckIn(ctx, e.ID, mine.ID, &later); err != nil || !r.CheckedInAt.Equal(at) {
			t.Errorf("second check in = %+v %v, want the first time kept", r, err)
		}
		if r, err := s.SetCheckIn(ctx, e.ID, mine.ID, nil); err != nil || r.CheckedInAt != nil {
			t.Errorf("undo = %+v %v", r, err)
		}
		_, err = s.SetCheckIn(ctx, e.ID, guest.ID, &at)
		wantErr(t, err, community.ErrNotConfirmed)
		_, err = s.SetCheckIn(ctx, e.ID, community.NewID(base), &at)
		wantErr(t, err, community.ErrRegistrationNotFound)
		_, err = s.SetCheckIn(ctx, e.ID, community.NewID(base), nil)
		wantErr(t, err, community.ErrRegistrationNotFound)
	})
	t.Run("Move", func(t *testing.T) {
		moved := e.StartsAt.Add(24 * time.Hour)
		if err := s.MoveRegistrations(ctx, e.ID, moved); err != nil {
			t.Fatal(err)
		}
		regs, err := s.MemberRegistrations(ctx, mine.MemberID)
		if err != nil || len(regs) != 1 || !regs[0].EventStartsAt.Equal(moved) {
			t.Fatalf("member's registration = %v %v, want it to start %v", regs, err, moved)
		}
		r, err := s.Registration(ctx, e.ID, guest.ID)
		if err != nil || !r.EventStartsAt.Equal(moved) {
			t.Errorf("guest registration = %+v %v", r, err)
		}
	})
}

func TestMembersByID(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)
	var ids []string
	for i := range 130 {
		m := newMember(fmt.Sprintf("batch-%d-%s", i, localtest.UniqueEmail("m")), community.MemberActive, base)
		if err := s.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	calls.Reset()
	got, err := s.MembersByID(ctx, append(ids, ids[0], community.NewID(base)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 130 {
		t.Fatalf("%d members, want 130", len(got))
	}
	for _, id := range ids {
		if got[id] == nil || got[id].ID != id || got[id].Name == "" {
			t.Fatalf("member %s = %+v", id, got[id])
		}
	}
	if n := calls.Count("DynamoDB.BatchGetItem"); n < 2 || n > 4 {
		t.Errorf("%d BatchGetItem calls for 131 keys", n)
	}
	if m, err := s.MembersByID(ctx, nil); err != nil || len(m) != 0 {
		t.Errorf("no ids = %v %v", m, err)
	}
}

// TestCheckInCount checks that the event's checked_in_count moves only with
// a check-in that flips the flag: many phones scanning one code at once
// count it once.
func TestCheckInCount(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	e := seatsEvent(t, s, 3, false)
	a, b := memberReg(e), guestReg(e, "ゲスト", localtest.UniqueEmail("g"))
	register(t, s, e, a, community.RegistrationConfirmed)
	register(t, s, e, b, community.RegistrationConfirmed)
	count := func(want int) {
		t.Helper()
		got, err := s.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CheckedInCount != want {
			t.Errorf("checked_in_count = %d, want %d", got.CheckedInCount, want)
		}
	}
	count(0)

	const scans = 6
	times := make([]time.Time, scans)
	var wg sync.WaitGroup
	for i := range scans {
		wg.Go(func() {
			at := base.Add(time.Duration(i) * time.Second)
			r, err := s.SetCheckIn(ctx, e.ID, a.ID, &at)
			if err != nil || r.CheckedInAt == nil {
				t.Errorf("scan %d = %+v %v", i, r, err)
				return
			}
			times[i] = *r.CheckedInAt
		})
	}
	wg.Wait()
	for i := range times {
		if !times[i].Equal(times[0]) {
			t.Errorf("scan %d saw check-in time %v, scan 0 %v: one check-in should win", i, times[i], times[0])
		}
	}
	count(1)
	if _, err := s.SetCheckIn(ctx, e.ID, b.ID, &base); err != nil {
		t.Fatal(err)
	}
	count(2)

	for range 2 {
		if r, err := s.SetCheckIn(ctx, e.ID, a.ID, nil); err != nil || r.CheckedInAt != nil {
			t.Fatalf("undo = %+v %v", r, err)
		}
	}
	count(1)

	// A check-in from before the counter: its undo clears the flag and
	// leaves the counter at zero, not below.
	if _, err := s.SetCheckIn(ctx, e.ID, a.ID, &base); err != nil {
		t.Fatal(err)
	}
	k, err := attributevalue.MarshalMap(map[string]string{"PK": "EVENT#" + e.ID, "SK": "EVENT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localtest.DynamoDB().UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: k, UpdateExpression: aws.String("REMOVE checked_in_count"),
	}); err != nil {
		t.Fatal(err)
	}
	count(0)
	for _, r := range []*community.Registration{a, b} {
		if got, err := s.SetCheckIn(ctx, e.ID, r.ID, nil); err != nil || got.CheckedInAt != nil {
			t.Fatalf("undo of an uncounted check-in = %+v %v", got, err)
		}
	}
	count(0)
}

// TestCancelCheckedIn checks that ending a checked-in seat — by its owner,
// with a promotion, or by the event's cancellation — takes it off the
// event's checked_in_count in the same transaction, once however many
// cancels race, and that its check-in can no longer be undone (which would
// take it off twice).
func TestCancelCheckedIn(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	count := func(e *community.Event, want int) {
		t.Helper()
		got, err := s.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CheckedInCount != want {
			t.Errorf("checked_in_count = %d, want %d", got.CheckedInCount, want)
		}
	}
	checkIn := func(e *community.Event, r *community.Registration) {
		t.Helper()
		if _, err := s.SetCheckIn(ctx, e.ID, r.ID, &base); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OwnerCancelsRacing", func(t *testing.T) {
		e := seatsEvent(t, s, 3, false)
		a, b := memberReg(e), memberReg(e)
		register(t, s, e, a, community.RegistrationConfirmed)
		register(t, s, e, b, community.RegistrationConfirmed)
		checkIn(e, a)
		checkIn(e, b)
		count(e, 2)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 5 {
			wg.Go(func() {
				_, _, err := s.CancelRegistration(ctx, e.ID, a.ID, base)
				switch {
				case err == nil:
					mu.Lock()
					won++
					mu.Unlock()
				case !errors.Is(err, community.ErrAlreadyCancelled):
					t.Errorf("cancel: %v", err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Errorf("%d cancels won, want 1", won)
		}
		count(e, 1)
		if c, _ := counters(t, s, e); c != 1 {
			t.Errorf("confirmed = %d, want 1", c)
		}
		// The cancelled registration keeps its check-in as a record; an
		// undo of it is refused and counts nothing off.
		r, err := s.Registration(ctx, e.ID, a.ID)
		if err != nil || r.CheckedInAt == nil {
			t.Fatalf("cancelled registration = %+v %v, want its check-in kept", r, err)
		}
		for range 2 {
			if _, err := s.SetCheckIn(ctx, e.ID, a.ID, nil); !errors.Is(err, community.ErrNotConfirmed) {
				t.Errorf("undo of a cancelled check-in = %v, want not_confirmed", err)
			}
		}
		count(e, 1)
		// Not checked in: its cancel leaves the count alone.
		c := memberReg(e)
		register(t, s, e, c, community.RegistrationConfirmed)
		if _, _, err := s.CancelRegistration(ctx, e.ID, c.ID, base); err != nil {
			t.Fatal(err)
		}
		count(e, 1)
	})

	t.Run("WithPromotion", func(t *testing.T) {
		e := seatsEvent(t, s, 1, true)
		a, w := memberReg(e), memberReg(e)
		register(t, s, e, a, community.RegistrationConfirmed)
		register(t, s, e, w, community.RegistrationWaitlisted)
		checkIn(e, a)
		_, promoted, err := s.CancelRegistration(ctx, e.ID, a.ID, base)
		if err != nil || promoted == nil || promoted.ID != w.ID {
			t.Fatalf("cancel = %+v %v, want %s promoted", promoted, err, w.ID)
		}
		count(e, 0)
	})

	t.Run("EventCancelled", func(t *testing.T) {
		e := seatsEvent(t, s, 3, false)
		a := memberReg(e)
		register(t, s, e, a, community.RegistrationConfirmed)
		checkIn(e, a)
		for range 2 {
			_, _, err := s.EndRegistration(ctx, e.ID, a.ID, base)
			if err != nil && !errors.Is(err, community.ErrAlreadyCancelled) {
				t.Fatal(err)
			}
		}
		count(e, 0)
	})
}
