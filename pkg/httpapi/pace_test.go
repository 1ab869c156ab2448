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
	// A floor long enough that a loaded machine's scheduling delays (tens
	// of milliseconds) cannot pass for it: the test tells "padded to the
	// floor" from "not padded" by a margin of whole floors.
	const min = 300 * time.Millisecond
	tests := []struct {
		name    string
		work    time.Duration // already spent when Pace is called
		cancel  bool
		atLeast time.Duration // of the whole, work included
		pacedAt time.Duration // most Pace itself may take
	}{
		{"FastWorkPadded", 0, false, min, min + min/10 + min/2},
		{"HalfDonePaddedToFloor", min / 2, false, min, min/2 + min/10 + min/2},
		{"SlowWorkNotDelayed", 2 * min, false, 2 * min, min / 2},
		{"CancelledContextReturns", 0, true, 0, min / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			start := time.Now()
			time.Sleep(tt.work)
			before := time.Now()
			Pace(ctx, start, min)
			took, paced := time.Since(start), time.Since(before)
			if took < tt.atLeast || paced > tt.pacedAt {
				t.Errorf("took %v (Pace %v), want at least %v with Pace at most %v", took, paced, tt.atLeast, tt.pacedAt)
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
