package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/idempotency"
)

var _ idempotency.Store = (*Store)(nil)

const typeIdempotency = "idempotency"

// idemKey hashes the caller's key: keys are chosen by clients and scoped by
// the caller, and the table should not hold either verbatim.
func idemKey(k string) key {
	return key{PK: "IDEM#" + idempotency.Fingerprint(k), SK: "IDEM"}
}

type idemItem struct {
	PK          string `dynamodbav:"PK"`
	SK          string `dynamodbav:"SK"`
	Type        string `dynamodbav:"type"`
	Fingerprint string `dynamodbav:"fingerprint"`
	Done        bool   `dynamodbav:"done"`
	Status      int    `dynamodbav:"status,omitempty"`
	Body        string `dynamodbav:"body,omitempty"`
	ContentType string `dynamodbav:"content_type,omitempty"`
	ExpiresAt   int64  `dynamodbav:"expires_at"`
	LeaseUntil  int64  `dynamodbav:"lease_until_ms,omitempty"` // epoch ms; pending claims only
}

func newIdemItem(r idempotency.Record) idemItem {
	k := idemKey(r.Key)
	return idemItem{PK: k.PK, SK: k.SK, Type: typeIdempotency, Fingerprint: r.Fingerprint, Done: r.Done,
		Status: r.Status, Body: r.Body, ContentType: r.ContentType, ExpiresAt: r.ExpiresAt.Unix(), LeaseUntil: r.LeaseUntil.UnixMilli()}
}

func (it idemItem) record(key string) *idempotency.Record {
	return &idempotency.Record{Key: key, Fingerprint: it.Fingerprint, Done: it.Done, Status: it.Status,
		Body: it.Body, ContentType: it.ContentType, ExpiresAt: time.Unix(it.ExpiresAt, 0), LeaseUntil: time.UnixMilli(it.LeaseUntil)}
}

// ClaimIdempotency stores a pending record unless a live one exists (an
// expired one is taken over: TTL deletes late).
func (s *Store) ClaimIdempotency(ctx context.Context, rec idempotency.Record, now time.Time) (bool, *idempotency.Record, error) {
	item, err := attributevalue.MarshalMap(newIdemItem(rec))
	if err != nil {
		return false, nil, fmt.Errorf("dynamo: claim idempotency: %w", err)
	}
	// Free, expired (TTL deletes late), or a pending claim whose lease ran
	// out (its request died before storing an answer).
	cond := expression.AttributeNotExists(expression.Name("PK")).
		Or(expression.Name("expires_at").LessThanEqual(expression.Value(now.Unix()))).
		Or(expression.Name("done").Equal(expression.Value(false)).
			And(expression.Name("lease_until_ms").LessThanEqual(expression.Value(now.UnixMilli()))))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return false, nil, fmt.Errorf("dynamo: claim idempotency: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		// The loser learns the winner's record without a second read.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return true, nil, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return false, nil, fmt.Errorf("dynamo: claim idempotency: %w", err)
	}
	var old idemItem
	if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
		return false, nil, fmt.Errorf("dynamo: claim idempotency: %w", err)
	}
	return false, old.record(rec.Key), nil
}

// CompleteIdempotency stores the answer of a claimed key.
func (s *Store) CompleteIdempotency(ctx context.Context, rec idempotency.Record) error {
	item, err := attributevalue.MarshalMap(newIdemItem(rec))
	if err != nil {
		return fmt.Errorf("dynamo: complete idempotency: %w", err)
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("dynamo: complete idempotency: %w", err)
	}
	return nil
}

// ReleaseIdempotency drops a pending claim.
func (s *Store) ReleaseIdempotency(ctx context.Context, k string) error {
	av, err := attributevalue.MarshalMap(idemKey(k))
	if err != nil {
		return fmt.Errorf("dynamo: release idempotency: %w", err)
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: av}); err != nil {
		return fmt.Errorf("dynamo: release idempotency: %w", err)
	}
	return nil
}

// IdempotencyRecord reads a live record.
func (s *Store) IdempotencyRecord(ctx context.Context, k string, now time.Time) (*idempotency.Record, error) {
	var it idemItem
	ok, err := s.get(ctx, idemKey(k), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get idempotency: %w", err)
	}
	if !ok || it.ExpiresAt <= now.Unix() {
		return nil, community.ErrIdempotencyNotFound
	}
	return it.record(k), nil
}
