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
