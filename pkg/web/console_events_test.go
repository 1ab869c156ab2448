package web

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// consoleEnv is newEnv with the console's services and one organizer,
// whose session token it returns with a member's.
func consoleEnv(t *testing.T) (e *env, organizer, member string) {
	t.Helper()
	e = newEnv(t)
	e.h.eventAdmin = &community.EventAdmin{Store: e.store, Clock: e.clock}
	e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
	org, orgToken := e.member(t, "運営 花子", community.MembershipSupporting)
	e.sessions.Organizers = func(email string) bool { return strings.EqualFold(email, org.Email) }
	_, memberToken := e.member(t, "会員 太郎", community.MembershipSupporting)
	return e, orgToken, memberToken
}

// draftEvent creates a draft through the domain, starting in days.
func draftEvent(t *testing.T, e *env, title string, days int) *community.Event {
	t.Helper()
	org := community.Viewer{Member: &community.Member{ID: community.NewID(testNow), Role: community.RoleOrganizer, Status: community.MemberActive}}
	start := testNow.Add(time.Duration(days) * 24 * time.Hour)
	ev, err := e.h.eventAdmin.CreateEvent(context.Background(), org, &community.Event{
		Title: title, Kind: community.KindLecture, Audience: community.AudienceMembers,
		StartsAt: start, EndsAt: start.Add(2 * time.Hour), Capacity: 20, Waitlist: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

var (
	inputTag   = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrType   = regexp.MustCompile(`\btype="([^"]+)"`)
	attrID     = regexp.MustCompile(`\bid="([^"]+)"`)
	headingTag = regexp.MustCompile(`<h([1-6])\b`)
)

// checkLabelsAndHeadings: every visible input has a label naming its id,
// and headings start at h1 and never skip a level going down.
func checkLabelsAndHeadings(t *testing.T, page, body string) {
	t.Helper()
	for _, tag := range inputTag.FindAllString(body, -1) {
		if m := attrType.FindStringSubmatch(tag); m != nil && (m[1] == "hidden" || m[1] == "submit") {
			continue
		}
		id := attrID.FindStringSubmatch(tag)
		if id == nil {
			t.Errorf("%s: input without id: %s", page, tag)
			continue
		}
		if !strings.Contains(body, `<label for="`+id[1]+`"`) && !strings.Contains(body, `for="`+id[1]+`">`) {
			t.Errorf("%s: no label for #%s", page, id[1])
		}
	}
	prev := 0
	for i, m := range headingTag.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		if i == 0 && n != 1 {
			t.Errorf("%s: first heading is h%d", page, n)
		}
		if n > prev+1 {
			t.Errorf("%s: h%d follows h%d", page, n, prev)
		}
		prev = n
	}
}

// Every console page: sign in first, 403 for a member, a forged post
// refused, a label on every input and headings in order.
func TestConsoleEventPagesAccess(t *testing.T) {
	e, org, member := consoleEnv(t)
	ev := draftEvent(t, e, "アクセス確認の会", 10)
	pub := draftEvent(t, e, "公開済みの会", 12)
	if _, err := e.h.eventAdmin.PublishEvent(context.Background(), community.Viewer{Member: &community.Member{Role: community.RoleOrganizer, Status: community.MemberActive}}, pub.ID); err != nil {
		t.Fatal(err)
	}
	gets := []string{"/admin", "/admin/events", "/admin/events/new", "/admin/events/new?from=" + ev.ID, "/admin/events/" + ev.ID,
		"/admin/events/" + ev.ID + "/preview", "/admin/events/" + pub.ID + "/cancel"}
	posts := []string{"/admin/events", "/admin/events/" + ev.ID, "/admin/events/" + ev.ID + "/publish", "/admin/events/" + pub.ID + "/cancel"}
	for _, p := range gets {
		t.Run("GET "+p, func(t *testing.T) {
			resp := e.do(t, get(t, p, ""))
			// Back to the page asked for, its query included.
			if resp.StatusCode != 303 || resp.Headers["Location"] != "/signin?next="+url.QueryEscape(p) {
				t.Errorf("signed out: %d %q", resp.StatusCode, resp.Headers["Location"])
			}
			if resp := e.do(t, get(t, p, member)); resp.StatusCode != 403 {
				t.Errorf("member: %d", resp.StatusCode)
			}
			resp = e.do(t, get(t, p, org))
			if resp.StatusCode != 200 {
				t.Fatalf("organizer: %d\n%s", resp.StatusCode, resp.Body)
			}
			checkLabelsAndHeadings(t, p, resp.Body)
		})
	}
	for _, p := range posts {
		t.Run("POST "+p, func(t *testing.T) {
			if resp := e.do(t, post(t, p, url.Values{}, "")); resp.StatusCode != 303 || !strings.HasPrefix(resp.Headers["Location"], "/signin") {
				t.Errorf("signed out: %d %q", resp.StatusCode, resp.Headers["Location"])
			}
			if resp := e.do(t, post(t, p, url.Values{"csrf": {"x"}}, member)); resp.StatusCode != 403 {
				t.Errorf("member: %d", resp.StatusCode)
			}
			resp := e.do(t, post(t, p, url.Values{"csrf": {"forged"}, "title": {"偽"}, "reason": {"偽"}}, org))
			if resp.StatusCode < 400 || !strings.Contains(resp.Body, "フォームの有効期限が切れたか") {
				t.Errorf("forged: %d", resp.StatusCode)
			}
		})
	}
	if got, _ := e.h.eventAdmin.Event(context.Background(), community.Viewer{Member: &community.Member{Role: community.RoleOrganizer, Status: community.MemberActive}}, pub.ID); got.Status != community.EventPublished {
		t.Errorf("a forged cancel changed the event: %s", got.Status)
	}
}

func eventFormValues(csrf string) url.Values {
	return url.Values{
		"csrf": {csrf}, "title": {"道路維持管理の勉強会"}, "kind": {"lecture"}, "audience": {"public"},
		"starts_date": {"2025-05-20"}, "starts_time": {"19:00"}, "ends_date": {"2025-05-20"}, "ends_time": {"20:30"},
		"description": {"舗装の点検について"}, "venue_name": {"伊勢崎市役所"}, "venue_address": {"群馬県伊勢崎市今泉町2-410"},
		"capacity": {"30"}, "waitlist": {"yes"}, "fee_jpy": {"500"}, "speakers": {"講師 一郎\n講師 二郎"},
		"closes_date": {"2025-05-19"}, "closes_time": {"23:59"}, "reminders": {"24", "1"},
	}
}

// An organizer creates (refused first, with messages by the fields),
// edits, previews, publishes, duplicates and cancels an event.
func TestConsoleEventLifecycle(t *testing.T) {
	e, org, _ := consoleEnv(t)
	form := e.do(t, get(t, "/admin/events/new", org))
	csrf := csrfOf(t, form.Body)

	bad := eventFormValues(csrf)
	bad.Set("title", "")
	bad.Set("ends_time", "18:00")
	bad.Set("capacity", "たくさん")
	resp := e.do(t, post(t, "/admin/events", bad, org))
	if resp.StatusCode != 400 {
		t.Fatalf("refused form: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`id="error-title">タイトルを入力してください。`,
		`id="error-ends_at">終了日時は開始日時より後にしてください。`,
		`id="error-capacity">半角数字で入力してください。`,
		`aria-describedby="error-title"`,
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("refused form lacks %s", want)
		}
	}

	resp = e.do(t, post(t, "/admin/events", eventFormValues(csrf), org))
	loc := resp.Headers["Location"]
	if resp.StatusCode != 303 || !strings.HasSuffix(loc, "?saved=created") {
		t.Fatalf("create: %d %q\n%s", resp.StatusCode, loc, resp.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/events/"), "?saved=created")
	viewer := community.Viewer{Member: &community.Member{Role: community.RoleOrganizer, Status: community.MemberActive}}
	ev, err := e.h.eventAdmin.Event(context.Background(), viewer, id)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.StartsAt.Equal(time.Date(2025, 5, 20, 19, 0, 0, 0, community.Tokyo)) || ev.Capacity != 30 || !ev.Waitlist || ev.FeeJPY != 500 ||
		len(ev.Speakers) != 2 || ev.Venue == nil || ev.Status != community.EventDraft || len(ev.ReminderOffsets) != 2 {
		t.Errorf("stored %+v", ev)
	}

	// A draft is on the dashboard, and not on the public list.
	if d := e.do(t, get(t, "/admin", org)); !strings.Contains(d.Body, "道路維持管理の勉強会") || !strings.Contains(d.Body, "下書き") {
		t.Errorf("dashboard lacks the draft")
	}

	edit := eventFormValues(csrf)
	edit.Set("capacity", "40")
	edit.Set("min_age", "25")
	edit.Set("public_servant_only", "yes")
	if resp := e.do(t, post(t, "/admin/events/"+id, edit, org)); resp.StatusCode != 303 {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, resp.Body)
	}
	preview := e.do(t, get(t, "/admin/events/"+id+"/preview", org))
	for _, want := range []string{"これはプレビューです", "<h1>道路維持管理の勉強会</h1>", "40名", "公務員限定", "開始日時点で25歳以上"} {
		if !strings.Contains(preview.Body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}

	if resp := e.do(t, post(t, "/admin/events/"+id+"/publish", url.Values{"csrf": {csrf}}, org)); resp.StatusCode != 303 {
		t.Fatalf("publish: %d\n%s", resp.StatusCode, resp.Body)
	}
	if list := e.do(t, get(t, "/", "")); !strings.Contains(list.Body, "道路維持管理の勉強会") {
		t.Error("published event not listed")
	}

	dup := e.do(t, get(t, "/admin/events/new?from="+id, org))
	if !strings.Contains(dup.Body, `value="道路維持管理の勉強会（複製）"`) || !strings.Contains(dup.Body, `name="capacity" value="40"`) {
		t.Error("duplicate form not filled from the event")
	}

	page := e.do(t, get(t, "/admin/events/"+id+"/cancel", org))
	if !strings.Contains(page.Body, "計0人") {
		t.Errorf("cancel page does not count who is mailed")
	}
	if resp := e.do(t, post(t, "/admin/events/"+id+"/cancel", url.Values{"csrf": {csrf}, "reason": {""}}, org)); resp.StatusCode != 400 ||
		!strings.Contains(resp.Body, `id="error-reason">中止の理由を入力してください。`) {
		t.Errorf("cancel without a reason: %d", resp.StatusCode)
	}
	if resp := e.do(t, post(t, "/admin/events/"+id+"/cancel", url.Values{"csrf": {csrf}, "reason": {"台風のため"}}, org)); resp.StatusCode != 303 {
		t.Fatalf("cancel: %d\n%s", resp.StatusCode, resp.Body)
	}
	if ev, _ := e.h.eventAdmin.Event(context.Background(), viewer, id); ev.Status != community.EventCancelled || ev.CancelReason != "台風のため" {
		t.Errorf("after cancel: %s %q", ev.Status, ev.CancelReason)
	}
}

// The dashboard reads a fixed number of Queries, never a Scan, however
// many past events there are.
func TestConsoleDashboardPastEvents(t *testing.T) {
	e, org, _ := consoleEnv(t)
	viewer := community.Viewer{Member: &community.Member{Role: community.RoleOrganizer, Status: community.MemberActive}}
	for i := range 3 {
		ev := draftEvent(t, e, "過去の会"+strconv.Itoa(i), 1+i)
		if _, err := e.h.eventAdmin.PublishEvent(context.Background(), viewer, ev.ID); err != nil {
			t.Fatal(err)
		}
	}
	draftEvent(t, e, "今後の下書き", 30)
	e.clock.Set(testNow.Add(10 * 24 * time.Hour))
	body := e.do(t, get(t, "/admin", org)).Body
	up, past, _ := strings.Cut(body, `id="past-heading"`)
	if !strings.Contains(up, "今後の下書き") || strings.Contains(up, "過去の会") {
		t.Errorf("upcoming section wrong")
	}
	if i2, i0 := strings.Index(past, "過去の会2"), strings.Index(past, "過去の会0"); i2 < 0 || i0 < 0 || i2 > i0 {
		t.Errorf("past events not latest first")
	}
}

// The dashboard's 受付済み is the event's counter: a repeated check-in
// counts once and an undo takes it back.
func TestConsoleDashboardCheckedIn(t *testing.T) {
	e := newEnv(t)
	e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
	f := newConsoleFixture(t, e)
	checkedIn := func(want string) {
		t.Helper()
		body := e.do(t, get(t, "/admin", f.organizer)).Body
		_, row, ok := strings.Cut(body, `data-event="`+f.ev.ID+`"`)
		row, _, _ = strings.Cut(row, "</tr>")
		if !ok || !strings.Contains(row, `data-label="受付済み">`+want+`</td>`) {
			t.Errorf("dashboard row, want 受付済み %s:\n%s", want, row)
		}
	}
	checkedIn("0")
	csrf := e.pageCSRF(t, "/admin/events/"+f.ev.ID+"/checkin", f.organizer)
	for range 2 {
		wantStatus(t, e.do(t, post(t, "/admin/events/"+f.ev.ID+"/checkin/"+f.regID, url.Values{"csrf": {csrf}}, f.organizer)), 303)
	}
	checkedIn("1")
	org := community.Viewer{Member: &community.Member{ID: community.NewID(testNow), Role: community.RoleOrganizer, Status: community.MemberActive}}
	if _, err := e.h.attendance.UndoCheckIn(context.Background(), org, f.ev.ID, f.regID); err != nil {
		t.Fatal(err)
	}
	checkedIn("0")
}
