package eventsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

var calendarKeys = auth.MustParseKeyring("0123456789abcdef0123456789abcdef-calendar-tests")

// calendarEnv is the events handler with personal feeds, its log kept at
// debug level so a test can read every line it wrote.
type calendarEnv struct {
	*env
	cals *community.Calendars
	logs *bytes.Buffer
}

func newCalendarEnv(t *testing.T) *calendarEnv {
	t.Helper()
	e := newEnv(t)
	logs := &bytes.Buffer{}
	e.h.log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cals := &community.Calendars{Store: e.store, Clock: community.ClockFunc(func() time.Time { return now }), Secrets: auth.Secrets{Keys: calendarKeys}}
	e.h.Calendars = cals
	return &calendarEnv{env: e, cals: cals, logs: logs}
}

func (e *calendarEnv) newMember(t *testing.T, name string) *community.Member {
	t.Helper()
	m := &community.Member{
		ID: community.NewID(now), Email: strings.ReplaceAll(name, " ", "") + "-" + community.NewID(now) + "@example.jp", Name: name, NameKana: "てすと",
		Membership: community.MembershipSupporting, Status: community.MemberActive, Role: community.RoleMember,
		Consent: community.Consent{Terms: true, AgreedAt: now}, CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

// register stores a registration of m for ev and returns it with the
// status the store gave it.
func (e *calendarEnv) register(t *testing.T, ev *community.Event, m *community.Member, frame string) *community.Registration {
	t.Helper()
	cur, err := e.store.Event(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, MemberID: m.ID, FrameID: frame, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now}
	if err := e.store.Register(context.Background(), cur, r); err != nil {
		t.Fatalf("register %s in %s: %v", m.Name, ev.Title, err)
	}
	return r
}

func (e *calendarEnv) feed(t *testing.T, token string) httpapi.Response {
	t.Helper()
	return invoke(t, e.h, withQuery(fixture(t, "my-calendar.json"), "token="+token))
}

// TestMyCalendarFeed sets up what a member's feed must tell apart — a
// confirmed place (in one frame of an event with two), a waitlisted one,
// a cancelled one, an application, a confirmed place in an event since
// cancelled, another member's event — and reads the feed as a calendar
// app would.
func TestMyCalendarFeed(t *testing.T) {
	e := newCalendarEnv(t)
	ctx := context.Background()
	me, other := e.newMember(t, "山田 太郎"), e.newMember(t, "佐藤 花子")

	day := func(d int) time.Time { return time.Date(2025, 5, d, 19, 0, 0, 0, jst) }
	framed := event("私塾: 橋梁点検, 道路; 河川\\", community.KindLecture, community.AudiencePublic, day(10))
	framed.JoinURL, framed.OnlinePlatform = "", ""
	framed.Frames = []community.Frame{
		{ID: "venue", Name: "会場", Capacity: 10, Venue: &community.Venue{Name: "前橋市役所 11階", Address: "群馬県前橋市大手町2-12-1"}},
		{ID: "online", Name: "オンライン", Capacity: 100, OnlinePlatform: "Zoom", JoinURL: "https://zoom.example/j/SECRET-online-frame"},
	}
	// An organizer pasted the online frame's link into the text, which
	// the venue attendee's feed must not carry either; and a long text
	// forces folding in the middle of kanji.
	framed.Description = "懇親会あり。\n配信: https://zoom.example/j/SECRET-online-frame\n" + strings.Repeat("橋梁の長寿命化計画と点検記録の電子化について議論します。", 12)
	full := event("満席の見学会", community.KindFieldTrip, community.AudiencePublic, day(12))
	full.Capacity, full.Waitlist = 1, true
	dropped := event("取り消した勉強会", community.KindMeeting, community.AudiencePublic, day(14))
	applied := event("抽選の講座", community.KindWorkshop, community.AudiencePublic, day(16))
	called := event("中止になった講演", community.KindLecture, community.AudiencePublic, day(18))
	theirs := event("他の人の勉強会", community.KindMeeting, community.AudiencePublic, day(20))
	past := event("先月の定例会", community.KindMeeting, community.AudiencePublic, time.Date(2025, 4, 8, 19, 0, 0, 0, jst))
	e.seed(t, framed, full, dropped, applied, called, theirs, past)

	e.register(t, framed, me, "venue")
	e.register(t, framed, other, "online")
	e.register(t, full, other, "")
	if r := e.register(t, full, me, ""); r.Status != community.RegistrationWaitlisted {
		t.Fatalf("setup: %s is %s, want waitlisted", full.Title, r.Status)
	}
	r := e.register(t, dropped, me, "")
	if _, _, err := e.store.CancelRegistration(ctx, dropped.ID, r.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Apply(ctx, applied, &community.Registration{ID: community.NewID(now), EventID: applied.ID, MemberID: me.ID, EventStartsAt: applied.StartsAt, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e.register(t, called, me, "")
	cur, _ := e.store.Event(ctx, called.ID)
	if _, _, err := e.store.CancelEvent(ctx, cur, "講師の急病のため", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.register(t, theirs, other, "")
	e.register(t, past, me, "")

	token, err := e.cals.Issue(ctx, community.Viewer{Member: me})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(token) {
		t.Fatalf("token %q is not 256 bits of hex", token)
	}

	e.counter.Reset()
	resp := e.feed(t, token)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	t.Logf("DynamoDB calls for one feed of 2 events: %v", e.counter.Snapshot())
	if calls := e.counter.Snapshot(); e.counter.Total() != 4 || calls["DynamoDB.GetItem"] != 2 || calls["DynamoDB.Query"] != 1 || calls["DynamoDB.BatchGetItem"] != 1 {
		t.Errorf("DynamoDB calls = %v, want GetItem×2 (token, member), Query×1, BatchGetItem×1", calls)
	}
	for h, want := range map[string]string{
		"Content-Type":  "text/calendar; charset=utf-8",
		"Cache-Control": "private, max-age=900",
		"X-Robots-Tag":  "noindex, nofollow, noarchive",
	} {
		if got := resp.Headers[h]; got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}

	cal := checkRFC5545(t, resp.Body)
	var uids []string
	for _, ev := range cal.events {
		uids = append(uids, ev["UID"])
	}
	slices.Sort(uids)
	want := []string{framed.ID + "@tabane", past.ID + "@tabane"}
	slices.Sort(want)
	if !slices.Equal(uids, want) {
		t.Errorf("feed holds %v, want exactly the confirmed events %v", uids, want)
	}
	for _, ev := range cal.events {
		if ev["UID"] != framed.ID+"@tabane" {
			continue
		}
		if got := unescapeText(ev["SUMMARY"]); got != framed.Title {
			t.Errorf("SUMMARY reads back as %q, want %q", got, framed.Title)
		}
		if got := unescapeText(ev["LOCATION"]); !strings.Contains(got, "前橋市役所 11階") {
			t.Errorf("LOCATION = %q, want the venue frame's venue", got)
		}
		if got := ev["URL"]; got != baseURL+"/events/"+framed.ID {
			t.Errorf("URL = %q, want the event page", got)
		}
	}
	for _, ev := range []*community.Event{framed, full, dropped, applied, called, theirs, past} {
		for _, u := range ev.JoinURLs() {
			if strings.Contains(unfold(resp.Body), u) || strings.Contains(resp.Body, u) {
				t.Errorf("the feed carries the join URL %s", u)
			}
		}
	}
	for _, s := range []string{"zoom.example", "SECRET", theirs.Title, other.Name, other.Email, me.Email, full.Title, dropped.Title, applied.Title, called.Title} {
		if strings.Contains(unfold(resp.Body), s) {
			t.Errorf("the feed carries %q", s)
		}
	}
	if strings.Contains(e.logs.String(), token) {
		t.Errorf("the token reached the log:\n%s", e.logs.String())
	}

	t.Run("RenewedOld404New200", func(t *testing.T) {
		fresh, _ := e.store.Member(ctx, me.ID)
		renewed, err := e.cals.Issue(ctx, community.Viewer{Member: fresh})
		if err != nil {
			t.Fatal(err)
		}
		if renewed == token {
			t.Fatal("renewing kept the token")
		}
		wantCalendarNotFound(t, e.feed(t, token))
		if got := e.feed(t, renewed); got.StatusCode != 200 {
			t.Errorf("renewed URL: status %d", got.StatusCode)
		}
		token = renewed
	})
	t.Run("Revoked404", func(t *testing.T) {
		fresh, _ := e.store.Member(ctx, me.ID)
		digest := fresh.Calendar.TokenDigest
		if err := e.cals.Stop(ctx, community.Viewer{Member: fresh}); err != nil {
			t.Fatal(err)
		}
		wantCalendarNotFound(t, e.feed(t, token))
		if _, err := e.store.CalendarMember(ctx, digest); err == nil {
			t.Error("the stopped feed's token item is still there")
		}
	})
	t.Run("UnknownAndMalformed404", func(t *testing.T) {
		wantCalendarNotFound(t, e.feed(t, strings.Repeat("0", 64)))
		e.counter.Reset()
		wantCalendarNotFound(t, e.feed(t, "not-a-token"))
		if e.counter.Total() != 0 {
			t.Errorf("a malformed token cost DynamoDB calls: %v", e.counter.Snapshot())
		}
	})
	t.Run("SuspendedAndWithdrawn404", func(t *testing.T) {
		s := e.newMember(t, "停止 予定")
		st, err := e.cals.Issue(ctx, community.Viewer{Member: s})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.feed(t, st); got.StatusCode != 200 {
			t.Fatalf("status %d before suspension", got.StatusCode)
		}
		s.Status = community.MemberSuspended
		if err := e.store.UpdateMember(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantCalendarNotFound(t, e.feed(t, st))

		w := e.newMember(t, "退会 予定")
		wt, err := e.cals.Issue(ctx, community.Viewer{Member: w})
		if err != nil {
			t.Fatal(err)
		}
		digest := w.Calendar.TokenDigest
		if _, err := e.store.WithdrawMember(ctx, w.ID, now); err != nil {
			t.Fatal(err)
		}
		wantCalendarNotFound(t, e.feed(t, wt))
		if _, err := e.store.CalendarMember(ctx, digest); err == nil {
			t.Error("withdrawal left the feed's token item")
		}
	})
	if strings.Contains(e.logs.String(), token) {
		t.Errorf("a token reached the log:\n%s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), "calendar_not_found") {
		t.Errorf("the refusals were not logged at debug level at all (the log check above proves nothing):\n%s", e.logs.String())
	}
}

// wantCalendarNotFound checks the one answer every refused token gets.
func wantCalendarNotFound(t *testing.T, resp httpapi.Response) {
	t.Helper()
	if resp.StatusCode != 404 {
		t.Fatalf("status %d, want 404: %s", resp.StatusCode, resp.Body)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Error.Code != "calendar_not_found" {
		t.Errorf("body %s, want error.code calendar_not_found", resp.Body)
	}
	if resp.Headers["X-Robots-Tag"] == "" {
		t.Error("a refused feed URL has no X-Robots-Tag")
	}
}

// A parsed calendar: each VEVENT's properties by name (values as written,
// unfolded).
type parsedCalendar struct {
	events []map[string]string
}

// checkRFC5545 checks body strictly against RFC 5545's syntax, as written
// here rather than by the library that wrote it: CRLF line ends and no
// bare CR or LF (§3.1), lines of at most 75 octets, folded with a
// continuation that starts with a space or tab and does not split a
// UTF-8 character, BEGIN/END properly nested in one VCALENDAR that has
// VERSION:2.0 and PRODID, every VEVENT with UID, DTSTAMP and DTSTART,
// and TEXT values with , ; \ and newlines escaped (§3.3.11).
func checkRFC5545(t *testing.T, body string) parsedCalendar {
	t.Helper()
	errs := rfc5545Errors(body)
	for _, err := range errs {
		t.Error(err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return parseCalendar(body)
}

// textProps are the single-valued TEXT properties tabane writes.
var textProps = map[string]bool{"SUMMARY": true, "DESCRIPTION": true, "LOCATION": true, "X-WR-CALNAME": true, "TZNAME": true}

var propName = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func rfc5545Errors(body string) []error {
	var errs []error
	if !strings.HasSuffix(body, "\r\n") {
		errs = append(errs, fmt.Errorf("the body does not end with CRLF"))
	}
	physical := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
	var logical []string
	for i, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			errs = append(errs, fmt.Errorf("line %d holds a bare CR or LF: %q", i+1, l))
		}
		if len(l) > 75 {
			errs = append(errs, fmt.Errorf("line %d is %d octets, over 75: %q", i+1, len(l), l))
		}
		if !utf8.ValidString(l) {
			errs = append(errs, fmt.Errorf("line %d is not valid UTF-8 (a fold split a character?): %q", i+1, l))
		}
		if l == "" {
			errs = append(errs, fmt.Errorf("line %d is empty", i+1))
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(logical) == 0 {
				errs = append(errs, fmt.Errorf("line %d continues nothing", i+1))
				continue
			}
			logical[len(logical)-1] += l[1:]
			continue
		}
		logical = append(logical, l)
	}
	var stack []string
	props := []map[string]int{}
	calendars := 0
	for _, l := range logical {
		head, value, ok := strings.Cut(l, ":")
		name, _, _ := strings.Cut(head, ";")
		if !ok || !propName.MatchString(name) {
			errs = append(errs, fmt.Errorf("not a content line: %q", l))
			continue
		}
		name = strings.ToUpper(name)
		switch name {
		case "BEGIN":
			if len(stack) == 0 {
				calendars++
				if value != "VCALENDAR" {
					errs = append(errs, fmt.Errorf("the outermost component is %s", value))
				}
			}
			stack = append(stack, value)
			props = append(props, map[string]int{})
			continue
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != value {
				errs = append(errs, fmt.Errorf("END:%s does not close %v", value, stack))
				continue
			}
			p := props[len(props)-1]
			switch value {
			case "VCALENDAR":
				if p["VERSION:2.0"] != 1 || p["PRODID"] != 1 {
					errs = append(errs, fmt.Errorf("VCALENDAR lacks VERSION:2.0 or PRODID (has %v)", p))
				}
			case "VEVENT":
				for _, req := range []string{"UID", "DTSTAMP", "DTSTART"} {
					if p[req] != 1 {
						errs = append(errs, fmt.Errorf("a VEVENT has %s %d times, want once", req, p[req]))
					}
				}
			}
			stack, props = stack[:len(stack)-1], props[:len(props)-1]
			continue
		}
		if len(stack) == 0 {
			errs = append(errs, fmt.Errorf("property outside any component: %q", l))
			continue
		}
		p := props[len(props)-1]
		p[name]++
		if name == "VERSION" {
			p["VERSION:"+value]++
		}
		if textProps[name] {
			if err := checkTextEscapes(value); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v: %q", name, err, value))
			}
		}
	}
	if len(stack) != 0 {
		errs = append(errs, fmt.Errorf("components left open: %v", stack))
	}
	if calendars != 1 {
		errs = append(errs, fmt.Errorf("%d VCALENDARs, want 1", calendars))
	}
	return errs
}

// checkTextEscapes checks a TEXT value: a backslash only before \ ; , n N,
// and no , or ; unescaped.
func checkTextEscapes(v string) error {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if i+1 >= len(v) || !strings.ContainsRune(`\;,nN`, rune(v[i+1])) {
				return fmt.Errorf("a backslash escapes nothing at %d", i)
			}
			i++
		case ',', ';':
			return fmt.Errorf("unescaped %q at %d", v[i], i)
		}
	}
	return nil
}

func unfold(body string) string {
	return strings.NewReplacer("\r\n ", "", "\r\n\t", "").Replace(body)
}

func parseCalendar(body string) parsedCalendar {
	var cal parsedCalendar
	var cur map[string]string
	for _, l := range strings.Split(unfold(body), "\r\n") {
		head, value, _ := strings.Cut(l, ":")
		name, _, _ := strings.Cut(head, ";")
		switch {
		case l == "BEGIN:VEVENT":
			cur = map[string]string{}
		case l == "END:VEVENT":
			cal.events = append(cal.events, cur)
			cur = nil
		case cur != nil:
			cur[name] = value
		}
	}
	return cal
}

func unescapeText(v string) string {
	return strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n").Replace(v)
}

// TestRFC5545CheckCatchesBrokenFolding proves the checker fails a body
// whose folding is broken once (a folded line joined back, over 75
// octets; a continuation without its space; a fold inside a character),
// so TestMyCalendarFeed's check can fail.
func TestRFC5545CheckCatchesBrokenFolding(t *testing.T) {
	good := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//JA\r\nBEGIN:VEVENT\r\nUID:a@tabane\r\nDTSTAMP:20250501T000000Z\r\nDTSTART:20250502T000000Z\r\n" +
		"DESCRIPTION:" + strings.Repeat("あ", 21) + "\r\n " + strings.Repeat("い", 10) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if errs := rfc5545Errors(good); len(errs) > 0 {
		t.Fatalf("the checker refuses a good body: %v", errs)
	}
	for name, bad := range map[string]string{
		"Unfolded":           strings.Replace(good, "\r\n "+strings.Repeat("い", 10), strings.Repeat("い", 10), 1),
		"NoSpace":            strings.Replace(good, "\r\n "+strings.Repeat("い", 10), "\r\n"+strings.Repeat("い", 10), 1),
		"SplitCharacter":     strings.Replace(good, strings.Repeat("あ", 21)+"\r\n ", strings.Repeat("あ", 20)+"\xe3\r\n \x81\x82", 1),
		"BareLF":             strings.Replace(good, "UID:a@tabane\r\n", "UID:a@tabane\n", 1),
		"UnescapedSemicolon": strings.Replace(good, "DESCRIPTION:あ", "DESCRIPTION:;あ", 1),
		"NoDTSTAMP":          strings.Replace(good, "DTSTAMP:20250501T000000Z\r\n", "", 1),
		"BadNesting":         strings.Replace(good, "END:VEVENT\r\nEND:VCALENDAR", "END:VCALENDAR\r\nEND:VEVENT", 1),
	} {
		if errs := rfc5545Errors(bad); len(errs) == 0 {
			t.Errorf("%s: the checker passes a broken body", name)
		}
	}
}
