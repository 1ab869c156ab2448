package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
)

// seriesEnv is consoleEnv with the series pages' service.
func seriesEnv(t *testing.T) (e *env, organizer, member string) {
	t.Helper()
	e, organizer, member = consoleEnv(t)
	e.h.series = &community.SeriesAdmin{Store: e.store, Clock: e.clock, Log: communitytest.FailOnError(t)}
	return e, organizer, member
}

func seriesFormValues(csrf string) url.Values {
	return url.Values{
		"csrf": {csrf}, "title": {"井戸端会議"}, "kind": {"meeting"}, "audience": {"members"},
		"week": {"2"}, "weekday": {"2"}, "start_time": {"18:00"}, "end_time": {"19:30"}, "months": {"3"},
		"description": {"毎月の情報交換"}, "online_platform": {"Zoom"}, "join_url": {"https://zoom.example.jp/j/1"},
		"capacity": {"20"}, "closes_hours": {"1"}, "reminders": {"24"},
	}
}

var organizerViewer = community.Viewer{Member: &community.Member{ID: community.NewID(testNow), Role: community.RoleOrganizer, Status: community.MemberActive}}

// Every series page: sign in first, 403 for a member, a forged post
// refused, a label on every input and headings in order.
func TestConsoleSeriesAccess(t *testing.T) {
	e, org, member := seriesEnv(t)
	csrf := e.pageCSRF(t, "/admin/series/new", org)
	resp := e.do(t, post(t, "/admin/series", seriesFormValues(csrf), org))
	wantStatus(t, resp, 303)
	id := strings.TrimPrefix(strings.SplitN(resp.Headers["Location"], "?", 2)[0], "/admin/series/")

	for _, p := range []string{"/admin/series", "/admin/series/new", "/admin/series/" + id} {
		t.Run("GET "+p, func(t *testing.T) {
			resp := e.do(t, get(t, p, ""))
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
			if !strings.Contains(resp.Body, `<a href="/admin/series" aria-current="page">シリーズ</a>`) {
				t.Errorf("console nav does not mark シリーズ")
			}
		})
	}
	for _, p := range []string{"/admin/series", "/admin/series/" + id} {
		t.Run("POST "+p, func(t *testing.T) {
			if resp := e.do(t, post(t, p, url.Values{}, "")); resp.StatusCode != 303 || !strings.HasPrefix(resp.Headers["Location"], "/signin") {
				t.Errorf("signed out: %d %q", resp.StatusCode, resp.Headers["Location"])
			}
			if resp := e.do(t, post(t, p, url.Values{"csrf": {"x"}}, member)); resp.StatusCode != 403 {
				t.Errorf("member: %d", resp.StatusCode)
			}
			forged := seriesFormValues("forged")
			forged.Set("title", "偽")
			resp := e.do(t, post(t, p, forged, org))
			if resp.StatusCode < 400 || !strings.Contains(resp.Body, "フォームの有効期限が切れたか") {
				t.Errorf("forged: %d", resp.StatusCode)
			}
		})
	}
	all, err := e.h.series.ListSeries(context.Background(), organizerViewer)
	if err != nil || len(all) != 1 || all[0].Template.Title != "井戸端会議" {
		t.Errorf("series after forged posts: %v %v", all, err)
	}
}

