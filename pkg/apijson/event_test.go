package apijson

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
)

func workshop() *community.Event {
	opens := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	closes := time.Date(2025, 8, 15, 14, 59, 0, 0, time.UTC)
	minAge, maxAge := 25, 39
	return &community.Event{
		ID:                   "01jt5v7g8h9j0k1m2n3p4q5r6s",
		Title:                "キャリア開発塾",
		Kind:                 community.KindWorkshop,
		Audience:             community.AudienceRegular,
		Description:          "5日間の研修です。参加URL: https://zoom.example/j/SECRET-ws",
		StartsAt:             time.Date(2025, 9, 1, 0, 30, 0, 0, time.UTC), // 9:30 JST
		EndsAt:               time.Date(2025, 9, 5, 8, 0, 0, 0, time.UTC),  // 17:00 JST
		Venue:                &community.Venue{Name: "市民会館", Address: "群馬県伊勢崎市"},
		OnlinePlatform:       "Zoom",
		JoinURL:              "https://zoom.example/j/SECRET-ws",
		Capacity:             16,
		Waitlist:             true,
		RegistrationOpensAt:  &opens,
		RegistrationClosesAt: &closes,
		Eligibility:          &community.Eligibility{PublicServantOnly: true, MinAge: &minAge, MaxAge: &maxAge},
		FeeJPY:               35000,
		Speakers:             []string{"講師 一郎"},
		Notes:                "録画・録音なし",
		Status:               community.EventPublished,
		SeriesID:             "",
		ReminderOffsets:      []time.Duration{24 * time.Hour, time.Hour, 30 * time.Minute},
		ConfirmedCount:       10,
		Questions: community.Form{
			{ID: "motive", Label: "受講の動機", Help: "事前資料: https://zoom.example/j/SECRET-ws", Kind: community.QuestionLongText, Required: true, MaxLength: 400},
			{ID: "field", Label: "担当分野", Kind: community.QuestionSingleChoice, Options: []string{"道路", "河川"}},
		},
	}
}

func TestEventJSON(t *testing.T) {
	// Every field name of the contract.s Event, with what this event must show.
	want := `{
		"id": "01jt5v7g8h9j0k1m2n3p4q5r6s",
		"title": "キャリア開発塾",
		"kind": "workshop",
		"kind_label": "研修・塾",
		"audience": "regular",
		"audience_label": "正会員限定",
		"description": "5日間の研修です。参加URL: （参加URLは参加が確定した方にお知らせします）",
		"starts_at": "2025-09-01T09:30:00+09:00",
		"ends_at": "2025-09-05T17:00:00+09:00",
		"venue": {"name": "市民会館", "address": "群馬県伊勢崎市"},
		"online_platform": "Zoom",
		"capacity": 16,
		"waitlist": true,
		"seats_left": 6,
		"registration_opens_at": "2025-04-01T09:00:00+09:00",
		"registration_closes_at": "2025-08-15T23:59:00+09:00",
		"eligibility": {"public_servant_only": true, "min_age": 25, "max_age": 39},
		"fee_jpy": 35000,
		"speakers": ["講師 一郎"],
		"notes": "録画・録音なし",
		"status": "published",
		"series_id": null,
		"reminder_offsets": ["24h", "1h", "30m"],
		"restricted": true,
		"display": {
			"date": "令和7年9月1日(月)",
			"wareki": "令和7年9月1日(月)",
			"time": "令和7年9月1日(月) 9:30〜9月5日(金) 17:00",
			"datetime": "令和7年9月1日(月) 9:30〜9月5日(金) 17:00"
		},
		"questions": [
			{"id": "motive", "label": "受講の動機", "help": "事前資料: （参加URLは参加が確定した方にお知らせします）", "kind": "long_text", "required": true, "max_length": 400},
			{"id": "field", "label": "担当分野", "kind": "single_choice", "required": false, "options": ["道路", "河川"]}
		],
		"mode": "first_come",
		"lottery": null
	}`
	e := workshop()
	got := asMap(t, EventJSON(community.View(e, community.Viewer{}, false)))
	if diff := cmp.Diff(asMap(t, json.RawMessage(want)), got); diff != "" {
		t.Errorf("EventJSON (-want +got):\n%s", diff)
	}
}

