package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// sectionValues is the event form with two frames (the online one by
// lottery), two questions and a survey, each section with a blank row
// the form sends too.
func sectionValues(csrf string) url.Values {
	v := eventFormValues(csrf)
	for k, x := range map[string]string{
		"mode":                      "first_come",
		"frames[0].name":            "会場参加",
		"frames[0].capacity":        "20",
		"frames[0].waitlist":        "yes",
		"frames[0].mode":            "",
		"frames[0].venue.name":      "伊勢崎市役所 大会議室",
		"frames[1].id":              "online",
		"frames[1].name":            "オンライン参加",
		"frames[1].capacity":        "50",
		"frames[1].mode":            "lottery",
		"frames[1].online_platform": "Zoom",
		"frames[1].join_url":        "https://zoom.example.jp/j/123",
		"frames[1].eligibility.public_servant_only": "yes",
		"frames[2].name":                "",
		"frames[2].capacity":            "",
		"lottery.draw_date":             "2025-05-20",
		"lottery.draw_time":             "09:00",
		"lottery.reserves":              "3",
		"lottery.first_time_weight":     "2",
		"lottery.fill_remaining":        "yes",
		"multiple_frames":               "yes",
		"questions[0].label":            "所属部署",
		"questions[0].kind":             "short_text",
		"questions[0].required":         "yes",
		"questions[0].max_length":       "100",
		"questions[1].id":               "exp",
		"questions[1].label":            "点検の経験はありますか",
		"questions[1].kind":             "single_choice",
		"questions[1].options":          "ある\r\nない\r\n",
		"questions[2].label":            "",
		"questions[2].kind":             "short_text",
		"survey.send_after_minutes":     "120",
		"survey.closes_after_days":      "7",
		"survey.questions[0].label":     "満足度",
		"survey.questions[0].kind":      "single_choice",
		"survey.questions[0].options":   "満足\n普通\n不満",
		"survey.questions[0].required":  "yes",
		"survey.questions[1].label":     "",
		"survey.questions[1].kind":      "short_text",
		"org_survey.questions[0].label": "",
		"org_survey.questions[0].kind":  "short_text",
		"org_survey.send_after_minutes": "",
		"org_survey.closes_after_days":  "",
	} {
		v.Set(k, x)
	}
	return v
}

func storedEvents(t *testing.T, e *env) []*community.Event {
	t.Helper()
	l, err := e.h.board.List(context.Background(), organizerViewer, community.EventMark{}, 50)
	if err != nil {
		t.Fatal(err)
	}
	return l.Events
}

