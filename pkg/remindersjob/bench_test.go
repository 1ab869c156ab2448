package remindersjob_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/remindersjob"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// deployed is what template.yaml gives the sweep: RemindersFunction's
// Timeout, less the reserve in which the handler hands nothing over.
func deployed(tb testing.TB) (timeout, budget time.Duration) {
	tb.Helper()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		tb.Fatal(err)
	}
	f, ok, err := tpl.Function("RemindersFunction")
	if err != nil || !ok {
		tb.Fatalf("RemindersFunction: %v %v", ok, err)
	}
	return f.Timeout, f.Timeout - remindersjob.DefaultReserve
}

// TestBudgetMatchesTemplate: a sweep without a deadline (the dev server's
// tools, tests) gets the budget the deployed function has.
func TestBudgetMatchesTemplate(t *testing.T) {
	timeout, budget := deployed(t)
	if remindersjob.DefaultBudget != budget {
		t.Errorf("DefaultBudget %v, want RemindersFunction's Timeout %v less DefaultReserve: %v", remindersjob.DefaultBudget, timeout, budget)
	}
}

// BenchmarkSweep5000 sweeps 5,000 due registrations (50 events of 100:
// 4,000 guests and 1,000 members; each event two hours away, so only its
// 24 h reminder is due: 5,000 reminders) against DynamoDB Local, and
// reports the cost of handing them over to the mailer: the sweep's time
// (with p50-aws-ms, the part inside AWS calls, and p50-own-ms, the rest),
// its DynamoDB calls in all and per reminder, and its SES calls, which
// must be none: the mailer sends, at the pace SES allows. fits-budget is 1
// when the sweep took no longer than the deployed Lambda timeout less the
// reserve. Seeding is not timed.
func BenchmarkSweep5000(b *testing.B) {
	const (
		events   = 50
		perEvent = 100
		members  = 1000
	)
	timeout, budget := deployed(b)
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
			ctx, cancel := context.WithTimeout(ctx, budget)
			defer cancel()
			res, err = svc.Sweep(ctx)
		})
		took := time.Since(started)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Due != events || res.Sent != events*perEvent || res.Stopped != "" {
			b.Fatalf("handed over %d of %d: %+v", res.Sent, events*perEvent, res)
		}
		db, mails := e.dbCalls.Total(), e.sesCalls.Count("SES.SendRawEmail")
		fits := 0.0
		if took <= budget {
			fits = 1
		}
		b.ReportMetric(took.Seconds(), "s/sweep")
		b.ReportMetric(fits, "fits-budget")
		b.ReportMetric(float64(res.Sent)/took.Seconds(), "reminders/s")
		b.ReportMetric(float64(db), "dynamodb-calls")
		b.ReportMetric(float64(db)/float64(res.Sent), "dynamodb-calls/reminder")
		b.ReportMetric(float64(mails), "ses-calls")
		b.Logf("5,000 reminders handed over in %v (Lambda timeout %v, budget %v); DynamoDB %v; SES %d",
			took.Round(time.Millisecond), timeout, budget, e.dbCalls.Snapshot(), mails)
		if mails != 0 {
			b.Errorf("the sweep made %d SES calls; the mailer sends", mails)
		}
		if fits == 0 {
			b.Errorf("the sweep took %v, over its budget %v", took, budget)
		}
		b.StartTimer()
	}
	// The sweep's time inside DynamoDB calls and the rest: its own share.
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
