package policycheck_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/awscalls/policycheck"
	"github.com/sorae/tabane/pkg/samtemplate"
)

const tpl = `
Parameters:
  SenderAddress:
    Type: String
    Default: そらゑ <no-reply@sorae.example.jp>
  SenderIdentity:
    Type: String
    Default: sorae.example.jp
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  AFunction:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Sid: Events
              Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem]
              Resource: !GetAtt Table.Arn
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["EVENT#*", "OUTBOX#*"]
            - Sid: Upcoming
              Effect: Allow
              Action: [dynamodb:Query]
              Resource: !Sub ${Table.Arn}/index/GSI1
            - Sid: Send
              Effect: Allow
              Action: [ses:SendRawEmail]
              Resource:
                - !Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderIdentity}
              Condition:
                StringEquals:
                  ses:FromAddress: !Select [0, !Split [">", !Select [1, !Split ["<", !Ref SenderAddress]]]]
`

func statements(t *testing.T) []policycheck.Statement {
	t.Helper()
	tp, err := samtemplate.Parse([]byte(tpl))
	if err != nil {
		t.Fatal(err)
	}
	st, err := policycheck.Statements(tp, "AFunction")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// record makes calls through real SDK clients carrying a Recorder, against
// an endpoint that refuses them: the middleware records before sending.
func record(t *testing.T, fn string, do func(ctx context.Context, db *dynamodb.Client, mail *ses.Client)) []awscalls.Call {
	t.Helper()
	r := awscalls.NewRecorder(t.TempDir())
	cfg := aws.Config{Region: "ap-northeast-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
		RetryMaxAttempts: 1, APIOptions: []func(*middleware.Stack) error{r.Middleware()}}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	mail := ses.NewFromConfig(cfg, func(o *ses.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") })
	ctx := context.Background()
	if fn != "" {
		ctx = awscalls.WithFunction(ctx, fn)
	}
	do(ctx, db, mail)
	calls, err := r.Calls()
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func rawFrom(from string) *ses.SendRawEmailInput {
	return &ses.SendRawEmailInput{RawMessage: &sestypes.RawMessage{Data: []byte("From: " + from + "\r\nTo: a@example.jp\r\nSubject: x\r\n\r\nbody\r\n")}}
}

func TestDenied(t *testing.T) {
	st := statements(t)
	calls := record(t, "AFunction", func(ctx context.Context, db *dynamodb.Client, mail *ses.Client) {
		_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"PK": s("EVENT#e1"), "SK": s("EVENT")}})
		_, _ = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("OUTBOX#r1.x"), "SK": s("OUTBOX")}}},
			// Outside the policy's prefixes: a member's email claim.
			{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("EMAIL#someone@example.jp"), "SK": s("EMAIL")}}},
		}})
		_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t"), IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("#0 = :0 AND #1 >= :1"),
			ExpressionAttributeNames:  map[string]string{"#0": "GSI1PK", "#1": "GSI1SK"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":0": s("EVENTS"), ":1": s("2025")}})
		_, _ = mail.SendRawEmail(ctx, rawFrom("=?UTF-8?B?44Gd44KJ44KR?= <no-reply@sorae.example.jp>"))
		_, _ = mail.SendRawEmail(ctx, rawFrom("Someone <someone@elsewhere.example>"))
	})
	want := []string{
		"not allowed by template.yaml: AFunction dynamodb:PutItem on table key EMAIL# (in TransactWriteItems)",
		"not allowed by template.yaml: AFunction ses:SendRawEmail on identity from someone@elsewhere.example",
	}
	if diff := cmp.Diff(want, policycheck.Denied(st, calls)); diff != "" {
		t.Errorf("Denied (-want +got):\n%s", diff)
	}
	for _, c := range calls {
		if strings.Contains(c.Key, "someone") || strings.Contains(c.Key, "e1") {
			t.Errorf("recorded a whole key: %v", c)
		}
	}
}

func TestUntaggedCallsAreNotRecorded(t *testing.T) {
	calls := record(t, "", func(ctx context.Context, db *dynamodb.Client, _ *ses.Client) {
		_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("MEMBER#m"), "SK": s("MEMBER")}})
	})
	if len(calls) != 0 {
		t.Errorf("a test's own setup call was recorded: %v", calls)
	}
}

func TestUnused(t *testing.T) {
	st := statements(t)
	calls := record(t, "AFunction", func(ctx context.Context, db *dynamodb.Client, mail *ses.Client) {
		_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("EVENT#e"), "SK": s("EVENT")}})
		_, _ = mail.SendRawEmail(ctx, rawFrom("no-reply@sorae.example.jp"))
	})
	untested := map[string]string{
		"AFunction dynamodb:Query index/GSI1":          "reason",
		"AFunction dynamodb:PutItem table EVENT#*":     "stale: a call uses it",
		"AFunction dynamodb:DeleteItem table MEMBER#*": "names no grant",
	}
	want := []string{
		"granted but no test's call used it (narrow the policy, or list it in policycheck.Untested with the reason): AFunction dynamodb:GetItem table EVENT#*",
		"granted but no test's call used it (narrow the policy, or list it in policycheck.Untested with the reason): AFunction dynamodb:GetItem table OUTBOX#*",
		"granted but no test's call used it (narrow the policy, or list it in policycheck.Untested with the reason): AFunction dynamodb:PutItem table OUTBOX#*",
		"listed in policycheck.Untested but a test's call used it (remove the entry): AFunction dynamodb:PutItem table EVENT#*",
		"listed in policycheck.Untested but template.yaml grants no such thing: AFunction dynamodb:DeleteItem table MEMBER#*",
	}
	if diff := cmp.Diff(want, policycheck.Unused(st, calls, untested)); diff != "" {
		t.Errorf("Unused (-want +got):\n%s", diff)
	}
}

// The repository's template: every function's policy is understood, every
// write is limited to key prefixes and every send to the sender.
func TestRepoTemplate(t *testing.T) {
	_, tp, err := samtemplate.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tp.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		st, err := policycheck.Statements(tp, f.LogicalID)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, p := range policycheck.Lint(st) {
			t.Error(p)
		}
		for _, x := range st {
			if x.FromAddress != "" && x.FromAddress != "no-reply@sorae.example.jp" {
				t.Errorf("%s: ses:FromAddress evaluates to %q, want the address of SenderAddress's default", f.LogicalID, x.FromAddress)
			}
		}
	}
}
