package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/community"
)

// fakeSES answers SendRawEmail from a script, one error per call (nil for
// success; past the end of the script every call succeeds). It records
// whether each call carried a deadline.
type fakeSES struct {
	mu        sync.Mutex
	script    []error
	always    error
	block     bool
	calls     int
	deadlines []bool
	inputs    []*ses.SendRawEmailInput
	retryers  []aws.Retryer // what each call's options set
}

func (f *fakeSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, optFns ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	var o ses.Options
	for _, fn := range optFns {
		fn(&o)
	}
	f.mu.Lock()
	f.retryers = append(f.retryers, o.Retryer)
	i := f.calls
	f.calls++
	_, ok := ctx.Deadline()
	f.deadlines = append(f.deadlines, ok)
	f.inputs = append(f.inputs, in)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if f.always != nil {
		return nil, f.always
	}
	if i < len(f.script) && f.script[i] != nil {
		return nil, f.script[i]
	}
	return &ses.SendRawEmailOutput{MessageId: aws.String("fake-id")}, nil
}

// The SDK hands such errors back wrapped in an OperationError; so do we.
func sesError(code, msg string) error {
	return &smithy.OperationError{ServiceID: "SES", OperationName: "SendRawEmail",
		Err: &smithy.GenericAPIError{Code: code, Message: msg}}
}

// Transport failures as the SDK's HTTP client reports them.
var (
	errReset = &smithy.OperationError{ServiceID: "SES", OperationName: "SendRawEmail",
		Err: &url.Error{Op: "Post", URL: "https://email.ap-northeast-1.amazonaws.com/",
			Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}}
	errRefused = &smithy.OperationError{ServiceID: "SES", OperationName: "SendRawEmail",
		Err: &url.Error{Op: "Post", URL: "https://email.ap-northeast-1.amazonaws.com/",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}}
)

var (
	errThrottle = sesError("Throttling", "Maximum sending rate exceeded.")
	errQuota    = sesError("Throttling", "Daily message quota exceeded.")
	errRejected = sesError("MessageRejected", "Email address is not verified.")
)

func TestSender(t *testing.T) {
	tests := []struct {
		name      string
		fake      *fakeSES
		wantCalls int
		wantCode  community.Code // "" for success
		reason    *community.Reason
		wantIs    error // errors.Is target for a wrapped failure
	}{
		{"OK", &fakeSES{}, 1, "", nil, nil},
		{"ThrottledTwiceThenSent", &fakeSES{script: []error{errThrottle, errThrottle}}, 3, "", nil, nil},
		{"AlwaysThrottled", &fakeSES{always: errThrottle}, 4, community.Unavailable, community.ErrMailThrottled, nil},
		{"DailyQuota", &fakeSES{always: errQuota}, 1, community.Unavailable, community.ErrMailQuotaExceeded, nil},
		{"Rejected", &fakeSES{always: errRejected}, 1, community.Internal, community.ErrInternal, errRejected},
		{"CallTimeout", &fakeSES{block: true}, 1, community.Unavailable, community.ErrMailTimeout, context.DeadlineExceeded},
		// A reset after the request went out: SES may have the mail, so it
		// is uncertain, never retried here.
		{"ConnectionReset", &fakeSES{always: errReset}, 1, community.Unavailable, community.ErrMailTimeout, syscall.ECONNRESET},
		// No connection at all: nothing went out, so it may go again later.
		{"ConnectionRefused", &fakeSES{always: errRefused}, 1, community.Unavailable, community.ErrMailUnavailable, syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Sender{SES: tt.fake, MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
				CallTimeout: 50 * time.Millisecond, Clock: community.ClockFunc(func() time.Time { return testDate })}
			id, err := s.Send(context.Background(), testMessage())
			if tt.fake.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", tt.fake.calls, tt.wantCalls)
			}
			for i, ok := range tt.fake.deadlines {
				if !ok {
					t.Errorf("call %d had no deadline", i)
				}
			}
			if tt.wantCode == "" {
				if err != nil || id != "fake-id" {
					t.Fatalf("Send = %q, %v; want fake-id", id, err)
				}
			} else {
				if community.ErrorCode(err) != tt.wantCode || community.ReasonOf(err) != tt.reason {
					t.Fatalf("err = %v, want %s/%s", err, tt.wantCode, tt.reason.Name())
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("err = %v, want it to wrap %v", err, tt.wantIs)
				}
			}
			for i, r := range tt.fake.retryers {
				// SendRawEmail is not idempotent: the SDK must not resend it.
				if r == nil || r.MaxAttempts() != 1 {
					t.Errorf("call %d: SDK retryer %T, want one attempt only", i, r)
				}
			}
			for _, in := range tt.fake.inputs {
				if len(in.Destinations) != 1 || in.Destinations[0] != "takahashi@example.jp" {
					t.Errorf("destinations = %v, want the one recipient", in.Destinations)
				}
				if !bytes.Contains(in.RawMessage.Data, []byte("\r\nTo: ")) {
					t.Errorf("raw message has no To header")
				}
			}
		})
	}
}