// A bad rule is refused with messages by its fields; a good series makes
// its occurrences, listed with links to their events; an edit reaches them.
func TestConsoleSeriesLifecycle(t *testing.T) {
	e, org, _ := seriesEnv(t)
	csrf := e.pageCSRF(t, "/admin/series/new", org)

	bad := seriesFormValues(csrf)
	bad.Set("week", "5")
	bad.Set("end_time", "17:00")
	bad.Set("months", "たくさん")
	resp := e.do(t, post(t, "/admin/series", bad, org))
	if resp.StatusCode != 400 {
		t.Fatalf("refused form: %d\n%s", resp.StatusCode, resp.Body)
	}
	for _, want := range []string{
		`id="error-rule.week">第何週かは1〜4、または最終週（-1）で指定してください。`,
		`id="error-rule.duration">終了時刻は開始時刻より後にしてください`,
		`id="error-months">半角数字で入力してください。`,
		`aria-describedby="error-rule.week"`,
		`value="井戸端会議"`,
	} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("refused form lacks %s", want)
		}
	}
	if all, _ := e.h.series.ListSeries(context.Background(), organizerViewer); len(all) != 0 {
		t.Fatalf("a refused form stored a series: %v", all)
	}

	resp = e.do(t, post(t, "/admin/series", seriesFormValues(csrf), org))
	loc := resp.Headers["Location"]
	if resp.StatusCode != 303 || !strings.Contains(loc, "?saved=created") {
		t.Fatalf("create: %d %q\n%s", resp.StatusCode, loc, resp.Body)
	}
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/admin/series/")
	s, occ, err := e.h.series.Series(context.Background(), organizerViewer, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(occ) < 2 || len(occ) > 4 {
		t.Fatalf("%d occurrences for 3 months", len(occ))
	}
	for _, o := range occ {
		start := o.StartsAt.In(community.Tokyo)
		if start.Weekday() != time.Tuesday || (start.Day()-1)/7 != 1 || start.Hour() != 18 || o.EndsAt.Sub(o.StartsAt) != 90*time.Minute {
			t.Errorf("occurrence %s–%s is not the second Tuesday 18:00–19:30", start, o.EndsAt.In(community.Tokyo))
		}
		if o.Status != community.EventDraft || o.Title != "井戸端会議" || o.Capacity != 20 || o.SeriesID != id {
			t.Errorf("occurrence %+v", o)
		}
		if o.RegistrationClosesAt == nil || !o.RegistrationClosesAt.Equal(o.StartsAt.Add(-time.Hour)) {
			t.Errorf("occurrence closes at %v, want an hour before %v", o.RegistrationClosesAt, o.StartsAt)
		}
	}
	if s.Rule.Label() != "毎月第2火曜日 18:00〜19:30" {
		t.Errorf("rule %q", s.Rule.Label())
	}
	page := e.do(t, get(t, loc, org))
	wantStatus(t, page, 200)
	for _, o := range occ {
		if !strings.Contains(page.Body, `<a href="/admin/events/`+o.ID+`">`) {
			t.Errorf("series page lacks a link to occurrence %s", o.ID)
		}
	}
	if !strings.Contains(page.Body, "開催を") || !strings.Contains(page.Body, "毎月第2火曜日 18:00〜19:30") {
		t.Errorf("series page lacks the saved notice or the rule")
	}
	if list := e.do(t, get(t, "/admin/series", org)); !strings.Contains(list.Body, `<a href="/admin/series/`+id+`">井戸端会議</a>`) {
		t.Errorf("list lacks the series")
	}

	edit := seriesFormValues(csrfOf(t, page.Body))
	edit.Del("week")
	edit.Del("weekday")
	edit.Set("title", "井戸端会議（オンライン）")
	edit.Set("start_time", "19:00")
	edit.Set("end_time", "20:00")
	resp = e.do(t, post(t, "/admin/series/"+id, edit, org))
	if resp.StatusCode != 303 || resp.Headers["Location"] != "/admin/series/"+id+"?saved=updated" {
		t.Fatalf("edit: %d %q\n%s", resp.StatusCode, resp.Headers["Location"], resp.Body)
	}
	_, occ, err = e.h.series.Series(context.Background(), organizerViewer, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range occ {
		if start := o.StartsAt.In(community.Tokyo); o.Title != "井戸端会議（オンライン）" || start.Hour() != 19 || start.Weekday() != time.Tuesday {
			t.Errorf("occurrence after the edit: %q %s", o.Title, start)
		}
	}
}

// The holiday choice on the series form: refused values answered by the
// field, a moved February in the preview and in the occurrences, and the
// choice shown as stored.
func TestConsoleSeriesHolidays(t *testing.T) {
	e, org, _ := seriesEnv(t)
	e.clock.Set(time.Date(2025, 1, 20, 10, 0, 0, 0, community.Tokyo))
	csrf := e.pageCSRF(t, "/admin/series/new", org)
	form := e.do(t, get(t, "/admin/series/new", org))
	for _, want := range []string{`<legend>祝日に当たるとき`, `id="sr-holidays-keep" name="holidays" value="keep" checked`, `翌日以降の最初の平日に移す`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("new series form lacks %s", want)
		}
	}

	bad := seriesFormValues(csrf)
	bad.Set("holidays", "monday")
	resp := e.do(t, post(t, "/admin/series", bad, org))
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `id="error-rule.holidays">`) || !strings.Contains(resp.Body, `aria-describedby="error-rule.holidays"`) {
		t.Fatalf("refused policy: %d, want the error by the field\n%s", resp.StatusCode, resp.Body)
	}

	v := seriesFormValues(csrf)
	v.Set("holidays", "next_weekday")
	resp = e.do(t, post(t, "/admin/series", v, org))
	if resp.StatusCode != 303 {
		t.Fatalf("create: %d\n%s", resp.StatusCode, resp.Body)
	}
	loc := resp.Headers["Location"]
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/admin/series/")
	_, occ, err := e.h.series.Series(context.Background(), organizerViewer, id)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, o := range occ {
		days = append(days, o.StartsAt.In(community.Tokyo).Format(time.DateOnly))
	}
	if strings.Join(days, " ") != "2025-02-12 2025-03-11 2025-04-08" {
		t.Errorf("occurrences %v, want February moved to the 12th", days)
	}
	page := e.do(t, get(t, loc, org))
	for _, want := range []string{
		`value="next_weekday" checked`, `data-mark="moved"`, `祝日（建国記念の日）のため移動`, `（祝日は翌日以降の最初の平日）`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("series page lacks %s", want)
		}
	}

	edit := seriesFormValues(csrfOf(t, page.Body))
	edit.Del("week")
	edit.Del("weekday")
	edit.Set("holidays", "skip")
	if resp := e.do(t, post(t, "/admin/series/"+id, edit, org)); resp.StatusCode != 303 {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, resp.Body)
	}
	page = e.do(t, get(t, loc, org))
	if !strings.Contains(page.Body, `data-mark="skipped"`) || !strings.Contains(page.Body, `祝日（建国記念の日）のため休み`) || !strings.Contains(page.Body, `value="skip" checked`) {
		t.Errorf("after choosing skip the preview lacks the skipped February")
	}
	// February's occurrence, made on the 12th before skip was chosen, stays
	// and is marked for the organizer to cancel.
	if !strings.Contains(page.Body, `data-holiday>休みの月（建国記念の日）：不要なら中止してください</span>`) {
		t.Errorf("the occurrence of the skipped month is not marked")
	}
}
