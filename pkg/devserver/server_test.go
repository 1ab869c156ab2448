package devserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/samtemplate"
)

const testTemplate = `
Resources:
  Api: { Type: AWS::Serverless::HttpApi }
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 1
      Events:
        Get: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: "/echo/{id}" } }
        Post: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: POST, Path: /echo } }
        Respond: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /respond } }
        Fail: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /fail } }
        Panic: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /panic } }
        Slow: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /slow } }
        Wait: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /wait } }
  PlainFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Plain: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /plain } }
  MissingFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Missing: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: GET, Path: /missing } }
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Sweep:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            Input: '{"job":"sweep","at":"<aws.scheduler.scheduled-time>"}'
`

type barrier struct {
	mu      sync.Mutex
	n, want int
	all     chan struct{}
}

func (b *barrier) arrive() {
	b.mu.Lock()
	b.n++
	if b.n == b.want {
		close(b.all)
	}
	b.mu.Unlock()
}

func newTestServer(t *testing.T, wait *barrier) *Server {
	t.Helper()
	tpl, err := samtemplate.Parse([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	echo := func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		switch req.RawPath {
		case "/respond":
			return events.APIGatewayV2HTTPResponse{
				StatusCode:        201,
				Headers:           map[string]string{"Content-Type": "image/png"},
				MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
				Cookies:           []string{"a=1; Path=/", "b=2; HttpOnly"},
				Body:              base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}),
				IsBase64Encoded:   true,
			}, nil
		case "/fail":
			return events.APIGatewayV2HTTPResponse{}, errors.New("boom")
		case "/panic":
			panic("kaboom")
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/wait":
			wait.arrive()
			select {
			case <-wait.all:
			case <-ctx.Done():
				return events.APIGatewayV2HTTPResponse{StatusCode: 504}, nil
			}
		}
		b, _ := json.Marshal(map[string]any{"event": req, "lambda_request_id": lc.AwsRequestID})
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, nil
	}
	plain := func() (map[string]string, error) { return map[string]string{"hello": "世界"}, nil }
	tick := func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }
	s, err := New(tpl, map[string]any{"EchoFunction": echo, "PlainFunction": plain, "TickFunction": tick}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("body %s is not the contract's error shape", body)
	}
	return e.Error.Code
}

