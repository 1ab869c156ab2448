package dynamo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// seatsEvent stores a published event with capacity seats and returns it
// as a caller would have read it.
func seatsEvent(t *testing.T, s *dynamo.Store, capacity int, waitlist bool) *community.Event {
	t.Helper()
	e := newEvent(base.Add(7*24*time.Hour), community.KindWorkshop, community.EventPublished)
	e.Capacity, e.Waitlist = capacity, waitlist
	if err := s.CreateEvent(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// memberReg is a new registration of a new member for e.
func memberReg(e *community.Event) *community.Registration {
	return &community.Registration{
		ID: community.NewID(base), EventID: e.ID, MemberID: community.NewID(base),
		EventStartsAt: e.StartsAt, CreatedAt: base, UpdatedAt: base,
	}
}

func guestReg(e *community.Event, name, email string) *community.Registration {
	return &community.Registration{
		ID: community.NewID(base), EventID: e.ID, Guest: &community.Guest{Name: name, Email: email},
		EventStartsAt: e.StartsAt, CreatedAt: base, UpdatedAt: base,
	}
}

func register(t *testing.T, s *dynamo.Store, e *community.Event, r *community.Registration, want community.RegistrationStatus) {
	t.Helper()
	if err := s.Register(context.Background(), e, r); err != nil {
		t.Fatal(err)
	}
	if r.Status != want {
		t.Fatalf("registration %s is %s, want %s", r.ID, r.Status, want)
	}
}

// counters reads the event's counters and checks them against the
// registrations themselves: the invariant of docs/architecture.md.
func counters(t *testing.T, s *dynamo.Store, e *community.Event) (confirmed, waiting int) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Event(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CountConfirmed(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ConfirmedCount != n {
		t.Errorf("confirmed_count = %d, but %d registrations are confirmed", got.ConfirmedCount, n)
	}
	if e.Capacity > 0 && got.ConfirmedCount > e.Capacity {
		t.Errorf("confirmed_count = %d over capacity %d", got.ConfirmedCount, e.Capacity)
	}
	if w := len(allRegs(t, s, e.ID, community.RegistrationWaitlisted, 100)); got.WaitlistCount != w {
		t.Errorf("waitlist_count = %d, but %d registrations wait", got.WaitlistCount, w)
	}
	return got.ConfirmedCount, got.WaitlistCount
}

// allRegs pages through an event's registrations of one status.
func allRegs(t *testing.T, s *dynamo.Store, eventID string, st community.RegistrationStatus, limit int) []*community.Registration {
	t.Helper()
	var all []*community.Registration
	cur := ""
	for {
		page, next, err := s.EventRegistrations(context.Background(), eventID, st, limit, cur)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cur = next
	}
}

func regIDs(regs []*community.Registration) []string {
	ids := make([]string, len(regs))
	for i, r := range regs {
		ids[i] = r.ID
	}
	return ids
}

// checkPositions checks that the waitlist reads in ticket order and that
// each place is its 1-based rank.
func checkPositions(t *testing.T, s *dynamo.Store, e *community.Event, want []string) {
	t.Helper()
	got := allRegs(t, s, e.ID, community.RegistrationWaitlisted, 7)
	if !slices.Equal(regIDs(got), want) {
		t.Fatalf("waitlist\n got %v\nwant %v", regIDs(got), want)
	}
	for i, r := range got {
		if i > 0 && r.WaitlistSeq <= got[i-1].WaitlistSeq {
			t.Errorf("tickets out of order at %d: %d after %d", i, r.WaitlistSeq, got[i-1].WaitlistSeq)
		}
		pos, err := s.WaitlistPosition(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if pos != i+1 {
			t.Errorf("position of %s = %d, want %d", r.ID, pos, i+1)
		}
	}
}

// TestRegisterRush: everyone at once for 10 seats. The store's race runs
// 60 people in `make test` (the handler's TestConcurrentRegistrations runs
// the acceptance's 200 through the same store); TABANE_RUSH=200 runs it here.
func TestRegisterRush(t *testing.T) {
	localtest.Crowd(t)
	people, seats := localtest.RushSize(60), 10
	tests := []struct {
		name     string
		waitlist bool
		waiting  int // registrations that end up waitlisted
		full     int // registrations refused with event_full
	}{
		{"Waitlist", true, people - seats, 0},
		{"NoWaitlist", false, 0, people - seats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, calls, _ := newStore(t)
			e := seatsEvent(t, s, seats, tt.waitlist)
			regs := make([]*community.Registration, people)
			for i := range regs {
				regs[i] = memberReg(e)
			}
			calls.Reset()
			start := time.Now()
			// Everyone holds the same snapshot (no seat taken yet), as
			// people who all opened the page before the rush.
			errs := run(people, func(i int) error { return s.Register(ctx, e, regs[i]) })
			t.Logf("%d registrations in %v, %d DynamoDB calls %v", people, time.Since(start).Round(time.Millisecond), calls.Total(), calls.Snapshot())

			var confirmed, waiting, full int
			for i, err := range errs {
				switch {
				case err == nil && regs[i].Status == community.RegistrationConfirmed:
					confirmed++
				case err == nil && regs[i].Status == community.RegistrationWaitlisted:
					waiting++
				case errors.Is(err, community.ErrEventFull):
					wantErr(t, err, community.ErrEventFull)
					full++
					// A refusal leaves nothing behind.
					_, err := s.Registration(ctx, e.ID, regs[i].ID)
					wantErr(t, err, community.ErrRegistrationNotFound)
					_, err = s.MemberRegistration(ctx, e.ID, regs[i].MemberID)
					wantErr(t, err, community.ErrRegistrationNotFound)
				default:
					t.Fatalf("registration %d: %v (status %q)", i, err, regs[i].Status)
				}
			}
			if confirmed != seats || waiting != tt.waiting || full != tt.full {
				t.Fatalf("confirmed %d, waitlisted %d, full %d; want %d, %d, %d", confirmed, waiting, full, seats, tt.waiting, tt.full)
			}
			if c, w := counters(t, s, e); c != seats || w != tt.waiting {
				t.Errorf("counters %d/%d, want %d/%d", c, w, seats, tt.waiting)
			}
			// The waitlist is in ticket order, every ticket distinct.
			var line []*community.Registration
			for _, r := range regs {
				if r.Status == community.RegistrationWaitlisted {
					line = append(line, r)
				}
			}
			slices.SortFunc(line, func(a, b *community.Registration) int { return int(a.WaitlistSeq - b.WaitlistSeq) })
			checkPositions(t, s, e, regIDs(line))
		})
	}
}

func TestCancelRace(t *testing.T) {
	localtest.Crowd(t)
	const seats, queue, racers = 20, 40, 20
	ctx := context.Background()
	s, calls, _ := newStore(t)
	e := seatsEvent(t, s, seats, true)
	var holders, line []*community.Registration
	for range seats {
		r := memberReg(e)
		register(t, s, e, r, community.RegistrationConfirmed)
		holders = append(holders, r)
	}
	for range queue {
		r := memberReg(e)
		register(t, s, e, r, community.RegistrationWaitlisted)
		line = append(line, r)
	}
	newcomers := make([]*community.Registration, racers)
	for i := range newcomers {
		newcomers[i] = memberReg(e)
	}

	// Watch the counters while the race runs.
	done := make(chan struct{})
	var polls, over atomic.Int64
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			got, err := s.Event(ctx, e.ID)
			if err != nil {
				t.Error(err)
				return
			}
			n, err := s.CountConfirmed(ctx, e.ID)
			if err != nil {
				t.Error(err)
				return
			}
			if got.ConfirmedCount > seats || n > seats {
				over.Add(1)
			}
			polls.Add(1)
		}
	})
	promoted := make([]*community.Registration, racers)
	calls.Reset()
	start := time.Now()
	errs := run(2*racers, func(i int) error {
		if i%2 == 0 {
			_, p, err := s.CancelRegistration(ctx, e.ID, holders[i/2].ID, base.Add(time.Hour))
			promoted[i/2] = p
			return err
		}
		return s.Register(ctx, e, newcomers[i/2])
	})
	took := time.Since(start)
	close(done)
	watch.Wait()
	t.Logf("%d cancellations racing %d registrations in %v, %d transactions; counters polled %d times",
		racers, racers, took.Round(time.Millisecond), calls.Count("DynamoDB.TransactWriteItems"), polls.Load())
	for i, err := range errs {
		if err != nil {
			t.Fatalf("operation %d: %v", i, err)
		}
	}
	if n := over.Load(); n > 0 {
		t.Errorf("%d of %d polls saw more than %d confirmed", n, polls.Load(), seats)
	}

	// FIFO and exactly once: the promoted are the first racers of the line,
	// each reported by one cancellation.
	var got []string
	for i, p := range promoted {
		if p == nil {
			t.Fatalf("cancellation %d promoted nobody", i)
		}
		if p.Status != community.RegistrationConfirmed {
			t.Errorf("promoted %s reported as %s", p.ID, p.Status)
		}
		got = append(got, p.ID)
	}
	slices.Sort(got)
	want := regIDs(line[:racers])
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("promoted\n got %v\nwant %v", got, want)
	}
	if c, w := counters(t, s, e); c != seats || w != queue {
		t.Errorf("counters %d/%d, want %d/%d", c, w, seats, queue)
	}
	for _, r := range line[:racers] {
		m, err := s.MemberRegistration(ctx, e.ID, r.MemberID)
		if err != nil || m.Status != community.RegistrationConfirmed {
			t.Errorf("promoted %s: %+v, %v", r.ID, m, err)
		}
	}
	for _, r := range holders {
		c, err := s.Registration(ctx, e.ID, r.ID)
		if err != nil || c.Status != community.RegistrationCancelled || c.CancelledAt == nil {
			t.Errorf("cancelled %s: %+v, %v", r.ID, c, err)
		}
		_, err = s.MemberRegistration(ctx, e.ID, r.MemberID)
		wantErr(t, err, community.ErrRegistrationNotFound)
	}
	confirmed := regIDs(allRegs(t, s, e.ID, community.RegistrationConfirmed, 100))
	for _, r := range holders {
		if slices.Contains(confirmed, r.ID) {
			t.Errorf("cancelled %s still holds a seat", r.ID)
		}
	}
	// Newcomers never jumped the queue: they wait behind the rest of the line.
	for _, r := range newcomers {
		if r.Status != community.RegistrationWaitlisted {
			t.Errorf("newcomer %s is %s", r.ID, r.Status)
		}
	}
	slices.SortFunc(newcomers, func(a, b *community.Registration) int { return int(a.WaitlistSeq - b.WaitlistSeq) })
	checkPositions(t, s, e, append(regIDs(line[racers:]), regIDs(newcomers)...))
}

