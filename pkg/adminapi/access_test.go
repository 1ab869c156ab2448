package adminapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// templateAdminRoutes returns every /api/admin/ route key in template.yaml.
func templateAdminRoutes(t *testing.T) []string {
	t.Helper()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	routes, err := tpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range routes {
		if strings.HasPrefix(r.Path, "/api/admin/") || r.Path == "/api/admin" {
			out = append(out, r.Key())
		}
	}
	return out
}

// A made-up id for every path parameter: access is refused before any
// lookup, so nothing needs to exist.
var anyParams = map[string]string{"id": "01hzzzzzzzzzzzzzzzzzzzzzzz", "rid": "01hzzzzzzzzzzzzzzzzzzzzzzy"}

// TestAccess walks every admin route — the handler's constants and every
// /api/admin/ route of template.yaml — without a session, with a bad one,
// and as a plain member: always 401 or 403, before the body is read (the
// body sent is not even JSON).
func TestAccess(t *testing.T) {
	e := newEnv(t)
	member := e.member(community.MemberActive, community.MembershipRegular, "一般 会員")
	memberToken := e.token(member)
	suspendedOrg := e.member(community.MemberSuspended, community.MembershipRegular, "停止中 運営")
	e.organizers[community.NormalizeEmail(suspendedOrg.Email)] = true
	suspendedToken := e.token(suspendedOrg)

	routes := slices.Clone(adminapi.Routes)
	fromTemplate := templateAdminRoutes(t)
	if len(fromTemplate) == 0 {
		t.Log("template.yaml has no /api/admin/ routes yet; walking the handler's routes only")
	}
	for _, r := range fromTemplate {
		if !slices.Contains(adminapi.Routes, r) {
			t.Errorf("template.yaml routes %s to the admin API, but the handler does not serve it", r)
		}
	}
	if len(fromTemplate) > 0 {
		for _, r := range adminapi.Routes {
			if !slices.Contains(fromTemplate, r) {
				t.Errorf("the handler serves %s, but template.yaml has no such route", r)
			}
		}
		routes = append(routes, fromTemplate...)
	}
	for _, route := range routes {
		t.Run(route, func(t *testing.T) {
			c := call{route: route, params: anyParams, body: "{not json", ctype: "text/plain"}
			c.token = ""
			want(t, e.do(c), 401, "unauthorized")
			c.token = "forged.token"
			want(t, e.do(c), 401, "invalid_session")
			c.token = memberToken
			want(t, e.do(c), 403, "forbidden")
			c.token = suspendedToken
			want(t, e.do(c), 403, "forbidden")
		})
	}
	t.Run("EveryRouteServed", func(t *testing.T) {
		for _, route := range routes {
			if r := e.as(call{route: route, params: anyParams}); r.code() == "route_not_found" || r.status >= 500 {
				t.Errorf("%s as an organizer = %d %v", route, r.status, r.body)
			}
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		want(t, e.do(call{route: "GET /api/admin/nothing"}), 401, "unauthorized")
		want(t, e.as(call{route: "GET /api/admin/nothing"}), 404, "route_not_found")
	})
	t.Run("RoutesAreAdmin", func(t *testing.T) {
		for _, r := range adminapi.Routes {
			if _, path, _ := strings.Cut(r, " "); !strings.HasPrefix(path, "/api/admin/") {
				t.Errorf("route %s is outside /api/admin/", r)
			}
		}
	})
}

// The web session cookie of an organizer does not work on admin routes:
// only a bearer token does.
func TestAdminRefusesCookieSessions(t *testing.T) {
	e := newEnv(t)
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: adminapi.RouteMembers, RawPath: "/api/admin/members",
		Cookies: []string{httpapi.SessionCookie + "=" + e.orgToken},
		Headers: map[string]string{},
	}
	if r := e.send(req); r.status != 401 {
		t.Errorf("cookie session on an admin route = %d %v, want 401", r.status, r.body)
	}
	req.Cookies = nil
	req.Headers["authorization"] = "Bearer " + e.orgToken
	if r := e.send(req); r.status != 200 {
		t.Errorf("bearer token = %d %v, want 200", r.status, r.body)
	}
}