func TestServeRequestEvent(t *testing.T) {
	s := newTestServer(t, nil)
	tests := []struct {
		name  string
		req   func() *http.Request
		check func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
	}{
		{"GetWithParamsQueryCookies", func() *http.Request {
			r := httptest.NewRequest("GET", "http://127.0.0.1:8080/echo/ab%20c?x=1&x=2&y=%E6%9D%B1", nil)
			r.Header.Set("Cookie", "tabane_session=tok; theme=dark")
			r.Header.Set("X-Custom", "v")
			r.Header.Set("User-Agent", "test-agent")
			return r
		}, func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			want := events.APIGatewayV2HTTPRequest{
				Version: "2.0", RouteKey: "GET /echo/{id}", RawPath: "/echo/ab%20c", RawQueryString: "x=1&x=2&y=%E6%9D%B1",
				Cookies:               []string{"tabane_session=tok", "theme=dark"},
				QueryStringParameters: map[string]string{"x": "1,2", "y": "東"},
				PathParameters:        map[string]string{"id": "ab c"},
			}
			got := ev
			got.Headers, got.RequestContext = nil, events.APIGatewayV2HTTPRequestContext{}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
			if ev.Headers["x-custom"] != "v" || ev.Headers["host"] != "127.0.0.1:8080" || ev.Headers["cookie"] != "" || ev.Headers["x-forwarded-proto"] != "http" {
				t.Errorf("headers = %v", ev.Headers)
			}
			rc := ev.RequestContext
			if rc.HTTP.Method != "GET" || rc.HTTP.Path != "/echo/ab%20c" || rc.HTTP.UserAgent != "test-agent" || rc.HTTP.SourceIP == "" ||
				rc.RequestID == "" || rc.RouteKey != "GET /echo/{id}" || rc.Stage != "$default" || rc.TimeEpoch == 0 || rc.Time == "" {
				t.Errorf("requestContext = %+v", rc)
			}
		}},
		{"JSONBodyIsText", func() *http.Request {
			r := httptest.NewRequest("POST", "/echo", strings.NewReader(`{"名前":"束"}`))
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			return r
		}, func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.IsBase64Encoded || ev.Body != `{"名前":"束"}` || ev.Headers["content-length"] != "16" {
				t.Errorf("body = %q base64=%v headers=%v", ev.Body, ev.IsBase64Encoded, ev.Headers)
			}
		}},
		{"InvalidUTF8TextIsBase64", func() *http.Request {
			// Bytes that are not UTF-8 are handed over as they came, never
			// replaced by U+FFFD on the way: the handler sees and refuses them.
			r := httptest.NewRequest("POST", "/echo", strings.NewReader("{\"name\":\"名\xff\"}"))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			b, _ := base64.StdEncoding.DecodeString(ev.Body)
			if !ev.IsBase64Encoded || string(b) != "{\"name\":\"名\xff\"}" {
				t.Errorf("body = %q base64=%v", ev.Body, ev.IsBase64Encoded)
			}
		}},
		{"FormBodyIsBase64", func() *http.Request {
			r := httptest.NewRequest("POST", "/echo", strings.NewReader("a=1&b=%E6%9D%B1"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			b, _ := base64.StdEncoding.DecodeString(ev.Body)
			if !ev.IsBase64Encoded || string(b) != "a=1&b=%E6%9D%B1" {
				t.Errorf("body = %q base64=%v", ev.Body, ev.IsBase64Encoded)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, tt.req())
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var out struct {
				Event     events.APIGatewayV2HTTPRequest `json:"event"`
				RequestID string                         `json:"lambda_request_id"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if out.RequestID == "" || out.RequestID != out.Event.RequestContext.RequestID || w.Header().Get("Apigw-Requestid") != out.RequestID {
				t.Errorf("request ids: lambda %q, event %q, header %q", out.RequestID, out.Event.RequestContext.RequestID, w.Header().Get("Apigw-Requestid"))
			}
			tt.check(t, out.Event)
		})
	}
}

func TestServeResponses(t *testing.T) {
	s := newTestServer(t, nil)
	t.Run("FullResponse", func(t *testing.T) {
		w := do(t, s, httptest.NewRequest("GET", "/respond", nil))
		if w.Code != 201 || w.Header().Get("Content-Type") != "image/png" || !bytes.Equal(w.Body.Bytes(), []byte{0x89, 'P', 'N', 'G'}) {
			t.Errorf("got %d %v %q", w.Code, w.Header(), w.Body)
		}
		if diff := cmp.Diff([]string{"a=1; Path=/", "b=2; HttpOnly"}, w.Header().Values("Set-Cookie")); diff != "" {
			t.Errorf("Set-Cookie (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"a", "b"}, w.Header().Values("X-Multi")); diff != "" {
			t.Errorf("X-Multi (-want +got):\n%s", diff)
		}
	})
	t.Run("NoStatusCodeIsJSON200", func(t *testing.T) {
		w := do(t, s, httptest.NewRequest("GET", "/plain", nil))
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != `{"hello":"世界"}` {
			t.Errorf("got %d %v %s", w.Code, w.Header(), w.Body)
		}
	})
	gateway := []struct {
		name, method, path string
		body               io.Reader
		status             int
		message            string
	}{
		{"FunctionError", "GET", "/fail", nil, 500, "Internal Server Error"},
		{"Panic", "GET", "/panic", nil, 500, "Internal Server Error"},
		{"Timeout", "GET", "/slow", nil, 500, "Internal Server Error"},
		{"TooLarge", "POST", "/echo", bytes.NewReader(make([]byte, MaxRequestBody+1)), 413, "Request Entity Too Large"},
		{"OverLambdaPayload", "POST", "/echo", bytes.NewReader(make([]byte, 7<<20)), 500, "Internal Server Error"},
	}
	for _, tt := range gateway {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, httptest.NewRequest(tt.method, tt.path, tt.body))
			var m map[string]string
			_ = json.Unmarshal(w.Body.Bytes(), &m)
			if w.Code != tt.status || m["message"] != tt.message {
				t.Errorf("got %d %s, want %d %q", w.Code, w.Body, tt.status, tt.message)
			}
		})
	}
	contract := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"UnknownRoute", "GET", "/nope", 404, "not_found"},
		{"WrongMethod", "DELETE", "/plain", 404, "not_found"},
		{"MissingHandler", "GET", "/missing", 501, "not_implemented"},
		{"InvokeUnknown", "POST", "/_dev/invoke/NoSuchFunction", 404, "not_found"},
		{"InvokeNotScheduled", "POST", "/_dev/invoke/EchoFunction", 404, "not_found"},
		{"InvokeWithGet", "GET", "/_dev/invoke/TickFunction", 405, "method_not_allowed"},
		{"DevUnknown", "GET", "/_dev/other", 404, "not_found"},
	}
	for _, tt := range contract {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, s, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if got := errorCode(t, w.Body.Bytes()); got != tt.code {
				t.Errorf("code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestInvokeScheduled(t *testing.T) {
	s := newTestServer(t, nil)
	w := do(t, s, httptest.NewRequest("POST", "/_dev/invoke/TickFunction", nil))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var out struct {
		Function, Event string
		Result          struct{ Job, At string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Function != "TickFunction" || out.Event != "Sweep" || out.Result.Job != "sweep" {
		t.Errorf("got %s", w.Body)
	}
	if _, err := time.Parse(time.RFC3339, out.Result.At); err != nil {
		t.Errorf("scheduled-time not filled in: %q", out.Result.At)
	}
}

func TestSchedulePayload(t *testing.T) {
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sc   samtemplate.Schedule
		want string
	}{
		{"V2NoInput", samtemplate.Schedule{Type: "ScheduleV2"}, `{}`},
		{"V2Input", samtemplate.Schedule{Type: "ScheduleV2", Input: `{"t":"<aws.scheduler.scheduled-time>"}`}, `{"t":"2025-05-01T09:00:00Z"}`},
		{"RuleInput", samtemplate.Schedule{Type: "Schedule", Input: `{"a":1}`}, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(SchedulePayload(tt.sc, at, "ap-northeast-1", "id")); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("RuleScheduledEvent", func(t *testing.T) {
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(SchedulePayload(samtemplate.Schedule{Type: "Schedule", Function: "F", Event: "E"}, at, "ap-northeast-1", "id"), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || !ev.Time.Equal(at) || len(ev.Resources) != 1 {
			t.Errorf("event = %+v", ev)
		}
	})
}

// TestConcurrent proves requests run at the same time: each handler waits
// until all have arrived, which only happens if none waits for another.
func TestConcurrent(t *testing.T) {
	const n = 16
	b := &barrier{want: n, all: make(chan struct{})}
	s := newTestServer(t, b)
	srv := httptest.NewServer(s)
	defer srv.Close()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/wait")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: status %d (handlers did not run concurrently)", i, c)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tpl, err := samtemplate.Parse([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		handlers map[string]any
	}{
		{"UnknownFunction", map[string]any{"GhostFunction": func() error { return nil }}},
		{"NotAFunction", map[string]any{"EchoFunction": 42}},
		{"TooManyArguments", map[string]any{"EchoFunction": func(context.Context, string, string) error { return nil }}},
		{"NoErrorReturn", map[string]any{"EchoFunction": func() (string, string) { return "", "" }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tpl, tt.handlers, Options{}); err == nil {
				t.Error("want an error")
			}
		})
	}
	bad, err := samtemplate.Parse([]byte(`
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        S: { Type: ScheduleV2, Properties: { ScheduleExpression: rate(1 minutes) } }
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(bad, nil, Options{}); err == nil {
		t.Error("a bad schedule expression must fail New")
	}
}

type every time.Duration

func (e every) Next(t time.Time) (time.Time, bool) { return t.Add(time.Duration(e)), true }

func TestRunSchedules(t *testing.T) {
	tpl, err := samtemplate.Parse([]byte(`
Resources:
  TickFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Every: { Type: ScheduleV2, Properties: { ScheduleExpression: "cron(* * * * ? *)" } }
        Off: { Type: ScheduleV2, Properties: { ScheduleExpression: "rate(1 minute)", State: DISABLED } }
`))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fired := 0
	s, err := New(tpl, map[string]any{"TickFunction": func() error {
		mu.Lock()
		fired++
		mu.Unlock()
		return nil
	}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.schedules) != 2 || s.schedules[1].def.Enabled {
		t.Fatalf("schedules = %+v", s.Schedules())
	}
	s.schedules[0].timing = every(20 * time.Millisecond) // the template's minute, made short
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s.RunSchedules(ctx) // returns once ctx ends and firings in flight are done
	mu.Lock()
	defer mu.Unlock()
	if fired < 3 {
		t.Errorf("fired %d times in 300 ms at a 20 ms rate", fired)
	}
}
