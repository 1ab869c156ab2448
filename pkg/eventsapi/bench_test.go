package eventsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// BenchmarkListEvents measures GET /api/events against DynamoDB Local with
// 200 upcoming events, through the same path Lambda takes: the request
// arrives as JSON, is decoded, handled, and the response encoded. Besides
// ns/op it reports requests per second, p50/p99 latency, the p50 time
// inside DynamoDB calls and the handler's own share (p50-aws-ms,
// p50-own-ms), and the DynamoDB calls each request made, counted and timed
// by the SDK middleware in pkg/awsmetrics.
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
			var lat awsmetrics.Latencies
			e.counter.Reset()
			began := time.Now()
			for b.Loop() {
				lat.Measure(context.Background(), func(ctx context.Context) {
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
				})
			}
			lat.Report(b, time.Since(began), e.counter.Snapshot(), "DynamoDB")
		})
	}
}
