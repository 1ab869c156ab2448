package web

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// BenchmarkCertificate measures one attendee's certificate download (GET
// /me/certificates/{id}) through the Lambda JSON path against DynamoDB
// Local: the reads (session, member, event, the member's registrations),
// parsing the embedded font, drawing and subsetting it, the QR code, and
// base64 for API Gateway. It reports allocations, the PDF's size and the
// DynamoDB calls a download costs.
func BenchmarkCertificate(b *testing.B) {
	b.ReportAllocs()
	calls := awsmetrics.NewCounter()
	e := newEnvWith(b, envOptions{BaseURL: "https://tabane.example.jp", Secure: true, Calls: calls})
	ev := e.createEvent(b, "橋梁点検の実地研修", jst(5, 20, 14, 0), func(ev *community.Event) {
		ev.Venue = &community.Venue{Name: "伊勢崎市役所 大会議室", Address: "群馬県伊勢崎市今泉町2-410"}
		ev.Capacity = 30
	})
	m, session := e.memberAt(b, localtest.UniqueEmail("bench"), "伊勢崎 花子", community.MembershipSupporting)
	res, err := e.regs.Register(context.Background(), community.Viewer{Member: m}, ev.ID, nil)
	if err != nil {
		b.Fatal(err)
	}
	at := ev.StartsAt
	if _, err := e.store.SetCheckIn(context.Background(), ev.ID, res.Registration.ID, &at); err != nil {
		b.Fatal(err)
	}
	e.clock.Set(ev.EndsAt.Add(time.Hour))
	raw, err := json.Marshal(get(b, "/me/certificates/"+ev.ID, session))
	if err != nil {
		b.Fatal(err)
	}
	var lat awsmetrics.Latencies
	size := 0
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
				b.Fatalf("status %d, %v: %.300s", resp.StatusCode, err, resp.Body)
			}
			size = len(resp.Body) * 3 / 4
		})
	}
	lat.Report(b, time.Since(began), calls.Snapshot(), "DynamoDB")
	b.ReportMetric(float64(size), "pdf-bytes")
}
