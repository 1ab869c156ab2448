package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/community"
)

// statusByCode is the one table from domain codes to HTTP statuses.
var statusByCode = map[community.Code]int{
	community.Invalid:      400,
	community.Unauthorized: 401,
	community.Forbidden:    403,
	community.NotFound:     404,
	community.Conflict:     409,
	community.Closed:       422,
	community.Throttled:    429,
	community.Unavailable:  503,
	community.Internal:     500,
}

// statusByReason holds the reasons whose status is not their code's: the
// two body problems HTTP has statuses of its own for.
var statusByReason = map[*community.Reason]int{
	community.ErrTooLarge:         413,
	community.ErrUnsupportedMedia: 415,
}

// StatusOf returns the one HTTP status of a declared reason.
func StatusOf(r *community.Reason) int {
	if s, ok := statusByReason[r]; ok {
		return s
	}
	if s, ok := statusByCode[r.Code()]; ok {
		return s
	}
	return 500
}

// Status returns the HTTP status for err: its reason's, except that a
// foreign error from a failed AWS call is 503 rather than 500.
func Status(err error) int {
	s := StatusOf(community.ReasonOf(err))
	if s == 500 && dependencyFailed(err) {
		return 503
	}
	return s
}

// dependencyFailed reports whether a foreign error came from an AWS call
// (DynamoDB, SES) that failed after the SDK's retries: the dependency is
// down or overloaded, which the contract answers with 503, not 500.
func dependencyFailed(err error) bool {
	var de *community.Error
	if errors.As(err, &de) {
		return false
	}
	var op *smithy.OperationError
	// The time left ran out (WithAnswerMargin) while waiting on one: the
	// same answer, with time to give it.
	return errors.As(err, &op) || errors.Is(err, context.DeadlineExceeded)
}

// AnswerMargin is how long before the Lambda function's deadline the work
// of a request is stopped, so that its answer — the contract's 503 when
// the work did not finish — still goes out instead of Lambda cutting the
// function off with API Gateway's bare 500. An AWS call, and the SDK's
// retries and their waits, end with the context.
const AnswerMargin = time.Second

// WithAnswerMargin is ctx ending AnswerMargin before its deadline (the
// function's, in Lambda); without a deadline it is ctx, cancellable.
func WithAnswerMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-AnswerMargin))
	}
	return context.WithCancel(ctx)
}

// Error answers err in the contract's shape,
// {"error":{"code":"<reason>","message":"<日本語>","fields":{…}}}. Server-side
// failures are logged with the request id (from ctx, see WithRequest) and
// answered with a generic message: err.Error() never reaches a client, and
// reaches the log only with email addresses redacted.
func Error(ctx context.Context, log *slog.Logger, err error) Response {
	if log == nil {
		log = slog.Default()
	}
	status := Status(err)
	reason, message := community.ErrorReason(err), community.ErrorMessage(err)
	fields := community.ErrorFields(err)
	attrs := []any{"request_id", RequestID(ctx), "status", status, "code", reason, "error", RedactEmails(err.Error())}
	switch {
	case status >= 500:
		switch {
		case status == 500:
			// Whatever a 500 carries was not written for people.
			reason, message = community.ErrInternal.Name(), community.ErrInternal.Message()
		case status == 503 && dependencyFailed(err):
			reason, message = community.ErrServiceUnavailable.Name(), community.ErrServiceUnavailable.Message()
		}
		log.ErrorContext(ctx, "request failed", attrs...)
	case status == 429:
		log.WarnContext(ctx, "request throttled", attrs...)
	default:
		log.DebugContext(ctx, "request refused", attrs...)
	}
	resp := Body(status, ContentTypeJSON, string(errorBody(reason, message, fields)))
	if status == 401 {
		resp.Headers["WWW-Authenticate"] = `Bearer realm="tabane"`
	}
	return resp
}

func errorBody(reason, message string, fields map[string]string) []byte {
	type body struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	}
	b, err := json.Marshal(struct {
		Error body `json:"error"`
	}{body{reason, message, fields}})
	if err != nil {
		// Strings and a map of strings always encode; keep a literal just in case.
		return []byte(`{"error":{"code":"internal_error","message":"` + community.ErrInternal.Message() + `"}}`)
	}
	return b
}

// Serve runs fn for req: the request id goes into ctx for logs, an error fn
// returns becomes the contract's error response, and a panic becomes a
// logged 500 instead of API Gateway's bare {"message":"Internal Server Error"}.
func Serve(ctx context.Context, log *slog.Logger, req Request, fn func(ctx context.Context) (Response, error)) (resp Response) {
	ctx, cancel := WithAnswerMargin(ctx)
	defer cancel()
	ctx = WithRequest(ctx, req)
	defer func() {
		if p := recover(); p != nil {
			resp = Error(ctx, log, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	resp, err := fn(ctx)
	if err != nil {
		return Error(ctx, log, err)
	}
	return resp
}