// TestSenderTagsOutboxMail: a mail sent for an outbox item carries the
// item as an SES message tag, so SES's Send event names it.
func TestSenderTagsOutboxMail(t *testing.T) {
	fake := &fakeSES{}
	s := &Sender{SES: fake, Clock: community.ClockFunc(func() time.Time { return testDate })}
	ctx, receipt := community.WithReceipt(context.Background(), "01JABC.registration_confirmed")
	m := testMessage()
	if _, err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	want := "X-SES-MESSAGE-TAGS: outbox=" + community.MailTag(receipt.MailID) + "\r\n"
	if raw := fake.inputs[0].RawMessage.Data; !bytes.Contains(raw, []byte(want)) {
		t.Errorf("raw mail lacks %q:\n%s", want, raw)
	}
	if m.Tags != nil {
		t.Errorf("the caller's message was changed: %v", m.Tags)
	}
	if id, ok := community.ParseMailTag(community.MailTag(receipt.MailID)); !ok || id != receipt.MailID {
		t.Errorf("tag round trip = %q, %v", id, ok)
	}
	// Without a receipt, no tag.
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(fake.inputs[1].RawMessage.Data, []byte("X-SES-MESSAGE-TAGS")) {
		t.Error("an untracked mail carries a tag")
	}
}

func TestSenderStopsWithContext(t *testing.T) {
	fake := &fakeSES{always: errThrottle}
	s := &Sender{SES: fake, MaxAttempts: 100, BaseDelay: time.Hour, MaxDelay: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Send(ctx, testMessage())
	if !errors.Is(err, community.ErrMailThrottled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want mail_throttled wrapping the deadline", err)
	}
	if fake.calls != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("calls = %d after %v, want 1 and an early return", fake.calls, time.Since(start))
	}
}

func TestSenderInvalidMessage(t *testing.T) {
	fake := &fakeSES{}
	m := testMessage()
	m.To.Email = "a@example.jp\r\nBcc: b@example.jp"
	_, err := NewSender(fake, nil).Send(context.Background(), m)
	if community.ErrorCode(err) != community.Invalid || fake.calls != 0 {
		t.Fatalf("err = %v after %d calls, want invalid and no call", err, fake.calls)
	}
}

func TestBackoff(t *testing.T) {
	s := &Sender{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},
		{60, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Attempt%d", tt.attempt), func(t *testing.T) {
			for range 200 {
				if d := s.backoff(tt.attempt); d < tt.min || d > tt.max {
					t.Fatalf("backoff(%d) = %v, want in [%v, %v]", tt.attempt, d, tt.min, tt.max)
				}
			}
		})
	}
}

// TestSenderRate: a Sender with a Rate spaces its calls; the first goes at
// once.
func TestSenderRate(t *testing.T) {
	fake := &fakeSES{}
	s := &Sender{SES: fake, Rate: 50, MaxAttempts: 1, CallTimeout: time.Second,
		Clock: community.ClockFunc(func() time.Time { return testDate })}
	start := time.Now()
	for range 6 {
		if _, err := s.Send(context.Background(), testMessage()); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("6 sends at 50/s took %v, want at least 100ms", took)
	}
}