func TestEventJSONVariants(t *testing.T) {
	organizer := community.Viewer{Member: &community.Member{Status: community.MemberActive, Role: community.RoleOrganizer, Membership: community.MembershipSupporting}}
	tests := []struct {
		name  string
		edit  func(*community.Event)
		v     community.Viewer
		check func(t *testing.T, m map[string]any)
	}{
		{
			name: "OrganizerSeesJoinURL", v: organizer,
			check: func(t *testing.T, m map[string]any) {
				if m["join_url"] != "https://zoom.example/j/SECRET-ws" || m["restricted"] != false {
					t.Errorf("join_url %v restricted %v", m["join_url"], m["restricted"])
				}
				if !strings.Contains(m["description"].(string), "SECRET-ws") {
					t.Error("organizer's description was redacted")
				}
			},
		},
		{
			name: "AnonymousNoJoinURLKey",
			check: func(t *testing.T, m map[string]any) {
				if _, ok := m["join_url"]; ok {
					t.Error("join_url present")
				}
			},
		},
		{
			name: "UnlimitedInPersonLecture",
			edit: func(e *community.Event) {
				e.Capacity, e.OnlinePlatform, e.JoinURL, e.Eligibility = 0, "", "", nil
				e.RegistrationOpensAt, e.RegistrationClosesAt, e.Speakers, e.ReminderOffsets = nil, nil, nil, nil
				e.StartsAt, e.EndsAt = time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC), time.Date(2025, 5, 14, 11, 30, 0, 0, time.UTC)
				e.SeriesID = "01jt5v7g8h9j0k1m2n3p4q5rzz"
			},
			check: func(t *testing.T, m map[string]any) {
				for _, k := range []string{"seats_left", "online_platform", "eligibility", "registration_opens_at", "registration_closes_at"} {
					if v, ok := m[k]; !ok || v != nil {
						t.Errorf("%s = %v (present %v), want null", k, v, ok)
					}
				}
				if m["series_id"] != "01jt5v7g8h9j0k1m2n3p4q5rzz" {
					t.Errorf("series_id = %v", m["series_id"])
				}
				if s, ok := m["speakers"].([]any); !ok || len(s) != 0 {
					t.Errorf("speakers = %v, want []", m["speakers"])
				}
				if s, ok := m["reminder_offsets"].([]any); !ok || len(s) != 0 {
					t.Errorf("reminder_offsets = %v, want []", m["reminder_offsets"])
				}
				d := m["display"].(map[string]any)
				if d["datetime"] != "令和7年5月14日(水) 19:00〜20:30" || d["time"] != "19:00〜20:30" || d["wareki"] != "令和7年5月14日(水)" {
					t.Errorf("display = %v", d)
				}
			},
		},
		{
			name: "NoVenue",
			edit: func(e *community.Event) { e.Venue = nil },
			check: func(t *testing.T, m map[string]any) {
				if v, ok := m["venue"]; !ok || v != nil {
					t.Errorf("venue = %v, want null", v)
				}
			},
		},
		{
			name: "FullHasNoNegativeSeats",
			edit: func(e *community.Event) { e.ConfirmedCount = 20 },
			check: func(t *testing.T, m map[string]any) {
				if m["seats_left"] != float64(0) {
					t.Errorf("seats_left = %v", m["seats_left"])
				}
			},
		},
		{
			name: "Cancelled",
			edit: func(e *community.Event) { e.Status, e.CancelReason = community.EventCancelled, "講師急病のため" },
			check: func(t *testing.T, m map[string]any) {
				if m["status"] != "cancelled" || m["cancel_reason"] != "講師急病のため" {
					t.Errorf("status %v reason %v", m["status"], m["cancel_reason"])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := workshop()
			if tt.edit != nil {
				tt.edit(e)
			}
			tt.check(t, asMap(t, EventJSON(community.View(e, tt.v, false))))
		})
	}
}

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{time.Hour, "1h"},
		{30 * time.Minute, "30m"},
		{90 * time.Minute, "90m"},
		{48 * time.Hour, "48h"},
		{90 * time.Second, "90s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatOffset(tt.d); got != tt.want {
				t.Errorf("FormatOffset(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