// setEventStatus changes an event's status behind the store's back, as an
// organizer's action would (that code belongs to another issue).
func setEventStatus(t *testing.T, table, id string, st community.EventStatus) {
	t.Helper()
	key, err := attributevalue.MarshalMap(map[string]string{"PK": "EVENT#" + id, "SK": "EVENT"})
	if err != nil {
		t.Fatal(err)
	}
	val, err := attributevalue.MarshalMap(map[string]string{":s": string(st)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = localtest.DynamoDB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: key, UpdateExpression: aws.String("SET #s = :s"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: val,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)

	t.Run("OK", func(t *testing.T) {
		e := seatsEvent(t, s, 2, false)
		checked := base.Add(time.Minute)
		member := memberReg(e)
		member.CheckedInAt = &checked // whatever the caller set comes back
		guest := guestReg(e, "髙橋 﨑子", "Saki@Example.jp")
		for _, r := range []*community.Registration{member, guest} {
			register(t, s, e, r, community.RegistrationConfirmed)
			got, err := s.Registration(ctx, e.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("Registration\n got %+v\nwant %+v", got, r)
			}
		}
		got, err := s.MemberRegistration(ctx, e.ID, member.MemberID)
		if err != nil || got.ID != member.ID {
			t.Fatalf("MemberRegistration = %+v, %v", got, err)
		}
		counters(t, s, e)
	})

	errTests := []struct {
		name   string
		setup  func(t *testing.T) (*community.Event, *community.Registration)
		reason *community.Reason
	}{
		{"ErrSameMember", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 5, true)
			first := memberReg(e)
			register(t, s, e, first, community.RegistrationConfirmed)
			again := memberReg(e)
			again.MemberID = first.MemberID
			return e, again
		}, community.ErrAlreadyRegistered},
		{"ErrSameWaitlistedMember", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 1, true)
			register(t, s, e, memberReg(e), community.RegistrationConfirmed)
			first := memberReg(e)
			register(t, s, e, first, community.RegistrationWaitlisted)
			again := memberReg(e)
			again.MemberID = first.MemberID
			return e, again
		}, community.ErrAlreadyRegistered},
		{"ErrSameGuestOtherCase", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 5, false)
			register(t, s, e, guestReg(e, "佐藤", "Hana.Sato@Example.JP"), community.RegistrationConfirmed)
			return e, guestReg(e, "さとう", " hana.sato@example.jp")
		}, community.ErrAlreadyRegistered},
		{"ErrFull", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 1, false)
			register(t, s, e, memberReg(e), community.RegistrationConfirmed)
			return e, memberReg(e)
		}, community.ErrEventFull},
		{"ErrSameID", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 5, false)
			first := memberReg(e)
			register(t, s, e, first, community.RegistrationConfirmed)
			again := memberReg(e)
			again.ID = first.ID
			return e, again
		}, community.ErrRegistrationExists},
		{"ErrEventCancelled", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 5, true)
			setEventStatus(t, table, e.ID, community.EventCancelled) // e still says published
			return e, memberReg(e)
		}, community.ErrEventCancelled},
		{"ErrEventCancelledWhileFull", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 1, true)
			register(t, s, e, memberReg(e), community.RegistrationConfirmed)
			register(t, s, e, memberReg(e), community.RegistrationWaitlisted)
			setEventStatus(t, table, e.ID, community.EventCancelled)
			return e, memberReg(e)
		}, community.ErrEventCancelled},
		{"ErrEventDraft", func(t *testing.T) (*community.Event, *community.Registration) {
			e := seatsEvent(t, s, 5, true)
			setEventStatus(t, table, e.ID, community.EventDraft)
			return e, memberReg(e)
		}, community.ErrEventNotFound},
		{"ErrEventUnknown", func(t *testing.T) (*community.Event, *community.Registration) {
			e := newEvent(base, community.KindLecture, community.EventPublished)
			return e, memberReg(e)
		}, community.ErrEventNotFound},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			e, r := tt.setup(t)
			before, beforeErr := s.Event(ctx, e.ID)
			wantErr(t, s.Register(ctx, e, r), tt.reason)
			_, err := s.Registration(ctx, e.ID, r.ID)
			if tt.reason != community.ErrRegistrationExists {
				wantErr(t, err, community.ErrRegistrationNotFound)
			}
			if beforeErr == nil {
				after, err := s.Event(ctx, e.ID)
				if err != nil {
					t.Fatal(err)
				}
				if after.ConfirmedCount != before.ConfirmedCount || after.WaitlistCount != before.WaitlistCount {
					t.Errorf("counters moved from %d/%d to %d/%d", before.ConfirmedCount, before.WaitlistCount, after.ConfirmedCount, after.WaitlistCount)
				}
			}
		})
	}

	t.Run("ErrBadRegistration", func(t *testing.T) {
		e := seatsEvent(t, s, 5, false)
		both := memberReg(e)
		both.Guest = &community.Guest{Name: "x", Email: "x@example.jp"}
		neither := memberReg(e)
		neither.MemberID = ""
		otherEvent := memberReg(e)
		otherEvent.EventID = community.NewID(base)
		badID := memberReg(e)
		badID.ID = "../x"
		for _, r := range []*community.Registration{both, neither, otherEvent, badID} {
			err := s.Register(ctx, e, r)
			if err == nil || community.ErrorCode(err) != community.Internal {
				t.Errorf("Register(%+v) = %v, want a programming error", r, err)
			}
		}
	})
	t.Run("ReRegisterAfterCancel", func(t *testing.T) {
		e := seatsEvent(t, s, 1, false)
		first := memberReg(e)
		guest := guestReg(e, "ゲスト", "guest@example.jp")
		register(t, s, e, first, community.RegistrationConfirmed)
		if _, _, err := s.CancelRegistration(ctx, e.ID, first.ID, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		again := memberReg(e)
		again.MemberID = first.MemberID
		register(t, s, e, again, community.RegistrationConfirmed)
		got, err := s.MemberRegistration(ctx, e.ID, first.MemberID)
		if err != nil || got.ID != again.ID {
			t.Fatalf("MemberRegistration = %+v, %v; want %s", got, err, again.ID)
		}
		// And a guest the same way, on the seat the member frees.
		if _, _, err := s.CancelRegistration(ctx, e.ID, again.ID, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		register(t, s, e, guest, community.RegistrationConfirmed)
		if _, _, err := s.CancelRegistration(ctx, e.ID, guest.ID, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		register(t, s, e, guestReg(e, "ゲスト", "GUEST@example.jp"), community.RegistrationConfirmed)
		if c, w := counters(t, s, e); c != 1 || w != 0 {
			t.Errorf("counters %d/%d, want 1/0", c, w)
		}
	})
	t.Run("StaleSnapshot", func(t *testing.T) {
		// The caller read the event while it was full; a seat has been
		// freed since. The event item, not the snapshot, decides.
		e := seatsEvent(t, s, 1, false)
		first := memberReg(e)
		register(t, s, e, first, community.RegistrationConfirmed)
		stale, err := s.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CancelRegistration(ctx, e.ID, first.ID, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		register(t, s, stale, memberReg(e), community.RegistrationConfirmed)
		// And the other way: the snapshot shows a free seat that is gone.
		w := seatsEvent(t, s, 1, true)
		register(t, s, w, memberReg(w), community.RegistrationConfirmed)
		register(t, s, w, memberReg(w), community.RegistrationWaitlisted)
		counters(t, s, w)
	})
	t.Run("GuestEmailInNoKey", func(t *testing.T) {
		// A guest's address is in the registration for mails, but in no
		// key: keys show up in logs, metrics and cursors.
		e := seatsEvent(t, s, 0, false)
		email := strings.ToLower(localtest.UniqueEmail("keyless"))
		register(t, s, e, guestReg(e, "ゲスト", email), community.RegistrationConfirmed)
		out, err := localtest.DynamoDB().Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(table), ProjectionExpression: aws.String("PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK"),
		})
		if err != nil {
			t.Fatal(err)
		}
		var keys []map[string]string
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &keys); err != nil {
			t.Fatal(err)
		}
		local, _, _ := strings.Cut(email, "@")
		for _, k := range keys {
			if strings.Contains(fmt.Sprint(k), local) {
				t.Errorf("key %v holds the address", k)
			}
		}
		got, err := s.MemberRegistrations(ctx, email)
		if err != nil || len(got) != 0 {
			t.Errorf("a guest has no member list: %v, %v", got, err)
		}
	})
	t.Run("Unlimited", func(t *testing.T) {
		e := seatsEvent(t, s, 0, true)
		for range 30 {
			register(t, s, e, memberReg(e), community.RegistrationConfirmed)
		}
		if c, w := counters(t, s, e); c != 30 || w != 0 {
			t.Errorf("counters %d/%d, want 30/0", c, w)
		}
	})
}