// The form edits every field of the contract: an organizer creates an
// event with two frames (one by lottery), two questions and a survey, and
// the stored event has them; the form shows them back for editing.
func TestConsoleEventFormSections(t *testing.T) {
	e, org, _ := consoleEnv(t)
	page := e.do(t, get(t, "/admin/events/new", org))
	checkLabelsAndHeadings(t, "new", page.Body)
	for _, s := range []string{`name="mode"`, `name="lottery.draw_date"`, `name="frames[0].name"`, `name="questions[0].label"`,
		`name="survey.questions[0].options"`, `name="org_survey.closes_after_days"`, `id="add-frame">参加枠を追加`, `id="add-qs">質問を追加`} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("the new event form has no %s", s)
		}
	}
	resp := e.do(t, post(t, "/admin/events", sectionValues(csrfOf(t, page.Body)), org))
	if resp.StatusCode != 303 {
		t.Fatalf("create: %d\n%s", resp.StatusCode, errorsOf(resp.Body))
	}
	id := strings.TrimPrefix(strings.Split(resp.Headers["Location"], "?")[0], "/admin/events/")
	ev, err := e.h.eventAdmin.Event(context.Background(), organizerViewer, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Frames) != 2 {
		t.Fatalf("frames = %+v, want 2", ev.Frames)
	}
	venue, online := ev.Frames[0], ev.Frames[1]
	if venue.ID != "f1" || venue.Name != "会場参加" || venue.Capacity != 20 || !venue.Waitlist || venue.Venue == nil || venue.Venue.Name != "伊勢崎市役所 大会議室" || venue.Mode != "" {
		t.Errorf("venue frame = %+v", venue)
	}
	if online.ID != "online" || online.Capacity != 50 || online.Mode != community.ModeLottery || online.OnlinePlatform != "Zoom" ||
		online.JoinURL != "https://zoom.example.jp/j/123" || online.Eligibility == nil || !online.Eligibility.PublicServantOnly {
		t.Errorf("online frame = %+v", online)
	}
	if !ev.MultipleFrames || ev.Mode.Normal() != community.ModeFirstCome {
		t.Errorf("multiple_frames %v, mode %q", ev.MultipleFrames, ev.Mode)
	}
	l := ev.Lottery
	if l == nil || !l.DrawAt.Equal(time.Date(2025, 5, 20, 9, 0, 0, 0, community.Tokyo)) || l.Reserves != 3 || l.FirstTimeWeight != 2 || !l.FillRemaining {
		t.Errorf("lottery = %+v", l)
	}
	if len(ev.Questions) != 2 || ev.Questions[0].ID != "q1" || !ev.Questions[0].Required || ev.Questions[0].MaxLength != 100 ||
		ev.Questions[1].ID != "exp" || strings.Join(ev.Questions[1].Options, "/") != "ある/ない" {
		t.Errorf("questions = %+v", ev.Questions)
	}
	if s := ev.Survey; s == nil || s.SendAfter != 2*time.Hour || s.ClosesAfter != 7*24*time.Hour || len(s.Form) != 1 || s.Form[0].ID != "q1" || len(s.Form[0].Options) != 3 {
		t.Errorf("survey = %+v", s)
	}
	if ev.OrgSurvey != nil {
		t.Errorf("org survey = %+v, want none (left blank)", ev.OrgSurvey)
	}

	// The edit page shows them back, each section with one blank row, and
	// saving it unchanged changes nothing.
	page = e.do(t, get(t, "/admin/events/"+id, org))
	checkLabelsAndHeadings(t, "edit", page.Body)
	for _, s := range []string{`name="frames[1].id" value="online"`, `name="frames[2].name" value=""`, `name="questions[0].id" value="q1"`,
		`name="questions[2].label" value=""`, `value="2025-05-20"`, `name="survey.closes_after_days" value="7"`} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("the edit form has no %s", s)
		}
	}
	if n := strings.Count(page.Body, "data-frame-row="); n != 3 {
		t.Errorf("%d frame rows on the edit page, want 2 and a blank one", n)
	}
	resp = e.do(t, post(t, "/admin/events/"+id, formValuesOf(t, page.Body), org))
	if resp.StatusCode != 303 {
		t.Fatalf("saving unchanged: %d\n%s", resp.StatusCode, errorsOf(resp.Body))
	}
	again, _ := e.h.eventAdmin.Event(context.Background(), organizerViewer, id)
	if !again.UpdatedAt.Equal(ev.UpdatedAt) {
		t.Errorf("saving the form unchanged changed the event (updated %v → %v)", ev.UpdatedAt, again.UpdatedAt)
	}

	// The preview shows the frames, the lottery, the questions and the survey.
	page = e.do(t, get(t, "/admin/events/"+id+"/preview", org))
	checkLabelsAndHeadings(t, "preview", page.Body)
	for _, s := range []string{"オンライン参加", "抽選", "所属部署", "点検の経験はありますか", "満足度", "終了の2時間後"} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("the preview does not show %s", s)
		}
	}
}

// A refused field's message stands by that field, in Japanese, and the
// form comes back as typed; an add-a-row button adds a row and saves nothing.
func TestConsoleEventFormRowsRefusedAndAdded(t *testing.T) {
	e, org, _ := consoleEnv(t)
	csrf := csrfOf(t, e.do(t, get(t, "/admin/events/new", org)).Body)
	v := sectionValues(csrf)
	v.Set("frames[1].capacity", "-5")
	v.Set("questions[1].options", "ある")
	resp := e.do(t, post(t, "/admin/events", v, org))
	if resp.StatusCode != 400 {
		t.Fatalf("refused form: %d", resp.StatusCode)
	}
	checkLabelsAndHeadings(t, "refused", resp.Body)
	for field, msg := range map[string]string{
		"frames[1].capacity":   "定員は0（無制限）以上",
		"questions[1].options": "選択肢は2から30個にしてください。",
	} {
		// The input points at its message, and the message follows it.
		re := regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true" aria-describedby="error-` + regexp.QuoteMeta(field) + `"[^>]*>(?:[^<]*</textarea>)?\s*<span class="error" id="error-` + regexp.QuoteMeta(field) + `">([^<]*)</span>`)
		m := re.FindStringSubmatch(resp.Body)
		if m == nil || !strings.Contains(m[1], msg) {
			t.Errorf("%s: no message %q by the field (got %v)", field, msg, m)
		}
	}
	if !strings.Contains(resp.Body, `name="frames[1].name" value="オンライン参加"`) {
		t.Error("the refused form lost what was typed")
	}
	if n := len(storedEvents(t, e)); n != 0 {
		t.Errorf("%d events stored by a refused form", n)
	}

	v = sectionValues(csrf)
	v.Set("add", "frames")
	resp = e.do(t, post(t, "/admin/events", v, org))
	if resp.StatusCode != 200 {
		t.Fatalf("add a frame: %d", resp.StatusCode)
	}
	checkLabelsAndHeadings(t, "add", resp.Body)
	if n := strings.Count(resp.Body, "data-frame-row="); n != 4 {
		t.Errorf("%d frame rows after 参加枠を追加, want the 2 typed, the blank one sent and one more", n)
	}
	if !strings.Contains(resp.Body, `name="frames[3].name"`) || strings.Contains(resp.Body, `id="form-error"`) {
		t.Error("the added row is missing, or the form says something was refused")
	}
	if n := strings.Count(resp.Body, "data-question-row="); n != 3+2+1 {
		t.Errorf("%d question rows, want the other sections as sent (3 + 2 + 1)", n)
	}
	v = sectionValues(csrf)
	v.Set("add", "questions")
	resp = e.do(t, post(t, "/admin/events", v, org))
	if !strings.Contains(resp.Body, `name="questions[3].label"`) || strings.Contains(resp.Body, `name="frames[3].name"`) {
		t.Error("質問を追加 did not add exactly one question row")
	}
	if n := len(storedEvents(t, e)); n != 0 {
		t.Errorf("%d events stored by add buttons", n)
	}
}

