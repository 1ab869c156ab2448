package community

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
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
	log.ErrorContext(ctx, msg, append(attrs, "error", RedactEmails(err.Error()))...)
}

// emailPattern finds things shaped like addresses in free text. It is loose
// on purpose: redacting a little too much from a log line costs nothing.
// Compiled on first use, when something is logged, not in every cold start.
var emailPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[^\s<>()\[\]"',;:@]+@[^\s<>()\[\]"',;:@]+`)
})

// RedactEmails replaces every email address in s with "[email]". Error text
// from SES and the store can carry a recipient's address, which has no place
// in logs kept long after a member withdraws.
func RedactEmails(s string) string {
	return emailPattern().ReplaceAllString(s, "[email]")
}
