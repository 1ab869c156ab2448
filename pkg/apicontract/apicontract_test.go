package apicontract

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// TestDocumentValid checks the document against the OpenAPI specification.
func TestDocumentValid(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(context.Background(), doc); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", Path, err)
	}
}

// TestRoutesMatchTemplate keeps the document's operations equal to the
// HttpApi routes of template.yaml, both ways.
func TestRoutesMatchTemplate(t *testing.T) {
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	routes, err := tpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}

	inTemplate := map[string]samtemplate.Route{}
	for _, r := range routes {
		if r.Path == "$default" || r.Method == "ANY" {
			t.Errorf("template.yaml: %s.Events.%s is a catch-all (%s): OpenAPI cannot name what it serves; give it a method and a path",
				r.Function, r.Event, r.Key())
			continue
		}
		key := r.Method + " " + openAPIPath(r.Path)
		if strings.Contains(r.Path, "+}") {
			// API Gateway's greedy {name+} matches several segments; an
			// OpenAPI template segment matches exactly one. Say so rather
			// than pretend they are the same route.
			t.Errorf("template.yaml: %s.Events.%s has the greedy path %s; the document (and apicontract.Check) can only describe single-segment parameters",
				r.Function, r.Event, r.Path)
		}
		inTemplate[key] = r
	}
	inDoc := map[string]bool{}
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(p).Operations() {
			inDoc[strings.ToUpper(method)+" "+p] = true
		}
	}

	var missing, extra []string
	for key, r := range inTemplate {
		if !inDoc[key] {
			method, p, _ := strings.Cut(key, " ")
			missing = append(missing, fmt.Sprintf("%s (%s.Events.%s): add paths.%q.%s to %s",
				key, r.Function, r.Event, p, strings.ToLower(method), Path))
		}
	}
	for key := range inDoc {
		if _, ok := inTemplate[key]; !ok {
			method, p, _ := strings.Cut(key, " ")
			extra = append(extra, fmt.Sprintf("%s: no function serves it in template.yaml; add an HttpApi event (Method: %s, Path: %s) or remove paths.%q.%s from %s",
				key, method, p, p, strings.ToLower(method), Path))
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, m := range missing {
		t.Errorf("route of template.yaml missing from the document: %s", m)
	}
	for _, e := range extra {
		t.Errorf("operation of the document not in template.yaml: %s", e)
	}
	if len(inTemplate) == 0 {
		t.Fatal("template.yaml has no routes; is this the right template?")
	}
	t.Logf("%d routes, %d operations", len(inTemplate), len(inDoc))
}

// openAPIPath writes an API Gateway path as an OpenAPI path template: the
// greedy {name+} becomes {name}.
func openAPIPath(p string) string { return strings.ReplaceAll(p, "+}", "}") }

// TestEveryOperationDeclaresErrors makes the document say how each JSON
// operation fails: a 500 and a 503 in the contract's Error shape at least.
func TestEveryOperationDeclaresErrors(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		if !strings.HasPrefix(p, "/api/") {
			continue
		}
		for method, op := range doc.Paths.Value(p).Operations() {
			for _, status := range []int{500, 503} {
				if op.Responses.Status(status) == nil {
					t.Errorf("%s %s: declares no %d response", method, p, status)
				}
			}
		}
	}
}

// fakeTB records what Check reports instead of failing the test.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) { f.errors = append(f.errors, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatal(args ...any) { f.errors = append(f.errors, fmt.Sprint(args...)) }
func (f *fakeTB) Fail()             { f.errors = append(f.errors, "Fail") }
func (f *fakeTB) FailNow()          { f.errors = append(f.errors, "FailNow") }
func (f *fakeTB) Failed() bool      { return len(f.errors) > 0 }

// validEvent is an Event as GET /api/events/{id} answers it.
func validEvent() map[string]any {
	return map[string]any{
		"id": "01JABCDEFGHJKMNPQRSTVWXYZ0", "title": "私塾：道路橋の長寿命化", "kind": "lecture", "kind_label": "私塾",
		"audience": "public", "audience_label": "どなたでも", "description": "Q&Aあり",
		"starts_at": "2025-05-14T19:00:00+09:00", "ends_at": "2025-05-14T20:30:00+09:00",
		"venue": nil, "online_platform": "Zoom", "capacity": 0, "waitlist": false, "seats_left": nil,
		"registration_opens_at": nil, "registration_closes_at": "2025-05-13T23:59:00+09:00",
		"eligibility": map[string]any{"public_servant_only": true, "min_age": nil, "max_age": 39},
		"fee_jpy":     0, "speakers": []string{"山田太郎"}, "notes": "録画・録音なし", "status": "published",
		"series_id": nil, "reminder_offsets": []string{"24h", "1h"}, "restricted": false,
		"display": map[string]any{"date": "令和7年5月14日(水)", "wareki": "令和7年5月14日(水)", "time": "19:00〜20:30",
			"datetime": "令和7年5月14日(水) 19:00〜20:30"},
	}
}