// An answered question's id never changes: renaming it once someone has
// answered is refused by the domain's rule (EventAdmin.UpdateEvent), and
// the message stands by the questions.
func TestConsoleEventFormAnsweredQuestion(t *testing.T) {
	e, org, _ := consoleEnv(t)
	ctx := context.Background()
	start := testNow.Add(10 * 24 * time.Hour)
	ev, err := e.h.eventAdmin.CreateEvent(ctx, organizerViewer, &community.Event{Title: "回答済みの会", Kind: community.KindLecture,
		Audience: community.AudiencePublic, StartsAt: start, EndsAt: start.Add(time.Hour),
		Questions: community.Form{{ID: "dept", Label: "所属部署", Kind: community.QuestionShortText}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.eventAdmin.PublishEvent(ctx, organizerViewer, ev.ID); err != nil {
		t.Fatal(err)
	}
	m, _ := e.memberAt(t, "answer@example.jp", "回答 太郎", community.MembershipSupporting)
	if _, err := e.regs.Register(ctx, community.Viewer{Member: m}, ev.ID, nil, community.Answer{QuestionID: "dept", Text: "道路課"}); err != nil {
		t.Fatal(err)
	}
	page := e.do(t, get(t, "/admin/events/"+ev.ID, org))
	v := formValuesOf(t, page.Body)
	v.Set("questions[0].id", "section")
	resp := e.do(t, post(t, "/admin/events/"+ev.ID, v, org))
	if resp.StatusCode != 409 || !strings.Contains(resp.Body, `<span class="error" id="error-questions">申込がすでにあるため`) {
		t.Errorf("renaming an answered question: %d\n%s", resp.StatusCode, errorsOf(resp.Body))
	}
	// Left blank, the id is not derived anew either: the row keeps "dept"
	// only if typed; blank derives q1, which the domain refuses the same.
	v.Set("questions[0].id", "")
	if resp := e.do(t, post(t, "/admin/events/"+ev.ID, v, org)); resp.StatusCode != 409 {
		t.Errorf("blanking an answered question's id: %d", resp.StatusCode)
	}
	got, _ := e.h.eventAdmin.Event(ctx, organizerViewer, ev.ID)
	if got.Questions[0].ID != "dept" {
		t.Errorf("question id = %q, want dept kept", got.Questions[0].ID)
	}
}

var (
	formInputRE    = regexp.MustCompile(`<input\b[^>]*>`)
	formTextareaRE = regexp.MustCompile(`(?s)<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
	formSelectRE   = regexp.MustCompile(`(?s)<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRE     = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	attrNameRE     = regexp.MustCompile(`\bname="([^"]+)"`)
	attrValueRE    = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// formValuesOf is what a browser sends for the event form as shown
// (the save button, not an add button).
func formValuesOf(t *testing.T, body string) url.Values {
	t.Helper()
	i := strings.Index(body, `class="event-form"`)
	if i < 0 {
		t.Fatal("no event form on the page")
	}
	body = body[i:]
	body = body[:strings.Index(body, "</form>")]
	v := url.Values{}
	unescape := func(s string) string {
		return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&#43;", "+").Replace(s)
	}
	for _, tag := range formInputRE.FindAllString(body, -1) {
		name := attrNameRE.FindStringSubmatch(tag)
		if name == nil {
			continue
		}
		val := ""
		if m := attrValueRE.FindStringSubmatch(tag); m != nil {
			val = unescape(m[1])
		}
		if typ := attrType.FindStringSubmatch(tag); typ != nil && (typ[1] == "checkbox" || typ[1] == "radio") && !strings.Contains(tag, " checked") {
			continue
		}
		v.Add(name[1], val)
	}
	for _, m := range formTextareaRE.FindAllStringSubmatch(body, -1) {
		v.Add(m[1], unescape(strings.TrimPrefix(m[2], "\n")))
	}
	for _, m := range formSelectRE.FindAllStringSubmatch(body, -1) {
		if s := selectedRE.FindStringSubmatch(m[2]); s != nil {
			v.Add(m[1], s[1])
		}
	}
	return v
}

// errorsOf picks a page's field messages, for failure output.
func errorsOf(body string) string {
	return strings.Join(regexp.MustCompile(`<span class="error" id="[^"]+">[^<]*</span>|<div class="alert"[^>]*>.*?</div>`).FindAllString(body, -1), "\n")
}
