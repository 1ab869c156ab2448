package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/community"
)

// Every console route in the route table, including any added later,
// starts with the organizer check: signed out it sends to sign-in, for a
// member it is 403 and says nothing of the event, and a post with a forged
// CSRF token is refused. The per-page tests check what each page shows;
// this one cannot miss a route, because it reads them from the table.
func TestConsoleEveryRouteGuarded(t *testing.T) {
	e, org, member := consoleEnv(t)
	ev := draftEvent(t, e, "門番確認の会", 10)
	for _, key := range Routes() {
		method, pattern, _ := strings.Cut(key, " ")
		if !strings.HasPrefix(pattern, "/admin") {
			continue
		}
		path := strings.NewReplacer("{id}", ev.ID, "{rid}", community.NewID(testNow), "{mid}", community.NewID(testNow)).Replace(pattern)
		t.Run(key, func(t *testing.T) {
			switch method {
			case "GET":
				resp := e.do(t, get(t, path, ""))
				if resp.StatusCode != 303 || resp.Headers["Location"] != "/signin?next="+url.QueryEscape(path) {
					t.Errorf("signed out: %d %q", resp.StatusCode, resp.Headers["Location"])
				}
				resp = e.do(t, get(t, path, member))
				if resp.StatusCode != 403 || strings.Contains(resp.Body, ev.Title) {
					t.Errorf("member: %d, names the event: %v", resp.StatusCode, strings.Contains(resp.Body, ev.Title))
				}
			case "POST":
				resp := e.do(t, post(t, path, url.Values{}, ""))
				if resp.StatusCode != 303 || !strings.HasPrefix(resp.Headers["Location"], "/signin") {
					t.Errorf("signed out: %d %q", resp.StatusCode, resp.Headers["Location"])
				}
				if resp := e.do(t, post(t, path, url.Values{"csrf": {"x"}}, member)); resp.StatusCode != 403 || strings.Contains(resp.Body, ev.Title) {
					t.Errorf("member: %d", resp.StatusCode)
				}
				resp = e.do(t, post(t, path, url.Values{"csrf": {"forged"}, "title": {"偽"}, "reason": {"偽"}}, org))
				if resp.StatusCode < 400 || !strings.Contains(resp.Body, "フォームの有効期限が切れたか") {
					t.Errorf("forged: %d", resp.StatusCode)
				}
			default:
				t.Errorf("a console route with method %s: add it here", method)
			}
		})
	}
	got, err := e.store.Event(t.Context(), ev.ID)
	if err != nil || got.Title != ev.Title || got.Status != community.EventDraft {
		t.Errorf("after the refused posts the event is %+v, %v", got, err)
	}
}
