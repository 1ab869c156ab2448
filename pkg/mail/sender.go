package mail

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/community"
)

// SESClient is the part of the SES v1 client that Sender uses; *ses.Client
// satisfies it, and tests substitute a fake that throttles.
type SESClient interface {
	SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, optFns ...func(*ses.Options)) (*ses.SendRawEmailOutput, error)
}

var _ SESClient = (*ses.Client)(nil)

// Defaults for Sender's zero fields.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 250 * time.Millisecond
	DefaultMaxDelay    = 4 * time.Second
)

// Sender sends Messages with SES SendRawEmail, one message per recipient.
// Zero fields take the defaults above.
//
// SendRawEmail is not idempotent, so the SDK's retryer is off for it and
// Sender decides what may be tried again: a throttled call (SES said no),
// with its own bounded backoff — a sweep sending many mails hits SES's
// per-second rate for longer than a few quick retries cover; with the
// defaults it gives up after about four seconds of waiting, and the mail is
// retried later. A call cut off after its request went out is never
// retried here: it is reported as mail_timeout, and the outbox waits for
// SES's Send event (community.UncertainHold).
type Sender struct {
	SES   SESClient
	Clock community.Clock // dates the mails; nil for the wall clock
	// CallTimeout bounds each SendRawEmail call. Without one a call can hang
	// for good (the local SES stand-in never answers some calls).
	CallTimeout time.Duration
	MaxAttempts int           // calls per message while throttled, the first included
	BaseDelay   time.Duration // wait after the first throttled call; doubles each time
	MaxDelay    time.Duration // cap on one wait
	// ConfigurationSet names the SES configuration set (bounce and complaint
	// events); empty for none.
	ConfigurationSet string
	// Rate spaces this Sender's calls to at most Rate a second (config
	// TABANE_SES_RATE): each mailer invocation stays under its share of the
	// account's SES sending rate. 0 does not space them.
	Rate float64

	paceMu sync.Mutex
	next   time.Time // when the next call may start
}

// pace waits for the next call's turn at Rate; ctx's error when it ends
// first. The wall clock is right here: pacing is about real seconds.
func (s *Sender) pace(ctx context.Context) error {
	if s.Rate <= 0 {
		return ctx.Err()
	}
	every := time.Duration(float64(time.Second) / s.Rate)
	s.paceMu.Lock()
	now := time.Now()
	at := s.next
	if at.Before(now) {
		at = now
	}
	s.next = at.Add(every)
	s.paceMu.Unlock()
	return wait(ctx, at.Sub(now))
}

// NewSender returns a Sender on client with the default limits.
func NewSender(client SESClient, clock community.Clock) *Sender {
	return &Sender{SES: client, Clock: clock}
}

// Send encodes m and sends it to m.To, returning SES's message id. When ctx
// carries a community.Receipt for an outbox item, the mail is tagged with it
// (MailTagName), so SES's Send event names the item.
// Errors: Invalid (invalid_email, invalid_message) for an unusable message;
// Unavailable with reason mail_throttled when SES kept throttling through
// every attempt (or the context ended while waiting), mail_quota_exceeded when
// the daily quota is used up, mail_unavailable when no connection to SES
// could be made, mail_timeout when the call was cut off after its request
// may have gone out (SES may have taken it: a second copy is not sent
// blindly); SES's other refusals wrapped with %w.
func (s *Sender) Send(ctx context.Context, m *Message) (string, error) {
	now := time.Now()
	if s.Clock != nil {
		now = s.Clock.Now()
	}
	if r := community.ReceiptOf(ctx); r != nil && r.MailID != "" {
		// SES's Send event names the outbox item, which settles a send
		// whose call was cut off (community.UncertainHold).
		tagged := *m
		tagged.Tags = maps.Clone(m.Tags)
		if tagged.Tags == nil {
			tagged.Tags = map[string]string{}
		}
		tagged.Tags[community.MailTagName] = community.MailTag(r.MailID)
		m = &tagged
	}
	raw, err := m.Encode(now)
	if err != nil {
		return "", err
	}
	in := &ses.SendRawEmailInput{
		RawMessage: &types.RawMessage{Data: raw},
		// Naming the one recipient makes SES deliver to exactly that address,
		// whatever the headers say.
		Destinations: []string{m.To.Email},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		if err := s.pace(ctx); err != nil {
			return "", errThrottled(err)
		}
		out, err := s.call(ctx, in)
		if err == nil {
			return aws.ToString(out.MessageId), nil
		}
		switch {
		case quotaExceeded(err):
			return "", &community.Error{Reason: community.ErrMailQuotaExceeded,
				Message: "本日のメール送信上限に達しました。時間をおいて再度お試しください。", Err: err}
		case throttled(err):
			if attempt >= attempts {
				return "", errThrottled(err)
			}
			if werr := wait(ctx, s.backoff(attempt)); werr != nil {
				return "", errThrottled(errors.Join(err, werr))
			}
		case answered(err):
			// SES answered and did not take the mail (a 5xx, a refusal):
			// nothing went out, so it may go again.
			return "", fmt.Errorf("mail: ses send raw email: %w", err)
		case neverSent(err):
			return "", &community.Error{Reason: community.ErrMailUnavailable,
				Message: "メール送信サービスに接続できません。時間をおいて再度お試しください。", Err: err}
		default:
			// Cut off after the request may have gone out (a timeout, a
			// reset connection, the context ending mid-call): SES may have
			// taken it, and only its Send event can tell.
			return "", &community.Error{Reason: community.ErrMailTimeout,
				Message: "メール送信サービスが応答しません。時間をおいて再度お試しください。", Err: err}
		}
	}
}

func (s *Sender) call(ctx context.Context, in *ses.SendRawEmailInput) (*ses.SendRawEmailOutput, error) {
	timeout := s.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// No SDK retries: SendRawEmail is not idempotent, and the SDK retries a
	// reset connection whose request SES may already have taken. Send
	// retries what is safe to retry (throttling) itself.
	return s.SES.SendRawEmail(ctx, in, func(o *ses.Options) { o.Retryer = aws.NopRetryer{} })
}

// answered reports whether err is SES's own answer (an API error with an
// HTTP response): the call completed, and SES did not take the mail.
func answered(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae)
}

// neverSent reports whether the call failed before its request could reach
// SES: no connection was made (refused, unresolvable, unreachable).
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// backoff returns the wait after the attempt-th throttled call: exponential,
// capped, with "equal jitter" (half fixed, half random) so that concurrent
// senders spread out yet each still waits a real while.
func (s *Sender) backoff(attempt int) time.Duration {
	base, maxd := s.BaseDelay, s.MaxDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	if maxd <= 0 {
		maxd = DefaultMaxDelay
	}
	d := base
	for i := 1; i < attempt && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	half := d / 2
	return half + rand.N(d-half+1)
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func errThrottled(err error) error {
	return &community.Error{Reason: community.ErrMailThrottled,
		Message: "メールの送信が混み合っています。時間をおいて再度お試しください。", Err: err}
}

// throttled reports whether SES refused the call for its sending rate
// ("Throttling: Maximum sending rate exceeded."), which passes in a moment.
func throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return code == "Throttling" || code == "ThrottlingException" ||
		strings.Contains(ae.ErrorMessage(), "Maximum sending rate exceeded")
}

// quotaExceeded reports whether SES refused the call for the daily quota,
// which also comes as "Throttling" but will not pass for hours: retrying it
// only delays the answer.
func quotaExceeded(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorMessage(), "Daily message quota exceeded")
}