func jsonResponse(t *testing.T, status int, v any) httpapi.Response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return httpapi.Body(status, httpapi.ContentTypeJSON, string(b))
}

func request(routeKey string, params map[string]string, body string, headers map[string]string) httpapi.Request {
	method, path, _ := strings.Cut(routeKey, " ")
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	h := map[string]string{}
	for k, v := range headers {
		h[k] = v
	}
	req := httpapi.Request{Version: "2.0", RouteKey: routeKey, RawPath: path, Body: body, Headers: h, PathParameters: params}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, path
	return req
}

// TestCheckFailsOnDrift proves the validation is not a no-op: responses and
// requests that break the document fail, and the valid ones they were made
// from pass.
func TestCheckFailsOnDrift(t *testing.T) {
	id := map[string]string{"id": "01JABCDEFGHJKMNPQRSTVWXYZ0"}
	get := request("GET /api/events/{id}", id, "", nil)
	without := func(k string) map[string]any { e := validEvent(); delete(e, k); return e }
	with := func(k string, v any) map[string]any { e := validEvent(); e[k] = v; return e }
	bearer := map[string]string{"authorization": "Bearer tok", "content-type": "application/json"}
	adminEvent := func(extra map[string]any) map[string]any {
		e := validEvent()
		e["confirmed_count"], e["waitlist_count"], e["checked_in_count"] = 0, 0, 0
		e["created_at"], e["updated_at"] = "2025-04-01T10:00:00+09:00", "2025-04-01T10:00:00+09:00"
		for k, v := range extra {
			e[k] = v
		}
		return e
	}
	errorBody := func(code string) map[string]any {
		return map[string]any{"error": map[string]any{"code": code, "message": "イベントが見つかりません。"}}
	}

	cases := []struct {
		name  string
		req   httpapi.Request
		resp  httpapi.Response
		fails string // a part of the failure message; "" when the exchange is valid
	}{
		{"OK", get, jsonResponse(t, 200, validEvent()), ""},
		{"OKNotFound", get, jsonResponse(t, 404, errorBody("event_not_found")), ""},
		{"ErrMissingField", get, jsonResponse(t, 200, without("display")), "display"},
		{"ErrExtraField", get, jsonResponse(t, 200, with("joinUrl", "https://zoom.example/j/1")), "joinUrl"},
		{"ErrWrongType", get, jsonResponse(t, 200, with("capacity", "16")), "capacity"},
		{"ErrNotNullable", get, jsonResponse(t, 200, with("speakers", nil)), "speakers"},
		{"ErrEnum", get, jsonResponse(t, 200, with("kind", "party")), "kind"},
		{"ErrNestedExtra", get, jsonResponse(t, 200, with("venue", map[string]any{"name": "市役所", "address": "伊勢崎市", "floor": 3})), "floor"},
		{"ErrUndeclaredStatus", get, jsonResponse(t, 418, errorBody("event_not_found")), "418"},
		{"ErrUnknownErrorCode", get, jsonResponse(t, 404, errorBody("no_such_event")), "no_such_event"},
		{"ErrContentType", get, httpapi.Body(200, "text/plain; charset=utf-8", "hello"), "text/plain"},
		{"ErrUnknownRoute", request("GET /api/nowhere", nil, "", nil), jsonResponse(t, 200, map[string]any{}), "not in the document"},
		{"OKUnknownRoute404", request("GET /api/nowhere", nil, "", nil), jsonResponse(t, 404, errorBody("route_not_found")), ""},
		{"OKAdminEvent", request("GET /api/admin/events/{id}", id, "", bearer), jsonResponse(t, 200, adminEvent(nil)), ""},
		{"ErrAdminEventExtra", request("GET /api/admin/events/{id}", id, "", bearer),
			jsonResponse(t, 200, adminEvent(map[string]any{"secret": "x"})), "secret"},
		{"ErrUnauthorizedHeader", request("GET /api/admin/events/{id}", id, "", nil),
			jsonResponse(t, 401, map[string]any{"error": map[string]any{"code": "unauthorized", "message": "ログインしてください。"}}), "WWW-Authenticate"},
		{"OKRefusedBadRequest", request("POST /api/auth/link", nil, `{"email":"a@example.jp","role":"organizer"}`, bearer),
			jsonResponse(t, 400, map[string]any{"error": map[string]any{"code": "unknown_field", "message": "受け付けていない項目が含まれています。",
				"fields": map[string]string{"role": "この項目は受け付けていません。"}}}), ""},
		{"ErrAcceptedBadRequest", request("POST /api/auth/link", nil, `{"email":"a@example.jp","role":"organizer"}`, bearer),
			jsonResponse(t, 202, map[string]any{"status": "link_sent"}), "forbids"},
		{"ErrAcceptedWithoutCredentials", request("GET /api/admin/events/{id}", id, "", nil),
			jsonResponse(t, 200, adminEvent(nil)), "forbids"},
		{"ErrAcceptedUndeclaredQuery", withQuery(request("GET /api/events", nil, "", nil), "limt=5"),
			jsonResponse(t, 200, map[string]any{"events": []any{}, "next_cursor": nil}), "limt"},
		{"ErrBase64Body", request("GET /api/admin/events/{id}/registrations", id, "", bearer),
			base64Response(200, "text/csv; charset=utf-8", "名前,メール\r\n"), "pattern"},
		{"OKBase64CSV", withQuery(request("GET /api/admin/events/{id}/registrations", id, "", bearer), "format=csv"),
			base64Response(200, "text/csv; charset=utf-8", "\uFEFFステータス,氏名,ふりがな,所属,メールアドレス,申込日時,受付\r\n"), ""},
		{"OKPageByPath", pageRequest("GET", "/events/01JABCDEFGHJKMNPQRSTVWXYZ0"),
			httpapi.Body(200, "text/html; charset=utf-8", "<!DOCTYPE html><html lang=\"ja\"></html>"), ""},
		{"ErrPageRedirectWithoutLocation", pageRequest("POST", "/signout"),
			httpapi.Body(303, "text/html; charset=utf-8", ""), "Location"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeTB{TB: t}
			Check(f, c.req, c.resp)
			for _, e := range f.errors {
				t.Log(e) // what a developer would read
			}
			switch {
			case c.fails == "" && len(f.errors) > 0:
				t.Errorf("Check failed a valid exchange: %s", strings.Join(f.errors, "\n"))
			case c.fails != "" && len(f.errors) == 0:
				t.Errorf("Check passed an exchange that breaks the contract (want a failure naming %q)", c.fails)
			case c.fails != "" && !strings.Contains(strings.Join(f.errors, "\n"), c.fails):
				t.Errorf("Check failed, but the message does not name %q:\n%s", c.fails, strings.Join(f.errors, "\n"))
			}
		})
	}
}

