package reminders_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// lambdaTimeout is RemindersFunction's Timeout in template.yaml; the
// handler stops starting sends reminders.DefaultReserve before it.
const lambdaTimeout = 300 * time.Second

// BenchmarkSweep5000 sweeps 5,000 due registrations (50 events of 100:
// 4,000 guests and 1,000 members) with the default workers and no send
// rate, against DynamoDB Local and the SES stand-in, and reports the
// sweep's time and its DynamoDB and SES calls. Seeding is not timed.
func BenchmarkSweep5000(b *testing.B) {
	const (
		events   = 50
		perEvent = 100
		members  = 1000
	)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		ms := make([]*community.Member, members)
		parallel(16, members, func(i int) { ms[i] = e.member("会員", true, community.MemberActive) })
		evs := make([]*community.Event, events)
		for i := range evs {
			evs[i] = e.event("井戸端会議", T.Add(30*time.Minute+time.Duration(i)*time.Second), online("https://zoom.example/j/bench"))
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
		res, err := svc.Sweep(context.Background(), time.Now().Add(lambdaTimeout-30*time.Second))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Sent != events*perEvent || res.Stopped != "" {
			b.Fatalf("sent %d of %d: %+v", res.Sent, events*perEvent, res)
		}
		db, mails := e.dbCalls.Total(), e.sesCalls.Count("SES.SendRawEmail")
		b.ReportMetric(res.Duration.Seconds(), "s/sweep")
		b.ReportMetric(float64(res.Sent)/res.Duration.Seconds(), "mails/s")
		b.ReportMetric(float64(db), "dynamodb-calls")
		b.ReportMetric(float64(mails), "ses-calls")
		b.ReportMetric(float64(db)/float64(res.Sent), "dynamodb-calls/mail")
		b.Logf("5,000 reminders in %v (Lambda timeout %v, budget %v); DynamoDB %v; SES %d",
			res.Duration.Round(time.Millisecond), lambdaTimeout, lambdaTimeout-30*time.Second, e.dbCalls.Snapshot(), mails)
		b.StartTimer()
	}
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
