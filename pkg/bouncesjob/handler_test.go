package bouncesjob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/bouncesjob"
	"github.com/sorae/tabane/pkg/community"
)

// suppressFunc is a function-field Suppressor.
type suppressFunc func(ctx context.Context, email string, s community.Suppression) error

func (f suppressFunc) Suppress(ctx context.Context, email string, s community.Suppression) error {
	return f(ctx, email, s)
}

type call struct {
	Email string
	S     community.Suppression
}

var now = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)

// recorder returns a handler that records every Suppress call, failing
// those for which fail says so, and the buffer its logs go to.
func recorder(fail func(email string) bool) (*bouncesjob.Handler, *[]call, *bytes.Buffer) {
	var calls []call
	var logs bytes.Buffer
	s := suppressFunc(func(_ context.Context, email string, s community.Suppression) error {
		calls = append(calls, call{email, s})
		if fail != nil && fail(email) {
			return errors.New("dynamo: suppress: connection refused")
		}
		return nil
	})
	clock := community.ClockFunc(func() time.Time { return now })
	return bouncesjob.New(s, clock, slog.New(slog.NewJSONHandler(&logs, nil))), &calls, &logs
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func snsEvent(messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{
			EventSource: "aws:sns",
			SNS:         events.SNSEntity{Type: "Notification", MessageID: "sns-" + string(rune('a'+i)), Message: m},
		})
	}
	return ev
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// noAddresses fails when the logs hold anything like an address.
func noAddresses(t *testing.T, logs *bytes.Buffer) {
	t.Helper()
	if strings.Contains(logs.String(), "@") {
		t.Errorf("the logs hold an address:\n%s", logs)
	}
}

func TestHandleFixtures(t *testing.T) {
	tests := []struct {
		name, file string
		want       []call
	}{
		{"PermanentBounce", "ses-bounce-permanent.json", []call{{"Gone.Member@Example.JP", community.Suppression{
			Reason: community.SuppressedBounce, At: at("2026-12-01T03:15:42.118Z"),
			MessageID: "0106018f2a1b2f10-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f-000000"}}}},
		{"TransientBounce", "ses-bounce-transient.json", nil},
		{"UndeterminedBounce", "ses-bounce-undetermined.json", nil},
		{"Complaint", "ses-complaint.json", []call{{"annoyed@example.jp", community.Suppression{
			Reason: community.SuppressedComplaint, At: at("2026-12-02T09:30:00Z"),
			MessageID: "0106018f2a1e0001-ccccdddd-eeee-ffff-0000-111122223333-000000"}}}},
		{"NotificationBounce", "notification-bounce-permanent.json", []call{
			{"old.a@example.jp", community.Suppression{Reason: community.SuppressedBounce, At: at("2026-12-03T00:00:10Z"),
				MessageID: "0106018f2a1f0001-ddddeeee-ffff-0000-1111-222233334444-000000"}},
			{"old.b@example.jp", community.Suppression{Reason: community.SuppressedBounce, At: at("2026-12-03T00:00:10Z"),
				MessageID: "0106018f2a1f0001-ddddeeee-ffff-0000-1111-222233334444-000000"}},
		}},
		{"NotificationComplaint", "notification-complaint.json", []call{{"spam.button@example.jp", community.Suppression{
			Reason: community.SuppressedComplaint, At: at("2026-12-04T10:00:03Z"),
			MessageID: "0106018f2a200001-eeeeffff-0000-1111-2222-333344445555-000000"}}}},
		{"Delivery", "ses-delivery.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls, logs := recorder(nil)
			if err := h.Handle(context.Background(), snsEvent(fixture(t, tt.file))); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if diff := cmp.Diff(tt.want, *calls); diff != "" {
				t.Errorf("Suppress calls (-want +got):\n%s", diff)
			}
			noAddresses(t, logs)
		})
	}
}

// TestHandleBadInput: nothing that is not a bounce or complaint fails the
// invocation (a retry cannot mend it) or reaches the logs.
func TestHandleBadInput(t *testing.T) {
	tests := []struct{ name, message string }{
		{"NotJSON", "Undeliverable: <someone@example.jp> said no"},
		{"Empty", ""},
		{"JSONNotSES", `{"hello":"someone@example.jp"}`},
		{"NoMessageID", `{"eventType":"Bounce","mail":{},"bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"someone@example.jp"}]}}`},
		{"UnknownType", `{"eventType":"Teleport","mail":{"messageId":"m-1","destination":["someone@example.jp"]}}`},
		{"BounceWithoutBounce", `{"eventType":"Bounce","mail":{"messageId":"m-2","destination":["someone@example.jp"]}}`},
		{"NotAnAddress", `{"eventType":"Complaint","mail":{"messageId":"m-3"},"complaint":{"complainedRecipients":[{"emailAddress":"not an address"},{"emailAddress":""}]}}`},
		{"WrongTypes", `{"eventType":"Bounce","mail":{"messageId":"m-4"},"bounce":{"bounceType":7}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls, logs := recorder(nil)
			if err := h.Handle(context.Background(), snsEvent(tt.message)); err != nil {
				t.Fatalf("Handle: %v, want nil (bad input is skipped)", err)
			}
			if len(*calls) != 0 {
				t.Errorf("Suppress called: %+v", *calls)
			}
			if logs.Len() == 0 {
				t.Error("nothing logged")
			}
			noAddresses(t, logs)
		})
	}
}

// TestHandleSNSEvent runs a whole SNS delivery through the JSON path
// lambda.Start uses: the bad record in the middle is skipped, the others
// are suppressed, and the logs name message ids, not addresses.
func TestHandleSNSEvent(t *testing.T) {
	h, calls, logs := recorder(nil)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(fixture(t, "sns-event.json")))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if string(out) != "null" {
		t.Errorf("Invoke answered %s, want null", out)
	}
	var got []string
	for _, c := range *calls {
		got = append(got, c.Email+" "+string(c.S.Reason))
	}
	if diff := cmp.Diff([]string{"Gone.Member@Example.JP bounce", "annoyed@example.jp complaint"}, got); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
	noAddresses(t, logs)
	var sawBad bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l["sns_message_id"] == "7d3c1f20-9a8b-5c6d-8e7f-000000000002" && l["level"] == "WARN" {
			sawBad = true
		}
	}
	if !sawBad {
		t.Errorf("no warning names the unreadable record's SNS message id:\n%s", logs)
	}
}

// TestHandleStoreFailure: a failed write fails the invocation, so Lambda
// retries it, after every other record had its turn.
func TestHandleStoreFailure(t *testing.T) {
	h, calls, logs := recorder(func(email string) bool { return email == "old.a@example.jp" })
	err := h.Handle(context.Background(), snsEvent(fixture(t, "notification-bounce-permanent.json"), fixture(t, "ses-complaint.json")))
	if err == nil {
		t.Fatal("Handle: nil error, want the store's")
	}
	if len(*calls) != 3 {
		t.Errorf("%d Suppress calls, want 3 (every recipient tried)", len(*calls))
	}
	noAddresses(t, logs)
}

// TestNoticeWithoutTime: a notice without its own time is dated by the clock.
func TestNoticeWithoutTime(t *testing.T) {
	h, calls, _ := recorder(nil)
	msg := `{"notificationType":"Complaint","mail":{"messageId":"m-5"},"complaint":{"complainedRecipients":[{"emailAddress":"a@example.jp"}]}}`
	if err := h.Handle(context.Background(), snsEvent(msg)); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 1 || !(*calls)[0].S.At.Equal(now) {
		t.Errorf("calls %+v, want one dated %v", *calls, now)
	}
}
