package communitytest

import (
	"context"
	"log/slog"
	"testing"
)

// FailOnError returns a logger under which every Error line fails t: the
// services log failures that must not happen in a test's happy path (a
// mail that did not go out, an audit entry not written).
func FailOnError(t testing.TB) *slog.Logger {
	return slog.New(failHandler{t: t})
}

// Logf returns a logger that writes every line to t.Logf.
func Logf(t testing.TB) *slog.Logger {
	return slog.New(failHandler{t: t, logOnly: true})
}

type failHandler struct {
	t       testing.TB
	logOnly bool
	attrs   []slog.Attr
}

func (h failHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h failHandler) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	for _, a := range h.attrs {
		line += " " + a.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	if r.Level >= slog.LevelError && !h.logOnly {
		h.t.Errorf("logged: %s", line)
	} else {
		h.t.Logf("logged: %s", line)
	}
	return nil
}

func (h failHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return h
}

func (h failHandler) WithGroup(string) slog.Handler { return h }
