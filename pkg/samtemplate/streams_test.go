package samtemplate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// streamTemplate is a table with a stream and a function it invokes; each
// case of TestStreamMappingErrors replaces the event's properties.
const streamTemplate = `
Resources:
  Tbl:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{ AttributeName: PK, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_IMAGE }
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{ AttributeName: PK, KeyType: HASH }]
  Dlq: { Type: AWS::SQS::Queue }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Ev:
          Type: DynamoDB
          Properties:
PROPS
`

func streamTpl(t *testing.T, props string) *Template {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(props), "\n") {
		b.WriteString("            " + line + "\n")
	}
	tpl, err := Parse([]byte(strings.Replace(streamTemplate, "PROPS\n", b.String(), 1)))
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestStreamMapping(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  StreamMapping
	}{
		{"Defaults", `
Stream: !GetAtt Tbl.StreamArn
StartingPosition: LATEST`, StreamMapping{
			Function: "Fn", Event: "Ev", Table: "Tbl", StartingPosition: "LATEST", BatchSize: 100,
			MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, Enabled: true,
		}},
		{"Everything", `
Stream: { "Fn::GetAtt": [Tbl, StreamArn] }
StartingPosition: TRIM_HORIZON
BatchSize: 10
MaximumBatchingWindowInSeconds: 1
FilterCriteria:
  Filters:
    - Pattern: '{"eventName":["INSERT"]}'
    - Pattern: '{"dynamodb":{"NewImage":{"type":{"S":[{"prefix":"out"}]}}}}'
FunctionResponseTypes: [ReportBatchItemFailures]
BisectBatchOnFunctionError: true
MaximumRetryAttempts: 5
MaximumRecordAgeInSeconds: 21600
Enabled: false
DestinationConfig:
  OnFailure: { Type: SQS, Destination: !GetAtt Dlq.Arn }`, StreamMapping{
			Function: "Fn", Event: "Ev", Table: "Tbl", StartingPosition: "TRIM_HORIZON", BatchSize: 10,
			MaximumBatchingWindowInSeconds: 1,
			Filters:                        []string{`{"eventName":["INSERT"]}`, `{"dynamodb":{"NewImage":{"type":{"S":[{"prefix":"out"}]}}}}`},
			ReportBatchItemFailures:        true, BisectBatchOnFunctionError: true,
			MaximumRetryAttempts: 5, MaximumRecordAgeInSeconds: 21600, OnFailure: "Dlq", Enabled: false,
		}},
		{"RefDestinationAndInfiniteAge", `
Stream: !GetAtt [Tbl, StreamArn]
StartingPosition: LATEST
MaximumRecordAgeInSeconds: -1
DestinationConfig: { OnFailure: { Destination: !Ref Dlq } }`, StreamMapping{
			Function: "Fn", Event: "Ev", Table: "Tbl", StartingPosition: "LATEST", BatchSize: 100,
			MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, OnFailure: "Dlq", Enabled: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := streamTpl(t, tt.props).StreamMappings()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]StreamMapping{tt.want}, got); diff != "" {
				t.Errorf("StreamMappings() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamMappingErrors(t *testing.T) {
	tests := []struct {
		name, props string
		mention     string // the error names what to fix
	}{
		{"NoStream", "StartingPosition: LATEST", "Stream must be !GetAtt <Table>.StreamArn"},
		{"StreamIsArnString", "Stream: arn:aws:dynamodb:x\nStartingPosition: LATEST", "Stream must be !GetAtt"},
		{"StreamWrongAttr", "Stream: !GetAtt Tbl.Arn\nStartingPosition: LATEST", "Stream must be !GetAtt"},
		{"StreamNotATable", "Stream: !GetAtt Dlq.StreamArn\nStartingPosition: LATEST", "Dlq, which is not an AWS::DynamoDB::Table"},
		{"TableWithoutStream", "Stream: !GetAtt Plain.StreamArn\nStartingPosition: LATEST", "table Plain has no stream"},
		{"NoStartingPosition", "Stream: !GetAtt Tbl.StreamArn", "StartingPosition"},
		{"AtTimestamp", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: AT_TIMESTAMP", "TRIM_HORIZON or LATEST"},
		{"BatchSizeZero", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nBatchSize: 0", "BatchSize"},
		{"BatchSizeRef", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nBatchSize: !Ref Size", "BatchSize must be a literal"},
		{"WindowTooLong", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nMaximumBatchingWindowInSeconds: 301", "MaximumBatchingWindowInSeconds"},
		{"RecordAgeTooShort", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nMaximumRecordAgeInSeconds: 30", "-1 or 60–604800"},
		{"RetriesNotNumber", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nMaximumRetryAttempts: many", "MaximumRetryAttempts"},
		{"BisectNotBool", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nBisectBatchOnFunctionError: sometimes", "BisectBatchOnFunctionError"},
		{"UnknownResponseType", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nFunctionResponseTypes: [Partial]", "ReportBatchItemFailures"},
		{"PatternNotJSON", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nFilterCriteria: { Filters: [{ Pattern: 'eventName=INSERT' }] }", "Filters[0].Pattern must be a JSON object"},
		{"PatternNotObject", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nFilterCriteria: { Filters: [{ Pattern: '[1]' }] }", "Filters[0].Pattern"},
		{"FiltersMissing", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nFilterCriteria: { Pattern: '{}' }", "FilterCriteria must hold Filters"},
		{"DestinationString", "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST\nDestinationConfig: { OnFailure: { Destination: arn:aws:sqs:x } }", "OnFailure.Destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := streamTpl(t, tt.props).StreamMappings()
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.mention) || !strings.Contains(err.Error(), "Fn.Events.Ev") {
				t.Errorf("error %q should name Fn.Events.Ev and mention %q", err, tt.mention)
			}
		})
	}
}

func TestTableStream(t *testing.T) {
	tpl := streamTpl(t, "Stream: !GetAtt Tbl.StreamArn\nStartingPosition: LATEST")
	delete(tpl.Resources, "Plain") // DynamoDBTable wants the one table
	tbl, err := tpl.DynamoDBTable()
	if err != nil {
		t.Fatal(err)
	}
	want := &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}
	if diff := cmp.Diff(want, tbl.CreateTableInput("t").StreamSpecification, cmp.AllowUnexported(types.StreamSpecification{})); diff != "" {
		t.Errorf("CreateTableInput().StreamSpecification (-want +got):\n%s", diff)
	}

	bad, err := Parse([]byte(`
Resources:
  Tbl:
    Type: AWS::DynamoDB::Table
    Properties: { StreamSpecification: { StreamViewType: EVERYTHING } }
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.DynamoDBTable(); err == nil || !strings.Contains(err.Error(), "NEW_AND_OLD_IMAGES") {
		t.Errorf("a bad StreamViewType: err = %v, want one naming the valid types", err)
	}
}

// TestRepoTemplateStreams holds template.yaml's stream mappings to what a
// deployment needs: each parses, its records cannot block a shard for a day,
// and what fails every retry lands somewhere someone is alarmed about.
func TestRepoTemplateStreams(t *testing.T) {
	tpl := loadRepoTemplate(t)
	ms, err := tpl.StreamMappings()
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	tbl, err := tpl.DynamoDBTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) > 0 && tbl.CreateTableInput("t").StreamSpecification == nil {
		t.Errorf("template.yaml has DynamoDB events but local tables would be created without a stream")
	}
	for _, m := range ms {
		t.Run(m.Name(), func(t *testing.T) {
			for i, p := range m.Filters {
				if !json.Valid([]byte(p)) {
					t.Errorf("%s: FilterCriteria.Filters[%d].Pattern is not JSON", m.Name(), i)
				}
			}
			if m.MaximumRetryAttempts == -1 && m.MaximumRecordAgeInSeconds == -1 {
				t.Errorf("%s: set MaximumRetryAttempts or MaximumRecordAgeInSeconds: by default Lambda retries a failing batch until its records expire (24 h), and no later record of the shard is delivered meanwhile", m.Name())
			}
			q, ok := tpl.Resources[m.OnFailure]
			if m.OnFailure == "" || !ok || q.Type != "AWS::SQS::Queue" && q.Type != "AWS::SNS::Topic" {
				t.Errorf("%s: give it DestinationConfig.OnFailure (an SQS queue of this template), so records it gives up on are not lost unseen", m.Name())
			}
		})
	}
}
