package devserver

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Limits API Gateway and Lambda enforce, kept here so local requests fail
// where deployed ones would.
const (
	MaxRequestBody = 10 << 20 // HTTP API payload quota: 10 MB
	MaxInvokeBytes = 6 << 20  // Lambda's synchronous request and response payload: 6 MB
)

// textTypes are the content types API Gateway HTTP APIs pass as plain UTF-8;
// every other body, form posts and bodies without a Content-Type included,
// arrives base64-encoded (verified against AWS by others; see README).
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || mt == "application/xml" || mt == "application/javascript"
}

// RequestID returns an id shaped like API Gateway's (base64 of 10 random bytes).
func RequestID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return base64.StdEncoding.EncodeToString(b)[:14] + "="
}

// BuildRequest turns an HTTP request into the API Gateway v2 (payload format
// 2.0) event that the route's function receives in AWS.
func BuildRequest(r *http.Request, body []byte, m Match, requestID string, now time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		name := strings.ToLower(k)
		if name == "cookie" {
			// Payload 2.0 moves cookies to their own field, one per entry.
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[name] = strings.Join(vs, ",")
	}
	host := r.Host
	headers["host"] = host
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	if xff := headers["x-forwarded-for"]; xff != "" {
		headers["x-forwarded-for"] = xff + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}
	hostname, port, err := net.SplitHostPort(host)
	if err != nil {
		hostname, port = host, "80"
	}
	headers["x-forwarded-port"] = port
	headers["x-forwarded-proto"] = "http"
	trace := make([]byte, 12)
	_, _ = rand.Read(trace) // crypto/rand never fails on Linux
	headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%x", now.Unix(), trace)
	if len(body) > 0 {
		headers["content-length"] = fmt.Sprint(len(body))
	}

	var query map[string]string
	if r.URL.RawQuery != "" {
		vals, _ := url.ParseQuery(r.URL.RawQuery) // API Gateway passes what it can parse, as here
		query = map[string]string{}
		for k, vs := range vals {
			query[k] = strings.Join(vs, ",")
		}
	}

	prefix := hostname
	if i := strings.IndexByte(hostname, '.'); i > 0 {
		prefix = hostname[:i]
	}
	req := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              m.Route.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        m.Params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     m.Route.Key(),
			AccountID:    AccountID,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   hostname,
			DomainPrefix: prefix,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.EscapedPath(),
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		// Text goes as text only when it is UTF-8: a JSON event cannot
		// carry other bytes, and would carry U+FFFD in their place.
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			req.Body = string(body)
		} else {
			req.Body = base64.StdEncoding.EncodeToString(body)
			req.IsBase64Encoded = true
		}
	}
	return req
}

// WriteResponse writes a function's response payload as API Gateway would:
// a payload with statusCode is an APIGatewayV2HTTPResponse; any other valid
// JSON is a 200 application/json body.
func WriteResponse(w http.ResponseWriter, payload []byte) error {
	// What lambda.Start encodes for an APIGatewayV2HTTPResponse begins with
	// its statusCode: decode that once, rather than probing the whole
	// payload first and decoding it again. Anything else, or anything that
	// fails to decode, takes the general path below.
	if bytes.HasPrefix(payload, []byte(`{"statusCode":`)) {
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &resp); err == nil {
			return writeResponse(w, resp)
		}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil || probe["statusCode"] == nil {
		if !json.Valid(payload) {
			return fmt.Errorf("devserver: function returned invalid JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(payload)
		return err
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return fmt.Errorf("devserver: decode function response: %w", err)
	}
	return writeResponse(w, resp)
}

// writeResponse writes a decoded APIGatewayV2HTTPResponse.
func writeResponse(w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse) error {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("devserver: function returned statusCode %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("devserver: function body is not base64 though isBase64Encoded: %w", err)
		}
		body = b
	}
	h := w.Header()
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
	w.WriteHeader(resp.StatusCode)
	_, err := w.Write(body)
	return err
}

// gatewayError answers as API Gateway itself does when the integration fails
// or the request is refused before any function runs.
func gatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message}) // the client may be gone; nothing to do
}

// contractError answers in the API contract's error shape, for what only the
// dev server answers (unknown routes, /_dev endpoints).
func contractError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}}) // the client may be gone
}
