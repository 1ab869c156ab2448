package remindersjob_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/remindersjob"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// deployed is what template.yaml gives the sweep: RemindersFunction's
// Timeout, less the reserve in which the handler starts no send, and the
// default send rate (SesRatePerSecond → TABANE_SES_RATE).
func deployed(tb testing.TB) (timeout, budget time.Duration, rate float64) {
	tb.Helper()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		tb.Fatal(err)
	}
	f, ok, err := tpl.Function("RemindersFunction")
	if err != nil || !ok {
		tb.Fatalf("RemindersFunction: %v %v", ok, err)
	}
	p, ok := tpl.Parameters["SesRatePerSecond"]
	if !ok {
		tb.Fatal("no SesRatePerSecond parameter")
	}
	if rate, err = strconv.ParseFloat(p.Default, 64); err != nil || rate <= 0 {
		tb.Fatalf("SesRatePerSecond default %q: %v", p.Default, err)
	}
	return f.Timeout, f.Timeout - remindersjob.DefaultReserve, rate
}

// TestBudgetMatchesTemplate: a sweep without a deadline (the dev server's
// tools, tests) gets the budget the deployed function has, and that budget
// holds the benchmark's 5,000 mails at the deployed send rate.
func TestBudgetMatchesTemplate(t *testing.T) {
	timeout, budget, rate := deployed(t)
	if remindersjob.DefaultBudget != budget {
		t.Errorf("DefaultBudget %v, want RemindersFunction's Timeout %v less DefaultReserve: %v", remindersjob.DefaultBudget, timeout, budget)
	}
	if need := time.Duration(5000 / rate * float64(time.Second)); need > budget {
		t.Errorf("5,000 mails at %v/s take %v, over the sweep's budget %v", rate, need, budget)
	}
}

// BenchmarkSweep5000 sweeps 5,000 due registrations (50 events of 100:
// 4,000 guests and 1,000 members; each event two hours away, so only its
// 24 h reminder is due: 5,000 mails) with the default workers and no send
// rate, against DynamoDB Local and the SES stand-in, and reports the
// sweep's time (with p50-aws-ms, the part inside AWS calls, and
// p50-own-ms, the rest) and its DynamoDB and SES calls. Seeding is not timed.
//
// Deployed, the sweep is paced at TABANE_SES_RATE, and at 10/s 5,000 mails
// take 500 s whatever the stand-ins do: running that would only measure
// the pacer. So the benchmark runs unpaced and also reports the projection
// at the deployed rate, s/sweep@<rate>/s = max(measured, mails/rate), and
// fits-budget: 1 when that projection is within the Lambda timeout less
// the reserve, 0 when a sweep would leave mail for the next one.
func BenchmarkSweep5000(b *testing.B) {
	const (
		events   = 50
		perEvent = 100
		members  = 1000
	)
	timeout, budget, rate := deployed(b)
	var lat awsmetrics.Latencies
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		ms := make([]*community.Member, members)
		parallel(16, members, func(i int) { ms[i] = e.member("会員", true, community.MemberActive) })
		evs := make([]*community.Event, events)
		for i := range evs {
			evs[i] = e.event("井戸端会議", T.Add(2*time.Hour+time.Duration(i)*time.Second), online("https://zoom.example/j/bench"))
		}
		// One goroutine per event: registrations on one event contend on
		// its counter, which is not what is measured here.
		parallel(16, events, func(i int) {
			for j := range perEvent {
				var m *community.Member
				if k := i*perEvent + j; k%5 == 0 {
					m = ms[k/5]
				}
				e.register(evs[i], m, T.Add(-48*time.Hour))
			}
		})
		e.dbCalls.Reset()
		e.sesCalls.Reset()
		svc := e.service()
		b.StartTimer()
		var res community.SweepResult
		var err error
		started := time.Now()
		lat.Measure(context.Background(), func(ctx context.Context) {
			res, err = svc.Sweep(ctx, mail.NewPace(0, time.Now().Add(budget)))
		})
		took := time.Since(started)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Due != events || res.Sent != events*perEvent || res.Stopped != "" {
			b.Fatalf("sent %d of %d: %+v", res.Sent, events*perEvent, res)
		}
		db, mails := e.dbCalls.Total(), e.sesCalls.Count("SES.SendRawEmail")
		paced := max(took, time.Duration(float64(res.Sent)/rate*float64(time.Second)))
		fits := 0.0
		if paced <= budget {
			fits = 1
		}
		rateUnit := strconv.FormatFloat(rate, 'f', -1, 64)
		b.ReportMetric(took.Seconds(), "s/sweep")
		b.ReportMetric(paced.Seconds(), "s/sweep@"+rateUnit+"/s")
		b.ReportMetric(fits, "fits-budget")
		b.ReportMetric(float64(res.Sent)/took.Seconds(), "mails/s")
		b.ReportMetric(float64(db), "dynamodb-calls")
		b.ReportMetric(float64(mails), "ses-calls")
		b.ReportMetric(float64(db)/float64(res.Sent), "dynamodb-calls/mail")
		b.Logf("5,000 reminders in %v unpaced, %v at the deployed %v/s (Lambda timeout %v, budget %v, fits %v); DynamoDB %v; SES %d",
			took.Round(time.Millisecond), paced.Round(time.Second), rateUnit, timeout, budget, fits == 1, e.dbCalls.Snapshot(), mails)
		if fits == 0 {
			b.Errorf("at %v/s the sweep needs %v, over its budget %v", rateUnit, paced, budget)
		}
		b.StartTimer()
	}
	// The sweep's time inside DynamoDB and SES calls (its workers'
	// overlapping calls counted once) and the rest: its own share.
	sum := lat.Summary()
	b.ReportMetric(awsmetrics.Millis(sum.P50), "p50-ms")
	b.ReportMetric(awsmetrics.Millis(sum.P50AWS), "p50-aws-ms")
	b.ReportMetric(awsmetrics.Millis(sum.P50Own), "p50-own-ms")
}

// parallel runs f(0..n-1) on workers goroutines.
func parallel(workers, n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