func TestCancelRegistration(t *testing.T) {
	ctx := context.Background()
	s, _, table := newStore(t)
	later := base.Add(time.Hour)

	// full returns an event with every seat taken and n people waiting.
	full := func(t *testing.T, seats, n int) (e *community.Event, holders, line []*community.Registration) {
		t.Helper()
		e = seatsEvent(t, s, seats, true)
		for range seats {
			r := memberReg(e)
			register(t, s, e, r, community.RegistrationConfirmed)
			holders = append(holders, r)
		}
		for range n {
			r := memberReg(e)
			register(t, s, e, r, community.RegistrationWaitlisted)
			line = append(line, r)
		}
		return e, holders, line
	}

	t.Run("WaitlistedLeaves", func(t *testing.T) {
		e, _, line := full(t, 2, 3)
		c, p, err := s.CancelRegistration(ctx, e.ID, line[1].ID, later)
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			t.Errorf("leaving the waitlist promoted %s", p.ID)
		}
		if c.Status != community.RegistrationCancelled || c.CancelledAt == nil || !c.CancelledAt.Equal(later) || !c.UpdatedAt.Equal(later) {
			t.Errorf("cancelled = %+v", c)
		}
		stored, err := s.Registration(ctx, e.ID, c.ID)
		if err != nil || !reflect.DeepEqual(stored, c) {
			t.Errorf("stored\n got %+v, %v\nwant %+v", stored, err, c)
		}
		if cf, w := counters(t, s, e); cf != 2 || w != 2 {
			t.Errorf("counters %d/%d, want 2/2", cf, w)
		}
		checkPositions(t, s, e, []string{line[0].ID, line[2].ID})
		_, err = s.MemberRegistration(ctx, e.ID, line[1].MemberID)
		wantErr(t, err, community.ErrRegistrationNotFound)
	})
	t.Run("SeatGoesToHead", func(t *testing.T) {
		e, holders, line := full(t, 2, 3)
		for i, h := range holders {
			c, p, err := s.CancelRegistration(ctx, e.ID, h.ID, later)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != h.ID || c.Status != community.RegistrationCancelled {
				t.Errorf("cancelled = %+v", c)
			}
			if p == nil || p.ID != line[i].ID || p.Status != community.RegistrationConfirmed || p.MemberID != line[i].MemberID {
				t.Fatalf("promoted = %+v, want %s", p, line[i].ID)
			}
			stored, err := s.Registration(ctx, e.ID, p.ID)
			if err != nil || !reflect.DeepEqual(stored, p) {
				t.Errorf("stored\n got %+v, %v\nwant %+v", stored, err, p)
			}
		}
		if cf, w := counters(t, s, e); cf != 2 || w != 1 {
			t.Errorf("counters %d/%d, want 2/1", cf, w)
		}
		checkPositions(t, s, e, []string{line[2].ID})
		// A promoted registration gives its seat up like any other.
		_, p, err := s.CancelRegistration(ctx, e.ID, line[0].ID, later)
		if err != nil || p == nil || p.ID != line[2].ID {
			t.Fatalf("promoted = %+v, %v; want %s", p, err, line[2].ID)
		}
		if cf, w := counters(t, s, e); cf != 2 || w != 0 {
			t.Errorf("counters %d/%d, want 2/0", cf, w)
		}
	})
	t.Run("SeatFreedWithoutQueue", func(t *testing.T) {
		e, holders, _ := full(t, 2, 0)
		if _, p, err := s.CancelRegistration(ctx, e.ID, holders[0].ID, later); err != nil || p != nil {
			t.Fatalf("promoted %+v, %v", p, err)
		}
		if cf, w := counters(t, s, e); cf != 1 || w != 0 {
			t.Errorf("counters %d/%d, want 1/0", cf, w)
		}
	})
	t.Run("NoPromotionIntoCancelledEvent", func(t *testing.T) {
		e, holders, line := full(t, 1, 2)
		setEventStatus(t, table, e.ID, community.EventCancelled)
		if _, p, err := s.CancelRegistration(ctx, e.ID, holders[0].ID, later); err != nil || p != nil {
			t.Fatalf("promoted %+v, %v", p, err)
		}
		if cf, w := counters(t, s, e); cf != 0 || w != 2 {
			t.Errorf("counters %d/%d, want 0/2", cf, w)
		}
		if _, _, err := s.CancelRegistration(ctx, e.ID, line[0].ID, later); err != nil {
			t.Fatal(err)
		}
		if cf, w := counters(t, s, e); cf != 0 || w != 1 {
			t.Errorf("counters %d/%d, want 0/1", cf, w)
		}
	})
	t.Run("Guest", func(t *testing.T) {
		e := seatsEvent(t, s, 1, true)
		g := guestReg(e, "ゲスト", "Kyaku@Example.jp")
		register(t, s, e, g, community.RegistrationConfirmed)
		w := guestReg(e, "待ち", "matsu@example.jp")
		register(t, s, e, w, community.RegistrationWaitlisted)
		_, p, err := s.CancelRegistration(ctx, e.ID, g.ID, later)
		if err != nil || p == nil || p.ID != w.ID || p.Guest == nil || p.Guest.Email != w.Guest.Email {
			t.Fatalf("promoted = %+v, %v", p, err)
		}
	})
	t.Run("ErrAlreadyCancelled", func(t *testing.T) {
		e, holders, _ := full(t, 1, 0)
		if _, _, err := s.CancelRegistration(ctx, e.ID, holders[0].ID, later); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.CancelRegistration(ctx, e.ID, holders[0].ID, later)
		wantErr(t, err, community.ErrAlreadyCancelled)
		if cf, w := counters(t, s, e); cf != 0 || w != 0 {
			t.Errorf("counters %d/%d, want 0/0", cf, w)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		e := seatsEvent(t, s, 1, true)
		_, _, err := s.CancelRegistration(ctx, e.ID, community.NewID(base), later)
		wantErr(t, err, community.ErrRegistrationNotFound)
		_, err = s.Registration(ctx, e.ID, community.NewID(base))
		wantErr(t, err, community.ErrRegistrationNotFound)
		_, err = s.MemberRegistration(ctx, e.ID, community.NewID(base))
		wantErr(t, err, community.ErrRegistrationNotFound)
	})
	t.Run("SameSeatTwiceConcurrently", func(t *testing.T) {
		// Ten cancels of one seat: one wins and promotes once.
		e, holders, line := full(t, 1, 3)
		promoted := make([]*community.Registration, 10)
		errs := run(10, func(i int) error {
			var err error
			_, promoted[i], err = s.CancelRegistration(ctx, e.ID, holders[0].ID, later)
			return err
		})
		won := 0
		for i, err := range errs {
			if err != nil {
				wantErr(t, err, community.ErrAlreadyCancelled)
				continue
			}
			won++
			if promoted[i] == nil || promoted[i].ID != line[0].ID {
				t.Errorf("promoted = %+v, want %s", promoted[i], line[0].ID)
			}
		}
		if won != 1 {
			t.Errorf("%d cancellations succeeded", won)
		}
		if cf, w := counters(t, s, e); cf != 1 || w != 2 {
			t.Errorf("counters %d/%d, want 1/2", cf, w)
		}
	})
}

