package eventsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/arran4/golang-ical"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

func day(d, hh, mm int) time.Time { return time.Date(2025, 5, d, hh, mm, 0, 0, jst) }

// visibilitySeed is one event of every audience and status.
type visibilitySeed struct {
	pub, mem, reg, draft, cancelled, past *community.Event
}

func (s visibilitySeed) all() []*community.Event {
	return []*community.Event{s.pub, s.mem, s.reg, s.draft, s.cancelled, s.past}
}

func seedVisibility(t *testing.T, e *env) visibilitySeed {
	s := visibilitySeed{
		pub:       event("公開の私塾", community.KindLecture, community.AudiencePublic, day(14, 19, 0)),
		mem:       event("会員限定の私塾", community.KindLecture, community.AudienceMembers, day(15, 19, 0)),
		reg:       event("正会員の井戸端会議", community.KindMeeting, community.AudienceRegular, day(13, 18, 0)),
		draft:     event("下書きの私塾", community.KindLecture, community.AudiencePublic, day(16, 19, 0)),
		cancelled: event("中止の見学", community.KindFieldTrip, community.AudiencePublic, day(17, 10, 0)),
		past:      event("終わった私塾", community.KindLecture, community.AudiencePublic, time.Date(2025, 4, 30, 19, 0, 0, 0, jst)),
	}
	s.draft.Status = community.EventDraft
	s.cancelled.Status, s.cancelled.CancelReason = community.EventCancelled, "荒天のため"
	e.seed(t, s.all()...)
	return s
}

func TestVisibility(t *testing.T) {
	e := newEnv(t)
	s := seedVisibility(t, e)
	listed := startOrder(s.reg, s.pub, s.mem) // drafts, cancelled and past ones are not listed

	type want struct {
		restricted bool
		joinURL    bool
	}
	tests := []struct {
		name  string
		token string
		// for pub, mem, reg
		pub, mem, reg want
		draftStatus   int
	}{
		{"Anonymous", "", want{false, false}, want{true, false}, want{true, false}, 404},
		{"SupportingMember", tokSupporting, want{false, false}, want{false, false}, want{true, false}, 404},
		{"RegularMember", tokRegular, want{false, false}, want{false, false}, want{false, false}, 404},
		{"PendingRegularMember", tokPending, want{false, false}, want{true, false}, want{true, false}, 404},
		{"Organizer", tokOrganizer, want{false, true}, want{false, true}, want{false, true}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect := map[string]want{s.pub.ID: tt.pub, s.mem.ID: tt.mem, s.reg.ID: tt.reg}
			check := func(t *testing.T, m map[string]any) {
				t.Helper()
				id := m["id"].(string)
				w, ok := expect[id]
				if !ok {
					return
				}
				if m["restricted"] != w.restricted {
					t.Errorf("%s: restricted = %v, want %v", m["title"], m["restricted"], w.restricted)
				}
				_, has := m["join_url"]
				if has != w.joinURL {
					t.Errorf("%s: join_url present = %v, want %v", m["title"], has, w.joinURL)
				}
			}
			auth := func(req httpapi.Request) httpapi.Request {
				if tt.token != "" {
					req.Headers["authorization"] = "Bearer " + tt.token
				}
				return req
			}

			t.Run("List", func(t *testing.T) {
				b := decodeList(t, invoke(t, e.h, auth(withQuery(fixture(t, "list-anonymous.json"), "limit=100"))))
				if diff := cmp.Diff(listed, ids(b.Events)); diff != "" {
					t.Errorf("listed ids (-want +got):\n%s", diff)
				}
				for _, m := range b.Events {
					check(t, m)
				}
				if b.NextCursor != nil {
					t.Errorf("next_cursor = %q on the only page", *b.NextCursor)
				}
			})
			t.Run("Detail", func(t *testing.T) {
				for _, ev := range s.all() {
					req := auth(fixture(t, "detail-anonymous.json"))
					req.PathParameters["id"], req.RawPath = ev.ID, "/api/events/"+ev.ID
					resp := invoke(t, e.h, req)
					wantStatus := 200
					if ev == s.draft {
						wantStatus = tt.draftStatus
					}
					if resp.StatusCode != wantStatus {
						t.Errorf("%s: status %d, want %d: %s", ev.Title, resp.StatusCode, wantStatus, resp.Body)
						continue
					}
					if wantStatus == 404 {
						checkError(t, resp, 404, "event_not_found")
						continue
					}
					var m map[string]any
					if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
						t.Fatal(err)
					}
					if m["id"] != ev.ID || m["status"] != string(ev.Status) {
						t.Errorf("detail = %v %v, want %s %s", m["id"], m["status"], ev.ID, ev.Status)
					}
					check(t, m)
					if !tt.pub.joinURL && strings.Contains(resp.Body, "JOIN-") {
						t.Errorf("%s: a join URL reached a viewer who may not have it", ev.Title)
					}
				}
			})
		})
	}
}

