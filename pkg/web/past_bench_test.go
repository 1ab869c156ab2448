package web

import (
	"context"
	"encoding/json"
	"html"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/awsmetrics"
)

// BenchmarkPastEvents measures the history (GET /past) with 200 held
// events against DynamoDB Local through the Lambda JSON path: its first
// page and its last (the tenth, reached by following 「さらに前」). Besides
// the latencies it reports the DynamoDB calls a page costs: one Query on
// the last page as on the first, never a Scan (TestPastEventsPaging
// asserts the same on every page).
func BenchmarkPastEvents(b *testing.B) {
	calls := awsmetrics.NewCounter()
	e := newEnvWith(b, envOptions{BaseURL: "https://tabane.example.jp", Secure: true, Calls: calls})
	seedPast(b, e, 200)
	last := "/past"
	for range 200/pageSize - 1 {
		resp, err := e.h.Handle(context.Background(), get(b, last, ""))
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%s: status %d, %v", last, resp.StatusCode, err)
		}
		m := nextPast.FindStringSubmatch(resp.Body)
		if m == nil {
			b.Fatalf("%s has no older page", last)
		}
		last = html.UnescapeString(m[1])
	}
	for _, page := range []struct{ name, path string }{{"FirstPage", "/past"}, {"LastPage", last}} {
		b.Run(page.name, func(b *testing.B) {
			raw, err := json.Marshal(get(b, page.path, ""))
			if err != nil {
				b.Fatal(err)
			}
			var lat awsmetrics.Latencies
			calls.Reset()
			began := time.Now()
			for b.Loop() {
				lat.Measure(context.Background(), func(ctx context.Context) {
					var req events.APIGatewayV2HTTPRequest
					if err := json.Unmarshal(raw, &req); err != nil {
						b.Fatal(err)
					}
					resp, err := e.h.Handle(ctx, req)
					if err != nil || resp.StatusCode != 200 {
						b.Fatalf("%s: status %d, %v", page.path, resp.StatusCode, err)
					}
				})
			}
			lat.Report(b, time.Since(began), calls.Snapshot(), "DynamoDB")
			n := float64(lat.Summary().N)
			queries := float64(calls.Count("DynamoDB.Query")) / n
			b.ReportMetric(queries, "queries/op")
			b.ReportMetric(float64(calls.Count("DynamoDB.Scan"))/n, "scans/op")
			if queries != 1 || calls.Count("DynamoDB.Scan") != 0 {
				b.Errorf("%s: %.2f Queries and %d Scans a page, want one Query", page.name, queries, calls.Count("DynamoDB.Scan"))
			}
		})
	}
}
