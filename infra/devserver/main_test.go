package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

// startServer runs the dev server as `make run` does, but on a free port,
// against the test run's stand-ins and a table of its own.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	table := "devserver-" + localtest.UniqueID()
	vars := map[string]string{"PORT": "0", "TABANE_TABLE": table}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out strings.Builder
	go func() {
		done <- run(ctx, func(k string) string { return vars[k] }, &out, options{
			dynamoURL: localtest.DynamoDBURL(), sesURL: localtest.SESURL(),
			ready: func(addr string) { ready <- addr }, log: io.Discard,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		_, _ = localtest.DynamoDB().DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) // the stand-in goes away after the run anyway
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("dev server did not start: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("dev server not ready within 60 s\n%s", out.String())
	}
	return ""
}

func get(t *testing.T, method, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestDevServer(t *testing.T) {
	base := startServer(t, nil)

	t.Run("ListsDemoEvents", func(t *testing.T) {
		status, body := get(t, "GET", base+"/api/events")
		if status != 200 {
			t.Fatalf("GET /api/events = %d %s", status, body)
		}
		var page struct {
			Events []map[string]any `json:"events"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, e := range demo.Events(time.Now()) {
			want[e.ID] = true
		}
		if len(page.Events) != len(want) {
			t.Errorf("got %d events, want the %d demo events", len(page.Events), len(want))
		}
		for _, e := range page.Events {
			if !want[e["id"].(string)] {
				t.Errorf("unexpected event %v", e["id"])
			}
			if _, leaked := e["join_url"]; leaked && e["join_url"] != nil {
				t.Errorf("%v: an anonymous caller got a join_url", e["title"])
			}
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		status, body := get(t, "GET", base+"/api/nothing-here")
		checkError(t, status, body, 404, "not_found")
	})
	t.Run("InvokeUnknownFunction", func(t *testing.T) {
		status, body := get(t, "POST", base+"/_dev/invoke/NoSuchFunction")
		checkError(t, status, body, 404, "not_found")
	})
}

func TestDevServerRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	// Two servers on one table: the second must find the demo data and not add it again.
	table := "devserver-" + localtest.UniqueID()
	env := map[string]string{"TABANE_TABLE": table, "TABANE_DATA_DIR": dir}
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		var out strings.Builder
		go func() {
			done <- run(ctx, func(k string) string {
				if k == "PORT" {
					return "0"
				}
				return env[k]
			}, &out, options{dynamoURL: localtest.DynamoDBURL(), sesURL: localtest.SESURL(), ready: func(a string) { ready <- a }, log: io.Discard})
		}()
		var base string
		select {
		case a := <-ready:
			base = "http://" + a
		case err := <-done:
			t.Fatalf("start %d: %v\n%s", i, err, out.String())
		}
		_, body := get(t, "GET", base+"/api/events?limit=100")
		var page struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != len(demo.Events(time.Now())) {
			t.Errorf("start %d: %d events, want %d (demo data duplicated or missing)", i, len(page.Events), len(demo.Events(time.Now())))
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if i == 1 && !strings.Contains(out.String(), "already there") {
			t.Errorf("second start did not report existing demo data:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "session-secret") {
			t.Errorf("start %d: generated session secret not kept in the data dir:\n%s", i, out.String())
		}
	}
	_, _ = localtest.DynamoDB().DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) // as above
}

func checkError(t *testing.T, status int, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || status != wantStatus || e.Error.Code != wantCode || e.Error.Message == "" {
		t.Errorf("got %d %s, want %d with error.code %q and a message", status, body, wantStatus, wantCode)
	}
}