func withQuery(req httpapi.Request, raw string) httpapi.Request {
	req.RawQueryString = raw
	return req
}

func base64Response(status int, contentType, body string) httpapi.Response {
	resp := httpapi.Body(status, contentType, base64.StdEncoding.EncodeToString([]byte(body)))
	resp.IsBase64Encoded = true
	return resp
}

// pageRequest is a page request as a catch-all route delivers it: no route
// key, only a method and a path.
func pageRequest(method, path string) httpapi.Request {
	req := httpapi.Request{Version: "2.0", RawPath: path, Headers: map[string]string{}}
	req.RequestContext.HTTP.Method = method
	req.RequestContext.HTTP.Path = path
	if method == http.MethodPost {
		req.Headers["content-type"] = "application/x-www-form-urlencoded"
	}
	return req
}

// TestErrorCodesMatchReasons keeps the contract's ErrorCode enum and the
// domain's declared reasons one list: a reason the document lacks would be
// an undocumented error.code; a code the domain never declares, a promise
// nothing keeps.
func TestErrorCodesMatchReasons(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas["ErrorCode"]
	if ref == nil || ref.Value == nil {
		t.Fatal("docs/openapi.yaml has no components.schemas.ErrorCode")
	}
	inDoc := map[string]bool{}
	for _, v := range ref.Value.Enum {
		inDoc[fmt.Sprint(v)] = true
	}
	declared := map[string]bool{}
	for _, r := range community.Reasons() {
		declared[r.Name()] = true
		if !inDoc[r.Name()] {
			t.Errorf("pkg/community declares %q (%s) but docs/openapi.yaml's ErrorCode enum lacks it", r.Name(), r.Code())
		}
	}
	for code := range inDoc {
		if !declared[code] {
			t.Errorf("docs/openapi.yaml's ErrorCode lists %q, which pkg/community/reasons.go does not declare", code)
		}
	}
}
