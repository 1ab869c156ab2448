// Package apicontract holds tabane's handlers to docs/openapi.yaml, the
// contract clients code against. The handler tests pass every request they
// send and every response they get through Check, so a field renamed, a
// status added or an error code invented shows up as a failing test instead
// of a surprised client; the package's own tests keep the document's routes
// equal to template.yaml's. It is for tests only: nothing in a Lambda
// function imports it.
//
// The document is OpenAPI 3.1. kin-openapi validates 3.1 documents' schemas
// with a JSON Schema 2020-12 validator (openapi3.EnableJSONSchema2020, which
// openapi3filter switches on by itself for a 3.1 document), so the
// document's `type: [string, "null"]`, `const` and `unevaluatedProperties`
// are really checked; TestCheckFailsOnDrift proves it.
package apicontract

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/sorae/tabane/pkg/httpapi"
)

// Path is where the document lives, relative to the module root.
const Path = "docs/openapi.yaml"

// Find walks up from the working directory to the module root (go.mod) and
// returns the document's path there.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(Path)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("apicontract: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Load reads and resolves the document at path. It does not validate it:
// Validate does, and the package's tests call it.
func Load(path string) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("apicontract: load %s: %w", path, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		// 3.0 would silently validate `type: [x, "null"]` and friends with
		// the 3.0 rules; the document is written for 3.1.
		return nil, fmt.Errorf("apicontract: %s is OpenAPI %s; the contract is written for 3.1", path, doc.OpenAPI)
	}
	return doc, nil
}

// Validate checks the document itself against the OpenAPI specification.
func Validate(ctx context.Context, doc *openapi3.T) error {
	return doc.Validate(ctx)
}

// document is the contract, loaded once per test binary.
var document = sync.OnceValues(func() (*openapi3.T, error) {
	registerTextDecoders()
	path, err := Find()
	if err != nil {
		return nil, err
	}
	return Load(path)
})

// Document returns the contract, loaded once per test binary.
func Document() (*openapi3.T, error) { return document() }