func TestMemberRegistrations(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)
	member := community.NewID(base)
	// Registered in an order unlike the events' order.
	var events []*community.Event
	for _, d := range []int{3, 1, 2, 5, 4} {
		e := newEvent(base.Add(time.Duration(d)*24*time.Hour), community.KindMeeting, community.EventPublished)
		e.Capacity = 10
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	regs := map[string]*community.Registration{}
	for _, e := range events {
		r := memberReg(e)
		r.MemberID = member
		register(t, s, e, r, community.RegistrationConfirmed)
		regs[e.ID] = r
		register(t, s, e, memberReg(e), community.RegistrationConfirmed) // someone else
	}
	if _, _, err := s.CancelRegistration(ctx, events[2].ID, regs[events[2].ID].ID, base); err != nil {
		t.Fatal(err)
	}

	calls.Reset()
	got, err := s.MemberRegistrations(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Count("DynamoDB.Query"); n != 1 || calls.Total() != 1 {
		t.Errorf("calls %v, want one Query", calls.Snapshot())
	}
	var want []string
	byStart := slices.Clone(events)
	slices.SortFunc(byStart, func(a, b *community.Event) int { return a.StartsAt.Compare(b.StartsAt) })
	for _, e := range byStart {
		want = append(want, regs[e.ID].ID)
	}
	if !slices.Equal(regIDs(got), want) {
		t.Fatalf("MemberRegistrations\n got %v\nwant %v", regIDs(got), want)
	}
	for _, r := range got {
		wantStatus := community.RegistrationConfirmed
		if r.EventID == events[2].ID {
			wantStatus = community.RegistrationCancelled
		}
		if r.Status != wantStatus || r.MemberID != member {
			t.Errorf("%s: %s of %s, want %s", r.ID, r.Status, r.MemberID, wantStatus)
		}
	}

	none, err := s.MemberRegistrations(ctx, community.NewID(base))
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("no registrations: %v, %v; want an empty list", none, err)
	}
}

