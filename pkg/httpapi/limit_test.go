package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

// failingCounter is a counter that cannot count (the table refused).
type failingCounter struct{}

func (failingCounter) Hit(context.Context, string, time.Duration, time.Time) (int, error) {
	return 0, errors.New("throttled")
}

// The limit protects the others; a counter that fails lets the write
// through rather than fail a registration over it.
func TestWriteLimiterFailsOpen(t *testing.T) {
	l := &WriteLimiter{Counter: failingCounter{}, Hash: func(s string) string { return s }, Now: time.Now}
	req := Request{RouteKey: "POST /api/events/{id}/registrations", Headers: map[string]string{}}
	req.RequestContext.HTTP.Method = "POST"
	if err := l.Check(context.Background(), req); err != nil {
		t.Errorf("a failed count refused the write: %v", err)
	}
}
