package awsmetrics_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m)) }

func client(opts ...func(*aws.Config)) *dynamodb.Client {
	cfg := localtest.AWSConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
		o.DisableValidateResponseChecksum = true
	})
}

func TestCounter(t *testing.T) {
	ctx := context.Background()
	table := localtest.NewTable(t)

	t.Run("CountsPerOperation", func(t *testing.T) {
		c := awsmetrics.NewCounter()
		db := client()
		withCounter := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.Middleware()) }
		for range 3 {
			if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, withCounter); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}, withCounter); err != nil {
			t.Fatal(err)
		}
		// A failed call is a call made.
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no-such-table")}, withCounter); err == nil {
			t.Fatal("DescribeTable of a missing table succeeded")
		}
		// Calls without the option are not counted.
		if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"DynamoDB.DescribeTable": 4, "DynamoDB.ListTables": 1}
		assertCounts(t, c.Snapshot(), want)
		if got := c.Count("DynamoDB.DescribeTable"); got != 4 {
			t.Errorf("Count(DescribeTable) = %d, want 4", got)
		}
		if got := c.Total(); got != 5 {
			t.Errorf("Total() = %d, want 5", got)
		}
	})

	t.Run("ConfigWideAndConcurrent", func(t *testing.T) {
		c := awsmetrics.NewCounter()
		other := awsmetrics.NewCounter()
		db := client(func(cfg *aws.Config) { cfg.APIOptions = append(cfg.APIOptions, c.Middleware(), other.Middleware()) })
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		assertCounts(t, c.Snapshot(), map[string]int64{"DynamoDB.ListTables": n})
		assertCounts(t, other.Snapshot(), map[string]int64{"DynamoDB.ListTables": n})

		c.Reset()
		assertCounts(t, c.Snapshot(), map[string]int64{})
		if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatal(err)
		}
		assertCounts(t, c.Snapshot(), map[string]int64{"DynamoDB.ListTables": 1})
	})
}

func TestTimer(t *testing.T) {
	ctx := context.Background()
	c, other := awsmetrics.NewCounter(), awsmetrics.NewCounter()
	// Two counters on one stack: the request's timer is charged once per call.
	db := client(func(cfg *aws.Config) { cfg.APIOptions = append(cfg.APIOptions, c.Middleware(), other.Middleware()) })

	const n = 8
	tctx, timer := awsmetrics.WithTimer(ctx)
	began := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := db.ListTables(tctx, &dynamodb.ListTablesInput{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	wall := time.Since(began)
	// A call without the timer's context is not charged to it.
	if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	if got := timer.Calls(); got != n {
		t.Errorf("Calls() = %d, want %d", got, n)
	}
	// Concurrent calls overlap: their wall time is within the work's.
	if got := timer.Elapsed(); got <= 0 || got > wall {
		t.Errorf("Elapsed() = %v, want within (0, %v]", got, wall)
	}
	if d := c.Duration("DynamoDB.ListTables"); d < timer.Elapsed() {
		t.Errorf("Duration(ListTables) = %v, less than the timer's %v", d, timer.Elapsed())
	}
	if ds := c.Durations(); len(ds) != 1 || ds["DynamoDB.ListTables"] != c.Duration("DynamoDB.ListTables") {
		t.Errorf("Durations() = %v", ds)
	}
	c.Reset()
	if d := c.Duration("DynamoDB.ListTables"); d != 0 {
		t.Errorf("Duration after Reset = %v", d)
	}
}

func TestLatencies(t *testing.T) {
	var l awsmetrics.Latencies
	for i := 1; i <= 100; i++ {
		// Request i takes i ms, 1 ms of it inside AWS calls except the last.
		aws := time.Millisecond
		if i == 100 {
			aws = 90 * time.Millisecond
		}
		l.Add(time.Duration(i)*time.Millisecond, aws)
	}
	got := l.Summary()
	want := awsmetrics.Summary{N: 100, P50: 50 * time.Millisecond, P99: 99 * time.Millisecond,
		P50AWS: time.Millisecond, P50Own: 48 * time.Millisecond} // own: 0…98 ms and 10 ms
	if got != want {
		t.Errorf("Summary() = %+v, want %+v", got, want)
	}
	r := reporter{}
	l.Report(r, time.Second, map[string]int64{"DynamoDB.Query": 100, "DynamoDB.GetItem": 50, "SES.SendRawEmail": 1}, "DynamoDB", "SES")
	for unit, v := range map[string]float64{"req/s": 100, "p50-ms": 50, "p99-ms": 99, "p50-aws-ms": 1, "p50-own-ms": 48, "dynamodb-calls/op": 1.5, "ses-calls/op": 0.01} {
		if r[unit] != v {
			t.Errorf("%s = %v, want %v (all: %v)", unit, r[unit], v, r)
		}
	}
	var empty awsmetrics.Latencies
	r = reporter{}
	empty.Report(r, time.Second, nil, "DynamoDB")
	if len(r) != 0 {
		t.Errorf("an empty Latencies reported %v", r)
	}
}

type reporter map[string]float64

func (r reporter) ReportMetric(v float64, unit string) { r[unit] = v }

func assertCounts(t *testing.T, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Snapshot() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("Snapshot() = %v, want %v", got, want)
		}
	}
}
