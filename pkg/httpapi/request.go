package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/sorae/tabane/pkg/community"
)

// MaxBodyBytes is the largest request body the API takes (docs/openapi.yaml: 64 KiB).
const MaxBodyBytes = 64 << 10

// SessionCookie is the cookie that carries a browser's session token. The
// __Host- prefix makes browsers keep it to our own host (Secure, Path=/,
// no Domain): a page on a sibling subdomain can neither set it nor shadow
// it with one of its own.
const SessionCookie = "__Host-tabane_session"

// LoopbackSessionCookie is its name on plain-http loopback (make run, the
// tests), where a browser may refuse a Secure cookie; it is read only from
// requests addressed to a loopback host, which no deployed site receives.
const LoopbackSessionCookie = "tabane_session"

// SessionCookieName is the session cookie's name for a site served over
// HTTPS (secure) or on plain-http loopback.
func SessionCookieName(secure bool) string {
	if secure {
		return SessionCookie
	}
	return LoopbackSessionCookie
}

// sessionCookie returns the session cookie req presents under the name
// its host allows.
func sessionCookie(req Request) (string, bool) {
	if v, ok := Cookie(req, SessionCookie); ok {
		return v, true
	}
	if loopbackHost(Header(req, "Host")) {
		return Cookie(req, LoopbackSessionCookie)
	}
	return "", false
}

// SessionCookieValue is the session token of req's cookie, "" without one.
func SessionCookieValue(req Request) string {
	v, _ := sessionCookie(req)
	return v
}

func loopbackHost(host string) bool {
	h := strings.ToLower(host)
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequest returns ctx carrying req's API Gateway request id, which
// RequestID, Logger and Error put into every log line of the request.
func WithRequest(ctx context.Context, req Request) context.Context {
	return context.WithValue(ctx, requestIDKey, req.RequestContext.RequestID)
}

// RequestID returns the request id WithRequest stored, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger returns log with the request id of ctx attached.
func Logger(ctx context.Context, log *slog.Logger) *slog.Logger {
	return log.With("request_id", RequestID(ctx))
}

// Cookie returns the named cookie. API Gateway moves cookies out of the
// headers into req.Cookies; a Cookie header is read too for callers that
// build requests by hand.
func Cookie(req Request, name string) (string, bool) {
	lines := req.Cookies
	if h := Header(req, "Cookie"); h != "" {
		lines = append(lines[:len(lines):len(lines)], h)
	}
	for _, line := range lines {
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue // a malformed cookie of some other site is not our concern
		}
		for _, c := range cs {
			if c.Name == name {
				return c.Value, true
			}
		}
	}
	return "", false
}

// SessionToken returns the session token req presents: `Authorization:
// Bearer <token>` for programs, else the tabane_session cookie for browsers;
// "" when there is none. An Authorization header of another shape is
// Unauthorized (reason invalid_authorization) rather than ignored, so a
// program learns its mistake instead of silently acting anonymously.
func SessionToken(req Request) (string, error) {
	if h := strings.TrimSpace(Header(req, "Authorization")); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
			return "", community.ErrInvalidAuthorization
		}
		return token, nil
	}
	v, ok := sessionCookie(req)
	if !ok {
		return "", nil
	}
	if writes(req) && !sameOriginJSON(req) {
		// A cookie rides along on any request the browser makes, also one a
		// page of another site (a sibling subdomain among them) makes: a
		// write on the strength of the cookie must show it came from our own
		// pages. Programs use the bearer token.
		return "", community.ErrCrossSite
	}
	return v, nil
}

// writes reports whether req may change something (every method but GET,
// HEAD and OPTIONS).
func writes(req Request) bool {
	switch strings.ToUpper(req.RequestContext.HTTP.Method) {
	case "GET", "HEAD", "OPTIONS":
		return false
	case "":
		// A request without its method (some tests build only the route
		// key) is judged by the route key's method.
		m, _, _ := strings.Cut(req.RouteKey, " ")
		return m != "GET" && m != "HEAD" && m != "OPTIONS" && m != "$default"
	}
	return true
}

// sameOriginJSON reports whether a cookie-carrying write proves it came
// from our own pages: its Content-Type is application/json — even with no
// body, since a page of another site can send a bodiless or text/plain
// POST without asking first, but not a JSON one — and, where the browser
// says (Sec-Fetch-Site), it says same-origin.
func sameOriginJSON(req Request) bool {
	mt, _, err := mime.ParseMediaType(Header(req, "Content-Type"))
	if err != nil || mt != "application/json" {
		return false
	}
	switch Header(req, "Sec-Fetch-Site") {
	case "", "same-origin":
		return true
	}
	return false
}

// RawBody returns req's body as bytes, decoding base64 when API Gateway
// encoded it. Too large a body is reported before it is decoded.
func RawBody(req Request) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, community.ErrTooLarge
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+3 {
		return nil, community.ErrTooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, community.ErrInvalidBody
	}
	if len(b) > MaxBodyBytes {
		return nil, community.ErrTooLarge
	}
	return b, nil
}

// DecodeJSON decodes req's JSON body into v, strictly: Content-Type must be
// application/json (UTF-8), the body at most 64 KiB (413 too_large),
// exactly one JSON value, and no field v does not know (400 unknown_field,
// naming it in fields). An empty body decodes as {} so that bodiless POSTs
// such as a member's registration need no ceremony.
func DecodeJSON(req Request, v any) error {
	body, err := RawBody(req)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	mt, params, err := mime.ParseMediaType(Header(req, "Content-Type"))
	if err != nil || mt != "application/json" {
		return community.ErrUnsupportedMedia
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return community.ErrUnsupportedMedia
	}
	if !utf8.Valid(body) {
		return community.ErrInvalidJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return community.ErrInvalidJSON
	}
	return nil
}

// jsonError turns what encoding/json reports into the contract's reasons,
// naming the offending field where there is one.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return &community.Error{Reason: community.ErrInvalidField, Message: "入力内容に誤りがあります。",
			Fields: map[string]string{field: "値の型が正しくありません。"}, Err: err}
	}
	// encoding/json has no typed error for unknown fields; its message is stable.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return &community.Error{Reason: community.ErrUnknownField, Message: "受け付けていない項目が含まれています。",
			Fields: map[string]string{name: "この項目は受け付けていません。"}, Err: err}
	}
	return &community.Error{Reason: community.ErrInvalidJSON, Message: "JSONの形式が正しくありません。", Err: err}
}

// DecodeToken reads the body {"token": "…"} every route behind a mailed
// link takes (verify, sign-in, unsubscribe, cancel). A missing or blank
// token is ErrInvalidToken against the field.
func DecodeToken(req Request) (string, error) {
	var body struct {
		Token string `json:"token"`
	}
	if err := DecodeJSON(req, &body); err != nil {
		return "", err
	}
	if strings.TrimSpace(body.Token) == "" {
		const msg = "token を指定してください。"
		return "", &community.Error{Reason: community.ErrInvalidToken, Message: msg, Fields: map[string]string{"token": msg}}
	}
	return body.Token, nil
}
