package localtest

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestTableFromTemplate(t *testing.T) {
	name := NewTable(t)
	out, err := DynamoDB().DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(out.Table.GlobalSecondaryIndexes); got != 3 {
		t.Errorf("GSIs = %d, want 3", got)
	}
}

func TestMailRoundTrip(t *testing.T) {
	to := UniqueEmail("rt")
	_, err := SES().SendEmail(context.Background(), &ses.SendEmailInput{
		Source:      aws.String("sender@example.jp"),
		Destination: &sestypes.Destination{ToAddresses: []string{to}},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("件名 髙橋 﨑子 🌸"), Charset: aws.String("UTF-8")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String("本文"), Charset: aws.String("UTF-8")}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := WaitMail(t, to, 1)
	if got[0].Subject != "件名 髙橋 﨑子 🌸" {
		t.Errorf("subject = %q", got[0].Subject)
	}
}
