package web

import (
	"mime"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// request is an API Gateway request decoded once for the pages.
type request struct {
	raw      events.APIGatewayV2HTTPRequest
	method   string
	path     string
	routeKey string
	params   map[string]string
	query    url.Values

	token       string // the session token from the cookie, "" when none or stale
	viewer      community.Viewer
	clearCookie bool // the cookie held a stale session
}

func newRequest(req events.APIGatewayV2HTTPRequest) *request {
	r := &request{
		raw:    req,
		method: strings.ToUpper(req.RequestContext.HTTP.Method),
		path:   req.RawPath,
		params: req.PathParameters,
	}
	if r.path == "" {
		r.path = req.RequestContext.HTTP.Path
	}
	if q, err := url.ParseQuery(req.RawQueryString); err == nil && req.RawQueryString != "" {
		r.query = q
	} else {
		r.query = url.Values{}
		for k, v := range req.QueryStringParameters {
			r.query.Set(k, v)
		}
	}
	r.routeKey = req.RouteKey
	if r.routeKey == "" || r.routeKey == "$default" {
		// Behind a catch-all route (or a dev server that forwards everything)
		// the handler matches the path itself, as API Gateway would.
		var params map[string]string
		r.routeKey, params = matchRoute(r.method, r.path)
		if r.params == nil {
			r.params = params
		}
	}
	return r
}

// matchRoute finds the route key for method and path among Routes(); a
// "{name}" segment matches one non-empty path segment.
func matchRoute(method, path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, key := range Routes() {
		m, pattern, _ := strings.Cut(key, " ")
		if m != method {
			continue
		}
		psegs := strings.Split(strings.Trim(pattern, "/"), "/")
		if len(psegs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, p := range psegs {
			if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && segs[i] != "" {
				params[p[1:len(p)-1]] = segs[i]
			} else if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return key, params
		}
	}
	return method + " " + path, nil
}

func (r *request) header(name string) string { return httpapi.Header(r.raw, name) }

func (r *request) cookie(name string) string {
	v, _ := httpapi.Cookie(r.raw, name)
	return v
}

// sourceIP is the caller's address as API Gateway saw it, for the consent record.
func (r *request) sourceIP() string { return r.raw.RequestContext.HTTP.SourceIP }

// errContentType refuses a form body of another type; the reason is
// httpapi's, so the status (415) comes from its one table.
var errContentType = community.ErrUnsupportedMedia.Messagef("この形式の送信には対応していません。")

// form decodes an application/x-www-form-urlencoded body, base64 or not;
// over 64 KiB is 413.
func (r *request) form() (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.header("content-type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errContentType
	}
	body, err := httpapi.RawBody(r.raw)
	if err != nil {
		return nil, err
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, community.ErrInvalidForm
	}
	return v, nil
}

// sameOrigin guards the forms that work before anyone is signed in (signup,
// sign-in). There is no session to tie a token to, and a double-submit
// cookie would need a GET first and break for people whose browser drops
// cookies; instead we use what browsers themselves attach to every form
// POST. Sec-Fetch-Site (Chrome, Edge, Firefox, Safari 16.4+) says outright
// whether the form came from our own pages; without it we compare the Origin
// header with our host. A request with neither did not come from a modern
// browser on another site, and so cannot borrow anybody's cookies, which is
// the whole of the CSRF threat. This needs the pages holding these forms to
// send Referrer-Policy: same-origin: under no-referrer, browsers send
// "Origin: null" even for our own forms.
func (h *Handler) sameOrigin(r *request) bool {
	switch r.header("sec-fetch-site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.header("origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // including "null" from sandboxed or privacy-sensitive contexts
	}
	host := strings.ToLower(u.Host)
	return host == h.baseHost || host == strings.ToLower(r.header("host"))
}

// csrfToken ties a form to the session showing it: a signature of the
// session id (Keyring.Tag), so it needs no storage and dies with the session.
func (h *Handler) csrfToken(r *request) string {
	if r.viewer.SessionID == "" {
		return ""
	}
	return h.cfg.Keys.Tag("csrf", r.viewer.SessionID)
}

// validCSRF checks the token a session form sent back: signed by any key
// not retired, so a form shown before a rotation still posts after it.
func (h *Handler) validCSRF(r *request, form url.Values) bool {
	return r.viewer.SessionID != "" && h.cfg.Keys.CheckTag("csrf", r.viewer.SessionID, form.Get("csrf"))
}
