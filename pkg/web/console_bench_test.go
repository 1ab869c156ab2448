package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// BenchmarkConsole measures the organizer's two busiest pages, the
// dashboard (GET /admin) and an event's attendees (GET
// /admin/events/{id}/attendees, 10 registered), against DynamoDB Local
// through the Lambda JSON path, with 5 and with 50 past events. Besides
// the latencies it reports the DynamoDB calls a page costs, and its
// Queries and Scans apart: the calls must be bounded — the same with 50
// past events as with 5 — and never a Scan, which reads the whole table.
func BenchmarkConsole(b *testing.B) {
	perPage := map[string]float64{} // page → DynamoDB calls/op with fewer past events
	for _, past := range []int{5, 50} {
		b.Run(fmt.Sprintf("Past%d", past), func(b *testing.B) {
			calls := awsmetrics.NewCounter()
			e := newEnvWith(b, envOptions{BaseURL: "https://tabane.example.jp", Secure: true, Calls: calls})
			e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
			for i := range past {
				e.createEvent(b, fmt.Sprintf("過去の勉強会 %02d", i), testNow.Add(-time.Duration(i+1)*72*time.Hour), func(ev *community.Event) {
					ev.Venue = &community.Venue{Name: "伊勢崎市役所 会議室"}
					ev.Capacity = 30
				})
			}
			ev := e.createEvent(b, "橋梁点検の実地研修", jst(5, 20, 14, 0), func(ev *community.Event) {
				ev.Venue = &community.Venue{Name: "伊勢崎市役所 大会議室"}
				ev.Capacity = 30
			})
			for i := range 10 {
				m, _ := e.memberAt(b, localtest.UniqueEmail("bench"), fmt.Sprintf("参加 %02d", i), community.MembershipSupporting)
				if _, err := e.regs.Register(context.Background(), community.Viewer{Member: m}, ev.ID, nil); err != nil {
					b.Fatal(err)
				}
			}
			_, organizer := e.memberAt(b, testOrganizerEmail, "運営 太郎", community.MembershipSupporting)
			for _, page := range []struct{ name, path string }{
				{"Dashboard", "/admin"},
				{"EventList", "/admin/events"},
				{"Attendees", "/admin/events/" + ev.ID + "/attendees"},
			} {
				b.Run(page.name, func(b *testing.B) {
					raw, err := json.Marshal(get(b, page.path, organizer))
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
							if _, err := json.Marshal(resp); err != nil {
								b.Fatal(err)
							}
						})
					}
					lat.Report(b, time.Since(began), calls.Snapshot(), "DynamoDB")
					n := float64(lat.Summary().N)
					perOp := float64(calls.Total()) / n
					if before, ok := perPage[page.name]; ok && perOp != before {
						b.Errorf("%s: %.1f DynamoDB calls with %d past events, %.1f with fewer", page.name, perOp, past, before)
					}
					perPage[page.name] = perOp
					b.ReportMetric(float64(calls.Count("DynamoDB.Query"))/n, "queries/op")
					scans := calls.Count("DynamoDB.Scan")
					b.ReportMetric(float64(scans)/n, "scans/op")
					if scans != 0 {
						b.Errorf("%s scanned the table %d times", page.path, scans)
					}
				})
			}
		})
	}
}
