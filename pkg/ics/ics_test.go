package ics

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/arran4/golang-ical"

	"github.com/sorae/tabane/pkg/community"
)

const base = "https://tabane.example.jp"

var jst = time.FixedZone("JST", 9*60*60)

func lecture() *community.Event {
	return &community.Event{
		ID:             "01jv0000000000000000000001",
		Title:          "私塾: 橋梁点検のこれから",
		Kind:           community.KindLecture,
		Audience:       community.AudiencePublic,
		Description:    "橋梁の定期点検とDXについて。\r\n質疑応答あり; 参加無料, どなたでも。",
		StartsAt:       time.Date(2025, 5, 14, 19, 0, 0, 0, jst),
		EndsAt:         time.Date(2025, 5, 14, 20, 30, 0, 0, jst),
		OnlinePlatform: "Zoom",
		JoinURL:        "https://zoom.example/j/SECRET-lecture-123",
		Speakers:       []string{"山田 太郎", "佐藤 花子"},
		Notes:          "録画・録音なし",
		Status:         community.EventPublished,
		CreatedAt:      time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		UpdatedAt:      time.Date(2025, 4, 2, 3, 4, 5, 0, time.UTC),
	}
}

func fieldTrip() *community.Event {
	return &community.Event{
		ID:          "01jv0000000000000000000002",
		Title:       "体験: 排水機場の見学",
		Kind:        community.KindFieldTrip,
		Audience:    community.AudiencePublic,
		Description: strings.Repeat("集合は正門前です。ヘルメットを貸し出します。", 20), // long, to force folding mid-kanji
		StartsAt:    time.Date(2025, 6, 7, 1, 0, 0, 0, time.UTC),  // 10:00 JST
		EndsAt:      time.Date(2025, 6, 7, 6, 0, 0, 0, time.UTC),
		Venue:       &community.Venue{Name: "伊勢崎市 第一排水機場", Address: "群馬県伊勢崎市今泉町1-1"},
		Capacity:    20,
		Status:      community.EventCancelled,
		// Even a cancelled, in-person event may hold a join URL from an earlier plan.
		JoinURL:      "https://meet.example/SECRET-trip-456",
		CancelReason: "台風接近のため",
		UpdatedAt:    time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
	}
}

func draft() *community.Event {
	return &community.Event{
		ID: "01jv0000000000000000000003", Title: "下書き", Kind: community.KindMeeting, Audience: community.AudiencePublic,
		StartsAt: time.Date(2025, 7, 1, 18, 0, 0, 0, jst), EndsAt: time.Date(2025, 7, 1, 19, 0, 0, 0, jst),
		JoinURL: "https://zoom.example/j/SECRET-draft-789", Status: community.EventDraft,
	}
}

func parse(t *testing.T, b []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.ParseCalendar(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b)
	}
	return cal
}

func prop(t *testing.T, ev *ical.VEvent, p ical.ComponentProperty) string {
	t.Helper()
	got := ev.GetProperty(p)
	if got == nil {
		t.Fatalf("%s missing", p)
	}
	return ical.FromText(got.Value)
}

func eventByUID(t *testing.T, cal *ical.Calendar, uid string) *ical.VEvent {
	t.Helper()
	for _, ev := range cal.Events() {
		if ev.Id() == uid {
			return ev
		}
	}
	t.Fatalf("no VEVENT with UID %s", uid)
	return nil
}

// checkLines asserts RFC 5545 §3.1: CRLF line ends, no line longer than 75
// octets, and folding never splits a UTF-8 sequence.
func checkLines(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Error("does not end in CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d holds a bare line break: %q", i+1, line)
		}
	}
}

