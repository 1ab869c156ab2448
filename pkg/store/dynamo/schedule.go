package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// The timed work's schedules (reminders, surveys, lotteries,
// anonymizations, reconfirmations) share one shape in GSI3: an item per
// thing due, in a partition named for the kind, sorted by
// <due stamp>#…, that leaves the index when it is done. These are the
// three moves every schedule makes, written once.

// dueBefore queries GSI3 partition part for GSI3SK < <now+1s>, every
// page, oldest first. Done items have left the index, so the cost is
// what is due, never the table.
func dueBefore[I, T any](ctx context.Context, s *Store, part string, now time.Time, conv func(I) (T, error)) ([]T, error) {
	bound := keyStamp(now.UTC().Truncate(time.Second).Add(time.Second))
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(reminderIndex.pk).Equal(expression.Value(part)).
			And(expression.Key(reminderIndex.sk).LessThan(expression.Value(bound)))).Build()
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(reminderIndex.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, conv)
}

// putSchedule puts schedule item it, due at due (as it holds it, so the
// two compare alike), IF it is new or was due at another time: a step
// already done stays done while its time holds, and one whose time moved
// is due again.
func (s *Store) putSchedule(ctx context.Context, it any, due time.Time) error {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("PK")).
		Or(expression.Name("due_at").NotEqual(expression.Value(due)))).Build()
	if err != nil {
		return err
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: av, ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
	})
	if err != nil && !conditionFailed(err) {
		return err
	}
	return nil
}

// finishSchedule takes the item at k out of the index IF it is still due
// at due: an item whose time moved since it was read stays due.
func (s *Store) finishSchedule(ctx context.Context, k key, due time.Time) error {
	upd := expression.Remove(expression.Name(reminderIndex.pk)).Remove(expression.Name(reminderIndex.sk))
	_, _, err := s.updateItem(ctx, k, upd, expression.Name("due_at").Equal(expression.Value(due.UTC())))
	return err
}

// syncSchedule makes the schedule item at k follow what is wanted: it (due
// at due) when want, none otherwise. haveDue is the due time of the item
// as the caller read it, nil when there was none: what is already as
// wanted costs no write, a wanted one is put as putSchedule does, an
// unwanted one deleted.
func (s *Store) syncSchedule(ctx context.Context, k key, it any, due time.Time, want bool, haveDue *time.Time) error {
	switch {
	case want && haveDue != nil && haveDue.Equal(due):
		return nil
	case want:
		return s.putSchedule(ctx, it, due)
	case haveDue != nil:
		_, _, err := s.deleteItem(ctx, k, expression.AttributeExists(expression.Name("PK")))
		return err
	}
	return nil
}
