// Package app is the wiring every Lambda's main and the dev server share:
// it reads the configuration, loads the AWS configuration once per cold
// start, and builds clients and domain services on first use, so that a
// function builds only what its handler asks for and what runs locally is
// exactly what runs in AWS. It never imports a handler package: each
// function's constructor (eventsapi.Wire, webpages.Wire, …) lives with its
// handler and asks Deps for what it needs, so each bootstrap links only
// its own handler.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// Endpoints point the clients at local stand-ins; empty fields mean AWS.
type Endpoints struct {
	DynamoDB string
	SES      string
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
	ses      *ses.Client
	store    *dynamo.Store
	notifier *mail.Notifier
	sessions *auth.Sessions
	regs     *community.Registrations
	members  *community.Members
	events   *community.Events
}

// Load reads the configuration through getenv and loads the AWS
// configuration with the SDK's default chain (so the standard
// AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SES variables work too):
// all a Lambda's main does before calling its constructor.
func Load(ctx context.Context, getenv func(string) string) (*Deps, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("app: load AWS config: %w", err)
	}
	return New(cfg, awsCfg, Endpoints{}, NewLogger(os.Stdout, cfg.LogLevel)), nil
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
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
				so.RateLimiter = ratelimit.None
				so.MaxAttempts = 5
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

// SES returns the SES client.
func (d *Deps) SES() *ses.Client {
	if d.ses == nil {
		d.ses = ses.NewFromConfig(d.AWS, func(o *ses.Options) {
			if d.Endpoints.SES != "" {
				o.BaseEndpoint = aws.String(d.Endpoints.SES)
			}
		})
	}
	return d.ses
}

// Store returns the one table.
func (d *Deps) Store() *dynamo.Store {
	if d.store == nil {
		d.store = dynamo.New(d.DynamoDB(), d.Config.TableName)
	}
	return d.store
}

// Notifier returns the mailer: Japanese mails sent through SES.
func (d *Deps) Notifier() (*mail.Notifier, error) {
	if d.notifier == nil {
		composer, err := mail.NewComposer(d.Config)
		if err != nil {
			return nil, fmt.Errorf("app: mail composer: %w", err)
		}
		d.notifier = &mail.Notifier{Composer: composer, Sender: mail.NewSender(d.SES(), d.Clock)}
	}
	return d.notifier, nil
}

// sendMargin is how long before the function's deadline an organizer's
// bulk send stops starting new mails, so the sends in flight, their
// bookkeeping and the answer still fit.
const sendMargin = 5 * time.Second

// Pacing paces organizers' bulk mail at the configured SES rate.
func (d *Deps) Pacing() func(ctx context.Context) community.Pace {
	return mail.Pacing(d.Config.SendRatePerSec, sendMargin)
}

// Links returns the signer of the links mails carry.
func (d *Deps) Links() auth.Links {
	return auth.Links{BaseURL: d.Config.BaseURL, Secret: d.Config.SessionSecret}
}

// Sessions returns the session keeper every signed-in request goes through.
func (d *Deps) Sessions() *auth.Sessions {
	if d.sessions == nil {
		d.sessions = &auth.Sessions{
			Store:      d.Store(),
			Secret:     d.Config.SessionSecret,
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

// Registrations returns the registrations service.
func (d *Deps) Registrations() (*community.Registrations, error) {
	if d.regs == nil {
		n, err := d.Notifier()
		if err != nil {
			return nil, err
		}
		store := d.Store()
		d.regs = &community.Registrations{
			Events: store, Regs: store, Members: store, Notifier: n, Clock: d.Clock, Links: d.Links(), Log: d.Log,
		}
	}
	return d.regs, nil
}

// Members returns the membership service: signup, sign-in, profile,
// withdrawal (which cancels the member's future registrations).
func (d *Deps) Members() (*community.Members, error) {
	if d.members == nil {
		n, err := d.Notifier()
		if err != nil {
			return nil, err
		}
		regs, err := d.Registrations()
		if err != nil {
			return nil, err
		}
		d.members = &community.Members{
			Store: d.Store(), Notifier: n, Clock: d.Clock, Links: d.Links(),
			Secrets: auth.Secrets{Key: d.Config.SessionSecret}, Sessions: d.Sessions(),
			BeforeWithdraw: regs.CancelFutureFor,
		}
	}
	return d.members, nil
}

// EventAdmin returns event administration: drafts, edits, publishing,
// cancelling.
func (d *Deps) EventAdmin() (*community.EventAdmin, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.EventAdmin{
		Store: d.Store(), Notifier: n, RegNotifier: n, Links: d.Links(), Clock: d.Clock,
		Pacing: d.Pacing(), Log: d.Log,
	}, nil
}

// SeriesAdmin returns monthly series administration.
func (d *Deps) SeriesAdmin() *community.SeriesAdmin {
	return &community.SeriesAdmin{Store: d.Store(), Clock: d.Clock, Log: d.Log}
}

// MemberAdmin returns membership approvals.
func (d *Deps) MemberAdmin() (*community.MemberAdmin, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.MemberAdmin{Store: d.Store(), Notifier: n, Clock: d.Clock, Log: d.Log}, nil
}

// Attendance returns attendee lists, check-in and cancelling a
// registration on its registrant's behalf.
func (d *Deps) Attendance() (*community.Attendance, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Attendance{Store: d.Store(), RegNotifier: n, Links: d.Links(), Clock: d.Clock, Log: d.Log}, nil
}

// Messages returns organizers' messages to an event's attendees.
func (d *Deps) Messages() (*community.Messages, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Messages{
		Store: d.Store(), Notifier: n, Clock: d.Clock,
		Pacing: d.Pacing(), Log: d.Log,
	}, nil
}

// AuditLog returns the audit log reader.
func (d *Deps) AuditLog() *community.AuditLog {
	return &community.AuditLog{Store: d.Store()}
}

// Reminders returns the reminder sweep; it also tops up every series.
func (d *Deps) Reminders() (*community.Reminders, error) {
	n, err := d.Notifier()
	if err != nil {
		return nil, err
	}
	return &community.Reminders{
		Store: d.Store(), Notifier: n, Links: d.Links(), Clock: d.Clock, Log: d.Log,
		EnsureSeries: d.SeriesAdmin().EnsureAllSeries,
	}, nil
}
