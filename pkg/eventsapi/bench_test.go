package eventsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// BenchmarkListEvents measures GET /api/events against DynamoDB Local with
// 200 upcoming events, through the same path Lambda takes: the request
// arrives as JSON, is decoded, handled, and the response encoded. Besides
// ns/op it reports requests per second, p50/p99 latency, and the DynamoDB
// calls each request made, counted by the SDK middleware in pkg/awsmetrics.
func BenchmarkListEvents(b *testing.B) {
	e := newEnv(b)
	audiences := []community.Audience{community.AudiencePublic, community.AudienceMembers, community.AudienceRegular}
	var seeded []*community.Event
	for i := range 200 {
		start := now.Add(time.Duration(i+1) * 25 * time.Hour)
		ev := event(fmt.Sprintf("ベンチマーク用イベント %03d", i), community.Kinds[i%len(community.Kinds)], audiences[i%len(audiences)], start)
		ev.Speakers = []string{"講師 一郎", "講師 二郎"}
		ev.Notes = "録画・録音なし"
		seeded = append(seeded, ev)
	}
	e.seed(b, seeded...)

	member := fixture(b, "list-bearer.json")
	member.Headers["authorization"] = "Bearer " + tokRegular
	cases := []struct {
		name string
		req  httpapi.Request
	}{
		{"Anonymous", fixture(b, "list-anonymous.json")},
		{"Member", member},
		{"KindAndDates", withQuery(fixture(b, "list-anonymous.json"), "kind=lecture&from=2025-06-01&to=2025-09-30&limit=20")},
		{"Limit100", withQuery(fixture(b, "list-anonymous.json"), "limit=100")},
	}
	// Warm DynamoDB Local's JVM so the first case is not charged for it.
	for range 50 {
		invoke(b, e.h, cases[0].req)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			raw, err := json.Marshal(c.req)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var latencies []time.Duration
			e.counter.Reset()
			began := time.Now()
			for b.Loop() {
				t0 := time.Now()
				var req httpapi.Request
				if err := json.Unmarshal(raw, &req); err != nil {
					b.Fatal(err)
				}
				resp, err := e.h.Handle(ctx, req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("status %d, %v: %s", resp.StatusCode, err, resp.Body)
				}
				if _, err := json.Marshal(resp); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(t0))
			}
			elapsed := time.Since(began)
			report(b, latencies, elapsed, e.counter.Snapshot())
		})
	}
}

// report adds the metrics make bench prints for every operation.
func report(b *testing.B, latencies []time.Duration, elapsed time.Duration, calls map[string]int64) {
	n := len(latencies)
	if n == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		i := int(p*float64(n)+0.5) - 1
		i = max(0, min(n-1, i))
		return float64(latencies[i]) / float64(time.Millisecond)
	}
	var dynamo int64
	for op, c := range calls {
		if strings.HasPrefix(op, "DynamoDB.") {
			dynamo += c
		}
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(dynamo)/float64(n), "dynamodb-calls/op")
}
