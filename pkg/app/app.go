// Package app is the wiring every Lambda's main and the dev server share:
// it reads the configuration and the AWS credentials once per cold start,
// and builds clients and domain services on first use, so that a function
// builds only what its handler asks for and what runs locally is exactly
// what runs in AWS. It never imports a handler package: each function's
// constructor (eventsapi.Wire, web.Wire, …) lives with its handler and asks
// Deps for what it needs, so each bootstrap links only its own handler.
// What mails (SES, the notifier, the services that send) is wired in
// pkg/app/mailing, which only the functions that mail import: a package's
// initialisers run in every binary that imports it, called or not.
package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// Endpoints point the clients at local stand-ins; empty fields mean AWS.
type Endpoints struct {
	DynamoDB       string
	SES            string
	SecretsManager string
}

// Deps is what a function's constructor builds its handler from: the
// settings, the clock, the logger, and clients and services made on first
// use. A constructor runs once, before lambda.Start (or, in the dev
// server, once per function at start-up); Deps is not safe for concurrent
// construction.
type Deps struct {
	Config    config.Config
	Clock     community.Clock
	Log       *slog.Logger
	AWS       aws.Config
	Endpoints Endpoints

	dynamoDB *dynamodb.Client
	store    *dynamo.Store
	sessions *auth.Sessions
	events   *community.Events
	regs     *community.Registrations
	members  *community.Members
}

// Load reads the configuration and the AWS credentials through getenv:
// all a Lambda's main does before calling its constructor.
//
// Lambda hands a function its execution role's credentials in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
// which is also the first place the SDK's default chain looks. Reading them
// here rather than through aws-sdk-go-v2/config keeps that package, and the
// SSO, STS and shared-file providers it brings, out of every bootstrap: their
// initialisers alone cost a cold start about a millisecond. The standard
// AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SES (or AWS_ENDPOINT_URL)
// point the clients elsewhere, as with the SDK.
//
// In AWS the keys are in Secrets Manager, not in the environment
// (config.Config.Keys): Load reads them here, once per cold start, and
// every service the function builds signs and verifies with that copy.
// AWS_ENDPOINT_URL_SECRETS_MANAGER points that read elsewhere.
func Load(ctx context.Context, getenv func(string) string) (*Deps, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	key, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		return nil, errors.New("app: no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them from the execution role)")
	}
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(key, secret, getenv("AWS_SESSION_TOKEN"))),
	}
	endpoint := func(service string) string {
		if v := getenv("AWS_ENDPOINT_URL_" + service); v != "" {
			return v
		}
		return getenv("AWS_ENDPOINT_URL")
	}
	ep := Endpoints{DynamoDB: endpoint("DYNAMODB"), SES: endpoint("SES"), SecretsManager: endpoint("SECRETS_MANAGER")}
	if cfg.KeyringSecret != "" {
		if cfg.Keys, err = LoadKeys(ctx, awsCfg, ep.SecretsManager, cfg.KeyringSecret); err != nil {
			return nil, err
		}
	}
	return New(cfg, awsCfg, ep, NewLogger(os.Stdout, cfg.LogLevel)), nil
}

// LocalAWSConfig is an SDK configuration for the stand-ins: dummy static
// credentials, so a developer's real AWS credentials are never used locally.
func LocalAWSConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// New returns the dependencies of one function (or of the dev server's
// every function) on an SDK configuration, with clients pointed at ep where
// set. A nil log discards.
func New(cfg config.Config, awsCfg aws.Config, ep Endpoints, log *slog.Logger) *Deps {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deps{Config: cfg, Clock: community.ClockFunc(time.Now), Log: log, AWS: awsCfg, Endpoints: ep}
}

// NewLogger returns the JSON logger every function uses. Lambda's JSON log
// format filters on the "level" field this writes; every line logged with a
// request's context carries its request id, the domain's included.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(level)))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})})
}

// requestIDHandler adds the request id of the context a line is logged
// with, so a line from deep in the domain still names its request.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := httpapi.RequestID(ctx); id != "" {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// DynamoDB returns the DynamoDB client.
func (d *Deps) DynamoDB() *dynamodb.Client {
	if d.dynamoDB == nil {
		d.dynamoDB = dynamodb.NewFromConfig(d.AWS, func(o *dynamodb.Options) {
			// The standard retryer's shared token bucket (500 tokens per
			// client) empties in a registration rush and then refuses to
			// retry at all, turning contention into errors. The store
			// retries transactions itself; let the SDK retry transient
			// failures without a budget.
			attempts := 5
			if d.Endpoints.DynamoDB != "" {
				// DynamoDB Local answers a request that waited on its one
				// SQLite writer with a 500: under a whole test run's load a
				// rush sees more of them than AWS would ever send.
				attempts = 10
			}
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.RateLimiter = ratelimit.None
				so.MaxAttempts = attempts
			})
			if d.Endpoints.DynamoDB != "" {
				o.BaseEndpoint = aws.String(d.Endpoints.DynamoDB)
				// DynamoDB Local's error responses fail the SDK's CRC32
				// check and would log a warning on every conflict.
				o.DisableValidateResponseChecksum = true
			}
		})
	}
	return d.dynamoDB
}

