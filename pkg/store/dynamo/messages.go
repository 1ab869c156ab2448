package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// Organizer messages (see doc.go): the message is stored once, under the
// id its request derives (community.MessageID), and each recipient's mail
// is an outbox item named <mid>.<rid> that GSI1 indexes under MSG#<mid>, so
// a repeat of the request puts only what is missing and the message's
// progress is one Query.
const (
	typeMessage = "message"
	// messageKeep bounds a stored message: as long as its mails may wait
	// in the outbox unsettled (outboxUnsentKeep).
	messageKeep = outboxUnsentKeep
	// mailBatch is the most outbox items one TransactWriteItems puts.
	mailBatch = 100
)

type messageItem struct {
	PK                string    `dynamodbav:"PK"`
	SK                string    `dynamodbav:"SK"`
	Type              string    `dynamodbav:"type"`
	EventID           string    `dynamodbav:"event_id"`
	Subject           string    `dynamodbav:"subject"`
	Body              string    `dynamodbav:"body"`
	IncludeWaitlisted bool      `dynamodbav:"include_waitlisted"`
	ActorID           string    `dynamodbav:"actor_id"`
	CreatedAt         time.Time `dynamodbav:"created_at"`
	ExpiresAt         int64     `dynamodbav:"expires_at"`
}

func messageKey(id string) key { return key{PK: "MESSAGE#" + id, SK: "MESSAGE"} }

// messageMailsPartition is the GSI1 partition of a message's outbox items.
func messageMailsPartition(mid string) string { return "MSG#" + mid }

func newMessageItem(m *community.Message) messageItem {
	k := messageKey(m.ID)
	return messageItem{
		PK: k.PK, SK: k.SK, Type: typeMessage, EventID: m.EventID, Subject: m.Subject, Body: m.Body,
		IncludeWaitlisted: m.IncludeWaitlisted, ActorID: m.ActorID, CreatedAt: m.CreatedAt.UTC(),
		ExpiresAt: m.CreatedAt.Add(messageKeep).Unix(),
	}
}

func (it messageItem) message() *community.Message {
	return &community.Message{
		ID: it.PK[len("MESSAGE#"):], EventID: it.EventID, Subject: it.Subject, Body: it.Body,
		IncludeWaitlisted: it.IncludeWaitlisted, ActorID: it.ActorID, CreatedAt: it.CreatedAt,
	}
}

// PostMessage puts the message IF attribute_not_exists(PK) (a repeat reads
// the stored one), then the mails in TransactWriteItems of up to 100 Puts,
// each IF attribute_not_exists(PK): a transaction cancelled by mails that
// exist already is run again without them, so each is put once and an item
// already claimed or sent is never reset. A stored message that says
// something else (a key reused once its idempotency record expired) is
// Closed (reason "idempotency_key_reused"), and nothing is put.
func (s *Store) PostMessage(ctx context.Context, m *community.Message, mails []community.Mail) (*community.Message, int, error) {
	in, err := s.putNew(newMessageItem(m))
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: post message: %w", err)
	}
	stored := m
	if _, err := s.client.PutItem(ctx, in); conditionFailed(err) {
		if stored, err = s.Message(ctx, m.ID); err != nil {
			return nil, 0, err
		}
		if stored.EventID != m.EventID || stored.Subject != m.Subject || stored.Body != m.Body || stored.IncludeWaitlisted != m.IncludeWaitlisted {
			return stored, 0, community.ErrIdempotencyKeyReused
		}
	} else if err != nil {
		return nil, 0, fmt.Errorf("dynamo: post message: %w", err)
	}
	put := 0
	for start := 0; start < len(mails); start += mailBatch {
		n, err := s.putMails(ctx, mails[start:min(start+mailBatch, len(mails))])
		put += n
		if err != nil {
			return stored, put, fmt.Errorf("dynamo: post message: %w", err)
		}
	}
	return stored, put, nil
}

// putMails puts each of mails (at most 100) unless its item exists, in one
// transaction, and returns how many it put.
func (s *Store) putMails(ctx context.Context, mails []community.Mail) (int, error) {
	items := make([]types.TransactWriteItem, 0, len(mails))
	for _, m := range mails {
		p, err := s.txPut(newOutboxItem(m), expression.AttributeNotExists(expression.Name("PK")))
		if err != nil {
			return 0, err
		}
		items = append(items, types.TransactWriteItem{Put: p})
	}
	for len(items) > 0 {
		err := s.transact(ctx, items)
		if err == nil {
			return len(items), nil
		}
		codes := cancelCodes(err)
		if codes == nil {
			return 0, err
		}
		keep := items[:0]
		for i, it := range items {
			if !failedAt(codes, i) {
				keep = append(keep, it)
			}
		}
		if len(keep) == len(items) {
			return 0, err // cancelled for a reason no condition explains
		}
		items = keep
	}
	return 0, nil
}

// Message reads a stored message (consistent). NotFound (reason
// "message_not_found") when unknown or expired.
func (s *Store) Message(ctx context.Context, id string) (*community.Message, error) {
	var it messageItem
	ok, err := s.get(ctx, messageKey(id), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get message: %w", err)
	}
	if !ok || it.Type != typeMessage {
		return nil, community.ErrMessageNotFound
	}
	return it.message(), nil
}

// MessageProgress counts a message's outbox items by state: Query GSI1
// GSI1PK = MSG#<mid>, every page, projecting the state alone. The index is
// eventually consistent, so a count may trail the sends by a moment.
func (s *Store) MessageProgress(ctx context.Context, id string) (community.MessageProgress, error) {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(gsi1.pk).Equal(expression.Value(messageMailsPartition(id)))).
		WithProjection(expression.NamesList(expression.Name("state"))).Build()
	if err != nil {
		return community.MessageProgress{}, fmt.Errorf("dynamo: message progress: %w", err)
	}
	type stateOnly struct {
		State string `dynamodbav:"state"`
	}
	states, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi1.name),
		KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, func(it stateOnly) (string, error) { return it.State, nil })
	if err != nil {
		return community.MessageProgress{}, fmt.Errorf("dynamo: message progress: %w", err)
	}
	var p community.MessageProgress
	for _, st := range states {
		p.Recipients++
		switch community.MailOutcome(st) {
		case community.MailSent:
			p.Sent++
		case community.MailSkipped:
			p.Skipped++
		case community.MailRefused, community.MailUncertain:
			p.Failed++
		default: // pending, claimed
			p.Pending++
		}
	}
	return p, nil
}
