package samtemplate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableProps mirrors the part of AWS::DynamoDB::Table that a local table needs.
type tableProps struct {
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElem `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string    `yaml:"IndexName"`
		KeySchema  []keyElem `yaml:"KeySchema"`
		Projection struct {
			ProjectionType   string   `yaml:"ProjectionType"`
			NonKeyAttributes []string `yaml:"NonKeyAttributes"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
	StreamSpecification struct {
		StreamViewType string `yaml:"StreamViewType"`
	} `yaml:"StreamSpecification"`
}

type keyElem struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// Table is the template's one DynamoDB table, ready to be created locally
// under any name, so local and deployed tables cannot drift.
type Table struct {
	LogicalID string
	props     tableProps
}

// CreateTableInput returns the CreateTable request for a table called name
// (on-demand, as in the template), with the template's stream when it has
// one: the dev server's event source mappings read it (DynamoDB Local
// serves the Streams API).
func (t Table) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for _, a := range t.props.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType)})
	}
	in.KeySchema = keySchema(t.props.KeySchema)
	if v := t.StreamViewType(); v != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(v)}
	}
	for _, g := range t.props.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keySchema(g.KeySchema),
			Projection: &types.Projection{
				ProjectionType:   types.ProjectionType(g.Projection.ProjectionType),
				NonKeyAttributes: g.Projection.NonKeyAttributes,
			},
		})
	}
	return in
}

// TTLAttribute is the attribute DynamoDB's TTL reads, "" when TTL is off.
func (t Table) TTLAttribute() string {
	if !t.props.TimeToLiveSpecification.Enabled {
		return ""
	}
	return t.props.TimeToLiveSpecification.AttributeName
}

// UpdateTTLInput returns the request that turns TTL on for a table called
// name, or nil when the template has no TTL.
func (t Table) UpdateTTLInput(name string) *dynamodb.UpdateTimeToLiveInput {
	if t.TTLAttribute() == "" {
		return nil
	}
	return &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name), TimeToLiveSpecification: &types.TimeToLiveSpecification{
		AttributeName: aws.String(t.TTLAttribute()), Enabled: aws.Bool(true)}}
}

// Create creates a table called name from this definition and then turns
// on its TTL, as the deployed stack has it. CreateTable cannot carry a TTL
// specification, so the two calls belong together: a table made with the
// first alone keeps expired sessions and tokens (the store ignores them, but
// nothing would ever delete them). The dev server and the tests both create
// their tables here, so neither can forget the second call.
func (t Table) Create(ctx context.Context, db *dynamodb.Client, name string) error {
	if _, err := db.CreateTable(ctx, t.CreateTableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if in := t.UpdateTTLInput(name); in != nil {
		if _, err := db.UpdateTimeToLive(ctx, in); err != nil {
			return fmt.Errorf("table %s TTL: %w", name, err)
		}
	}
	return nil
}

func keySchema(ks []keyElem) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

// DynamoDBTable returns the template's one AWS::DynamoDB::Table.
func (t *Template) DynamoDBTable() (Table, error) {
	var found []Table
	for id, r := range t.Resources {
		if r.Type != "AWS::DynamoDB::Table" {
			continue
		}
		var p tableProps
		if err := r.Properties.Decode(&p); err != nil {
			return Table{}, fmt.Errorf("samtemplate: %s properties: %w", id, err)
		}
		tbl := Table{LogicalID: id, props: p}
		if err := tbl.checkStream(); err != nil {
			return Table{}, err
		}
		found = append(found, tbl)
	}
	if len(found) != 1 {
		return Table{}, fmt.Errorf("samtemplate: want exactly one AWS::DynamoDB::Table, found %d", len(found))
	}
	return found[0], nil
}
