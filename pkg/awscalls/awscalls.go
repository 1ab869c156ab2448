// Package awscalls records what each function asks of DynamoDB and SES, in
// the terms its IAM policy grants: the action IAM evaluates (a transaction
// is recorded item by item as PutItem, UpdateItem, DeleteItem or
// ConditionCheckItem), the resource (the table or one of its indexes), the
// prefix of the partition key (dynamodb:LeadingKeys) and the From address of
// a mail (ses:FromAddress). policycheck holds the records against
// template.yaml, so a policy that is too narrow fails a test instead of a
// deployed request, and one that is wider than the code shows.
//
// Only calls whose context names a function are recorded (WithFunction,
// which each handler's entry point sets): what a test writes to set a table
// up, or what a stand-in mailer delivers beside the handler, is nobody's.
//
// A key is recorded only up to its first '#' ("EMAIL#" for an address's
// claim), so no record holds an id or an address of a person.
package awscalls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// EnvDir names the folder a deployed or local process records into, one
// JSON line per distinct call; unset, nothing is recorded.
const EnvDir = "TABANE_RECORD_CALLS"

// Call is one distinct request as IAM authorizes it.
type Call struct {
	Function  string `json:"function"`            // LogicalId in template.yaml, e.g. RsvpFunction
	Action    string `json:"action"`              // IAM action, e.g. dynamodb:PutItem, ses:SendRawEmail
	Resource  string `json:"resource"`            // "table", "index/GSI1"; "identity" for SES
	Key       string `json:"key,omitempty"`       // partition key prefix, e.g. EVENT#; a key without '#' whole (EVENTS)
	From      string `json:"from,omitempty"`      // SES: the From address, without its display name
	Operation string `json:"operation,omitempty"` // the API operation when it differs from Action: TransactWriteItems
}

func (c Call) String() string {
	s := c.Function + " " + c.Action + " on " + c.Resource
	if c.Key != "" {
		s += " key " + c.Key
	}
	if c.From != "" {
		s += " from " + c.From
	}
	if c.Operation != "" {
		s += " (in " + c.Operation + ")"
	}
	return s
}

type functionKey struct{}

// WithFunction names the function on whose behalf ctx's calls are made.
func WithFunction(ctx context.Context, logicalID string) context.Context {
	return context.WithValue(ctx, functionKey{}, logicalID)
}

// FunctionOf returns the function WithFunction named, or "".
func FunctionOf(ctx context.Context) string {
	s, _ := ctx.Value(functionKey{}).(string)
	return s
}

// Recorder keeps the distinct calls made through clients it is attached to.
// It is safe for concurrent use.
type Recorder struct {
	dir string

	mu    sync.Mutex
	calls map[Call]bool
	files map[string]*os.File // function → its file in dir
	err   error               // the first failure to write, reported by Calls
}

// NewRecorder returns a Recorder that keeps calls in memory and, when dir is
// not empty, appends each new one to dir/<function>-<pid>.jsonl, so that
// every process of a run (test binaries run in parallel) writes its own.
func NewRecorder(dir string) *Recorder {
	return &Recorder{dir: dir, calls: map[Call]bool{}, files: map[string]*os.File{}}
}

// Middleware returns an SDK API option for a client or a whole aws.Config.
// It runs in the Initialize step, before retries, so a call is seen once
// with the input the code built.
func (r *Recorder) Middleware() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		id := fmt.Sprintf("tabane/awscalls/%p", r)
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(id,
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if fn := FunctionOf(ctx); fn != "" {
					for _, c := range callsOf(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), in.Parameters) {
						c.Function = fn
						r.add(c)
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls[c] {
		return
	}
	r.calls[c] = true
	if r.dir == "" || r.err != nil {
		return
	}
	f := r.files[c.Function]
	if f == nil {
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			r.err = fmt.Errorf("awscalls: %w", err)
			return
		}
		var err error
		f, err = os.OpenFile(filepath.Join(r.dir, fmt.Sprintf("%s-%d.jsonl", c.Function, os.Getpid())), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			r.err = fmt.Errorf("awscalls: %w", err)
			return
		}
		r.files[c.Function] = f
	}
	b, _ := json.Marshal(c) // a struct of strings always marshals
	if _, err := f.Write(append(b, '\n')); err != nil {
		r.err = fmt.Errorf("awscalls: %w", err)
	}
}

// Calls returns the distinct calls recorded so far, sorted, and the first
// error writing them to the folder, if any.
func (r *Recorder) Calls() ([]Call, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, 0, len(r.calls))
	for c := range r.calls {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, r.err
}

// ReadDir reads every call recorded into dir by any process.
func ReadDir(dir string) ([]Call, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	seen := map[Call]bool{}
	var out []Call
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("awscalls: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		for dec.More() {
			var c Call
			if err := dec.Decode(&c); err != nil {
				return nil, fmt.Errorf("awscalls: %s: %w", n, err)
			}
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}
