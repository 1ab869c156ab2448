package community

import (
	"context"
	"log/slog"
)

// logFailure reports what failed after the change it belongs to was stored
// (a mail, an audit entry): the change stands, and the failure must be
// visible. Every service logs through it, with the request's context so
// the line carries the request id; a nil logger (a test's) or a nil err
// logs nothing.
func logFailure(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	if err == nil || log == nil {
		return
	}
	log.ErrorContext(ctx, msg, append(attrs, "error", err.Error())...)
}
