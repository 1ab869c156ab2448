package signupapi_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/signupapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestMyCalendarRoutes manages the feed URL through the JSON routes: none,
// issued, renewed (the old token unknown at once), stopped; a cookie write
// that is not same-origin JSON is refused like every other.
func TestMyCalendarRoutes(t *testing.T) {
	e := newEnv(t)
	cals := &community.Calendars{Store: e.store, Clock: e.clock, Secrets: auth.Secrets{Keys: e.links.Keys}}
	e.h.Calendars, e.h.BaseURL = cals, "https://tabane.example.jp"
	session := e.signUpAndIn(localtest.UniqueEmail("cal"), "暦 太郎")
	works := func(u string) bool {
		t.Helper()
		p, err := url.Parse(u)
		if err != nil || p.Path != "/api/me/calendar.ics" || p.Host != "tabane.example.jp" {
			t.Fatalf("feed URL %q", u)
		}
		_, _, err = cals.Feed(context.Background(), p.Query().Get("token"))
		if err != nil && community.ErrorCode(err) != community.NotFound {
			t.Fatal(err)
		}
		return err == nil
	}

	if code, body := e.do(signupapi.RouteCalendar, "", session); code != 200 || body["url"] != nil {
		t.Fatalf("before issuing: %d %v, want 200 {url: null}", code, body)
	}
	code, body := e.do(signupapi.RouteIssueCalendar, "", session)
	first, _ := body["url"].(string)
	if code != 200 || !works(first) {
		t.Fatalf("issue: %d %v", code, body)
	}
	if _, body := e.do(signupapi.RouteCalendar, "", session); body["url"] != first {
		t.Errorf("GET shows %v, want the issued %s", body["url"], first)
	}
	_, body = e.do(signupapi.RouteIssueCalendar, "", session)
	second, _ := body["url"].(string)
	if second == first || !works(second) || works(first) {
		t.Errorf("renew: old %s works=%v, new %s works=%v", first, works(first), second, works(second))
	}

	// The cookie alone, from a form of another site: refused, nothing changed.
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: signupapi.RouteStopCalendar, RawPath: "/api/me/calendar",
		Headers:        map[string]string{"content-type": "text/plain", "cookie": httpapi.SessionCookie + "=" + session},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "DELETE", Path: "/api/me/calendar", SourceIP: "192.0.2.10"}},
	}
	resp, _ := e.h.Handle(context.Background(), req)
	apicontract.Check(t, req, resp)
	if resp.StatusCode != 403 || !works(second) {
		t.Errorf("a cross-site cookie DELETE answered %d (feed still works: %v)", resp.StatusCode, works(second))
	}

	if code, _ := e.do(signupapi.RouteStopCalendar, "", session); code != 204 || works(second) {
		t.Errorf("stop: %d, feed still works: %v", code, works(second))
	}
	if code, body := e.do(signupapi.RouteCalendar, "", session); code != 200 || body["url"] != nil {
		t.Errorf("after stopping: %d %v", code, body)
	}
	if code, _ := e.do(signupapi.RouteCalendar, "", ""); code != 401 {
		t.Errorf("anonymous: %d, want 401", code)
	}
}
