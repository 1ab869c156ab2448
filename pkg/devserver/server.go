// Package devserver is tabane's local API Gateway, EventBridge and Lambda
// event source mappings. It reads the routes, schedules and DynamoDB stream
// events of template.yaml and serves them by building the same API Gateway
// v2 (payload format 2.0), scheduler or DynamoDB stream event AWS would
// send, marshalling it to JSON and invoking the function's handler
// in-process through lambda.NewHandler(handler).Invoke — the JSON path
// lambda.Start uses — then answering from the decoded response as API
// Gateway (or the event source mapping, stream.go) would.
// Requests are served concurrently, one goroutine each, as Lambda would run
// concurrent invocations in separate sandboxes.
package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/sorae/tabane/pkg/samtemplate"
)

// AccountID is the account the dev server pretends to be.
const AccountID = "000000000000"

// apiTimeout is API Gateway's integration timeout for HTTP APIs.
const apiTimeout = 30 * time.Second

// Options configures a Server.
type Options struct {
	Log    *slog.Logger     // nil discards
	Region string           // default ap-northeast-1
	Now    func() time.Time // default time.Now (also the clock stream record ages are taken by); schedules always follow the wall clock
	// DynamoDB, DynamoDBStreams (the same endpoint and credentials) and Table,
	// the name of the template's table, let RunStreams run the template's
	// DynamoDB stream events; without them the mappings are listed, not run.
	DynamoDB        *dynamodb.Client
	DynamoDBStreams *dynamodbstreams.Client
	Table           string
}

// Server serves one template's routes and runs its schedules and stream events.
type Server struct {
	log       *slog.Logger
	region    string
	now       func() time.Time
	router    *Router
	routes    []samtemplate.Route
	functions map[string]*function
	schedules []*scheduled
	streams   []*streamMapping
	missing   []string
	running   sync.WaitGroup

	db         *dynamodb.Client
	ddbStreams *dynamodbstreams.Client
	table      string
	droppedMu  sync.Mutex
	dropped    []Dropped
}

type function struct {
	def     samtemplate.Function
	handler any // what lambda.Start would get; nil when there is no constructor
}

type scheduled struct {
	def    samtemplate.Schedule
	timing Timing
}

