package dynamo_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

// newStore returns a Store on a fresh table, with its DynamoDB calls counted.
func newStore(t *testing.T) (*dynamo.Store, *awsmetrics.Counter, string) {
	t.Helper()
	table := localtest.NewTable(t)
	calls := awsmetrics.NewCounter()
	db := dynamodb.NewFromConfig(localtest.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
		o.DisableValidateResponseChecksum = true
		o.APIOptions = append(o.APIOptions, calls.Middleware())
	})
	return dynamo.New(db, table), calls, table
}

// base is a fixed instant on a whole second, as event starts are.
var base = time.Date(2030, 5, 14, 10, 0, 0, 0, time.UTC)

func newEvent(start time.Time, kind community.Kind, status community.EventStatus) *community.Event {
	return &community.Event{
		ID: community.NewID(start), Title: "私塾 第1回", Kind: kind, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute), Status: status,
		CreatedAt: base.Add(-time.Hour), UpdatedAt: base.Add(-time.Hour),
	}
}

func wantErr(t *testing.T, err error, reason *community.Reason) {
	t.Helper()
	if !errors.Is(err, reason) {
		t.Fatalf("err = %v, want %s", err, reason.Name())
	}
}

func ptr[T any](v T) *T { return &v }

func TestEvent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)

	full := newEvent(base, community.KindWorkshop, community.EventPublished)
	full.Audience = community.AudienceRegular
	full.Description = "キャリア開発塾（5日間）"
	full.Venue = &community.Venue{Name: "伊勢崎市役所", Address: "群馬県伊勢崎市今泉町2-410"}
	full.OnlinePlatform = "Zoom"
	full.JoinURL = "https://zoom.example/j/1"
	full.Capacity, full.Waitlist, full.FeeJPY = 16, true, 35000
	full.RegistrationOpensAt, full.RegistrationClosesAt = ptr(base.Add(-30*24*time.Hour)), ptr(base.Add(-7*24*time.Hour))
	full.Eligibility = &community.Eligibility{PublicServantOnly: true, MinAge: ptr(25), MaxAge: ptr(39)}
	full.Speakers = []string{"髙橋 﨑子", "佐藤"}
	full.Notes = "録画・録音なし"
	full.SeriesID = community.NewID(base)
	full.ReminderOffsets = community.DefaultReminderOffsets
	if err := s.CreateEvent(ctx, full); err != nil {
		t.Fatal(err)
	}
	minimal := newEvent(base.Add(time.Hour), community.KindMeeting, community.EventDraft)
	if err := s.CreateEvent(ctx, minimal); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		for _, want := range []*community.Event{full, minimal} {
			got, err := s.Event(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Event(%s)\n got %+v\nwant %+v", want.ID, got, want)
			}
		}
	})
	t.Run("TimesInAnyZone", func(t *testing.T) {
		e := newEvent(base.In(community.Tokyo), community.KindLecture, community.EventPublished)
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartsAt.Equal(base) {
			t.Errorf("StartsAt = %v, want %v", got.StartsAt, base)
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		dup := newEvent(base, community.KindLecture, community.EventPublished)
		dup.ID = full.ID
		wantErr(t, s.CreateEvent(ctx, dup), community.ErrEventExists)
		got, err := s.Event(ctx, full.ID)
		if err != nil || got.Title != full.Title || got.Kind != full.Kind {
			t.Fatalf("after conflict: %+v, %v", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		got, err := s.Event(ctx, community.NewID(base))
		wantErr(t, err, community.ErrEventNotFound)
		if got != nil {
			t.Errorf("got %+v with NotFound", got)
		}
	})
}

func TestUpcomingEvents(t *testing.T) {
	ctx := context.Background()
	s, calls, _ := newStore(t)

	// 45 published events an hour apart, kinds in turn, with drafts and
	// cancelled events among them and two that started before the window.
	var published []*community.Event
	put := func(e *community.Event) {
		t.Helper()
		if err := s.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 45 {
		e := newEvent(base.Add(time.Duration(i)*time.Hour), community.Kinds[i%len(community.Kinds)], community.EventPublished)
		put(e)
		published = append(published, e)
		if i%9 == 0 {
			put(newEvent(e.StartsAt, e.Kind, community.EventDraft))
			put(newEvent(e.StartsAt.Add(time.Minute), e.Kind, community.EventCancelled))
		}
	}
	put(newEvent(base.Add(-time.Hour), community.KindMeeting, community.EventPublished))
	put(newEvent(base.Add(-time.Second), community.KindLecture, community.EventPublished))

	ids := func(keep func(i int, e *community.Event) bool) []string {
		var out []string
		for i, e := range published {
			if keep(i, e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	tests := []struct {
		name    string
		q       community.EventQuery
		want    []string
		pages   int
		noQuery bool // the bounds alone say the page is empty
	}{
		{"All", community.EventQuery{From: base, Limit: 10},
			ids(func(int, *community.Event) bool { return true }), 5, false},
		{"ExactPages", community.EventQuery{From: base, Limit: 15},
			ids(func(int, *community.Event) bool { return true }), 3, false},
		{"OnePage", community.EventQuery{From: base, Limit: 100},
			ids(func(int, *community.Event) bool { return true }), 1, false},
		{"FromMidSecond", community.EventQuery{From: base.Add(40*time.Hour + time.Millisecond), Limit: 2},
			ids(func(i int, _ *community.Event) bool { return i > 40 }), 2, false},
		{"Kind", community.EventQuery{Kind: community.KindLecture, From: base, Limit: 3},
			ids(func(_ int, e *community.Event) bool { return e.Kind == community.KindLecture }), 4, false},
		{"ToBound", community.EventQuery{From: base.Add(5 * time.Hour), To: base.Add(25 * time.Hour), Limit: 10},
			ids(func(i int, _ *community.Event) bool { return i >= 5 && i < 25 }), 2, false},
		{"KindAndTo", community.EventQuery{Kind: community.KindMeeting, From: base, To: base.Add(30 * time.Hour), Limit: 4},
			ids(func(i int, e *community.Event) bool { return e.Kind == community.KindMeeting && i < 30 }), 2, false},
		{"Empty", community.EventQuery{From: base.Add(100 * time.Hour), Limit: 10}, nil, 1, false},
		{"ToBeforeFrom", community.EventQuery{From: base.Add(10 * time.Hour), To: base, Limit: 10}, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, seen := tt.q, map[string]bool{}
			var got []string
			for page := 1; ; page++ {
				calls.Reset()
				p, err := s.UpcomingEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want := int64(1)
				if tt.noQuery {
					want = 0
				}
				if calls.Total() != want || calls.Count("DynamoDB.Query") != want {
					t.Fatalf("page %d made calls %v, want %d Query", page, calls.Snapshot(), want)
				}
				if len(p.Events) > q.Limit {
					t.Fatalf("page %d has %d events, limit %d", page, len(p.Events), q.Limit)
				}
				for _, e := range p.Events {
					if seen[e.ID] {
						t.Fatalf("page %d repeats %s", page, e.ID)
					}
					seen[e.ID] = true
					got = append(got, e.ID)
				}
				if p.NextCursor == "" {
					if page != tt.pages {
						t.Errorf("%d pages, want %d", page, tt.pages)
					}
					break
				}
				if len(p.Events) != q.Limit {
					t.Fatalf("page %d is short (%d) but has a cursor", page, len(p.Events))
				}
				q.Cursor = p.NextCursor
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %d events %v\nwant %d %v", len(got), got, len(tt.want), tt.want)
			}
		})
	}

	t.Run("StartOrder", func(t *testing.T) {
		p, err := s.UpcomingEvents(ctx, community.EventQuery{From: base, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(p.Events, func(a, b *community.Event) int { return a.StartsAt.Compare(b.StartsAt) }) {
			t.Error("events not in start order")
		}
		for _, e := range p.Events {
			if e.Status != community.EventPublished {
				t.Errorf("%s is %s", e.ID, e.Status)
			}
		}
	})

	t.Run("CursorAfterWindowMoved", func(t *testing.T) {
		// A cursor issued while "now" was earlier still works once the
		// window has moved past it: the next page starts at the window.
		p, err := s.UpcomingEvents(ctx, community.EventQuery{From: base, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		p, err = s.UpcomingEvents(ctx, community.EventQuery{From: base.Add(20 * time.Hour), Limit: 10, Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) == 0 || p.Events[0].ID != published[20].ID {
			t.Fatalf("first event %v, want %s", p.Events, published[20].ID)
		}
		// And a cursor beyond the window's end ends the list.
		late, err := s.UpcomingEvents(ctx, community.EventQuery{From: base.Add(20 * time.Hour), Limit: 10, Cursor: p.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		p, err = s.UpcomingEvents(ctx, community.EventQuery{From: base, To: base.Add(25 * time.Hour), Limit: 10, Cursor: late.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) != 0 || p.NextCursor != "" {
			t.Fatalf("got %d events, cursor %q; want none", len(p.Events), p.NextCursor)
		}
	})

	first, err := s.UpcomingEvents(ctx, community.EventQuery{Kind: community.KindLecture, From: base, Limit: 2})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page: %v, cursor %q", err, first.NextCursor)
	}
	member := func(id string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(`{"i":"GSI1","p":"EVENTS","k":"MEMBER#` + id + `","s":"MEMBER","o":"2030-05-14T10:00:00Z#` + id + `"}`))
	}
	bad := []struct {
		name string
		q    community.EventQuery
	}{
		{"NotBase64", community.EventQuery{From: base, Limit: 10, Cursor: "%%%"}},
		{"NotJSON", community.EventQuery{From: base, Limit: 10, Cursor: base64.RawURLEncoding.EncodeToString([]byte("x"))}},
		{"Empty", community.EventQuery{From: base, Limit: 10, Cursor: base64.RawURLEncoding.EncodeToString([]byte("{}"))}},
		{"OtherKind", community.EventQuery{Kind: community.KindMeeting, From: base, Limit: 10, Cursor: first.NextCursor}},
		{"AllKinds", community.EventQuery{From: base, Limit: 10, Cursor: first.NextCursor}},
		{"OtherItemType", community.EventQuery{From: base, Limit: 10, Cursor: member(community.NewID(base))}},
	}
	for _, tt := range bad {
		t.Run("ErrCursor"+tt.name, func(t *testing.T) {
			calls.Reset()
			_, err := s.UpcomingEvents(ctx, tt.q)
			wantErr(t, err, community.ErrInvalidCursor)
			if n := calls.Total(); n != 0 {
				t.Errorf("made %d calls for a bad cursor", n)
			}
		})
	}
	for _, limit := range []int{0, -1, 101} {
		t.Run(fmt.Sprint("ErrLimit", limit), func(t *testing.T) {
			_, err := s.UpcomingEvents(ctx, community.EventQuery{From: base, Limit: limit})
			wantErr(t, err, community.ErrInvalidLimit)
		})
	}
}
