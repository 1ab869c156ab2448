package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
)

// fixture loads an API Gateway v2 event from testdata, as Lambda would hand it over.
func fixture(t *testing.T, name string) Request {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var req Request
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

type errorBodyJSON struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func decodeError(t *testing.T, resp Response) errorBodyJSON {
	t.Helper()
	var b errorBodyJSON
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("error body %q: %v", resp.Body, err)
	}
	return b
}

func checkSecurityHeaders(t *testing.T, resp Response) {
	t.Helper()
	if got := resp.Headers["X-Content-Type-Options"]; got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if resp.Headers["Cache-Control"] == "" {
		t.Error("no Cache-Control")
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"Invalid", community.ErrInvalidLimit.Messagef("x"), 400},
		{"Unauthorized", community.ErrInvalidSession.Messagef("x"), 401},
		{"Forbidden", community.ErrAgeNotEligible, 403},
		{"NotFound", community.ErrEventNotFound.Messagef("x"), 404},
		{"Conflict", community.ErrAlreadyRegistered.Messagef("x"), 409},
		{"Closed", community.ErrRegistrationClosed.Messagef("x"), 422},
		{"Unavailable", community.ErrBusy, 503},
		{"Internal", community.ErrInternal.Wrap(errors.New("boom")), 500},
		{"TooLarge", community.ErrTooLarge, 413},
		{"UnsupportedMediaType", community.ErrUnsupportedMedia, 415},
		{"Foreign", errors.New("dynamo: query: connection refused"), 500},
		{"WrappedDomain", fmt.Errorf("outer: %w", community.ErrMemberNotFound.Messagef("x")), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.err); got != tt.want {
				t.Errorf("Status = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantCode    string
		wantMessage string
		wantFields  map[string]string
		wantLogged  bool // at error level, with the request id
	}{
		{
			name: "Validation", err: community.FieldErrors{"title": "タイトルを入力してください。"}.Err(),
			wantStatus: 400, wantCode: "validation_failed", wantMessage: "入力内容に誤りがあります。",
			wantFields: map[string]string{"title": "タイトルを入力してください。"},
		},
		{
			name: "NotFound", err: community.ErrEventNotFound,
			wantStatus: 404, wantCode: "event_not_found", wantMessage: "イベントが見つかりません。",
		},
		{
			name: "ForeignIsHidden", err: errors.New("dynamo: query tabane-prod: secret-internal-detail"),
			wantStatus: 500, wantCode: "internal_error", wantMessage: community.ErrInternal.Message(), wantLogged: true,
		},
		{
			name: "DomainInternalIsHidden", err: &community.Error{Reason: community.ErrInternal, Message: "secret-internal-detail", Err: errors.New("cause")},
			wantStatus: 500, wantCode: "internal_error", wantMessage: community.ErrInternal.Message(), wantLogged: true,
		},
		{
			name: "Unavailable", err: &community.Error{Reason: community.ErrBusy, Message: "ただいま混み合っています。", Err: errors.New("secret-internal-detail")},
			wantStatus: 503, wantCode: "busy", wantMessage: "ただいま混み合っています。", wantLogged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			ctx := WithRequest(context.Background(), fixture(t, "get-events-anonymous.json"))
			resp := Error(ctx, log, tt.err)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			checkSecurityHeaders(t, resp)
			if got := resp.Headers["Content-Type"]; got != ContentTypeJSON {
				t.Errorf("Content-Type = %q", got)
			}
			b := decodeError(t, resp)
			if b.Error.Code != tt.wantCode || b.Error.Message != tt.wantMessage {
				t.Errorf("error = %+v, want code %q message %q", b.Error, tt.wantCode, tt.wantMessage)
			}
			if diff := cmp.Diff(tt.wantFields, b.Error.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if strings.Contains(resp.Body, "secret-internal-detail") {
				t.Error("internal detail reached the client")
			}
			logged := strings.Contains(logs.String(), `"request_id":"Yx3kQjB8NjMEMbQ="`) && strings.Contains(logs.String(), `"level":"ERROR"`)
			if logged != tt.wantLogged {
				t.Errorf("logged with request id = %v, want %v; logs: %s", logged, tt.wantLogged, logs.String())
			}
		})
	}
	t.Run("UnauthorizedChallenges", func(t *testing.T) {
		resp := Error(context.Background(), slog.New(slog.DiscardHandler), community.ErrInvalidSession.Messagef("ログインし直してください。"))
		if resp.StatusCode != 401 || resp.Headers["WWW-Authenticate"] == "" {
			t.Errorf("status %d, WWW-Authenticate %q", resp.StatusCode, resp.Headers["WWW-Authenticate"])
		}
	})
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name       string
		v          any
		wantStatus int
		wantBody   string
	}{
		{"OK", map[string]any{"名前": "そらゑ", "next_cursor": nil}, 200, `{"next_cursor":null,"名前":"そらゑ"}`},
		{"Unencodable", map[string]any{"f": func() {}}, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := JSON(200, tt.v)
			checkSecurityHeaders(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.Headers["Cache-Control"] != "private, no-store" {
				t.Errorf("Cache-Control = %q", resp.Headers["Cache-Control"])
			}
			if tt.wantStatus == 200 && resp.Body != tt.wantBody {
				t.Errorf("body = %s, want %s", resp.Body, tt.wantBody)
			}
			if tt.wantStatus == 500 && decodeError(t, resp).Error.Code != "internal_error" {
				t.Errorf("body = %s", resp.Body)
			}
		})
	}
}

