package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/community"
)

// Reasons this package gives its own errors, beyond the domain's.
const (
	ReasonTooLarge             = "too_large"
	ReasonUnsupportedMediaType = "unsupported_media_type"
	ReasonRouteNotFound        = "route_not_found"
	internalReason             = "internal_error"
)

const internalMessage = "サーバー内部でエラーが発生しました。時間をおいて再度お試しください。"

// ErrTooLarge is a request body over MaxBodyBytes (413).
func ErrTooLarge() error {
	return community.Errorf(community.Invalid, ReasonTooLarge, "リクエストの本文が大きすぎます（上限64KiB）。")
}

// ErrUnsupportedMediaType is a body that is not JSON in UTF-8 (415).
func ErrUnsupportedMediaType() error {
	return community.Errorf(community.Invalid, ReasonUnsupportedMediaType, "Content-Type は application/json（UTF-8）にしてください。")
}

// ErrRouteNotFound answers a route the function does not serve (404).
func ErrRouteNotFound() error {
	return community.Errorf(community.NotFound, ReasonRouteNotFound, "指定されたURLは存在しません。")
}

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

// Status returns the HTTP status for err: by its code, except the two body
// problems HTTP has its own statuses for.
func Status(err error) int {
	switch community.ErrorReason(err) {
	case ReasonTooLarge:
		return 413
	case ReasonUnsupportedMediaType:
		return 415
	}
	if s, ok := statusByCode[community.ErrorCode(err)]; ok {
		if s == 500 && dependencyFailed(err) {
			return 503
		}
		return s
	}
	return 500
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
	return errors.As(err, &op)
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
	var fields map[string]string
	var de *community.Error
	if errors.As(err, &de) && de.Code == community.Invalid {
		fields = de.Fields
	}
	attrs := []any{"request_id", RequestID(ctx), "status", status, "code", reason, "error", RedactEmails(err.Error())}
	switch {
	case status >= 500:
		switch {
		case status == 500:
			// Whatever a 500 carries was not written for people.
			reason, message = internalReason, internalMessage
		case status == 503 && dependencyFailed(err):
			reason, message = "service_unavailable", "ただいま混み合っているため処理できませんでした。少し時間をおいて再度お試しください。"
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
		return []byte(`{"error":{"code":"internal_error","message":"` + internalMessage + `"}}`)
	}
	return b
}

// Serve runs fn for req: the request id goes into ctx for logs, an error fn
// returns becomes the contract's error response, and a panic becomes a
// logged 500 instead of API Gateway's bare {"message":"Internal Server Error"}.
func Serve(ctx context.Context, log *slog.Logger, req Request, fn func(ctx context.Context) (Response, error)) (resp Response) {
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
