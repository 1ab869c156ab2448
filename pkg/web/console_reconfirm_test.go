package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// The event form's 参加予定の再確認 part: labelled inputs; what cannot be
// read and what the event's rules refuse answered next to the field, in
// Japanese, with the typed values shown back; a setting by hours and one by
// a stated time stored as typed and shown back on the edit page with its
// dates in words; the preview (the event page) says what registrants will
// be asked; unticking removes it.
func TestConsoleEventReconfirmation(t *testing.T) {
	e, org, _ := consoleEnv(t)
	viewer := community.Viewer{Member: &community.Member{Role: community.RoleOrganizer, Status: community.MemberActive}}
	form := e.do(t, get(t, "/admin/events/new", org))
	checkLabelsAndHeadings(t, "new", form.Body)
	for _, want := range []string{`name="reconfirm" value="yes">`, `name="reconfirm_days" value="3"`, `name="reconfirm_hours" value="24"`,
		`id="ev-reconfirm-by-hours" name="reconfirm_deadline" value="hours" checked>`, `name="reconfirm_release" value="yes">`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("new form lacks %s", want)
		}
	}
	csrf := csrfOf(t, form.Body)
	with := func(kv ...string) url.Values {
		v := eventFormValues(csrf)
		v.Set("reconfirm", "yes")
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	for name, c := range map[string]struct {
		form  url.Values
		field string
		msg   string
		shown string // a typed value shown back
	}{
		"days_unreadable": {with("reconfirm_days", "三", "reconfirm_hours", "24"), "reconfirmation.days_before", "半角数字で入力してください。", `name="reconfirm_days" value="三"`},
		"days_blank":      {with("reconfirm_days", "", "reconfirm_hours", "24"), "reconfirmation.days_before", "確認メールを送る日を「開始の何日前」で入力してください。", ""},
		"days_too_many":   {with("reconfirm_days", "31", "reconfirm_hours", "24"), "reconfirmation.days_before", "再確認のメールは開始の1日前から30日前の間で指定してください。", `name="reconfirm_days" value="31"`},
		"hours_after_ask": {with("reconfirm_days", "2", "reconfirm_hours", "60"), "reconfirmation.deadline_hours", "回答期限は開始の1時間前以降、再確認のメールより後にしてください。", `name="reconfirm_hours" value="60"`},
		"window_short":    {with("reconfirm_days", "1", "reconfirm_hours", "20"), "reconfirmation.deadline_hours", "回答期限は再確認のメールから12時間以上あとにしてください。", ""},
		"at_half":         {with("reconfirm_days", "3", "reconfirm_deadline", "at", "reconfirm_deadline_date", "2025-05-19"), "reconfirmation.deadline_at", "回答期限の日付と時刻の両方を入力してください。", `name="reconfirm_deadline_date" value="2025-05-19"`},
		"at_after_start":  {with("reconfirm_days", "3", "reconfirm_deadline", "at", "reconfirm_deadline_date", "2025-05-21", "reconfirm_deadline_time", "10:00"), "reconfirmation.deadline_at", "回答期限は開始日時より前にしてください。", `id="ev-reconfirm-by-time" name="reconfirm_deadline" value="at" checked>`},
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(t, post(t, "/admin/events", c.form, org))
			if resp.StatusCode != 400 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if want := `id="error-` + c.field + `">` + c.msg; !strings.Contains(resp.Body, want) {
				t.Errorf("lacks %s", want)
			}
			if want := `aria-describedby="error-` + c.field + `"`; !strings.Contains(resp.Body, want) {
				t.Errorf("the field does not point at its message")
			}
			if !strings.Contains(resp.Body, `name="reconfirm" value="yes" checked>`) || !strings.Contains(resp.Body, c.shown) {
				t.Errorf("typed values not shown back (%s)", c.shown)
			}
			checkLabelsAndHeadings(t, name, resp.Body)
		})
	}

	// By a stated time, with release.
	resp := e.do(t, post(t, "/admin/events", with("reconfirm_days", "3", "reconfirm_hours", "", "reconfirm_deadline", "at",
		"reconfirm_deadline_date", "2025-05-19", "reconfirm_deadline_time", "12:00", "reconfirm_release", "yes"), org))
	loc := resp.Headers["Location"]
	if resp.StatusCode != 303 {
		t.Fatalf("create: %d\n%s", resp.StatusCode, resp.Body)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/admin/events/"), "?saved=created")
	ev, err := e.h.eventAdmin.Event(context.Background(), viewer, id)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 5, 19, 12, 0, 0, 0, community.Tokyo)
	if r := ev.Reconfirm; r == nil || r.DaysBefore != 3 || r.DeadlineHours != 0 || r.DeadlineAt == nil || !r.DeadlineAt.Equal(at) || !r.Release {
		t.Fatalf("stored %+v", r)
	}
	edit := e.do(t, get(t, "/admin/events/"+id, org)).Body
	checkLabelsAndHeadings(t, "edit", edit)
	for _, want := range []string{`name="reconfirm" value="yes" checked>`, `id="ev-reconfirm-by-time" name="reconfirm_deadline" value="at" checked>`,
		`name="reconfirm_deadline_date" value="2025-05-19"`, `name="reconfirm_deadline_time" value="12:00"`, `name="reconfirm_release" value="yes" checked>`,
		`開始の3日前（令和7年5月17日(土) 19:00）に`, `回答の期限は令和7年5月19日(月) 12:00です。`, `キャンセル待ちの方に順にお回しします`} {
		if !strings.Contains(edit, want) {
			t.Errorf("edit page lacks %s", want)
		}
	}
	preview := e.do(t, get(t, "/admin/events/"+id+"/preview", org)).Body
	if !strings.Contains(preview, "<dt>参加予定の確認</dt>") || !strings.Contains(preview, `回答の期限は令和7年5月19日(月) 12:00です。`) {
		t.Errorf("preview does not tell of the reconfirmation")
	}

	// By hours, release off.
	resp = e.do(t, post(t, "/admin/events/"+id, with("reconfirm_days", "5", "reconfirm_hours", "48"), org))
	if resp.StatusCode != 303 {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, resp.Body)
	}
	ev, _ = e.h.eventAdmin.Event(context.Background(), viewer, id)
	if r := ev.Reconfirm; r == nil || r.DaysBefore != 5 || r.DeadlineHours != 48 || r.DeadlineAt != nil || r.Release {
		t.Fatalf("stored %+v", r)
	}
	edit = e.do(t, get(t, "/admin/events/"+id, org)).Body
	if !strings.Contains(edit, `name="reconfirm_hours" value="48"`) || strings.Contains(edit, `name="reconfirm_release" value="yes" checked>`) {
		t.Errorf("edit page after hours")
	}
	preview = e.do(t, get(t, "/admin/events/"+id+"/preview", org)).Body
	if !strings.Contains(preview, `開始の5日前（令和7年5月15日(木) 19:00）に`) || strings.Contains(preview, "キャンセル待ちの方に順にお回し") {
		t.Errorf("preview after hours: release still said, or the new day missing")
	}

	// Unticked: none, whatever the other fields hold.
	off := with("reconfirm_days", "三")
	off.Del("reconfirm")
	if resp := e.do(t, post(t, "/admin/events/"+id, off, org)); resp.StatusCode != 303 {
		t.Fatalf("off: %d\n%s", resp.StatusCode, resp.Body)
	}
	if ev, _ = e.h.eventAdmin.Event(context.Background(), viewer, id); ev.Reconfirm != nil {
		t.Errorf("unticked, still %+v", ev.Reconfirm)
	}
	if p := e.do(t, get(t, "/admin/events/"+id+"/preview", org)).Body; strings.Contains(p, "参加予定の確認") {
		t.Errorf("preview tells of a reconfirmation that was removed")
	}
}