func TestFeed(t *testing.T) {
	events := []*community.Event{lecture(), fieldTrip(), draft()}
	out := Feed("そらゑ（行政エンジニア支援機構）", events, base+"/")
	checkLines(t, out)
	cal := parse(t, out)

	t.Run("Calendar", func(t *testing.T) {
		for _, want := range []string{"VERSION:2.0", "PRODID:" + productID, "X-WR-CALNAME:そらゑ（行政エンジニア支援機構）", "X-WR-TIMEZONE:Asia/Tokyo"} {
			if !strings.Contains(string(out), want+"\r\n") {
				t.Errorf("missing %q", want)
			}
		}
	})
	t.Run("VTimezone", func(t *testing.T) {
		tzs := cal.Timezones()
		if len(tzs) != 1 {
			t.Fatalf("want 1 VTIMEZONE, got %d", len(tzs))
		}
		if got := tzs[0].GetProperty(ical.ComponentPropertyTzid); got == nil || got.Value != "Asia/Tokyo" {
			t.Errorf("TZID = %v", got)
		}
		subs := tzs[0].SubComponents()
		if len(subs) != 1 {
			t.Fatalf("want one STANDARD, got %d sub-components", len(subs))
		}
		std, ok := subs[0].(*ical.Standard)
		if !ok {
			t.Fatalf("sub-component is %T, want STANDARD (no DST)", subs[0])
		}
		for p, want := range map[ical.Property]string{ical.PropertyTzoffsetfrom: "+0900", ical.PropertyTzoffsetto: "+0900", ical.PropertyDtstart: "19700101T000000"} {
			if got := std.GetProperty(ical.ComponentProperty(p)); got == nil || got.Value != want {
				t.Errorf("STANDARD %s = %v, want %s", p, got, want)
			}
		}
	})
	t.Run("DraftSkipped", func(t *testing.T) {
		if n := len(cal.Events()); n != 2 {
			t.Errorf("want 2 VEVENTs (draft skipped), got %d", n)
		}
		if strings.Contains(string(out), "下書き") {
			t.Error("draft's title in feed")
		}
	})
	t.Run("NoJoinURL", func(t *testing.T) {
		unfolded := strings.ReplaceAll(string(out), "\r\n ", "")
		for _, e := range events {
			if strings.Contains(unfolded, e.JoinURL) {
				t.Errorf("join URL %s in feed", e.JoinURL)
			}
		}
		if strings.Contains(unfolded, "SECRET") {
			t.Error("part of a join URL in feed")
		}
	})

	tests := []struct {
		name                      string
		uid                       string
		summary, location, status string
		start, end                time.Time
		dtstart                   string
		descWants                 []string
		url                       string
	}{
		{
			name: "OnlineLecture", uid: "01jv0000000000000000000001@tabane",
			summary: "私塾: 橋梁点検のこれから", location: "オンライン（Zoom）", status: "CONFIRMED",
			start: time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC), end: time.Date(2025, 5, 14, 11, 30, 0, 0, time.UTC),
			dtstart:   "20250514T190000",
			descWants: []string{"質疑応答あり; 参加無料, どなたでも。", "登壇: 山田 太郎、佐藤 花子", "備考: 録画・録音なし", "詳細: " + base + "/events/01jv0000000000000000000001"},
			url:       base + "/events/01jv0000000000000000000001",
		},
		{
			name: "CancelledFieldTrip", uid: "01jv0000000000000000000002@tabane",
			summary: "【中止】体験: 排水機場の見学", location: "伊勢崎市 第一排水機場 群馬県伊勢崎市今泉町1-1／オンライン", status: "CANCELLED",
			start: time.Date(2025, 6, 7, 1, 0, 0, 0, time.UTC), end: time.Date(2025, 6, 7, 6, 0, 0, 0, time.UTC),
			dtstart:   "20250607T100000",
			descWants: []string{"中止になりました。理由: 台風接近のため", strings.Repeat("集合は正門前です。ヘルメットを貸し出します。", 20)},
			url:       base + "/events/01jv0000000000000000000002",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := eventByUID(t, cal, tt.uid)
			if got := prop(t, ev, ical.ComponentPropertySummary); got != tt.summary {
				t.Errorf("SUMMARY = %q, want %q", got, tt.summary)
			}
			if got := prop(t, ev, ical.ComponentPropertyLocation); got != tt.location {
				t.Errorf("LOCATION = %q, want %q", got, tt.location)
			}
			if got := prop(t, ev, ical.ComponentPropertyStatus); got != tt.status {
				t.Errorf("STATUS = %q, want %q", got, tt.status)
			}
			if got := prop(t, ev, ical.ComponentPropertyUrl); got != tt.url {
				t.Errorf("URL = %q, want %q", got, tt.url)
			}
			desc := prop(t, ev, ical.ComponentPropertyDescription)
			for _, w := range tt.descWants {
				if !strings.Contains(desc, w) {
					t.Errorf("DESCRIPTION lacks %q:\n%s", w, desc)
				}
			}
			if strings.Contains(desc, "\r") {
				t.Error("DESCRIPTION keeps a carriage return")
			}
			dt := ev.GetProperty(ical.ComponentPropertyDtStart)
			if dt.Value != tt.dtstart || len(dt.ICalParameters["TZID"]) != 1 || dt.ICalParameters["TZID"][0] != "Asia/Tokyo" {
				t.Errorf("DTSTART = %v %q, want TZID=Asia/Tokyo:%s", dt.ICalParameters, dt.Value, tt.dtstart)
			}
			start, err := ev.GetStartAt()
			if err != nil || !start.Equal(tt.start) {
				t.Errorf("start = %v, %v; want %v", start, err, tt.start)
			}
			end, err := ev.GetEndAt()
			if err != nil || !end.Equal(tt.end) {
				t.Errorf("end = %v, %v; want %v", end, err, tt.end)
			}
			if ev.GetProperty(ical.ComponentPropertyDtstamp) == nil {
				t.Error("DTSTAMP missing")
			}
		})
	}
}

