package dynamo

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
)

// TestUnmarshalEventItems: the fast path reads every shape of event item the
// store writes exactly as attributevalue does, and hands anything else to
// attributevalue.
func TestUnmarshalEventItems(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	start := time.Date(2025, 5, 14, 19, 0, 0, 0, tokyo)
	opens, closes := start.Add(-30*24*time.Hour), start.Add(-time.Hour+123*time.Millisecond)
	age := func(n int) *int { return &n }
	base := func() *community.Event {
		return &community.Event{
			ID: "01JTESTEVENT0000000000000A", Title: "私塾：道路維持管理のDX", Kind: community.KindLecture,
			Audience: community.AudiencePublic, StartsAt: start, EndsAt: start.Add(90 * time.Minute),
			Status: community.EventPublished, CreatedAt: start.Add(-48 * time.Hour), UpdatedAt: start.Add(-47*time.Hour + 5*time.Nanosecond),
		}
	}
	cases := map[string]func(e *community.Event){
		"Minimal": func(*community.Event) {},
		"Full": func(e *community.Event) {
			e.Description, e.Notes, e.CancelReason = "説明", "録画・録音なし", ""
			e.Venue = &community.Venue{Name: "市民会館", Address: "東京都千代田区"}
			e.OnlinePlatform, e.JoinURL = "Zoom", "https://zoom.example/j/1"
			e.Capacity, e.Waitlist, e.FeeJPY = 12, true, 35000
			e.RegistrationOpensAt, e.RegistrationClosesAt = &opens, &closes
			e.Eligibility = &community.Eligibility{PublicServantOnly: true, MinAge: age(25), MaxAge: age(39)}
			e.Speakers = []string{"講師 一郎", "講師 二郎"}
			e.SeriesID = "01JTESTSERIES000000000000A"
			e.ReminderOffsets = community.DefaultReminderOffsets
			e.ConfirmedCount, e.WaitlistCount = 12, 3
		},
		"VenueNameOnly":        func(e *community.Event) { e.Venue = &community.Venue{Name: "会議室"} },
		"EmptyVenue":           func(e *community.Event) { e.Venue = &community.Venue{} },
		"EligibilityNoAges":    func(e *community.Event) { e.Eligibility = &community.Eligibility{} },
		"NoReminders":          func(e *community.Event) { e.ReminderOffsets = []time.Duration{} },
		"EmptySpeakers":        func(e *community.Event) { e.Speakers = []string{} },
		"Cancelled":            func(e *community.Event) { e.Status, e.CancelReason = community.EventCancelled, "台風のため" },
		"Draft":                func(e *community.Event) { e.Status = community.EventDraft },
		"StartWithNanoseconds": func(e *community.Event) { e.StartsAt = e.StartsAt.Add(time.Nanosecond) },
	}
	var raw []map[string]types.AttributeValue
	for name, mod := range cases {
		e := base()
		mod(e)
		av, err := attributevalue.MarshalMap(newEventItem(e))
		if err != nil {
			t.Fatal(err)
		}
		var want eventItem
		if err := attributevalue.UnmarshalMap(av, &want); err != nil {
			t.Fatal(err)
		}
		var got eventItem
		if !decodeEventItem(av, &got) {
			t.Errorf("%s: the fast path refused an item the store writes: %v", name, av)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(time.Time{})); diff != "" {
			t.Errorf("%s: fast path differs from attributevalue (-want +got):\n%s", name, diff)
		} else if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: fast path differs from attributevalue in a time's location", name)
		}
		raw = append(raw, av)
	}

	// Shapes the store does not write: an unknown attribute, a number as a
	// string, a time as epoch seconds, a NULL inside a list.
	odd := []map[string]types.AttributeValue{
		{"id": &types.AttributeValueMemberS{Value: "x"}, "extra": &types.AttributeValueMemberS{Value: "?"}},
		{"id": &types.AttributeValueMemberS{Value: "x"}, "capacity": &types.AttributeValueMemberS{Value: "12"}},
		{"id": &types.AttributeValueMemberS{Value: "x"}, "starts_at": &types.AttributeValueMemberN{Value: "1747216800"}},
		{"speakers": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}}}},
		{"venue": &types.AttributeValueMemberNULL{Value: true}, "reminder_offsets_s": &types.AttributeValueMemberNULL{Value: true}},
	}
	for i, av := range append(raw, odd...) {
		var want eventItem
		wantErr := attributevalue.UnmarshalMap(av, &want)
		got, gotErr := unmarshalEventItems([]map[string]types.AttributeValue{av})
		if (wantErr == nil) != (gotErr == nil) {
			t.Errorf("item %d: errors differ: attributevalue %v, unmarshalEventItems %v", i, wantErr, gotErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		if diff := cmp.Diff([]eventItem{want}, got, cmp.AllowUnexported(time.Time{})); diff != "" {
			t.Errorf("item %d: unmarshalEventItems differs from attributevalue (-want +got):\n%s", i, diff)
		} else if !reflect.DeepEqual([]eventItem{want}, got) {
			t.Errorf("item %d: unmarshalEventItems differs from attributevalue in a time's location", i)
		}
	}

	// A value attributevalue refuses is refused alike.
	bad := []map[string]types.AttributeValue{{"capacity": &types.AttributeValueMemberBOOL{Value: true}}}
	var sink []eventItem
	if err := attributevalue.UnmarshalListOfMaps(bad, &sink); err == nil {
		t.Fatal("attributevalue took a BOOL capacity")
	}
	if _, err := unmarshalEventItems(bad); err == nil {
		t.Error("unmarshalEventItems took a BOOL capacity")
	}
}