func TestEventRegistrations(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)
	e := seatsEvent(t, s, 7, true)
	var confirmed, line []string
	for i := range 12 {
		r := memberReg(e)
		if err := s.Register(ctx, e, r); err != nil {
			t.Fatal(err)
		}
		if i < 7 {
			confirmed = append(confirmed, r.ID)
		} else {
			line = append(line, r.ID)
		}
	}
	slices.Sort(confirmed) // ids made in the same millisecond are in no particular order

	tests := []struct {
		name   string
		status community.RegistrationStatus
		limit  int
		want   []string
		pages  int
	}{
		{"Confirmed", community.RegistrationConfirmed, 3, confirmed, 3},
		{"ConfirmedExactPages", community.RegistrationConfirmed, 7, confirmed, 1},
		{"Waitlisted", community.RegistrationWaitlisted, 2, line, 3},
		{"Cancelled", community.RegistrationCancelled, 10, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			cur := ""
			for page := 1; ; page++ {
				calls.Reset()
				regs, next, err := s.EventRegistrations(ctx, e.ID, tt.status, tt.limit, cur)
				if err != nil {
					t.Fatal(err)
				}
				if calls.Total() != 1 {
					t.Fatalf("page %d made calls %v", page, calls.Snapshot())
				}
				for _, r := range regs {
					if r.Status != tt.status {
						t.Errorf("%s is %s", r.ID, r.Status)
					}
				}
				got = append(got, regIDs(regs)...)
				if next == "" {
					if page != tt.pages {
						t.Errorf("%d pages, want %d", page, tt.pages)
					}
					break
				}
				cur = next
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}

	_, first, err := s.EventRegistrations(ctx, e.ID, community.RegistrationWaitlisted, 2, "")
	if err != nil || first == "" {
		t.Fatalf("first page: %v, cursor %q", err, first)
	}
	other := seatsEvent(t, s, 1, true)
	forge := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
	rid := community.NewID(base)
	bad := []struct {
		name, eventID string
		status        community.RegistrationStatus
		cursor        string
	}{
		{"NotBase64", e.ID, community.RegistrationWaitlisted, "%%%"},
		{"NotJSON", e.ID, community.RegistrationWaitlisted, forge("x")},
		{"Empty", e.ID, community.RegistrationWaitlisted, forge("{}")},
		{"OtherStatus", e.ID, community.RegistrationConfirmed, first},
		{"OtherEvent", other.ID, community.RegistrationWaitlisted, first},
		{"BadSort", e.ID, community.RegistrationConfirmed, forge(fmt.Sprintf(
			`{"i":"GSI1","p":"EREG#%s#confirmed","k":"EVENT#%s","s":"REG#%s","o":"x"}`, e.ID, e.ID, rid))},
		{"BadTicket", e.ID, community.RegistrationWaitlisted, forge(fmt.Sprintf(
			`{"i":"GSI1","p":"EREG#%s#waitlisted","k":"EVENT#%s","s":"REG#%s","o":"12#%s"}`, e.ID, e.ID, rid, rid))},
		{"Member", e.ID, community.RegistrationConfirmed, forge(fmt.Sprintf(
			`{"i":"GSI1","p":"EREG#%s#confirmed","k":"MEMBER#%s","s":"MEMBER","o":"%s"}`, e.ID, rid, rid))},
	}
	for _, tt := range bad {
		t.Run("ErrCursor"+tt.name, func(t *testing.T) {
			calls.Reset()
			_, _, err := s.EventRegistrations(ctx, tt.eventID, tt.status, 10, tt.cursor)
			wantErr(t, err, community.ErrInvalidCursor)
			if n := calls.Total(); n != 0 {
				t.Errorf("made %d calls for a bad cursor", n)
			}
		})
	}
	t.Run("ErrStatus", func(t *testing.T) {
		_, _, err := s.EventRegistrations(ctx, e.ID, "pending", 10, "")
		wantErr(t, err, community.ErrInvalidStatus)
	})
	for _, limit := range []int{0, 101} {
		t.Run(fmt.Sprint("ErrLimit", limit), func(t *testing.T) {
			_, _, err := s.EventRegistrations(ctx, e.ID, community.RegistrationConfirmed, limit, "")
			wantErr(t, err, community.ErrInvalidLimit)
		})
	}
}

// conflicting returns a Store on table whose next n TransactWriteItems are
// cancelled with TransactionConflict before reaching DynamoDB Local, which
// serializes transactions and so never reports a conflict itself; AWS does
// when transactions on one item overlap.
func conflicting(table string, n *atomic.Int64) *dynamo.Store {
	db := dynamodb.NewFromConfig(localtest.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
		o.DisableValidateResponseChecksum = true
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("conflict", func(
				ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler,
			) (middleware.InitializeOutput, middleware.Metadata, error) {
				tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput)
				if !ok || n.Add(-1) < 0 {
					return next.HandleInitialize(ctx, in)
				}
				reasons := make([]types.CancellationReason, len(tx.TransactItems))
				for i := range reasons {
					reasons[i].Code = aws.String("None")
				}
				reasons[0].Code = aws.String("TransactionConflict")
				return middleware.InitializeOutput{}, middleware.Metadata{}, &types.TransactionCanceledException{
					Message: aws.String("Transaction cancelled (injected)"), CancellationReasons: reasons,
				}
			}), middleware.Before)
		})
	})
	return dynamo.New(db, table)
}