// Store returns the one table.
func (d *Deps) Store() *dynamo.Store {
	if d.store == nil {
		// The suppression list keys addresses as the mail rate limit does.
		d.store = dynamo.New(d.DynamoDB(), d.Config.TableName).WithDigest(auth.Secrets{Keys: d.Config.Keys}.Hash)
	}
	return d.store
}

// Links returns the signer of the links mails carry.
func (d *Deps) Links() auth.Links {
	return auth.Links{BaseURL: d.Config.BaseURL, Keys: d.Config.Keys}
}

// Sessions returns the session keeper every signed-in request goes through.
func (d *Deps) Sessions() *auth.Sessions {
	if d.sessions == nil {
		d.sessions = &auth.Sessions{
			Store:      d.Store(),
			Keys:       d.Config.Keys,
			TTL:        d.Config.SessionTTL,
			Clock:      d.Clock,
			Organizers: d.Config.IsOrganizer,
		}
	}
	return d.sessions
}

// Keeper returns the Idempotency-Key keeper of the functions that take one.
func (d *Deps) Keeper() *idempotency.Keeper {
	return &idempotency.Keeper{Store: d.Store(), Clock: d.Clock}
}

// Events returns the events service.
func (d *Deps) Events() *community.Events {
	if d.events == nil {
		store := d.Store()
		d.events = &community.Events{Store: store, Clock: d.Clock, Regs: store}
	}
	return d.events
}

// SeriesAdmin returns monthly series administration.
func (d *Deps) SeriesAdmin() *community.SeriesAdmin {
	return &community.SeriesAdmin{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// AuditLog returns the audit log reader.
func (d *Deps) AuditLog() *community.AuditLog {
	return &community.AuditLog{Store: d.Store()}
}

// Registrations returns the registrations service. It sends no mail
// itself: the store writes the mails a registration owes into the outbox
// in the same transaction, and the mailer sends them.
func (d *Deps) Registrations() *community.Registrations {
	if d.regs == nil {
		store := d.Store()
		d.regs = &community.Registrations{Events: store, Regs: store, Clock: d.Clock, Links: d.Links(), Log: d.Log}
	}
	return d.regs
}

// Attendance returns attendee lists, check-in and cancelling a
// registration on its registrant's behalf.
func (d *Deps) Attendance() *community.Attendance {
	return &community.Attendance{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// EventAdmin returns event administration: drafts, edits, publishing,
// cancelling. A cancellation's notices go into the outbox with the ends of
// the registrations that owe them.
func (d *Deps) EventAdmin() *community.EventAdmin {
	return &community.EventAdmin{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// Applications returns selection (decisions, 決定通知) and the lottery's
// draw. Its result mails go into the outbox with the status flips that
// owe them.
func (d *Deps) Applications() *community.Applications {
	return &community.Applications{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// Messages returns organizers' messages to an event's attendees, written
// to the outbox one mail per recipient.
func (d *Deps) Messages() *community.Messages {
	return &community.Messages{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// Members returns the membership service: signup, sign-in, profile,
// withdrawal (which cancels the member's future registrations). Its mails
// go into the outbox with the writes that owe them.
func (d *Deps) Members() *community.Members {
	if d.members == nil {
		d.members = &community.Members{
			Store: d.Store(), Clock: d.Clock, Links: d.Links(),
			Secrets: auth.Secrets{Keys: d.Config.Keys}, Sessions: d.Sessions(),
			BeforeWithdraw: d.Registrations().CancelFutureFor,
		}
	}
	return d.members
}

// MemberAdmin returns membership approvals.
func (d *Deps) MemberAdmin() *community.MemberAdmin {
	return &community.MemberAdmin{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// WriteLimiter counts each client's writes in the table
// (httpapi.WriteLimiter), keyed by digests made with the digest key.
func (d *Deps) WriteLimiter() *httpapi.WriteLimiter {
	sec := auth.Secrets{Keys: d.Config.Keys}
	return &httpapi.WriteLimiter{Counter: d.Store(), Hash: sec.Hash, Now: d.Clock.Now, Log: d.Log}
}

// Certificates returns attendance certificates: issuing them to the
// attendee and to organizers, and verifying them for anyone.
func (d *Deps) Certificates() *community.Certificates {
	return &community.Certificates{Store: d.Store(), Links: d.Links(), Clock: d.Clock, Log: d.Log}
}
