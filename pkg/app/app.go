// Package app is the wiring shared by every Lambda's main and by the dev
// server: it builds the AWS clients once per cold start and turns them into
// each function's handler, so that what runs locally is exactly what runs in
// AWS. Functions maps each template.yaml LogicalId to its constructor.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
)

// Deps are the ready-made clients and settings every constructor receives.
type Deps struct {
	Config   config.Config
	DynamoDB *dynamodb.Client
	SES      *ses.Client
	Clock    community.Clock
	Log      *slog.Logger
}

// Endpoints point the clients at local stand-ins; empty fields mean AWS.
type Endpoints struct {
	DynamoDB string
	SES      string
}

// LoadDeps loads the AWS configuration once (the SDK's default chain, so the
// standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SES variables work
// too) and builds the clients. Call it once per cold start, in main.
func LoadDeps(ctx context.Context, cfg config.Config) (Deps, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return Deps{}, fmt.Errorf("app: load AWS config: %w", err)
	}
	return NewDeps(cfg, awsCfg, Endpoints{}, NewLogger(os.Stdout, cfg.LogLevel)), nil
}

// LocalAWSConfig is an SDK configuration for the stand-ins: dummy static
// credentials, so a developer's real AWS credentials are never used locally.
func LocalAWSConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// NewDeps builds the clients from an SDK configuration, pointing them at ep
// where set.
func NewDeps(cfg config.Config, awsCfg aws.Config, ep Endpoints, log *slog.Logger) Deps {
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		// The standard retryer's shared token bucket (500 tokens per client)
		// empties in a registration rush and then refuses to retry at all,
		// turning contention into errors. The store retries transactions
		// itself; let the SDK retry transient failures without a budget.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.RateLimiter = ratelimit.None
			so.MaxAttempts = 5
		})
		if ep.DynamoDB != "" {
			o.BaseEndpoint = aws.String(ep.DynamoDB)
			// DynamoDB Local's error responses fail the SDK's CRC32 check and
			// would log a warning on every conditional-write conflict.
			o.DisableValidateResponseChecksum = true
		}
	})
	mail := ses.NewFromConfig(awsCfg, func(o *ses.Options) {
		if ep.SES != "" {
			o.BaseEndpoint = aws.String(ep.SES)
		}
	})
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return Deps{Config: cfg, DynamoDB: db, SES: mail, Clock: community.SystemClock{}, Log: log}
}

// NewLogger returns the JSON logger every function uses. Lambda's JSON log
// format filters on the "level" field this writes.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(level)))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Constructor builds one function's handler: a value lambda.Start accepts.
type Constructor func(Deps) (any, error)

// Handlers builds the handler of every function in Functions.
func Handlers(d Deps) (map[string]any, error) {
	out := make(map[string]any, len(Functions))
	for id, build := range Functions {
		h, err := build(d)
		if err != nil {
			return nil, fmt.Errorf("app: %s: %w", id, err)
		}
		out[id] = h
	}
	return out, nil
}

// Build reads the configuration through getenv, loads the AWS clients once
// and returns the handler of the function with the given LogicalId: all a
// Lambda's main does before lambda.Start.
func Build(ctx context.Context, logicalID string, getenv func(string) string) (any, error) {
	build, ok := Functions[logicalID]
	if !ok {
		return nil, fmt.Errorf("app: pkg/app.Functions has no %s", logicalID)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	deps, err := LoadDeps(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return build(deps)
}