// registerTextDecoders makes openapi3filter read the text bodies the
// handlers answer (pages, the iCalendar feed, the CSV export) as one string,
// so the document's `type: string` and `pattern` apply to them. Its own
// text/csv decoder would split the CSV into rows instead.
func registerTextDecoders() {
	for _, ct := range []string{"text/html", "text/calendar", "text/csv"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// Check validates one exchange with a handler against the contract and
// fails t (with Errorf, so a test goes on to its own checks) naming the
// route, the status and what broke:
//
//   - the response: its status must be declared for the operation, its
//     Content-Type one the operation gives for that status, its body valid
//     against that schema (base64 bodies decoded), declared required
//     headers present;
//   - the request: its path parameters, query, headers, credentials and body
//     are validated too, and a request the contract forbids must not be
//     answered with a 2xx. Tests send bad requests on purpose; the contract
//     only requires that the handler refuse them.
//
// The operation is found by req.RouteKey, as API Gateway routes; a request
// without one (the web pages' tests, a dev server's catch-all) is matched by
// method and path. A route the document does not name must be refused
// (4xx): API Gateway never delivers one, and TestRoutesMatchTemplate keeps
// the document and template.yaml equal.
func Check(t testing.TB, req httpapi.Request, resp httpapi.Response) {
	t.Helper()
	if err := check(req, resp); err != nil {
		t.Errorf("%v", err)
	}
}

// Error is what Check reports: which exchange broke the contract, and how.
type Error struct {
	Route  string // "GET /api/events/{id}"
	Status int
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s → %d: %v", Path, e.Route, e.Status, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func check(req httpapi.Request, resp httpapi.Response) error {
	doc, err := document()
	if err != nil {
		return err
	}
	method, tmpl := operationKey(doc, req)
	route := method + " " + tmpl
	fail := func(format string, args ...any) error {
		return &Error{Route: route, Status: resp.StatusCode, Err: fmt.Errorf(format, args...)}
	}
	item := doc.Paths.Value(tmpl)
	var op *openapi3.Operation
	if item != nil {
		op = item.GetOperation(method)
	}
	if op == nil {
		// Tests probe routes API Gateway would never deliver; refusing them
		// (404, or 401/403 first on admin routes) is fine, serving them is not.
		if resp.StatusCode < 400 {
			return fail("the route is not in the document, yet the handler answered %d (add the operation under paths.%q.%s)",
				resp.StatusCode, tmpl, strings.ToLower(method))
		}
		return nil
	}

	hreq, params, err := httpRequest(req, method, tmpl)
	if err != nil {
		return fail("%v", err)
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request:    hreq,
		PathParams: params,
		Route:      &routers.Route{Spec: doc, Path: tmpl, PathItem: item, Method: method, Operation: op},
		Options:    &openapi3filter.Options{AuthenticationFunc: credentialsPresent},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr == nil && strings.HasPrefix(tmpl, "/api/") {
		reqErr = undeclaredQuery(op, item, hreq.URL.Query())
	}

	body, err := responseBody(resp)
	if err != nil {
		return fail("%v", err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 responseHeader(resp),
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Reason == "status is not supported" {
			return fail("status %d is not declared for the operation: add it under paths.%q.%s.responses, or the handler should not answer it\n  body: %s",
				resp.StatusCode, tmpl, strings.ToLower(method), excerpt(body))
		}
		return fail("the response breaks the contract: %v\n  Content-Type: %q\n  body: %s",
			err, resp.Headers["Content-Type"], excerpt(body))
	}
	if reqErr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return fail("the handler accepted a request the contract forbids (either the handler should refuse it or the document should allow it): %v", reqErr)
	}
	return nil
}

// operationKey returns the method and the document's path template that req
// is for: from the route key API Gateway matched, else by matching the path.
func operationKey(doc *openapi3.T, req httpapi.Request) (method, tmpl string) {
	if m, p, ok := strings.Cut(req.RouteKey, " "); ok && strings.HasPrefix(p, "/") {
		return strings.ToUpper(m), p
	}
	method = strings.ToUpper(req.RequestContext.HTTP.Method)
	path := req.RawPath
	if path == "" {
		path = req.RequestContext.HTTP.Path
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		if _, ok := matchPath(p, path); ok && doc.Paths.Value(p).GetOperation(method) != nil {
			return method, p
		}
	}
	return method, path
}

// matchPath matches path against a template whose "{name}" segments each
// match one non-empty segment, as API Gateway's HTTP API does. (Greedy
// "{name+}" segments would need more; template.yaml has none, and
// TestRoutesMatchTemplate refuses them.)
func matchPath(tmpl, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	params := map[string]string{}
	for i, s := range ts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			if ps[i] == "" {
				return nil, false
			}
			v, err := url.PathUnescape(ps[i])
			if err != nil {
				return nil, false
			}
			params[s[1:len(s)-1]] = v
			continue
		}
		if s != ps[i] {
			return nil, false
		}
	}
	return params, true
}

// httpRequest rebuilds the HTTP request API Gateway turned into req.
func httpRequest(req httpapi.Request, method, tmpl string) (*http.Request, map[string]string, error) {
	params := map[string]string{}
	if path := req.RawPath; path != "" {
		if p, ok := matchPath(tmpl, path); ok {
			params = p
		}
	}
	for k, v := range req.PathParameters {
		params[k] = v
	}
	path := tmpl
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	raw := req.RawQueryString
	if raw == "" && len(req.QueryStringParameters) > 0 {
		q := url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v)
		}
		raw = q.Encode()
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("request body is marked base64 but is not: %v", err)
		}
		body = b
	}
	hreq, err := http.NewRequest(method, "http://localhost"+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	hreq.URL.RawQuery = raw
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}
	if len(req.Cookies) > 0 {
		// API Gateway moves the Cookie header into req.Cookies.
		cookies := slices.Clone(req.Cookies)
		if c := hreq.Header.Get("Cookie"); c != "" {
			cookies = append(cookies, c)
		}
		hreq.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if len(body) == 0 {
		// An empty body is no body: the handlers read it as {} and need no
		// Content-Type for it.
		hreq.Body, hreq.ContentLength = http.NoBody, 0
	}
	return hreq, params, nil
}

// credentialsPresent is the security check: the credential a scheme names is
// there. Whether it is valid is the handler's business (401), not the
// contract's.
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return errors.New("no Authorization: Bearer token")
		}
	case s.Type == "apiKey" && s.In == "cookie":
		if _, err := r.Cookie(s.Name); err != nil {
			return fmt.Errorf("no %s cookie", s.Name)
		}
	case s.Type == "apiKey" && s.In == "header":
		if r.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %q (%s) is not understood by apicontract", in.SecuritySchemeName, s.Type)
	}
	return nil
}

// undeclaredQuery reports query parameters the operation does not declare:
// the JSON API refuses them (400 invalid_parameter), so a 2xx with one means
// the document misses a parameter.
func undeclaredQuery(op *openapi3.Operation, item *openapi3.PathItem, q url.Values) error {
	declared := map[string]bool{}
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	var extra []string
	for k := range q {
		if !declared[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("query parameters %q are not declared for the operation", extra)
	}
	return nil
}

// responseHeader collects the response's headers as a client sees them.
func responseHeader(resp httpapi.Response) http.Header {
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	return h
}

// responseBody returns the bytes a client receives.
func responseBody(resp httpapi.Response) ([]byte, error) {
	if !resp.IsBase64Encoded {
		return []byte(resp.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("response body is marked base64 but is not: %v", err)
	}
	return b, nil
}

// excerpt shortens a body for a failure message.
func excerpt(b []byte) string {
	const max = 600
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "…"
}