func TestContention(t *testing.T) {
	localtest.Crowd(t)
	ctx := context.Background()
	plain, _, table := newStore(t)
	var n atomic.Int64
	s := conflicting(table, &n)

	t.Run("RegisterRetries", func(t *testing.T) {
		e := seatsEvent(t, plain, 1, true)
		n.Store(4)
		register(t, s, e, memberReg(e), community.RegistrationConfirmed)
		n.Store(4)
		register(t, s, e, memberReg(e), community.RegistrationWaitlisted)
		if c, w := counters(t, plain, e); c != 1 || w != 1 {
			t.Errorf("counters %d/%d, want 1/1", c, w)
		}
	})
	t.Run("CancelRetries", func(t *testing.T) {
		e := seatsEvent(t, plain, 1, true)
		holder, waiting := memberReg(e), memberReg(e)
		register(t, plain, e, holder, community.RegistrationConfirmed)
		register(t, plain, e, waiting, community.RegistrationWaitlisted)
		n.Store(4)
		_, p, err := s.CancelRegistration(ctx, e.ID, holder.ID, base)
		if err != nil || p == nil || p.ID != waiting.ID {
			t.Fatalf("promoted %+v, %v", p, err)
		}
		if c, w := counters(t, plain, e); c != 1 || w != 0 {
			t.Errorf("counters %d/%d, want 1/0", c, w)
		}
	})
	t.Run("ErrBusy", func(t *testing.T) {
		e := seatsEvent(t, plain, 1, true)
		r := memberReg(e)
		n.Store(1 << 30)
		defer n.Store(0)
		start := time.Now()
		wantErr(t, s.Register(ctx, e, r), community.ErrBusy)
		t.Logf("gave up after %v", time.Since(start).Round(time.Millisecond))
		n.Store(0)
		_, err := plain.Registration(ctx, e.ID, r.ID)
		wantErr(t, err, community.ErrRegistrationNotFound)
		register(t, plain, e, r, community.RegistrationConfirmed) // nothing was half-written
	})
}
