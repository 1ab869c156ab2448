package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func TestPace(t *testing.T) {
	const min = 80 * time.Millisecond
	tests := []struct {
		name    string
		work    time.Duration // already spent when Pace is called
		cancel  bool
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"FastWorkPadded", 0, false, min, min + min/10 + 60*time.Millisecond},
		{"HalfDonePaddedToFloor", min / 2, false, min, min + min/10 + 60*time.Millisecond},
		{"SlowWorkNotDelayed", 2 * min, false, 2 * min, 2*min + 40*time.Millisecond},
		{"CancelledContextReturns", 0, true, 0, 40 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			start := time.Now()
			time.Sleep(tt.work)
			Pace(ctx, start, min)
			took := time.Since(start)
			if took < tt.atLeast || took > tt.atMost {
				t.Errorf("took %v, want between %v and %v", took, tt.atLeast, tt.atMost)
			}
		})
	}
	t.Run("ZeroIsOff", func(t *testing.T) {
		start := time.Now()
		Pace(context.Background(), start, 0)
		if took := time.Since(start); took > 20*time.Millisecond {
			t.Errorf("took %v with no minimum", took)
		}
	})
}

func TestRedactEmails(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"SESMessage", "ses: send: MessageRejected: Email address is not verified. The following identities failed the check in region AP-NORTHEAST-1: hanako.t+1@example.jp",
			"ses: send: MessageRejected: Email address is not verified. The following identities failed the check in region AP-NORTHEAST-1: [email]"},
		{"Bracketed", `recipient <Hanako@Example.JP>, "b@x.co.jp"; c@d.e`, `recipient <[email]>, "[email]"; [email]`},
		{"Several", "a@example.jp,b@example.jp", "[email],[email]"},
		{"NonASCII", "to 髙橋@例え.jp failed", "to [email] failed"},
		{"NoAddress", "dynamo: put registration: ConditionalCheckFailed", "dynamo: put registration: ConditionalCheckFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactEmails(tt.in); got != tt.want {
				t.Errorf("RedactEmails(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// An internal error is logged, but a recipient's address in its text is not.
func TestErrorRedactsEmailsInLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	err := fmt.Errorf("mail: send verification: %w", errors.New("MessageRejected: Email address is not verified: hanako.takahashi@example.jp"))
	resp := Error(context.Background(), log, err)
	if resp.StatusCode != 500 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	got := logs.String()
	if strings.Contains(got, "hanako.takahashi") || strings.Contains(got, "example.jp") {
		t.Errorf("the log holds the address: %s", got)
	}
	if !strings.Contains(got, "MessageRejected") || !strings.Contains(got, "[email]") {
		t.Errorf("the log lost the error itself: %s", got)
	}
}

// An AWS call that failed after the SDK's retries is a dependency down: 503,
// with a message for people and nothing of the SDK's text.
func TestDependencyFailureIs503(t *testing.T) {
	err := fmt.Errorf("dynamo: register: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems", Err: errors.New("InternalServerError: lock timeout")})
	resp := Error(context.Background(), slog.New(slog.DiscardHandler), err)
	if resp.StatusCode != 503 || !strings.Contains(resp.Body, `"service_unavailable"`) || strings.Contains(resp.Body, "lock") {
		t.Errorf("= %d %s", resp.StatusCode, resp.Body)
	}
	if got := Error(context.Background(), nil, errors.New("plain bug")); got.StatusCode != 500 {
		t.Errorf("a foreign non-AWS error = %d, want 500", got.StatusCode)
	}
}