func TestCacheHeaders(t *testing.T) {
	e := newEnv(t)
	s := seedVisibility(t, e)
	detail := fixture(t, "detail-anonymous.json")
	detail.PathParameters["id"] = s.pub.ID
	cookie := fixture(t, "list-cookie.json")
	cookie.Cookies[1] = httpapi.SessionCookie + "=" + tokRegular
	bearer := fixture(t, "list-bearer.json")
	bearer.Headers["authorization"] = "Bearer " + tokRegular
	tests := []struct {
		name       string
		req        httpapi.Request
		wantStatus int
		want       string
	}{
		{"AnonymousList", fixture(t, "list-anonymous.json"), 200, "public, max-age=60"},
		{"AnonymousDetail", detail, 200, "public, max-age=60"},
		{"AnonymousFeed", fixture(t, "feed.json"), 200, "public, max-age=900"},
		{"CookieList", cookie, 200, "private, no-store"},
		{"BearerList", bearer, 200, "private, no-store"},
		{"AnonymousError", fixture(t, "list-bad-limit.json"), 400, "private, no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := invoke(t, e.h, tt.req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if got := resp.Headers["Cache-Control"]; got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestViewerFromCookie(t *testing.T) {
	e := newEnv(t)
	s := seedVisibility(t, e)
	req := fixture(t, "list-cookie.json")
	req.Cookies[1] = httpapi.SessionCookie + "=" + tokRegular
	for _, m := range decodeList(t, invoke(t, e.h, req)).Events {
		if m["id"] == s.reg.ID && m["restricted"] != false {
			t.Error("regular member's session cookie was not honoured")
		}
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	var seeded []*community.Event
	kinds := community.Kinds
	for i := range 23 {
		// Every third event shares its start with the one before, so the
		// order must break ties (by id) without losing or repeating any.
		start := day(2+i-i/3, 19, 0)
		seeded = append(seeded, event("私塾 第"+string(rune('A'+i))+"回", kinds[i%len(kinds)], community.AudiencePublic, start))
	}
	e.seed(t, seeded...)
	want := startOrder(seeded...)

	for _, limit := range []int{1, 5, 7, 23, 100} {
		t.Run(fmt.Sprintf("Limit%03d", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 30 {
					t.Fatal("pagination does not end")
				}
				q := url.Values{"limit": {strconv.Itoa(limit)}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				e.counter.Reset()
				b := decodeList(t, invoke(t, e.h, withQuery(fixture(t, "list-anonymous.json"), q.Encode())))
				if calls := e.counter.Snapshot(); calls["DynamoDB.Query"] != 1 || e.counter.Total() != 1 {
					t.Errorf("page %d made %v calls, want one Query", pages, calls)
				}
				if len(b.Events) > limit {
					t.Fatalf("page of %d events, limit %d", len(b.Events), limit)
				}
				got = append(got, ids(b.Events)...)
				if b.NextCursor == nil {
					break
				}
				if len(b.Events) == 0 {
					t.Fatal("empty page with a next cursor")
				}
				cursor = *b.NextCursor
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ids across pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	at := func(m time.Month, d, hh, mm int) time.Time { return time.Date(2025, m, d, hh, mm, 0, 0, jst) }
	lastMay := event("5月末の私塾", community.KindLecture, community.AudiencePublic, at(5, 31, 23, 59))
	firstJune := event("6月初の私塾", community.KindLecture, community.AudiencePublic, at(6, 1, 0, 0))
	meeting := event("6月の井戸端会議", community.KindMeeting, community.AudienceRegular, at(6, 10, 18, 0))
	lastJune := event("6月末の私塾", community.KindLecture, community.AudienceMembers, at(6, 30, 23, 30))
	july := event("7月の私塾", community.KindLecture, community.AudiencePublic, at(7, 1, 0, 0))
	e.seed(t, lastMay, firstJune, meeting, lastJune, july)

	tests := []struct {
		name string
		req  httpapi.Request
		want []*community.Event
	}{
		{"All", fixture(t, "list-anonymous.json"), []*community.Event{lastMay, firstJune, meeting, lastJune, july}},
		{"KindLecture", withQuery(fixture(t, "list-anonymous.json"), "kind=lecture"), []*community.Event{lastMay, firstJune, lastJune, july}},
		{"KindMeeting", withQuery(fixture(t, "list-anonymous.json"), "kind=meeting"), []*community.Event{meeting}},
		{"KindWorkshopNone", withQuery(fixture(t, "list-anonymous.json"), "kind=workshop"), nil},
		{"JuneByDates", withQuery(fixture(t, "list-anonymous.json"), "from=2025-06-01&to=2025-06-30"), []*community.Event{firstJune, meeting, lastJune}},
		{"JuneLecturesFixture", fixture(t, "list-filtered.json"), []*community.Event{firstJune, lastJune}},
		{"FromIsInclusive", withQuery(fixture(t, "list-anonymous.json"), "from=2025-06-10T18%3A00%3A00%2B09%3A00"), []*community.Event{meeting, lastJune, july}},
		{"ToIsExclusive", withQuery(fixture(t, "list-anonymous.json"), "to=2025-06-10T09:00:00Z"), []*community.Event{lastMay, firstJune}},
		{"FromInUTC", withQuery(fixture(t, "list-anonymous.json"), "from=2025-06-30T14:30:00Z"), []*community.Event{lastJune, july}},
		{"PastFromMeansNow", withQuery(fixture(t, "list-anonymous.json"), "from=2020-01-01&to=2025-05-31"), []*community.Event{lastMay}},
		{"FromParametersOnly", func() httpapi.Request {
			r := fixture(t, "list-filtered.json")
			r.RawQueryString = "" // some callers give only the parsed map
			return r
		}(), []*community.Event{firstJune, lastJune}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(decodeList(t, invoke(t, e.h, tt.req)).Events)
			want := startOrder(tt.want...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// checkError asserts the contract's error shape: exactly
// {"error":{"code","message"[,"fields"]}} with a Japanese message.
func checkError(t *testing.T, resp httpapi.Response, status int, code string) map[string]string {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if resp.Headers["Content-Type"] != httpapi.ContentTypeJSON {
		t.Errorf("Content-Type = %q", resp.Headers["Content-Type"])
	}
	var b struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("error body %s: %v", resp.Body, err)
	}
	if b.Error.Code != code {
		t.Errorf("code = %q, want %q", b.Error.Code, code)
	}
	if !hasJapanese(b.Error.Message) {
		t.Errorf("message %q is not for people here", b.Error.Message)
	}
	return b.Error.Fields
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if r >= 0x3040 && utf8.RuneLen(r) == 3 {
			return true
		}
	}
	return false
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	seedVisibility(t, e)
	list := func(raw string) httpapi.Request { return withQuery(fixture(t, "list-anonymous.json"), raw) }
	tests := []struct {
		name       string
		req        httpapi.Request
		status     int
		code       string
		field      string
		dynamoCall bool
	}{
		{name: "LimitZeroFixture", req: fixture(t, "list-bad-limit.json"), status: 400, code: "invalid_limit", field: "limit"},
		{name: "LimitTooLarge", req: list("limit=101"), status: 400, code: "invalid_limit", field: "limit"},
		{name: "LimitNotANumber", req: list("limit=abc"), status: 400, code: "invalid_limit", field: "limit"},
		{name: "UnknownKind", req: list("kind=party"), status: 400, code: "invalid_kind", field: "kind"},
		{name: "BadFrom", req: list("from=yesterday"), status: 400, code: "invalid_from", field: "from"},
		{name: "FromWithoutOffset", req: list("from=2025-06-01T10:00:00"), status: 400, code: "invalid_from", field: "from"},
		{name: "BadTo", req: list("to=2025-13-01"), status: 400, code: "invalid_to", field: "to"},
		{name: "ToBeforeFrom", req: list("from=2025-06-02&to=2025-06-01"), status: 400, code: "invalid_to", field: "to"},
		{name: "UnknownParameter", req: list("limt=5"), status: 400, code: "invalid_parameter", field: "limt"},
		{name: "RepeatedParameter", req: list("limit=5&limit=6"), status: 400, code: "invalid_parameter", field: "limit"},
		{name: "GarbageCursor", req: list("cursor=not-a-cursor"), status: 400, code: "invalid_cursor"},
		{name: "HugeCursor", req: list("cursor=" + strings.Repeat("A", 2000)), status: 400, code: "invalid_cursor", field: "cursor"},
		{name: "ParameterOnDetail", req: func() httpapi.Request {
			r := fixture(t, "detail-anonymous.json")
			r.RawQueryString = "fields=all"
			return r
		}(), status: 400, code: "invalid_parameter", field: "fields"},
		{name: "ParameterOnFeed", req: withQuery(fixture(t, "feed.json"), "token=x"), status: 400, code: "invalid_parameter", field: "token"},
		{name: "UnknownID", req: fixture(t, "detail-anonymous.json"), status: 404, code: "event_not_found", dynamoCall: true},
		{name: "MalformedID", req: func() httpapi.Request {
			r := fixture(t, "detail-anonymous.json")
			r.PathParameters["id"] = "../../EVENT#x"
			return r
		}(), status: 404, code: "event_not_found"},
		{name: "UpperCaseID", req: func() httpapi.Request {
			r := fixture(t, "detail-anonymous.json")
			r.PathParameters["id"] = "01JT0000000000000000000000"
			return r
		}(), status: 404, code: "event_not_found"},
		{name: "MissingID", req: func() httpapi.Request {
			r := fixture(t, "detail-anonymous.json")
			r.PathParameters = nil
			return r
		}(), status: 404, code: "event_not_found"},
		{name: "ExpiredSession", req: func() httpapi.Request {
			r := fixture(t, "list-bearer.json")
			r.Headers["authorization"] = "Bearer expired"
			return r
		}(), status: 401, code: "invalid_session"},
		{name: "BasicAuth", req: func() httpapi.Request {
			r := fixture(t, "list-bearer.json")
			r.Headers["authorization"] = "Basic dXNlcjpwYXNz"
			return r
		}(), status: 401, code: "invalid_authorization"},
		{name: "UnknownRoute", req: func() httpapi.Request {
			r := fixture(t, "list-anonymous.json")
			r.RouteKey = "DELETE /api/events"
			return r
		}(), status: 404, code: "route_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.counter.Reset()
			resp := invoke(t, e.h, tt.req)
			fields := checkError(t, resp, tt.status, tt.code)
			if tt.field != "" && fields[tt.field] == "" {
				t.Errorf("fields = %v, want %q named", fields, tt.field)
			}
			if calls := e.counter.Total(); (calls > 0) != tt.dynamoCall {
				t.Errorf("DynamoDB calls = %v, want any: %v", e.counter.Snapshot(), tt.dynamoCall)
			}
			if resp.Headers["Cache-Control"] != "private, no-store" {
				t.Errorf("Cache-Control = %q", resp.Headers["Cache-Control"])
			}
		})
	}
}

func TestFeed(t *testing.T) {
	e := newEnv(t)
	s := seedVisibility(t, e)
	inPerson := event("公開の見学会", community.KindFieldTrip, community.AudiencePublic, day(20, 10, 0))
	inPerson.Venue = &community.Venue{Name: "第一排水機場", Address: "群馬県伊勢崎市今泉町1-1"}
	inPerson.OnlinePlatform = ""
	// A join URL pasted into the text must not leak either.
	inPerson.Description = "予備の配信: " + inPerson.JoinURL
	farAway := event("2年後の私塾", community.KindLecture, community.AudiencePublic, time.Date(2027, 5, 1, 19, 0, 0, 0, jst))
	e.seed(t, inPerson, farAway)
	all := append(s.all(), inPerson, farAway)

	resp := invoke(t, e.h, fixture(t, "feed.json"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if got := resp.Headers["Content-Type"]; got != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	cal, err := ical.ParseCalendar(bytes.NewReader([]byte(resp.Body)))
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, resp.Body)
	}

	// The upcoming public events, and the cancelled one marked so: a
	// calendar that subscribed while it was on learns it is off.
	t.Run("OnlyUpcomingPublishedPublic", func(t *testing.T) {
		var got []string
		for _, ev := range cal.Events() {
			got = append(got, ev.Id())
			status := ""
			if p := ev.GetProperty(ical.ComponentPropertyStatus); p != nil {
				status = p.Value
			}
			if cancelled := ev.Id() == s.cancelled.ID+"@tabane"; cancelled != (status == "CANCELLED") {
				t.Errorf("%s: STATUS %q", ev.Id(), status)
			}
		}
		slices.Sort(got)
		want := []string{s.pub.ID + "@tabane", inPerson.ID + "@tabane", s.cancelled.ID + "@tabane"}
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UIDs (-want +got):\n%s", diff)
		}
	})
	t.Run("NoJoinURL", func(t *testing.T) {
		unfolded := strings.ReplaceAll(resp.Body, "\r\n ", "")
		for _, ev := range all {
			if strings.Contains(unfolded, ev.JoinURL) {
				t.Errorf("join URL of %s in the feed", ev.Title)
			}
		}
		if strings.Contains(unfolded, "JOIN-") || strings.Contains(unfolded, "zoom.example") {
			t.Error("part of a join URL in the feed")
		}
	})
	t.Run("Fields", func(t *testing.T) {
		if len(cal.Timezones()) != 1 {
			t.Error("no VTIMEZONE")
		}
		for _, ev := range cal.Events() {
			if ev.Id() != s.pub.ID+"@tabane" {
				continue
			}
			if p := ev.GetProperty(ical.ComponentPropertyUrl); p == nil || p.Value != baseURL+"/events/"+s.pub.ID {
				t.Errorf("URL = %v", p)
			}
			start, err := ev.GetStartAt()
			if err != nil || !start.Equal(s.pub.StartsAt) {
				t.Errorf("start = %v, %v", start, err)
			}
			if p := ev.GetProperty(ical.ComponentPropertyLocation); p == nil || p.Value != "オンライン（Zoom）" {
				t.Errorf("LOCATION = %v", p)
			}
		}
	})
}
