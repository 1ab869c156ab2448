// Package community is tabane's domain: members, events and registrations,
// the rules that bind them, and the interfaces the domain needs from the
// outside world (storage, mail, clock). It imports only the standard library
// so that every rule can be tested without AWS.
package community

import (
	"errors"
	"fmt"
)

// Code classifies an Error; pkg/httpapi maps each code to one HTTP status.
type Code string

// The codes are deliberately few: callers branch on them, people read Message.
const (
	Invalid      Code = "invalid"      // bad input (400)
	Unauthorized Code = "unauthorized" // not signed in (401)
	Forbidden    Code = "forbidden"    // not allowed or not eligible (403)
	NotFound     Code = "not_found"    // unknown, or not visible to the caller (404)
	Conflict     Code = "conflict"     // already exists, full without waitlist (409)
	Closed       Code = "closed"       // window closed or a rule violated (422)
	Throttled    Code = "throttled"    // too many requests (429)
	Unavailable  Code = "unavailable"  // a dependency is down (503)
	Internal     Code = "internal"     // anything else (500)
)

// Error is the domain's one error type. Reason is a stable snake_case word
// for programs (it becomes the API's error.code); Message is Japanese for
// people. Fields holds per-field messages for forms.
type Error struct {
	Code    Code
	Reason  string
	Message string
	Fields  map[string]string
	Err     error // the cause, for logs only; never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %s: %s", e.Code, e.Reason, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a reason and a Japanese message.
func Errorf(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of err, Internal for foreign errors and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorReason returns the Reason of err, or "internal_error" for foreign errors.
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	if errors.As(err, &e) {
		return string(e.Code)
	}
	return "internal_error"
}

// ErrorMessage returns the human message of err; foreign errors get a
// generic message so internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "サーバー内部でエラーが発生しました。時間をおいて再度お試しください。"
}

// FieldErrors collects per-field validation messages and turns them into one
// Invalid error, so a form can show every problem at once.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field failed, else an Invalid error listing them.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Reason: "validation_failed", Message: "入力内容に誤りがあります。", Fields: map[string]string(f)}
}
