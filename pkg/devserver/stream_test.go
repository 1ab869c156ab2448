package devserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// These tests run the stream poller against DynamoDB Local's real stream of
// a fresh table (created from template.yaml, so with its StreamSpecification),
// with a stub handler for SinkFunction whose DynamoDB event each test writes.

const streamTemplate = `
Resources:
  Tbl:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: { StreamViewType: NEW_IMAGE }
  Dlq: { Type: AWS::SQS::Queue }
  SinkFunction:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 2
      Events:
        Items:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Tbl.StreamArn
            DestinationConfig: { OnFailure: { Type: SQS, Destination: !GetAtt Dlq.Arn } }
`

// delivered is the generous bound on a delivery; locally it takes well under a second.
const delivered = 10 * time.Second

type item struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
}

func put(t *testing.T, table string, items ...item) {
	t.Helper()
	for _, it := range items {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := localtest.DynamoDB().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
			t.Fatal(err)
		}
	}
}

func jobs(names ...string) []item {
	out := make([]item, len(names))
	for i, n := range names {
		out[i] = item{PK: "JOB", SK: n, Type: "job"}
	}
	return out
}

// recorder is a stub handler that keeps every batch it is given (by SK) and
// answers as respond says (success when nil).
type recorder struct {
	mu       sync.Mutex
	batches  [][]string
	raw      []json.RawMessage
	inflight int
	overlap  bool
	respond  func(call int, recs []events.DynamoDBEventRecord) (json.RawMessage, error)
}

func (r *recorder) handle(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(in, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.inflight++
	r.overlap = r.overlap || r.inflight > 1
	var sks []string
	for _, rec := range ev.Records {
		sks = append(sks, rec.Change.NewImage["SK"].String())
	}
	r.batches = append(r.batches, sks)
	r.raw = append(r.raw, in)
	call := len(r.batches)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight--
		r.mu.Unlock()
	}()
	if r.respond == nil {
		return nil, nil
	}
	return r.respond(call, ev.Records)
}

