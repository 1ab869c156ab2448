package awsmetrics_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/localstack/localtest"
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
