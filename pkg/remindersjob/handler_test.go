package remindersjob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/remindersjob"
)

// sweeperFunc is a function-field fake of remindersjob.Sweeper.
type sweeperFunc func(ctx context.Context) (community.SweepResult, error)

func (f sweeperFunc) Sweep(ctx context.Context) (community.SweepResult, error) {
	return f(ctx)
}

// TestHandler invokes the handler through the JSON path Lambda uses, with
// the payloads the schedule sends (testdata/).
func TestHandler(t *testing.T) {
	result := community.SweepResult{
		Due: 3, Sent: 5, Skipped: 2, SkippedBy: map[string]int{community.SkipOptedOut: 2}, Failed: 1,
		Finished: 2, Stopped: community.StopBudget, Occurrences: 1,
	}
	boom := errors.New("dynamo: due reminders: connection refused")
	tests := []struct {
		name      string
		payload   string
		deadline  time.Duration // 0 for none
		err       error
		wantStop  time.Duration // stopAt - now, roughly
		wantLog   string
		wantError bool
	}{
		{name: "Scheduled", payload: "scheduler.json", deadline: 300 * time.Second, wantStop: 270 * time.Second, wantLog: "a1b2c3d4-5678-90ab-cdef-1234567890ab"},
		{name: "Retry", payload: "retry.json", deadline: 300 * time.Second, wantStop: 270 * time.Second, wantLog: `"attempt":"2"`},
		{name: "Empty", payload: "empty.json", deadline: 300 * time.Second, wantStop: 270 * time.Second, wantLog: `"sent":5`},
		{name: "ShortDeadline", payload: "empty.json", deadline: 30 * time.Second, wantStop: 20 * time.Second, wantLog: `"due":3`},
		{name: "NoDeadline", payload: "empty.json", wantStop: remindersjob.DefaultBudget, wantLog: `"failed":1`},
		{name: "SweepFailed", payload: "scheduler.json", deadline: 300 * time.Second, err: boom, wantStop: 270 * time.Second, wantLog: "connection refused", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("testdata", tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			var gotStop time.Duration
			h := remindersjob.New(sweeperFunc(func(ctx context.Context) (community.SweepResult, error) {
				stop, ok := ctx.Deadline()
				if !ok {
					t.Error("the sweep's context has no deadline")
				}
				gotStop = time.Until(stop)
				time.Sleep(20 * time.Millisecond) // the sweep's work, which the log times
				return result, tt.err
			}), slog.New(slog.NewJSONHandler(&logs, nil)))
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			out, err := lambda.NewHandler(h.Handle).Invoke(ctx, payload)
			if (err != nil) != tt.wantError {
				t.Fatalf("Invoke error = %v, want error %v", err, tt.wantError)
			}
			if d := gotStop - tt.wantStop; d < -2*time.Second || d > time.Second {
				t.Errorf("budget %v, want about %v", gotStop, tt.wantStop)
			}
			line := logs.String()
			if strings.Count(line, "\n") != 1 || !strings.Contains(line, tt.wantLog) || !regexp.MustCompile(`"duration_ms":([2-9]\d|\d{3,})\b`).MatchString(line) {
				t.Errorf("log = %s, want one JSON line with %s", line, tt.wantLog)
			}
			if tt.wantError {
				if !strings.Contains(line, `"level":"ERROR"`) {
					t.Errorf("a failed sweep logged %s", line)
				}
				return
			}
			var got remindersjob.Result
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("result %s: %v", out, err)
			}
			if got.Due != 3 || got.Sent != 5 || got.SkippedBy[community.SkipOptedOut] != 2 || got.Stopped != community.StopBudget || got.DurationMS < 20 {
				t.Errorf("result %+v", got)
			}
		})
	}
}

// TestHandlerSweeps runs the real sweep through the handler: the log
// line says what it did and carries no address and no join URL.
func TestHandlerSweeps(t *testing.T) {
	e := newEnv(t)
	join := "https://zoom.example/j/never-logged"
	ev := e.event("井戸端会議", T.Add(30*time.Minute), online(join))
	regs := e.guests(ev, 2)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	svc := e.service()
	svc.Log = log
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	payload, err := os.ReadFile(filepath.Join("testdata", "scheduler.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(remindersjob.New(svc, log).Handle).Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	var got remindersjob.Result
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	// Both reminders (24 h and 1 h) are due, each to both guests.
	if got.Sent != 4 || got.Due != 2 || got.Finished != 2 {
		t.Errorf("result %+v, want 4 sent of 2 due, both finished", got)
	}
	for _, secret := range []string{join, regs[0].Guest.Email, "@example.jp"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q: %s", secret, logs.String())
		}
	}
	exactlyOne(t, regs, bothDue)
}
