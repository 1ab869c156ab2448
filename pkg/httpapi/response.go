// Package httpapi is tabane's side of the API Gateway HTTP API (payload
// format 2.0): responses with security headers, the one table from domain
// error codes to HTTP statuses and the contract's error body, strict JSON
// request bodies, query parameters, session tokens and request ids for logs.
// Every Lambda behind /api builds its answers here so that they all speak
// the same contract.
package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
)

// Request and Response are the API Gateway v2 payloads.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// Content types the API answers with.
const (
	ContentTypeJSON     = "application/json; charset=utf-8"
	ContentTypeCalendar = "text/calendar; charset=utf-8"
)

// JSON answers status with v encoded as JSON. A value that cannot be encoded
// is a programming error; it becomes a 500 in the contract's shape rather
// than a half-written body.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		status = 500
		b = errorBody(community.ErrInternal.Name(), community.ErrInternal.Message(), nil)
	}
	return Body(status, ContentTypeJSON, string(b))
}

// Body answers status with body of the given content type.
func Body(status int, contentType, body string) Response {
	h := secureHeaders()
	h["Content-Type"] = contentType
	return Response{StatusCode: status, Headers: h, Body: body}
}

// NoContent answers 204.
func NoContent() Response {
	return Response{StatusCode: 204, Headers: secureHeaders()}
}

// secureHeaders are on every response. Nothing is cacheable until a handler
// says so with CachePublic, because most answers depend on who asks.
func secureHeaders() map[string]string {
	return map[string]string{
		"X-Content-Type-Options":    "nosniff",
		"Cache-Control":             "private, no-store",
		"Referrer-Policy":           "no-referrer",
		"X-Frame-Options":           "DENY",
		"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains", // browsers ignore it over plain-http localhost
	}
}

// CachePublic lets shared caches keep resp for maxAge, but only when req
// carries no session: an answer shaped for a signed-in member (join URLs,
// restricted flags) must never be served to anyone else. Vary keeps a cache
// from handing the anonymous answer to a signed-in caller.
func CachePublic(req Request, resp Response, maxAge time.Duration) Response {
	if resp.Headers == nil {
		resp.Headers = secureHeaders()
	}
	resp.Headers["Vary"] = "Authorization, Cookie"
	if HasSession(req) || resp.StatusCode >= 300 {
		resp.Headers["Cache-Control"] = "private, no-store"
		return resp
	}
	resp.Headers["Cache-Control"] = fmt.Sprintf("public, max-age=%d", int(maxAge/time.Second))
	return resp
}

// HasSession reports whether req presents any session credential, valid or not.
func HasSession(req Request) bool {
	if Header(req, "Authorization") != "" {
		return true
	}
	_, ok := sessionCookie(req)
	return ok
}

// Header returns the first value of the named request header. API Gateway
// lower-cases header names in payload 2.0, but test tools and the dev
// server may not, so the lookup ignores case.
func Header(req Request, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