func TestSingle(t *testing.T) {
	pasted := lecture()
	pasted.Description = "当日は " + pasted.JoinURL + " から入室してください。"

	tests := []struct {
		name       string
		e          *community.Event
		method     Method
		opts       []Option
		wantMethod string
		wantStatus string
		joinInDesc bool
		wantOrg    string
	}{
		{name: "Publish", e: lecture(), method: Publish, wantMethod: "PUBLISH", wantStatus: "CONFIRMED"},
		{name: "PublishForConfirmedAttendee", e: lecture(), method: Publish, opts: []Option{WithJoinURL()}, wantMethod: "PUBLISH", wantStatus: "CONFIRMED", joinInDesc: true},
		{name: "CancelPublishedEvent", e: lecture(), method: Cancel, opts: []Option{WithOrganizer("そらゑ; 事務局", "info@sorae.example.jp")}, wantMethod: "CANCEL", wantStatus: "CANCELLED", wantOrg: "mailto:info@sorae.example.jp"},
		{name: "NoMethod", e: lecture(), method: NoMethod, wantStatus: "CONFIRMED"},
		{name: "PastedJoinURLRedacted", e: pasted, method: Publish, wantMethod: "PUBLISH", wantStatus: "CONFIRMED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Single(tt.e, base, tt.method, tt.opts...)
			checkLines(t, out)
			cal := parse(t, out)
			var method string
			for _, p := range cal.CalendarProperties {
				if p.IANAToken == string(ical.PropertyMethod) {
					method = p.Value
				}
			}
			if method != tt.wantMethod {
				t.Errorf("METHOD = %q, want %q", method, tt.wantMethod)
			}
			if len(cal.Timezones()) != 1 {
				t.Error("VTIMEZONE missing")
			}
			evs := cal.Events()
			if len(evs) != 1 {
				t.Fatalf("want 1 VEVENT, got %d", len(evs))
			}
			ev := evs[0]
			if ev.Id() != tt.e.ID+"@tabane" {
				t.Errorf("UID = %q", ev.Id())
			}
			if got := prop(t, ev, ical.ComponentPropertyStatus); got != tt.wantStatus {
				t.Errorf("STATUS = %q, want %q", got, tt.wantStatus)
			}
			desc := prop(t, ev, ical.ComponentPropertyDescription)
			if got := strings.Contains(desc, tt.e.JoinURL); got != tt.joinInDesc {
				t.Errorf("join URL in DESCRIPTION = %v, want %v:\n%s", got, tt.joinInDesc, desc)
			}
			for _, p := range []ical.ComponentProperty{ical.ComponentPropertyLocation, ical.ComponentPropertyUrl, ical.ComponentPropertySummary} {
				if strings.Contains(prop(t, ev, p), tt.e.JoinURL) {
					t.Errorf("join URL in %s", p)
				}
			}
			if !tt.joinInDesc && strings.Contains(strings.ReplaceAll(string(out), "\r\n ", ""), "SECRET") {
				t.Error("join URL in output")
			}
			org := ev.GetProperty(ical.ComponentPropertyOrganizer)
			switch {
			case tt.wantOrg == "" && org != nil:
				t.Errorf("unexpected ORGANIZER %v", org.Value)
			case tt.wantOrg != "" && (org == nil || org.Value != tt.wantOrg):
				t.Errorf("ORGANIZER = %v, want %s", org, tt.wantOrg)
			case tt.wantOrg != "" && org.ICalParameters["CN"][0] != "そらゑ 事務局":
				t.Errorf("CN = %q", org.ICalParameters["CN"])
			}
		})
	}
}

func TestContentType(t *testing.T) {
	tests := []struct {
		name string
		m    Method
		want string
	}{
		{"None", NoMethod, "text/calendar; charset=utf-8"},
		{"Request", Request, "text/calendar; charset=utf-8; method=REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContentType(tt.m); got != tt.want {
				t.Errorf("ContentType = %q, want %q", got, tt.want)
			}
		})
	}
}