func (r *recorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// seen returns every SK delivered, in delivery order.
func (r *recorder) seen() []string {
	var out []string
	for _, b := range r.got() {
		out = append(out, b...)
	}
	return out
}

// startStreams runs the stream mapping props (YAML under Properties) of
// SinkFunction against table until the test ends.
func startStreams(t *testing.T, table, props string, h any, now func() time.Time) *Server {
	t.Helper()
	var b strings.Builder
	b.WriteString(streamTemplate)
	for _, line := range strings.Split(strings.TrimSpace(props), "\n") {
		b.WriteString("            " + line + "\n")
	}
	tpl, err := samtemplate.Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	streams := dynamodbstreams.NewFromConfig(localtest.AWSConfig(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
	})
	s, err := New(tpl, map[string]any{"SinkFunction": h}, Options{
		Now: now, DynamoDB: localtest.DynamoDB(), DynamoDBStreams: streams, Table: table,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.RunStreams(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done }) // before the table is deleted
	return s
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStreamDeliversNewItems(t *testing.T) {
	table := localtest.NewTable(t)
	r := &recorder{}
	startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 10
FilterCriteria:
  Filters:
    - Pattern: '{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["job"]}}}}'
FunctionResponseTypes: [ReportBatchItemFailures]`, r.handle, nil)

	put(t, table, jobs("a")...)
	waitFor(t, 2*time.Second, "the new item reaches the handler", func() bool { return len(r.seen()) == 1 })

	t.Run("LambdaPayload", func(t *testing.T) {
		var ev struct {
			Records []map[string]json.RawMessage `json:"Records"`
		}
		r.mu.Lock()
		raw := r.raw[0]
		r.mu.Unlock()
		if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("payload %s: %v", raw, err)
		}
		rec := ev.Records[0]
		if diff := cmp.Diff([]string{"awsRegion", "dynamodb", "eventID", "eventName", "eventSource", "eventSourceARN", "eventVersion"}, keys(rec)); diff != "" {
			t.Errorf("record fields (-want +got):\n%s", diff)
		}
		var change map[string]json.RawMessage
		if err := json.Unmarshal(rec["dynamodb"], &change); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"}, keys(change)); diff != "" {
			t.Errorf("dynamodb fields (-want +got):\n%s", diff)
		}
		var typed events.DynamoDBEvent
		if err := json.Unmarshal(raw, &typed); err != nil {
			t.Fatal(err)
		}
		got := typed.Records[0]
		if got.EventSource != "aws:dynamodb" || got.EventVersion != "1.1" || got.EventName != "INSERT" || got.AWSRegion != "ap-northeast-1" ||
			got.EventID == "" || !strings.Contains(got.EventSourceArn, ":table/"+table+"/stream/") {
			t.Errorf("record = %+v", got)
		}
		c := got.Change
		if c.StreamViewType != "NEW_IMAGE" || c.SequenceNumber == "" || c.SizeBytes <= 0 || c.ApproximateCreationDateTime.IsZero() ||
			c.Keys["PK"].String() != "JOB" || c.Keys["SK"].String() != "a" || len(c.Keys) != 2 || c.NewImage["type"].String() != "job" {
			t.Errorf("dynamodb = %+v", c)
		}
		if string(change["NewImage"]) == "" || !strings.Contains(strings.ReplaceAll(string(change["NewImage"]), " ", ""), `"type":{"S":"job"}`) {
			t.Errorf("NewImage is not DynamoDB JSON: %s", change["NewImage"])
		}
	})

	t.Run("FilteredOutNeverArrive", func(t *testing.T) {
		put(t, table, item{PK: "JOB", SK: "other", Type: "other"}, item{PK: "X", SK: "no-type"})
		_, err := localtest.DynamoDB().DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table),
			Key: mustKey(t, "JOB", "a")})
		if err != nil {
			t.Fatal(err)
		}
		put(t, table, jobs("b")...) // written last: once it arrives, the others were read before it
		waitFor(t, delivered, "the item after the filtered ones arrives", func() bool { return slices.Contains(r.seen(), "b") })
		if diff := cmp.Diff([]string{"a", "b"}, r.seen()); diff != "" {
			t.Errorf("delivered (-want +got):\n%s", diff)
		}
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustKey(t *testing.T, pk, sk string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	k, err := attributevalue.MarshalMap(struct {
		PK string `dynamodbav:"PK"`
		SK string `dynamodbav:"SK"`
	}{pk, sk})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// failAt answers a batch with batchItemFailures naming the record whose SK is sk.
func failAt(sk string, recs []events.DynamoDBEventRecord) json.RawMessage {
	for _, r := range recs {
		if r.Change.NewImage["SK"].String() == sk {
			b, _ := json.Marshal(events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}})
			return b
		}
	}
	return nil
}

func TestStreamBatchItemFailures(t *testing.T) {
	table := localtest.NewTable(t)
	put(t, table, jobs("a", "b", "c", "d")...) // before the start: read together from TRIM_HORIZON
	r := &recorder{respond: func(call int, recs []events.DynamoDBEventRecord) (json.RawMessage, error) {
		if call == 1 {
			return failAt("b", recs), nil
		}
		return nil, nil
	}}
	s := startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 3
FunctionResponseTypes: [ReportBatchItemFailures]
MaximumRetryAttempts: 3`, r.handle, nil)
	waitFor(t, delivered, "d is delivered", func() bool { return slices.Contains(r.seen(), "d") })
	want := [][]string{{"a", "b", "c"}, {"b", "c"}, {"d"}}
	if diff := cmp.Diff(want, r.got()); diff != "" {
		t.Errorf("batches (-want +got): the failed record and the ones after it, nothing before\n%s", diff)
	}
	if d := s.Dropped(); len(d) != 0 {
		t.Errorf("dropped %+v", d)
	}
}

func TestStreamUnusableFailureResponseRetriesAll(t *testing.T) {
	table := localtest.NewTable(t)
	put(t, table, jobs("a", "b")...)
	r := &recorder{respond: func(call int, recs []events.DynamoDBEventRecord) (json.RawMessage, error) {
		if call == 1 {
			return json.RawMessage(`{"batchItemFailures":[{"itemIdentifier":""}]}`), nil
		}
		return nil, nil
	}}
	startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 2
FunctionResponseTypes: [ReportBatchItemFailures]
MaximumRetryAttempts: 3`, r.handle, nil)
	waitFor(t, delivered, "the retry", func() bool { return len(r.got()) == 2 })
	if diff := cmp.Diff([][]string{{"a", "b"}, {"a", "b"}}, r.got()); diff != "" {
		t.Errorf("an empty itemIdentifier fails the whole batch (-want +got):\n%s", diff)
	}
}

func TestStreamDropsAfterRetries(t *testing.T) {
	table := localtest.NewTable(t)
	r := &recorder{respond: func(int, []events.DynamoDBEventRecord) (json.RawMessage, error) {
		return nil, errors.New("SES is down")
	}}
	s := startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 10
MaximumRetryAttempts: 2`, r.handle, nil)
	put(t, table, jobs("a")...)
	waitFor(t, delivered, "the batch is dropped", func() bool { return len(s.Dropped()) == 1 })
	d := s.Dropped()[0]
	if d.Mapping != "SinkFunction.Items" || d.Destination != "Dlq" || d.Condition != RetryAttemptsExhausted ||
		d.ApproximateInvokeCount != 3 || d.Err != "SES is down" || len(d.Records) != 1 ||
		d.Records[0].Change.NewImage["SK"].String() != "a" || d.StartSequenceNumber != d.Records[0].Change.SequenceNumber {
		t.Errorf("dropped = %+v", d)
	}
	if diff := cmp.Diff([][]string{{"a"}, {"a"}, {"a"}}, r.got()); diff != "" {
		t.Errorf("invocations: the first and two retries (-want +got):\n%s", diff)
	}

	put(t, table, jobs("b")...) // the shard moved on
	waitFor(t, delivered, "the next record is tried and dropped too", func() bool { return len(s.Dropped()) == 2 })
}

func TestStreamBisectsToThePoisonRecord(t *testing.T) {
	table := localtest.NewTable(t)
	put(t, table, jobs("a", "poison", "c", "d")...)
	r := &recorder{respond: func(_ int, recs []events.DynamoDBEventRecord) (json.RawMessage, error) {
		for _, rec := range recs {
			if rec.Change.NewImage["SK"].String() == "poison" {
				panic("cannot send this one")
			}
		}
		return nil, nil
	}}
	s := startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 4
BisectBatchOnFunctionError: true
MaximumRetryAttempts: 1`, r.handle, nil)
	waitFor(t, delivered, "the poison record is dropped and the rest delivered", func() bool {
		// "d" is in the first batch too: wait for the batch after the drop.
		got := r.got()
		return len(s.Dropped()) == 1 && len(got) > 0 && slices.Equal(got[len(got)-1], []string{"c", "d"})
	})
	want := [][]string{{"a", "poison", "c", "d"}, {"a", "poison"}, {"a"}, {"poison"}, {"poison"}, {"c", "d"}}
	if diff := cmp.Diff(want, r.got()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if d := s.Dropped()[0]; len(d.Records) != 1 || d.Records[0].Change.NewImage["SK"].String() != "poison" || !strings.HasPrefix(d.Err, "panic: cannot send this one") {
		t.Errorf("dropped = %+v", d)
	}
}

func TestStreamRecordAge(t *testing.T) {
	table := localtest.NewTable(t)
	put(t, table, jobs("old")...)
	r := &recorder{}
	later := func() time.Time { return time.Now().Add(2 * time.Minute) }
	s := startStreams(t, table, `
StartingPosition: TRIM_HORIZON
MaximumRecordAgeInSeconds: 60`, r.handle, later)
	waitFor(t, delivered, "the old record is dropped", func() bool { return len(s.Dropped()) == 1 })
	if d := s.Dropped()[0]; d.Condition != RecordAgeExceeded || d.ApproximateInvokeCount != 0 {
		t.Errorf("dropped = %+v", d)
	}
	if got := r.got(); len(got) != 0 {
		t.Errorf("the handler got %v", got)
	}
}

func TestStreamKeepsShardOrder(t *testing.T) {
	table := localtest.NewTable(t)
	r := &recorder{respond: func(call int, recs []events.DynamoDBEventRecord) (json.RawMessage, error) {
		time.Sleep(5 * time.Millisecond) // long enough for a second batch to overlap, were one sent
		if call%4 == 0 {
			return failAt(recs[len(recs)-1].Change.NewImage["SK"].String(), recs), nil
		}
		return nil, nil
	}}
	startStreams(t, table, `
StartingPosition: TRIM_HORIZON
BatchSize: 3
FunctionResponseTypes: [ReportBatchItemFailures]
MaximumRetryAttempts: 5`, r.handle, nil)
	var want []string
	for i := range 30 {
		sk := fmt.Sprintf("i%02d", i)
		want = append(want, sk)
		put(t, table, jobs(sk)...)
	}
	waitFor(t, delivered, "all 30 items arrive", func() bool { return slices.Contains(r.seen(), "i29") })
	// Drop each retried record's first delivery: what remains is the order
	// in which records were completed.
	var done []string
	for _, b := range r.got() {
		for _, sk := range b {
			if len(done) > 0 && done[len(done)-1] == sk {
				continue
			}
			done = append(done, sk)
		}
	}
	if diff := cmp.Diff(want, done); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if r.overlap {
		t.Error("two batches of one shard were in flight at once")
	}
}

func TestStreamLatestSkipsOldRecords(t *testing.T) {
	table := localtest.NewTable(t)
	put(t, table, jobs("before-start")...)
	r := &recorder{}
	startStreams(t, table, "StartingPosition: LATEST", r.handle, nil)
	// The poller's start is not observable; write until a record arrives.
	for i := 0; ; i++ {
		put(t, table, jobs(fmt.Sprintf("after-%d", i))...)
		if len(r.seen()) > 0 {
			break
		}
		if i == int(delivered/(100*time.Millisecond)) {
			t.Fatal("no record written after the start arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if slices.Contains(r.seen(), "before-start") {
		t.Errorf("LATEST delivered a record written before the start: %v", r.seen())
	}
}

func TestStreamMappingsListed(t *testing.T) {
	tpl, err := samtemplate.Parse([]byte(streamTemplate + "            StartingPosition: LATEST\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(tpl, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms := s.StreamMappings()
	if len(ms) != 1 || ms[0].Name() != "SinkFunction.Items" || s.RunsStreams() || s.Served("SinkFunction") {
		t.Errorf("mappings = %+v, runs = %v", ms, s.RunsStreams())
	}
	s.RunStreams(context.Background()) // no endpoint: returns at once

	bad, err := samtemplate.Parse([]byte(streamTemplate + `            StartingPosition: LATEST
            FilterCriteria: { Filters: [{ Pattern: '{"eventName":[{"wildcard":"IN*"}]}' }] }
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(bad, nil, Options{}); err == nil || !strings.Contains(err.Error(), "SinkFunction.Items") || !strings.Contains(err.Error(), "wildcard") {
		t.Errorf("an unsupported filter operator: err = %v, want one naming the mapping and the operator", err)
	}
}