func TestCachePublic(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		status  int
		want    string
	}{
		{"Anonymous", "get-events-anonymous.json", 200, "public, max-age=60"},
		{"Bearer", "get-me-bearer.json", 200, "private, no-store"},
		{"Cookie", "get-me-cookie.json", 200, "private, no-store"},
		{"AnonymousError", "get-events-anonymous.json", 404, "private, no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := CachePublic(fixture(t, tt.fixture), JSON(tt.status, struct{}{}), time.Minute)
			checkSecurityHeaders(t, resp)
			if got := resp.Headers["Cache-Control"]; got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
			if got := resp.Headers["Vary"]; got != "Authorization, Cookie" {
				t.Errorf("Vary = %q", got)
			}
		})
	}
}

func TestSessionToken(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		edit       func(*Request)
		want       string
		wantReason string
	}{
		{name: "Anonymous", fixture: "get-events-anonymous.json", want: ""},
		{name: "Bearer", fixture: "get-me-bearer.json", want: "s3ss10n-t0ken.abc"},
		{name: "Cookie", fixture: "get-me-cookie.json", want: "c00k1e-t0ken.xyz"},
		{name: "BearerWinsOverCookie", fixture: "get-me-cookie.json", edit: func(r *Request) { r.Headers["authorization"] = "Bearer b" }, want: "b"},
		{name: "LowerCaseScheme", fixture: "get-me-bearer.json", edit: func(r *Request) { r.Headers["authorization"] = "bearer tok" }, want: "tok"},
		{name: "CookieHeaderByHand", fixture: "get-events-anonymous.json", edit: func(r *Request) { r.Headers["Cookie"] = "a=1; __Host-tabane_session=hand" }, want: "hand"},
		// Without its __Host- prefix a cookie may have come from a sibling
		// subdomain: read only on loopback (make run), where the prefix's
		// Secure flag cannot be had.
		{name: "PlainCookieNotOnTheSite", fixture: "get-me-cookie.json", edit: func(r *Request) { r.Cookies = []string{"tabane_session=tossed"} }, want: ""},
		{name: "PlainCookieOnLoopback", fixture: "get-me-cookie.json", edit: func(r *Request) {
			r.Cookies, r.Headers["host"] = []string{"tabane_session=local"}, "127.0.0.1:8080"
		}, want: "local"},
		// A write on the strength of the cookie proves it came from our pages.
		{name: "CookieWriteSameOriginJSON", fixture: "get-me-cookie.json", edit: func(r *Request) {
			asWrite(r, "application/json", "same-origin")
		}, want: "c00k1e-t0ken.xyz"},
		{name: "CookieWriteJSONOlderBrowser", fixture: "get-me-cookie.json", edit: func(r *Request) { asWrite(r, "application/json", "") }, want: "c00k1e-t0ken.xyz"},
		{name: "CookieWriteWithoutBody", fixture: "get-me-cookie.json", edit: func(r *Request) { asWrite(r, "", "same-origin") }, wantReason: "cross_site_request"},
		{name: "CookieWriteTextPlain", fixture: "get-me-cookie.json", edit: func(r *Request) { asWrite(r, "text/plain", "") }, wantReason: "cross_site_request"},
		{name: "CookieWriteSameSite", fixture: "get-me-cookie.json", edit: func(r *Request) { asWrite(r, "application/json", "same-site") }, wantReason: "cross_site_request"},
		{name: "CookieWriteCrossSite", fixture: "get-me-cookie.json", edit: func(r *Request) { asWrite(r, "application/json", "cross-site") }, wantReason: "cross_site_request"},
		{name: "BearerWriteWithoutBody", fixture: "get-me-bearer.json", edit: func(r *Request) { asWrite(r, "", "cross-site") }, want: "s3ss10n-t0ken.abc"},
		{name: "Basic", fixture: "get-me-bearer.json", edit: func(r *Request) { r.Headers["authorization"] = "Basic dXNlcjpwYXNz" }, wantReason: "invalid_authorization"},
		{name: "BearerWithoutToken", fixture: "get-me-bearer.json", edit: func(r *Request) { r.Headers["authorization"] = "Bearer " }, wantReason: "invalid_authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fixture(t, tt.fixture)
			if tt.edit != nil {
				tt.edit(&req)
			}
			got, err := SessionToken(req)
			if tt.wantReason != "" {
				if community.ErrorReason(err) != tt.wantReason || got != "" {
					t.Fatalf("= %q, %v; want %s", got, err, tt.wantReason)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SessionToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// asWrite makes r a POST with Content-Type ct and Sec-Fetch-Site site
// ("" leaves a header out).
func asWrite(r *Request, ct, site string) {
	r.RouteKey, r.RequestContext.HTTP.Method = "POST /api/events/{id}/registrations", "POST"
	delete(r.Headers, "content-type")
	delete(r.Headers, "sec-fetch-site")
	if ct != "" {
		r.Headers["content-type"] = ct
	}
	if site != "" {
		r.Headers["sec-fetch-site"] = site
	}
}

type signup struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	PublicServant bool   `json:"public_servant"`
}

func TestDecodeJSON(t *testing.T) {
	big := `{"email":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		name       string
		fixture    string
		edit       func(*Request)
		want       signup
		wantStatus int
		wantReason string
		wantField  string
	}{
		{name: "OK", fixture: "post-members-json.json", want: signup{"taro@example.jp", "山田 太郎", true}},
		{name: "Base64", fixture: "post-members-base64.json", want: signup{"hanako@example.jp", "佐藤 花子", false}},
		{name: "EmptyBodyIsEmptyObject", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = ""; delete(r.Headers, "content-type") }},
		{name: "WrongContentType", fixture: "post-members-json.json", edit: func(r *Request) { r.Headers["content-type"] = "text/plain" }, wantStatus: 415, wantReason: community.ErrUnsupportedMedia.Name()},
		{name: "FormContentType", fixture: "post-members-json.json", edit: func(r *Request) { r.Headers["content-type"] = "application/x-www-form-urlencoded" }, wantStatus: 415, wantReason: community.ErrUnsupportedMedia.Name()},
		{name: "NotUTF8Charset", fixture: "post-members-json.json", edit: func(r *Request) { r.Headers["content-type"] = "application/json; charset=shift_jis" }, wantStatus: 415, wantReason: community.ErrUnsupportedMedia.Name()},
		{name: "TooLarge", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = big }, wantStatus: 413, wantReason: community.ErrTooLarge.Name()},
		{name: "TooLargeBase64", fixture: "post-members-base64.json", edit: func(r *Request) { r.Body = base64.StdEncoding.EncodeToString([]byte(big)) }, wantStatus: 413, wantReason: community.ErrTooLarge.Name()},
		{name: "UnknownField", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = `{"email":"a@example.jp","is_admin":true}` }, wantStatus: 400, wantReason: "unknown_field", wantField: "is_admin"},
		{name: "WrongType", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = `{"public_servant":"yes"}` }, wantStatus: 400, wantReason: "invalid_field", wantField: "public_servant"},
		{name: "Syntax", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = `{"email":` }, wantStatus: 400, wantReason: "invalid_json"},
		{name: "TwoValues", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = `{} {}` }, wantStatus: 400, wantReason: "invalid_json"},
		{name: "BadUTF8", fixture: "post-members-json.json", edit: func(r *Request) { r.Body = "{\"name\":\"\xff\"}" }, wantStatus: 400, wantReason: "invalid_json"},
		{name: "BadBase64", fixture: "post-members-base64.json", edit: func(r *Request) { r.Body = "!!!" }, wantStatus: 400, wantReason: "invalid_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fixture(t, tt.fixture)
			if tt.edit != nil {
				tt.edit(&req)
			}
			var got signup
			err := DecodeJSON(req, &got)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decoded (-want +got):\n%s", diff)
				}
				return
			}
			if Status(err) != tt.wantStatus || community.ErrorReason(err) != tt.wantReason {
				t.Fatalf("err = %v (status %d), want %d %s", err, Status(err), tt.wantStatus, tt.wantReason)
			}
			if tt.wantField != "" {
				var de *community.Error
				if !errors.As(err, &de) || de.Fields[tt.wantField] == "" {
					t.Errorf("fields = %v, want %s named", de, tt.wantField)
				}
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	t.Run("Fixture", func(t *testing.T) {
		q, err := ParseQuery(fixture(t, "get-events-anonymous.json"), "cursor", "limit", "kind", "from", "to")
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("kind") != "lecture" {
			t.Errorf("kind = %q", q.Get("kind"))
		}
		n, err := q.Int("limit", 20, 1, 100)
		if err != nil || n != 5 {
			t.Errorf("limit = %d, %v", n, err)
		}
		from, err := q.Time("from", StartOfDay)
		if err != nil || !from.Equal(time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("from = %v, %v", from, err)
		}
		if to, err := q.Time("to", EndOfDay); err != nil || !to.IsZero() {
			t.Errorf("absent to = %v, %v", to, err)
		}
	})
	t.Run("DuplicateAndUnknown", func(t *testing.T) {
		_, err := ParseQuery(fixture(t, "get-events-duplicate-query.json"), "limit")
		var de *community.Error
		if !errors.As(err, &de) || de.Reason != community.ErrInvalidParameter || Status(err) != 400 {
			t.Fatalf("err = %v", err)
		}
		if de.Fields["limit"] == "" || de.Fields["limt"] == "" {
			t.Errorf("fields = %v, want limit and limt", de.Fields)
		}
	})
	t.Run("ParametersWithoutRawString", func(t *testing.T) {
		req := fixture(t, "get-events-anonymous.json")
		req.RawQueryString = ""
		q, err := ParseQuery(req, "limit", "kind", "from")
		if err != nil {
			t.Fatal(err)
		}
		if from, err := q.Time("from", StartOfDay); err != nil || from.Hour() != 19 {
			t.Errorf("from = %v, %v", from, err)
		}
		if _, err := ParseQuery(req, "limit"); !errors.Is(err, community.ErrInvalidParameter) {
			t.Errorf("err = %v, want invalid_parameter", err)
		}
	})

	query := func(t *testing.T, raw string) Query {
		t.Helper()
		req := fixture(t, "get-events-anonymous.json")
		req.RawQueryString, req.QueryStringParameters = raw, nil
		q, err := ParseQuery(req, "limit", "from", "to")
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	ints := []struct {
		name       string
		raw        string
		want       int
		wantReason string
	}{
		{"Default", "", 20, ""},
		{"EmptyIsDefault", "limit=", 20, ""},
		{"Min", "limit=1", 1, ""},
		{"Max", "limit=100", 100, ""},
		{"Zero", "limit=0", 0, "invalid_limit"},
		{"TooMany", "limit=101", 0, "invalid_limit"},
		{"NotANumber", "limit=ten", 0, "invalid_limit"},
		{"Negative", "limit=-1", 0, "invalid_limit"},
	}
	for _, tt := range ints {
		t.Run("Int"+tt.name, func(t *testing.T) {
			got, err := query(t, tt.raw).Int("limit", 20, 1, 100)
			if community.ErrorReason(err) != tt.wantReason && !(err == nil && tt.wantReason == "") {
				t.Fatalf("err = %v, want %s", err, tt.wantReason)
			}
			if tt.wantReason != "" && Status(err) != 400 {
				t.Errorf("status = %d", Status(err))
			}
			if tt.wantReason == "" && got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	times := []struct {
		name       string
		raw        string
		param      string
		edge       DayEdge
		want       time.Time
		wantReason string
	}{
		{"DateStartsTokyoDay", "from=2025-05-14", "from", StartOfDay, time.Date(2025, 5, 13, 15, 0, 0, 0, time.UTC), ""},
		{"DateEndsTokyoDay", "to=2025-05-14", "to", EndOfDay, time.Date(2025, 5, 14, 15, 0, 0, 0, time.UTC), ""},
		{"RFC3339Encoded", "from=2025-05-14T19%3A00%3A00%2B09%3A00", "from", StartOfDay, time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC), ""},
		{"RFC3339PlusAsSpace", "from=2025-05-14T19:00:00+09:00", "from", StartOfDay, time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC), ""},
		{"RFC3339Z", "to=2025-05-14T10:00:00Z", "to", EndOfDay, time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC), ""},
		{"NoOffset", "from=2025-05-14T19:00:00", "from", StartOfDay, time.Time{}, "invalid_from"},
		{"Garbage", "to=tomorrow", "to", EndOfDay, time.Time{}, "invalid_to"},
		{"BadDate", "from=2025-02-30", "from", StartOfDay, time.Time{}, "invalid_from"},
	}
	for _, tt := range times {
		t.Run("Time"+tt.name, func(t *testing.T) {
			got, err := query(t, tt.raw).Time(tt.param, tt.edge)
			if tt.wantReason != "" {
				if community.ErrorReason(err) != tt.wantReason || Status(err) != 400 {
					t.Fatalf("err = %v, want %s", err, tt.wantReason)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestServe(t *testing.T) {
	tests := []struct {
		name       string
		fn         func(ctx context.Context) (Response, error)
		wantStatus int
		wantCode   string
	}{
		{"OK", func(ctx context.Context) (Response, error) {
			if RequestID(ctx) != "Yx3kQjB8NjMEMbQ=" {
				return Response{}, errors.New("no request id in ctx")
			}
			return JSON(200, struct{}{}), nil
		}, 200, ""},
		{"Error", func(context.Context) (Response, error) {
			return Response{}, community.ErrAlreadyRegistered.Messagef("すでに申し込み済みです。")
		}, 409, "already_registered"},
		{"Panic", func(context.Context) (Response, error) { panic("secret-internal-detail") }, 500, "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			resp := Serve(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), fixture(t, "get-events-anonymous.json"), tt.fn)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantCode != "" && decodeError(t, resp).Error.Code != tt.wantCode {
				t.Errorf("body = %s", resp.Body)
			}
			if strings.Contains(resp.Body, "secret") {
				t.Error("panic value reached the client")
			}
			if tt.name == "Panic" && !strings.Contains(logs.String(), "Yx3kQjB8NjMEMbQ=") {
				t.Errorf("panic not logged with request id: %s", logs.String())
			}
		})
	}
}

// TestEveryReasonHasOneStatus walks every reason the domain declares: each
// has a unique snake_case name, a Japanese message, and a status of its
// class; only ErrInternal answers 500.
func TestEveryReasonHasOneStatus(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	reasons := community.Reasons()
	if len(reasons) < 50 {
		t.Fatalf("community.Reasons() lists %d reasons; the domain declares more", len(reasons))
	}
	for _, r := range reasons {
		t.Run(r.Name(), func(t *testing.T) {
			if !snake.MatchString(r.Name()) {
				t.Errorf("name %q is not snake_case", r.Name())
			}
			if seen[r.Name()] {
				t.Errorf("name %q is declared twice", r.Name())
			}
			seen[r.Name()] = true
			if !utf8.ValidString(r.Message()) || !strings.ContainsFunc(r.Message(), func(c rune) bool { return c >= 0x3000 }) {
				t.Errorf("message %q is not Japanese", r.Message())
			}
			status := StatusOf(r)
			want := map[community.Code]int{community.Invalid: 400, community.Unauthorized: 401, community.Forbidden: 403,
				community.NotFound: 404, community.Conflict: 409, community.Closed: 422, community.Throttled: 429,
				community.Unavailable: 503, community.Internal: 500}[r.Code()]
			if r == community.ErrTooLarge {
				want = 413
			}
			if r == community.ErrUnsupportedMedia {
				want = 415
			}
			if status != want {
				t.Errorf("status = %d, want %d for code %s", status, want, r.Code())
			}
			if status == 500 && r != community.ErrInternal {
				t.Errorf("%s answers 500; only internal_error may", r.Name())
			}
			// The status follows the reason wherever it travels.
			if got := Status(fmt.Errorf("wrapped: %w", r.Messagef("x"))); got != status {
				t.Errorf("wrapped status = %d, want %d", got, status)
			}
		})
	}
}