// New prepares a server for tpl. handlers maps a function's LogicalId to its
// handler (what its main passes to lambda.Start). A template function with no
// handler is served with 501 and listed by Missing; a handler whose LogicalId
// the template lacks, a malformed route or schedule, or a stream event whose
// FilterCriteria the dev server cannot apply, is an error.
func New(tpl *samtemplate.Template, handlers map[string]any, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Region == "" {
		o.Region = "ap-northeast-1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	fs, err := tpl.Functions()
	if err != nil {
		return nil, err
	}
	s := &Server{log: o.Log, region: o.Region, now: o.Now, functions: map[string]*function{},
		db: o.DynamoDB, ddbStreams: o.DynamoDBStreams, table: o.Table}
	for _, f := range fs {
		h := handlers[f.LogicalID]
		if h == nil {
			s.missing = append(s.missing, f.LogicalID)
		} else if err := checkHandler(h); err != nil {
			return nil, fmt.Errorf("devserver: %s: %w", f.LogicalID, err)
		}
		s.functions[f.LogicalID] = &function{def: f, handler: h}
		s.routes = append(s.routes, f.Routes...)
		for _, sc := range f.Schedules {
			tm, err := ParseSchedule(sc.Expression, sc.Timezone)
			if err != nil {
				return nil, fmt.Errorf("devserver: %s: %w", sc.Name(), err)
			}
			if sc.Input != "" && !json.Valid([]byte(sc.Input)) {
				return nil, fmt.Errorf("devserver: %s: Input is not valid JSON (a Lambda target needs JSON)", sc.Name())
			}
			s.schedules = append(s.schedules, &scheduled{def: sc, timing: tm})
		}
		for _, sm := range f.StreamMappings {
			m := &streamMapping{def: sm, fn: s.functions[f.LogicalID]}
			for i, src := range sm.Filters {
				p, err := CompilePattern(src)
				if err != nil {
					return nil, fmt.Errorf("devserver: %s: FilterCriteria.Filters[%d]: %w", sm.Name(), i, err)
				}
				m.patterns = append(m.patterns, p)
			}
			s.streams = append(s.streams, m)
		}
	}
	for id := range handlers {
		if _, ok := s.functions[id]; !ok {
			return nil, fmt.Errorf("devserver: a handler is registered for %s but template.yaml has no AWS::Serverless::Function %s", id, id)
		}
	}
	if s.router, err = NewRouter(s.routes); err != nil {
		return nil, err
	}
	sort.Slice(s.routes, func(i, j int) bool {
		if s.routes[i].Path != s.routes[j].Path {
			return s.routes[i].Path < s.routes[j].Path
		}
		return s.routes[i].Method < s.routes[j].Method
	})
	return s, nil
}

// checkHandler applies lambda.Start's rules up front, so a bad handler fails
// at start rather than on every request.
func checkHandler(h any) error {
	if _, ok := h.(lambda.Handler); ok {
		return nil
	}
	t := reflect.TypeOf(h)
	if t.Kind() != reflect.Func {
		return fmt.Errorf("handler is a %s, not a function", t.Kind())
	}
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	if t.NumIn() > 2 || t.NumIn() == 2 && !t.In(0).Implements(ctxType) {
		return fmt.Errorf("handler takes %d arguments; want (context.Context, event)", t.NumIn())
	}
	if t.NumOut() > 2 || t.NumOut() > 0 && !t.Out(t.NumOut()-1).Implements(errType) {
		return fmt.Errorf("handler must return (response, error) or error")
	}
	return nil
}

// Missing lists the template's functions that have no handler.
func (s *Server) Missing() []string { return s.missing }

// Routes lists the template's routes by path.
func (s *Server) Routes() []samtemplate.Route { return s.routes }

// Schedules lists the template's schedules.
func (s *Server) Schedules() []samtemplate.Schedule {
	out := make([]samtemplate.Schedule, 0, len(s.schedules))
	for _, sc := range s.schedules {
		out = append(out, sc.def)
	}
	return out
}

// Match resolves a request to its route as the server would.
func (s *Server) Match(method, escapedPath string) (Match, bool) {
	return s.router.Match(method, escapedPath)
}

// Served reports whether the server has a handler for the function.
func (s *Server) Served(logicalID string) bool {
	f, ok := s.functions[logicalID]
	return ok && f.handler != nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP serves one request; net/http calls it concurrently.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	reqID := RequestID()
	w.Header().Set("Apigw-Requestid", reqID)
	route := "-"
	defer func() {
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "route", route, "status", w.status,
			"ms", time.Since(start).Milliseconds(), "request_id", reqID)
	}()

	if strings.HasPrefix(r.URL.Path, "/_dev/") {
		route = "dev"
		s.serveDev(w, r, reqID)
		return
	}
	m, ok := s.router.Match(r.Method, r.URL.EscapedPath())
	if !ok {
		contractError(w, http.StatusNotFound, "not_found", "このURLはありません。")
		return
	}
	route = m.Route.Key()
	f := s.functions[m.Route.Function]
	if f.handler == nil {
		contractError(w, http.StatusNotImplemented, "not_implemented",
			fmt.Sprintf("%s にはまだハンドラがありません（infra/devserver/functions.go に登録してください）。", m.Route.Function))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxRequestBody {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	payload, err := json.Marshal(BuildRequest(r, body, m, reqID, s.now()))
	if err != nil {
		s.log.Error("encode request event", "err", err, "request_id", reqID)
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	// A client that goes away does not stop a Lambda invocation.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), min(f.def.Timeout, apiTimeout))
	defer cancel()
	out, err := s.invoke(ctx, f, payload, reqID)
	if err != nil {
		s.log.Error("function failed", "function", f.def.LogicalID, "err", err, "request_id", reqID)
		if errors.Is(err, context.DeadlineExceeded) && f.def.Timeout > apiTimeout {
			gatewayError(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := WriteResponse(w, out); err != nil {
		s.log.Error("bad function response", "function", f.def.LogicalID, "err", err, "request_id", reqID)
		if w.status == 0 {
			gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		}
	}
}

// invoke runs the handler once with payload, under the function's timeout.
// A handler still running at the deadline is abandoned (Lambda would freeze
// it); a panic becomes an error, as the Lambda runtime reports it.
func (s *Server) invoke(ctx context.Context, f *function, payload []byte, requestID string) ([]byte, error) {
	if len(payload) > MaxInvokeBytes {
		return nil, fmt.Errorf("request payload of %d bytes exceeds Lambda's 6 MB", len(payload))
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       requestID,
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.region, AccountID, f.def.LogicalID),
	})
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			}
		}()
		// A fresh lambda.Handler per invocation: its output buffer comes from
		// a pool the handler owns, which lambda.Start only ever uses from one
		// goroutine; sharing one across concurrent requests would race.
		out, err := lambda.NewHandler(f.handler).Invoke(ctx, payload)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		if r.err == nil && len(r.out) > MaxInvokeBytes {
			return nil, fmt.Errorf("response payload of %d bytes exceeds Lambda's 6 MB", len(r.out))
		}
		return r.out, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("task timed out after %s: %w", f.def.Timeout, ctx.Err())
	}
}

// serveDev answers the dev-only endpoints: POST /_dev/invoke/{LogicalId}
// runs a scheduled function now with the payload its schedule sends.
func (s *Server) serveDev(w http.ResponseWriter, r *http.Request, reqID string) {
	id, ok := strings.CutPrefix(r.URL.Path, "/_dev/invoke/")
	if !ok || id == "" || strings.Contains(id, "/") {
		contractError(w, http.StatusNotFound, "not_found", "このURLはありません。開発用には POST /_dev/invoke/{LogicalId} があります。")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		contractError(w, http.StatusMethodNotAllowed, "method_not_allowed", "POST で呼び出してください。")
		return
	}
	start := time.Now()
	out, sc, err := s.InvokeScheduled(r.Context(), id, r.URL.Query().Get("event"), reqID)
	var unknown *UnknownScheduleError
	switch {
	case errors.As(err, &unknown):
		contractError(w, http.StatusNotFound, "not_found", unknown.Error())
		return
	case err != nil:
		contractError(w, http.StatusInternalServerError, "function_error", err.Error())
		return
	}
	result := json.RawMessage(out)
	if !json.Valid(out) {
		result = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{ // the client may be gone
		"function": sc.Function, "event": sc.Event, "schedule": sc.Expression,
		"request_id": reqID, "duration_ms": time.Since(start).Milliseconds(), "result": result,
	})
}

// UnknownScheduleError says that no schedule matches an invoke request.
type UnknownScheduleError struct{ ID, Event string }

func (e *UnknownScheduleError) Error() string {
	if e.Event != "" {
		return fmt.Sprintf("%s には %s というスケジュールがありません。", e.ID, e.Event)
	}
	return fmt.Sprintf("%s は template.yaml のスケジュール実行される関数ではありません。", e.ID)
}

// InvokeScheduled runs the scheduled function logicalID now with its
// schedule's payload; event picks one of several schedules ("" = the first).
// It returns the function's result, or its error as Lambda reports it.
func (s *Server) InvokeScheduled(ctx context.Context, logicalID, event, requestID string) ([]byte, samtemplate.Schedule, error) {
	for _, sc := range s.schedules {
		if sc.def.Function != logicalID || event != "" && sc.def.Event != event {
			continue
		}
		f := s.functions[logicalID]
		if f.handler == nil {
			return nil, sc.def, fmt.Errorf("%s has no handler (infra/devserver/functions.go)", logicalID)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.def.Timeout)
		defer cancel()
		out, err := s.invoke(ctx, f, SchedulePayload(sc.def, s.now(), s.region, requestID), requestID)
		return out, sc.def, err
	}
	return nil, samtemplate.Schedule{}, &UnknownScheduleError{ID: logicalID, Event: event}
}

// SchedulePayload is what the schedule delivers at t: for ScheduleV2 its
// Input with EventBridge Scheduler's context attributes filled in (or {}
// without one); for an EventBridge rule its Input or the "Scheduled Event".
func SchedulePayload(sc samtemplate.Schedule, t time.Time, region, id string) []byte {
	name := sc.Function + sc.Event
	if sc.Type == "ScheduleV2" {
		if sc.Input == "" {
			return []byte("{}")
		}
		r := strings.NewReplacer(
			"<aws.scheduler.schedule-arn>", fmt.Sprintf("arn:aws:scheduler:%s:%s:schedule/default/%s", region, AccountID, name),
			"<aws.scheduler.scheduled-time>", t.UTC().Format(time.RFC3339),
			"<aws.scheduler.execution-id>", id,
			"<aws.scheduler.attempt-number>", "1",
		)
		return []byte(r.Replace(sc.Input))
	}
	if sc.Input != "" {
		return []byte(sc.Input)
	}
	b, _ := json.Marshal(map[string]any{ // a map of strings always marshals
		"version": "0", "id": id, "detail-type": "Scheduled Event", "source": "aws.events",
		"account": AccountID, "time": t.UTC().Format(time.RFC3339), "region": region,
		"resources": []string{fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, AccountID, name)},
		"detail":    map[string]any{},
	})
	return b
}

// RunSchedules fires every enabled schedule on its template timing until ctx
// ends, then waits for invocations in flight. Firings may overlap, as they
// may in AWS; a failed invocation is logged (AWS would retry it).
func (s *Server) RunSchedules(ctx context.Context) {
	var wg sync.WaitGroup
	for _, sc := range s.schedules {
		if !sc.def.Enabled {
			s.log.Info("schedule disabled in template.yaml", "schedule", sc.def.Name())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runSchedule(ctx, sc)
		}()
	}
	wg.Wait()
	s.running.Wait()
}

func (s *Server) runSchedule(ctx context.Context, sc *scheduled) {
	last := time.Now()
	for {
		next, ok := sc.timing.Next(last)
		if !ok {
			return
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		last = next
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			id := RequestID()
			start := time.Now()
			_, _, err := s.InvokeScheduled(ctx, sc.def.Function, sc.def.Event, id)
			if err != nil {
				s.log.Error("scheduled invocation failed", "schedule", sc.def.Name(), "err", err, "request_id", id)
				return
			}
			s.log.Info("scheduled invocation", "schedule", sc.def.Name(), "ms", time.Since(start).Milliseconds(), "request_id", id)
		}()
	}
}
