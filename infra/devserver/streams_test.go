package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestEnsureTableTurnsOnTheStream: a table kept in TABANE_DATA_DIR from
// before template.yaml gave it a stream gets one at start, or the stream
// events would never run.
func TestEnsureTableTurnsOnTheStream(t *testing.T) {
	ctx := context.Background()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := tpl.DynamoDBTable()
	if err != nil {
		t.Fatal(err)
	}
	if tbl.StreamViewType() == "" {
		t.Skip("template.yaml's table has no stream")
	}
	db := localtest.DynamoDB()
	name := "kept-" + localtest.UniqueID()
	old := tbl.CreateTableInput(name)
	old.StreamSpecification = nil
	if _, err := db.CreateTable(ctx, old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) // the stand-in goes away after the run anyway
	})
	var out strings.Builder
	created, err := ensureTable(ctx, db, tpl, name, &out)
	if err != nil || created {
		t.Fatalf("ensureTable = %v, %v", created, err)
	}
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.Table.LatestStreamArn == nil || string(desc.Table.StreamSpecification.StreamViewType) != tbl.StreamViewType() {
		t.Errorf("stream after ensureTable: %v %+v", aws.ToString(desc.Table.LatestStreamArn), desc.Table.StreamSpecification)
	}
	if !strings.Contains(out.String(), "had no stream: turned it on") {
		t.Errorf("ensureTable said %q", out.String())
	}

	out.Reset()
	if _, err := ensureTable(ctx, db, tpl, name, &out); err != nil || out.Len() != 0 {
		t.Errorf("second start: %v, said %q", err, out.String())
	}
}
