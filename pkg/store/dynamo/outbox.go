package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// The outbox (see doc.go): one item per mail owed, put in the transaction
// of the change that owes it; its insert is the stream record that invokes
// the mailer. While unsettled it sits in GSI3's OUTBOX partition by
// creation time, so the sweep finds what the stream did not deliver.
const (
	typeOutbox      = "outbox"
	outboxPartition = "OUTBOX"
	// outboxKeep is how long a settled item stays readable, for whoever
	// asks what happened to a mail; TTL deletes it after.
	outboxKeep = 7 * 24 * time.Hour
	// outboxUnsentKeep bounds an item that was never settled (every
	// attempt failed and nobody looked): TTL deletes it in the end.
	outboxUnsentKeep = 30 * 24 * time.Hour

	mailPending = "pending"
	mailClaimed = "claimed"
)

var _ community.OutboxStore = (*Store)(nil)

type outboxItem struct {
	PK         string    `dynamodbav:"PK"`
	SK         string    `dynamodbav:"SK"`
	Type       string    `dynamodbav:"type"`
	Kind       string    `dynamodbav:"kind"`
	EventID    string    `dynamodbav:"event_id,omitempty"`
	RegID      string    `dynamodbav:"reg_id,omitempty"`
	MemberID   string    `dynamodbav:"member_id,omitempty"`
	Link       string    `dynamodbav:"link,omitempty"`
	ToName     string    `dynamodbav:"to_name,omitempty"`
	ToEmail    string    `dynamodbav:"to_email,omitempty"`
	Note       string    `dynamodbav:"note,omitempty"`
	MsgID      string    `dynamodbav:"msg_id,omitempty"`    // organizer_message: the message it sends
	OffsetS    int64     `dynamodbav:"offset_s,omitempty"`  // reminder: which one
	StartsAt   time.Time `dynamodbav:"starts_at,omitempty"` // reminder: the start it is for
	State      string    `dynamodbav:"state"`
	Owner      string    `dynamodbav:"owner,omitempty"`
	ClaimUntil int64     `dynamodbav:"claim_until,omitempty"` // epoch ms
	Attempts   int       `dynamodbav:"attempts"`
	Uncertain  bool      `dynamodbav:"uncertain,omitempty"` // a send was cut off: held for SES's Send event
	MessageID  string    `dynamodbav:"message_id,omitempty"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
	SettledAt  time.Time `dynamodbav:"settled_at,omitempty"`
	ExpiresAt  int64     `dynamodbav:"expires_at"`
	GSI1PK     string    `dynamodbav:"GSI1PK,omitempty"` // organizer_message: MSG#<mid>, for its progress
	GSI1SK     string    `dynamodbav:"GSI1SK,omitempty"`
	GSI3PK     string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK     string    `dynamodbav:"GSI3SK,omitempty"`
}

func outboxKey(id string) key { return key{PK: "OUTBOX#" + id, SK: "OUTBOX"} }

func newOutboxItem(m community.Mail) outboxItem {
	k := outboxKey(m.ID)
	var toName, toEmail string
	if m.To != nil {
		toName, toEmail = m.To.Name, m.To.Email
	}
	it := outboxItem{
		PK: k.PK, SK: k.SK, Type: typeOutbox, Kind: string(m.Kind), EventID: m.EventID, RegID: m.RegistrationID,
		MemberID: m.MemberID, Link: m.Link, ToName: toName, ToEmail: toEmail, Note: m.Note,
		OffsetS: int64(m.Offset / time.Second), StartsAt: m.StartsAt.UTC(),
		State: mailPending, CreatedAt: m.CreatedAt.UTC(), ExpiresAt: m.CreatedAt.Add(outboxUnsentKeep).Unix(),
		GSI3PK: outboxPartition, GSI3SK: keyStamp(m.CreatedAt) + "#" + m.ID,
	}
	if m.MessageID != "" {
		it.MsgID, it.GSI1PK, it.GSI1SK = m.MessageID, messageMailsPartition(m.MessageID), m.RegistrationID
	}
	return it
}

func (it outboxItem) mail() *community.Mail {
	id := it.PK[len("OUTBOX#"):]
	m := &community.Mail{ID: id, Kind: community.MailKind(it.Kind), EventID: it.EventID, RegistrationID: it.RegID,
		MemberID: it.MemberID, Link: it.Link, Note: it.Note, MessageID: it.MsgID, CreatedAt: it.CreatedAt, Attempts: it.Attempts,
		Offset: time.Duration(it.OffsetS) * time.Second, StartsAt: it.StartsAt}
	if it.ToEmail != "" {
		m.To = &community.Recipient{Name: it.ToName, Email: it.ToEmail}
	}
	return m
}

// txPutMail is the outbox item of m as one item of the caller's
// transaction. It is put unconditionally: a mail is named by the change
// that owes it, and that change commits once.
func (s *Store) txPutMail(m community.Mail) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(newOutboxItem(m))
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}}, nil
}

// withMails appends the outbox items of mails to a transaction's items.
func (s *Store) withMails(items []types.TransactWriteItem, mails []community.Mail) ([]types.TransactWriteItem, error) {
	for _, m := range mails {
		put, err := s.txPutMail(m)
		if err != nil {
			return nil, err
		}
		items = append(items, put)
	}
	return items, nil
}

// ClaimMail claims an outbox item with one conditional UpdateItem: pending,
// or claimed by a delivery whose claim has expired.
func (s *Store) ClaimMail(ctx context.Context, id, owner string, now time.Time, ttl time.Duration) (*community.Mail, community.MailClaim, error) {
	exists := expression.AttributeExists(expression.Name("PK"))
	open := expression.Name("state").Equal(expression.Value(mailPending)).Or(
		expression.Name("state").Equal(expression.Value(mailClaimed)).
			And(expression.Name("claim_until").LessThan(expression.Value(now.UnixMilli()))))
	upd := expression.Set(expression.Name("state"), expression.Value(mailClaimed)).
		Set(expression.Name("owner"), expression.Value(owner)).
		Set(expression.Name("claim_until"), expression.Value(now.Add(ttl).UnixMilli())).
		Add(expression.Name("attempts"), expression.Value(1))
	item, ok, err := s.updateItem(ctx, outboxKey(id), upd, exists.And(open))
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: claim mail: %w", err)
	}
	var it outboxItem
	if len(item) > 0 {
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, 0, fmt.Errorf("dynamo: claim mail: %w", err)
		}
	}
	switch {
	case ok:
		return it.mail(), community.MailWon, nil
	case len(item) == 0:
		return nil, community.MailMissing, nil
	case it.State == mailClaimed:
		return nil, community.MailBusy, nil
	}
	return nil, community.MailDone, nil
}

// heldBy is the condition that owner holds an outbox item's claim.
func heldBy(owner string) expression.ConditionBuilder {
	return expression.Name("state").Equal(expression.Value(mailClaimed)).
		And(expression.Name("owner").Equal(expression.Value(owner)))
}

// settled is the update that settles an outbox item: its outcome, and out
// of the unsent index. Once settled, the item keeps what happened, not
// what the mail said.
func settled(outcome community.MailOutcome, messageID string, now time.Time) expression.UpdateBuilder {
	upd := expression.Set(expression.Name("state"), expression.Value(string(outcome))).
		Set(expression.Name("settled_at"), expression.Value(now.UTC())).
		Set(expression.Name("expires_at"), expression.Value(now.Add(outboxKeep).Unix())).
		Remove(expression.Name("GSI3PK")).Remove(expression.Name("GSI3SK")).Remove(expression.Name("claim_until")).
		Remove(expression.Name("link")).Remove(expression.Name("to_name")).Remove(expression.Name("to_email")).Remove(expression.Name("note"))
	if messageID != "" {
		upd = upd.Set(expression.Name("message_id"), expression.Value(messageID))
	}
	return upd
}

// SettleMail records a delivery's outcome IF owner still holds the claim,
// and takes the item out of the unsent index. An item SES's Send event
// already confirmed sent (it can beat the sender's own record) is settled.
func (s *Store) SettleMail(ctx context.Context, id, owner string, outcome community.MailOutcome, messageID string, now time.Time) error {
	old, ok, err := s.updateItem(ctx, outboxKey(id), settled(outcome, messageID, now), heldBy(owner))
	if err != nil {
		return fmt.Errorf("dynamo: settle mail: %w", err)
	}
	if !ok {
		if st, _ := old["state"].(*types.AttributeValueMemberS); st != nil && st.Value == string(community.MailSent) {
			return nil
		}
		return community.ErrClaimLost.Messagef("メールの送信権が別の処理に移りました。")
	}
	return nil
}

// HoldMail extends owner's claim to until after an uncertain send, noting
// when it was uncertain; the item stays in the unsent index.
func (s *Store) HoldMail(ctx context.Context, id, owner string, until time.Time) error {
	upd := expression.Set(expression.Name("claim_until"), expression.Value(until.UnixMilli())).
		Set(expression.Name("uncertain"), expression.Value(true))
	old, ok, err := s.updateItem(ctx, outboxKey(id), upd, heldBy(owner))
	if err != nil {
		return fmt.Errorf("dynamo: hold mail: %w", err)
	}
	if !ok {
		if st, _ := old["state"].(*types.AttributeValueMemberS); st != nil && st.Value == string(community.MailSent) {
			return nil // SES's Send event came first: nothing left to hold
		}
		return community.ErrClaimLost.Messagef("メールの送信権が別の処理に移りました。")
	}
	return nil
}

// ConfirmMailSent settles an item as sent on SES's word (its Send event):
// one conditional UpdateItem, whoever holds the claim, IF it is not
// settled yet.
func (s *Store) ConfirmMailSent(ctx context.Context, id, messageID string, at time.Time) (bool, error) {
	open := expression.AttributeExists(expression.Name("PK")).And(
		expression.Name("state").In(expression.Value(mailPending), expression.Value(mailClaimed)))
	upd := settled(community.MailSent, messageID, at).Remove(expression.Name("owner"))
	_, ok, err := s.updateItem(ctx, outboxKey(id), upd, open)
	if err != nil {
		return false, fmt.Errorf("dynamo: confirm mail sent: %w", err)
	}
	return ok, nil
}

// ReleaseMail puts an item back to pending IF owner holds its claim.
func (s *Store) ReleaseMail(ctx context.Context, id, owner string) error {
	upd := expression.Set(expression.Name("state"), expression.Value(mailPending)).
		Remove(expression.Name("owner")).Remove(expression.Name("claim_until"))
	if _, _, err := s.updateItem(ctx, outboxKey(id), upd, heldBy(owner)); err != nil {
		return fmt.Errorf("dynamo: release mail: %w", err)
	}
	return nil
}

// UnsentMail queries GSI3's OUTBOX partition for items created before
// `before`: one Query, oldest first; its cost grows with what is unsent,
// not with the table.
func (s *Store) UnsentMail(ctx context.Context, before time.Time, limit int) ([]community.Mail, error) {
	if limit < 1 || limit > 1000 {
		return nil, community.ErrInvalidLimit
	}
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("GSI3PK").Equal(expression.Value(outboxPartition)).
			And(expression.Key("GSI3SK").LessThan(expression.Value(keyStamp(before))))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: unsent mail: %w", err)
	}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String("GSI3"), Limit: aws.Int32(int32(limit)),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: unsent mail: %w", err)
	}
	mails, err := convertItems(out.Items, func(it outboxItem) (community.Mail, error) { return *it.mail(), nil })
	if err != nil {
		return nil, fmt.Errorf("dynamo: unsent mail: %w", err)
	}
	return mails, nil
}
