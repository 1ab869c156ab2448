package devserver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"
)

// outboxRecord is a stream record as Lambda represents it.
const outboxRecord = `{
  "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "ap-northeast-1",
  "dynamodb": {
    "ApproximateCreationDateTime": 1764480000,
    "Keys": {"PK": {"S": "OUTBOX#1"}, "SK": {"S": "MAIL"}},
    "NewImage": {"PK": {"S": "OUTBOX#1"}, "SK": {"S": "MAIL"}, "type": {"S": "outbox"}, "kind": {"S": "reminder"},
                 "attempts": {"N": "2"}, "tags": {"SS": ["a", "b"]}, "sent": {"NULL": true}},
    "SequenceNumber": "100", "SizeBytes": 120, "StreamViewType": "NEW_IMAGE"
  },
  "eventSourceARN": "arn:aws:dynamodb:ap-northeast-1:000000000000:table/t/stream/x",
  "size": 120, "score": 7.5, "flag": true, "nothing": null, "list": ["x", 3]
}`

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name, pattern string
		want          bool
	}{
		{"TemplateOutbox", `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["outbox"]}}}}`, true},
		{"OtherType", `{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["member"]}}}}`, false},
		{"OneOfList", `{"eventName":["MODIFY","INSERT"]}`, true},
		{"AllFieldsMustMatch", `{"eventName":["INSERT"],"eventSource":["aws:sqs"]}`, false},
		{"MissingField", `{"dynamodb":{"OldImage":{"type":{"S":["outbox"]}}}}`, false},
		{"Number", `{"size":[120]}`, true},
		{"NumberIsNotString", `{"size":["120"]}`, false},
		{"StringIsNotNumber", `{"dynamodb":{"NewImage":{"attempts":{"N":[2]}}}}`, false},
		{"NumberAsFloat", `{"score":[7.50]}`, true},
		{"Bool", `{"flag":[true]}`, true},
		{"Null", `{"nothing":[null]}`, true},
		{"NullIsNotMissing", `{"absent":[null]}`, false},
		{"ArrayInRecord", `{"dynamodb":{"NewImage":{"tags":{"SS":["b"]}}}}`, true},
		{"ArrayInRecordNone", `{"dynamodb":{"NewImage":{"tags":{"SS":["c"]}}}}`, false},
		{"MixedArray", `{"list":[3]}`, true},
		{"Prefix", `{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"OUTBOX#"}]}}}}`, true},
		{"PrefixNo", `{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"MEMBER#"}]}}}}`, false},
		{"Suffix", `{"dynamodb":{"Keys":{"SK":{"S":[{"suffix":"AIL"}]}}}}`, true},
		{"EqualsIgnoreCase", `{"eventName":[{"equals-ignore-case":"insert"}]}`, true},
		{"ExistsTrue", `{"dynamodb":{"NewImage":{"kind":{"S":[{"exists":true}]}}}}`, true},
		{"ExistsTrueMissing", `{"dynamodb":{"NewImage":{"claimed":{"S":[{"exists":true}]}}}}`, false},
		{"ExistsFalse", `{"dynamodb":{"NewImage":{"claimed":[{"exists":false}]}}}`, true},
		{"ExistsFalsePresent", `{"dynamodb":{"NewImage":{"kind":[{"exists":false}]}}}`, false},
		{"ExistsFalseWholePathMissing", `{"dynamodb":{"OldImage":{"kind":{"S":[{"exists":false}]}}}}`, true},
		{"ExistsOnObjectIsNotALeaf", `{"dynamodb":{"NewImage":[{"exists":true}]}}`, false},
		{"ObjectWhereLeaf", `{"eventName":{"S":["INSERT"]}}`, false},
		{"LeafWhereObject", `{"dynamodb":["x"]}`, false},
		{"AnythingBut", `{"eventName":[{"anything-but":["REMOVE","MODIFY"]}]}`, true},
		{"AnythingButHit", `{"eventName":[{"anything-but":"INSERT"}]}`, false},
		{"AnythingButPrefix", `{"eventName":[{"anything-but":{"prefix":"IN"}}]}`, false},
		{"AnythingButMissing", `{"absent":[{"anything-but":"x"}]}`, false},
		{"NumericRange", `{"size":[{"numeric":[">",100,"<=",120]}]}`, true},
		{"NumericOutside", `{"size":[{"numeric":["<",100]}]}`, false},
		{"NumericOnString", `{"eventID":[{"numeric":["=",1]}]}`, false},
		{"OrWithinList", `{"eventName":[{"prefix":"MOD"},"INSERT"]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := CompilePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match([]byte(outboxRecord)); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompilePatternErrors(t *testing.T) {
	for name, pattern := range map[string]string{
		"NotJSON":         `{"eventName":`,
		"NotObject":       `["INSERT"]`,
		"BareValue":       `{"eventName":"INSERT"}`,
		"EmptyList":       `{"eventName":[]}`,
		"EmptyObject":     `{"dynamodb":{}}`,
		"NestedList":      `{"eventName":[["INSERT"]]}`,
		"Wildcard":        `{"eventName":[{"wildcard":"IN*"}]}`,
		"TwoOperators":    `{"eventName":[{"prefix":"I","suffix":"T"}]}`,
		"PrefixNumber":    `{"eventName":[{"prefix":1}]}`,
		"ExistsString":    `{"eventName":[{"exists":"yes"}]}`,
		"NumericOperator": `{"size":[{"numeric":["!=",1]}]}`,
		"NumericShape":    `{"size":[{"numeric":[">"]}]}`,
		"AnythingButNull": `{"size":[{"anything-but":[null]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := CompilePattern(pattern); err == nil {
				t.Errorf("CompilePattern(%s) accepted", pattern)
			}
		})
	}
}

func TestPatternSummary(t *testing.T) {
	p, err := CompilePattern(`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["outbox"]}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Summary(), "dynamodb.NewImage.type.S outbox, eventName INSERT"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestShardSet(t *testing.T) {
	shard := func(id, parent string, closed bool) types.Shard {
		sh := types.Shard{ShardId: aws.String(id), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("1")}}
		if parent != "" {
			sh.ParentShardId = aws.String(parent)
		}
		if closed {
			sh.SequenceNumberRange.EndingSequenceNumber = aws.String("9")
		}
		return sh
	}
	trim, latest := types.ShardIteratorTypeTrimHorizon, types.ShardIteratorTypeLatest

	t.Run("TrimHorizonParentsFirst", func(t *testing.T) {
		ss := newShardSet(false)
		// "gone" was trimmed from the stream: its child starts at once.
		list := []types.Shard{shard("a", "", true), shard("b", "a", true), shard("c", "b", false), shard("x", "gone", false)}
		if diff := cmp.Diff([]shardStart{{"a", trim}, {"x", trim}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("first listing (-want +got):\n%s", diff)
		}
		if got := ss.update(list); len(got) != 0 {
			t.Errorf("nothing new, nothing finished: started %v", got)
		}
		ss.finish("a")
		if diff := cmp.Diff([]shardStart{{"b", trim}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("after a (-want +got):\n%s", diff)
		}
		ss.finish("b")
		list = append(list, shard("d", "c", false)) // rollover: c closes, d opens
		list[2] = shard("c", "b", true)
		if diff := cmp.Diff([]shardStart{{"c", trim}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("after b (-want +got):\n%s", diff)
		}
		ss.finish("c")
		if diff := cmp.Diff([]shardStart{{"d", trim}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("after c: the child from its start (-want +got):\n%s", diff)
		}
	})
	t.Run("LatestOpenShardsOnly", func(t *testing.T) {
		ss := newShardSet(true)
		list := []types.Shard{shard("a", "", true), shard("b", "a", false)}
		if diff := cmp.Diff([]shardStart{{"b", latest}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("first listing (-want +got):\n%s", diff)
		}
		ss.finish("b")
		list = append(list, shard("c", "b", false))
		if diff := cmp.Diff([]shardStart{{"c", trim}}, ss.update(list), cmp.AllowUnexported(shardStart{})); diff != "" {
			t.Errorf("a later shard is read from its start (-want +got):\n%s", diff)
		}
	})
}

func testRecords(seqs ...string) []record {
	out := make([]record, len(seqs))
	for i, s := range seqs {
		out[i].ev.Change.SequenceNumber = s
		out[i].raw = json.RawMessage(`{}`)
	}
	return out
}

func TestFailedFrom(t *testing.T) {
	recs := testRecords("98", "99", "100", "101")
	tests := []struct {
		name, response string
		from           int
		failsAll       bool
	}{
		{"NoResponse", ``, -1, false},
		{"Null", `null`, -1, false},
		{"EmptyObject", `{}`, -1, false},
		{"EmptyList", `{"batchItemFailures":[]}`, -1, false},
		{"One", `{"batchItemFailures":[{"itemIdentifier":"100"}]}`, 2, false},
		{"LowestOfSeveral", `{"batchItemFailures":[{"itemIdentifier":"101"},{"itemIdentifier":"99"}]}`, 1, false},
		{"EmptyIdentifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, -1, true},
		{"BadKeyName", `{"batchItemFailures":[{"itemId":"99"}]}`, -1, true},
		{"NotInBatch", `{"batchItemFailures":[{"itemIdentifier":"7"}]}`, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, reason := failedFrom([]byte(tt.response), recs)
			if from != tt.from || (reason != "") != tt.failsAll {
				t.Errorf("failedFrom = %d, %q; want %d, fails all %v", from, reason, tt.from, tt.failsAll)
			}
		})
	}
}

func TestBatchLen(t *testing.T) {
	recs := testRecords("1", "2", "3", "4", "5")
	if got := batchLen(recs, 3); got != 3 {
		t.Errorf("batchLen(5 records, 3) = %d", got)
	}
	big := testRecords("1", "2", "3")
	for i := range big {
		big[i].raw = json.RawMessage(`"` + strings.Repeat("x", 2<<20) + `"`) // 2 MB each
	}
	if got := batchLen(big, 10); got != 2 {
		t.Errorf("batchLen(3 × 2 MB) = %d, want 2 (Lambda's 6 MB payload)", got)
	}
}

func TestLambdaRecord(t *testing.T) {
	s := &Server{region: "ap-northeast-1"}
	r := types.Record{
		EventID: aws.String("e1"), EventName: types.OperationTypeRemove,
		UserIdentity: &types.Identity{Type: aws.String("Service"), PrincipalId: aws.String("dynamodb.amazonaws.com")},
		Dynamodb: &types.StreamRecord{
			SequenceNumber: aws.String("42"), SizeBytes: aws.Int64(9), StreamViewType: types.StreamViewTypeNewImage,
			ApproximateCreationDateTime: aws.Time(time.Unix(1764480000, 600_000_000)), // whole seconds in the event
			Keys:                        map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "K"}},
			NewImage: map[string]types.AttributeValue{
				"s": &types.AttributeValueMemberS{Value: "束"}, "n": &types.AttributeValueMemberN{Value: "1.5"},
				"b": &types.AttributeValueMemberB{Value: []byte{1, 2}}, "t": &types.AttributeValueMemberBOOL{Value: true},
				"z": &types.AttributeValueMemberNULL{Value: true}, "ss": &types.AttributeValueMemberSS{Value: []string{"a"}},
				"ns": &types.AttributeValueMemberNS{Value: []string{"1"}}, "bs": &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
				"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}},
				"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "2"}}},
			},
		},
	}
	rec, err := s.lambdaRecord(r, "arn:stream")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.raw, &got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{
  "awsRegion": "ap-northeast-1", "eventID": "e1", "eventName": "REMOVE", "eventSource": "aws:dynamodb", "eventVersion": "1.1",
  "eventSourceARN": "arn:stream", "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
  "dynamodb": {
    "ApproximateCreationDateTime": 1764480000,
    "Keys": {"PK": {"S": "K"}},
    "NewImage": {"s": {"S": "束"}, "n": {"N": "1.5"}, "b": {"B": "AQI="}, "t": {"BOOL": true}, "z": {"NULL": true},
      "ss": {"SS": ["a"]}, "ns": {"NS": ["1"]}, "bs": {"BS": ["Aw=="]}, "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"N": "2"}}}},
    "SequenceNumber": "42", "SizeBytes": 9, "StreamViewType": "NEW_IMAGE"
  }
}`), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record JSON (-want +got):\n%s", diff)
	}
	var typed events.DynamoDBEventRecord
	if err := json.Unmarshal(rec.raw, &typed); err != nil || typed.Change.NewImage["m"].Map()["k"].Number() != "2" {
		t.Errorf("events.DynamoDBEventRecord does not read it back: %v", err)
	}
}
