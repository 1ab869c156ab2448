package standins

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"
)

// DynamoDB Local answers browsers from the dev server's origin only: a
// page of any other site open in the developer's browser gets no CORS
// grant, so the browser neither sends its writes nor shows it the table.
func TestDynamoDBLocalCORS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	const dev = "http://127.0.0.1:8080"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{CORSOrigins: []string{dev}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	preflight := func(origin string) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, s.DynamoDBURL, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-target,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if got := preflight("https://evil.example"); got != "" {
		t.Errorf("another site's page is granted %q", got)
	}
	if got := preflight(dev); got != dev {
		t.Errorf("the dev server's page is granted %q, want %q", got, dev)
	}
}

// With no origin given, no browser is admitted: never "*", DynamoDB
// Local's own default.
func TestDynamoArgsCORS(t *testing.T) {
	args := dynamoArgs("/jar", 8000, "", nil)
	i := slices.Index(args, "-cors")
	if i < 0 || i+1 >= len(args) || args[i+1] != noBrowser {
		t.Errorf("args %v, want -cors %s", args, noBrowser)
	}
	args = dynamoArgs("/jar", 8000, "", []string{"http://127.0.0.1:8080", "http://localhost:8080"})
	if i := slices.Index(args, "-cors"); args[i+1] != "http://127.0.0.1:8080,http://localhost:8080" {
		t.Errorf("args %v", args)
	}
}
