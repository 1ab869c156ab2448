// Package community is tabane's domain: members, events and registrations,
// the rules that bind them, and the interfaces the domain needs from the
// outside world (storage, mail, clock). It imports only the standard library
// so that every rule can be tested without AWS.
package community

import (
	"errors"
	"fmt"
)

// Code classifies a Reason; pkg/httpapi maps each code to one HTTP status.
type Code string

// The codes are deliberately few: callers branch on reasons, people read
// messages, and the transport needs only the class.
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

// Reason is one declared way an operation can fail: a stable snake_case name
// for programs (it becomes the API's error.code), its Code, and a Japanese
// message for people. Every reason is declared once, in reasons.go, so a
// typo does not compile and a reason cannot drift between packages.
//
// A *Reason is itself an error and is returned as is where its message
// fits; Messagef, Wrap and WithFields derive an *Error that still matches
// the reason with errors.Is.
type Reason struct {
	code    Code
	name    string
	message string
}

// reasons lists every declared reason in declaration order, for Reasons.
var reasons []*Reason

// declare is how reasons.go declares a reason; only package initialisation
// calls it, so the list is complete before anyone reads it.
func declare(code Code, name, message string) *Reason {
	r := &Reason{code: code, name: name, message: message}
	reasons = append(reasons, r)
	return r
}

// Reasons returns every declared reason, for the tests that keep the status
// table and the API contract complete.
func Reasons() []*Reason { return append([]*Reason(nil), reasons...) }

// Code returns the reason's class.
func (r *Reason) Code() Code { return r.code }

// Name returns the stable snake_case name, the API's error.code.
func (r *Reason) Name() string { return r.name }

// Message returns the reason's Japanese message.
func (r *Reason) Message() string { return r.message }

func (r *Reason) Error() string { return fmt.Sprintf("%s: %s: %s", r.code, r.name, r.message) }

// Messagef returns the reason with a message that says more than the
// declared one (how many seats are left, which status a member is in).
func (r *Reason) Messagef(format string, args ...any) *Error {
	return &Error{Reason: r, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns the reason with its cause attached, for logs only.
func (r *Reason) Wrap(cause error) *Error { return &Error{Reason: r, Err: cause} }

// WithFields returns the reason with per-field messages for a form.
func (r *Reason) WithFields(fields map[string]string) *Error {
	return &Error{Reason: r, Fields: fields}
}

// Error is a Reason on one occasion: with a more specific message, the
// fields of a form, or the cause. errors.Is(err, ErrX) holds for an Error
// of reason ErrX.
type Error struct {
	Reason  *Reason
	Message string            // "" for the reason's own message
	Fields  map[string]string // per-field messages (Invalid only)
	Err     error             // the cause, for logs only; never shown to clients
}

func (e *Error) Error() string {
	if e.Reason == nil {
		// Built without a reason: a bug, reported as what clients see.
		return (&Error{Reason: ErrInternal, Message: e.Message, Err: e.Err}).Error()
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason.code, e.Reason.name, e.Err)
	}
	return fmt.Sprintf("%s: %s: %s", e.Reason.code, e.Reason.name, e.message())
}

func (e *Error) message() string {
	if e.Message != "" {
		return e.Message
	}
	return ReasonOf(e).message
}

// Unwrap returns the cause, so errors.Is and errors.As see through to it.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's reason.
func (e *Error) Is(target error) bool {
	r, ok := target.(*Reason)
	return ok && r == e.Reason
}

// ReasonOf returns the declared reason of err: nil for nil, ErrInternal
// for an error that carries none (a failed AWS call, a bug).
func ReasonOf(err error) *Reason {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e.Reason != nil {
		return e.Reason
	}
	var r *Reason
	if errors.As(err, &r) {
		return r
	}
	return ErrInternal
}

// ErrorCode returns the Code of err's reason, Internal for foreign errors
// and "" for nil.
func ErrorCode(err error) Code {
	if r := ReasonOf(err); r != nil {
		return r.code
	}
	return ""
}

// ErrorReason returns the name of err's reason, for the transport to print
// (the API's error.code); programs branch with errors.Is, never on this.
func ErrorReason(err error) string {
	if r := ReasonOf(err); r != nil {
		return r.name
	}
	return ""
}

// ErrorMessage returns the human message of err; foreign errors get
// ErrInternal's generic message so internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != nil {
		return e.message()
	}
	return ReasonOf(err).message
}

// ErrorFields returns the per-field messages of an Invalid err, or nil.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) && e.Reason != nil && e.Reason.code == Invalid {
		return e.Fields
	}
	return nil
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

// Err returns nil when no field failed, else ErrValidation listing them.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return ErrValidation.WithFields(map[string]string(f))
}

// RetryOn runs op until it succeeds, fails with a reason other than one of
// retry, or has run attempts times: the one loop for writes that lose a
// race (the event, member or series was written since it was read) and
// start over from a fresh read.
func RetryOn(attempts int, op func() error, retry ...*Reason) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = op(); err == nil {
			return nil
		}
		again := false
		for _, r := range retry {
			again = again || errors.Is(err, r)
		}
		if !again {
			return err
		}
	}
	return err
}
