package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.ReminderStore = (*Store)(nil)

// The schedule of upcoming reminders and the claims on its sends (see
// doc.go): reminder items sit in their event's partition and, while due
// to someone, in the one GSI3 partition REMINDERS sorted by due time.
const (
	remindersPartition = "REMINDERS"
	reminderSKPrefix   = "REMINDER#"
	claimSKPrefix      = "REMINDED#"
	// reminderKeep is how long after its event's start a reminder or a claim
	// is kept before TTL may delete it: long past any use, short enough that
	// the table does not keep every send forever.
	reminderKeep = 30 * 24 * time.Hour
)

var reminderIndex = index{"GSI3", "GSI3PK", "GSI3SK"}

// Claim states: claimed while a sweep holds the send, then one of the
// community.ReminderOutcome values for good.
const claimHeld = "claimed"

func offsetSeconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func reminderKey(eventID string, offset time.Duration) key {
	return key{PK: eventKey(eventID).PK, SK: reminderSKPrefix + offsetSeconds(offset)}
}

// claimKey names one send: the start is part of it, so a claim made for
// the old start of a moved event never blocks the new one.
func claimKey(c community.ReminderClaim) key {
	return key{PK: eventKey(c.EventID).PK,
		SK: claimSKPrefix + c.RegistrationID + "#" + offsetSeconds(c.Offset) + "#" + keyStamp(c.StartsAt)}
}

type reminderItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	GSI3PK    string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK    string    `dynamodbav:"GSI3SK,omitempty"`
	Type      string    `dynamodbav:"type"`
	EventID   string    `dynamodbav:"event_id"`
	OffsetS   int64     `dynamodbav:"offset_s"`
	StartsAt  time.Time `dynamodbav:"starts_at"`
	DueAt     time.Time `dynamodbav:"due_at"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

func newReminderItem(e *community.Event, offset time.Duration) reminderItem {
	k := reminderKey(e.ID, offset)
	start := e.StartsAt.UTC().Truncate(time.Second)
	due := start.Add(-offset)
	return reminderItem{
		PK: k.PK, SK: k.SK, Type: typeReminder,
		GSI3PK: remindersPartition, GSI3SK: keyStamp(due) + "#" + e.ID + "#" + offsetSeconds(offset),
		EventID: e.ID, OffsetS: int64(offset / time.Second), StartsAt: start, DueAt: due,
		ExpiresAt: start.Add(reminderKeep).Unix(),
	}
}

func (it reminderItem) due() community.DueReminder {
	return community.DueReminder{
		EventID: it.EventID, Offset: time.Duration(it.OffsetS) * time.Second, StartsAt: it.StartsAt, DueAt: it.DueAt,
	}
}

type reminderClaimItem struct {
	PK       string    `dynamodbav:"PK"`
	SK       string    `dynamodbav:"SK"`
	Type     string    `dynamodbav:"type"`
	EventID  string    `dynamodbav:"event_id"`
	RegID    string    `dynamodbav:"reg_id"`
	OffsetS  int64     `dynamodbav:"offset_s"`
	StartsAt time.Time `dynamodbav:"starts_at"`
	State    string    `dynamodbav:"state"`
	Owner    string    `dynamodbav:"owner"`
	// ClaimUntil is when a claimed send may be taken over, in epoch
	// milliseconds so that conditions compare numbers.
	ClaimUntil int64      `dynamodbav:"claim_until"`
	ClaimedAt  time.Time  `dynamodbav:"claimed_at"`
	DoneAt     *time.Time `dynamodbav:"done_at,omitempty"`
	ExpiresAt  int64      `dynamodbav:"expires_at"`
}

// reminderPuts creates the reminder items of a newly stored published
// event, one Put each, for createListedEvent's transaction.
func (s *Store) reminderPuts(e *community.Event) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for _, off := range community.ReminderOffsetsOf(e) {
		av, err := attributevalue.MarshalMap(newReminderItem(e, off))
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
	}
	return out, nil
}

// createListedEvent stores a new published event and its reminders in one
// transaction, so that no published event is ever without its schedule.
// Conflict (reason "event_exists") when the id exists.
func (s *Store) createListedEvent(ctx context.Context, e *community.Event) error {
	put, err := s.txPut(newEventItem(e), expression.AttributeNotExists(expression.Name("PK")))
	if err != nil {
		return fmt.Errorf("dynamo: create event: %w", err)
	}
	rems, err := s.reminderPuts(e)
	if err != nil {
		return fmt.Errorf("dynamo: create event: %w", err)
	}
	err = s.transact(ctx, append([]types.TransactWriteItem{{Put: put}}, rems...))
	if failedAt(cancelCodes(err), 0) {
		return community.ErrEventExists
	}
	if err != nil {
		return fmt.Errorf("dynamo: create event: %w", err)
	}
	return nil
}

// eventReminders reads an event's reminder items from its own partition,
// consistently, so a sync right after another sees what it wrote.
func (s *Store) eventReminders(ctx context.Context, eventID string) ([]reminderItem, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").BeginsWith(reminderSKPrefix))).Build()
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, same[reminderItem])
}

// SyncEventReminders makes e's reminder items follow e: for a published
// event one per offset of community.ReminderOffsetsOf(e), for any other
// none. It reads the event's reminders (one consistent Query), deletes
// those no longer wanted, and puts each wanted one IF it is new or was for
// another start — so a reminder already finished for this start stays
// finished, and a moved event is due again at its new times. Started
// events are left to the sweep, which drops their reminders.
func (s *Store) SyncEventReminders(ctx context.Context, e *community.Event) error {
	if e == nil || e.ID == "" {
		return errors.New("dynamo: sync reminders: no event")
	}
	have, err := s.eventReminders(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("dynamo: sync reminders: %w", err)
	}
	want := map[string]reminderItem{}
	if e.Status == community.EventPublished {
		for _, off := range community.ReminderOffsetsOf(e) {
			it := newReminderItem(e, off)
			want[it.SK] = it
		}
	}
	for _, old := range have {
		if _, ok := want[old.SK]; ok {
			continue
		}
		if _, _, err := s.deleteItem(ctx, key{PK: old.PK, SK: old.SK}, expression.AttributeExists(expression.Name("PK"))); err != nil {
			return fmt.Errorf("dynamo: sync reminders: %w", err)
		}
	}
	for _, it := range want {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return fmt.Errorf("dynamo: sync reminders: %w", err)
		}
		cond := expression.AttributeNotExists(expression.Name("PK")).
			Or(expression.Name("starts_at").NotEqual(expression.Value(it.StartsAt)))
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return fmt.Errorf("dynamo: sync reminders: %w", err)
		}
		_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table), Item: av, ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		})
		if err != nil && !conditionFailed(err) {
			return fmt.Errorf("dynamo: sync reminders: %w", err)
		}
	}
	return nil
}

// DueReminders returns the reminders due at or before now (to the second)
// that are still owed to someone, oldest due first: a Query of GSI3
// REMINDERS for GSI3SK < <now+1s>, every page. Finished reminders have left
// the index, so the cost is what is due, never the table.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]community.DueReminder, error) {
	bound := keyStamp(now.UTC().Truncate(time.Second).Add(time.Second))
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(reminderIndex.pk).Equal(expression.Value(remindersPartition)).
			And(expression.Key(reminderIndex.sk).LessThan(expression.Value(bound)))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: due reminders: %w", err)
	}
	due, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(reminderIndex.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, infallible(reminderItem.due))
	if err != nil {
		return nil, fmt.Errorf("dynamo: due reminders: %w", err)
	}
	return due, nil
}

// sameStart is the condition that a reminder item is still the one d was
// read from: the event has not moved since.
func sameStart(d community.DueReminder) expression.ConditionBuilder {
	return expression.Name("starts_at").Equal(expression.Value(d.StartsAt.UTC()))
}

// FinishReminder removes d's GSI3 keys IF its start is unchanged; the
// item stays, so that syncing the same start again leaves it finished.
func (s *Store) FinishReminder(ctx context.Context, d community.DueReminder) error {
	upd := expression.Remove(expression.Name(reminderIndex.pk)).Remove(expression.Name(reminderIndex.sk))
	if _, _, err := s.updateItem(ctx, reminderKey(d.EventID, d.Offset), upd, sameStart(d)); err != nil {
		return fmt.Errorf("dynamo: finish reminder: %w", err)
	}
	return nil
}

// DropReminder deletes d IF its start is unchanged, so that publishing the
// event again (a new start, or the same) puts it back.
func (s *Store) DropReminder(ctx context.Context, d community.DueReminder) error {
	if _, _, err := s.deleteItem(ctx, reminderKey(d.EventID, d.Offset), sameStart(d)); err != nil {
		return fmt.Errorf("dynamo: drop reminder: %w", err)
	}
	return nil
}

// deleteItem runs one conditional DeleteItem; ok is false when the
// condition failed (which is not an error).
func (s *Store) deleteItem(ctx context.Context, k key, cond expression.ConditionBuilder) (old map[string]types.AttributeValue, ok bool, err error) {
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, false, err
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, false, err
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		if conditionFailed(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return out.Attributes, true, nil
}

// ClaimReminder claims one send with one transaction: [0] Put the claim IF
// there is none, or IF it is claimed and its claim expired (the sweep that
// held it died between claim and send); [1] ConditionCheck that the
// registration is still confirmed. A failed [0] returns the claim as it
// was, which says whether the send is done or in flight elsewhere.
func (s *Store) ClaimReminder(ctx context.Context, c community.ReminderClaim, now time.Time, ttl time.Duration) (community.ClaimResult, error) {
	k := claimKey(c)
	it := reminderClaimItem{
		PK: k.PK, SK: k.SK, Type: typeReminderClaim,
		EventID: c.EventID, RegID: c.RegistrationID, OffsetS: int64(c.Offset / time.Second),
		StartsAt: c.StartsAt.UTC(), State: claimHeld, Owner: c.Owner,
		ClaimUntil: now.Add(ttl).UnixMilli(), ClaimedAt: now.UTC(),
		ExpiresAt: c.StartsAt.Add(reminderKeep).Unix(),
	}
	put, err := s.txPut(it, expression.AttributeNotExists(expression.Name("PK")).Or(
		expression.Name("state").Equal(expression.Value(claimHeld)).
			And(expression.Name("claim_until").LessThan(expression.Value(now.UnixMilli())))))
	if err != nil {
		return 0, fmt.Errorf("dynamo: claim reminder: %w", err)
	}
	put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	rk, err := attributevalue.MarshalMap(registrationKey(c.EventID, c.RegistrationID))
	if err != nil {
		return 0, fmt.Errorf("dynamo: claim reminder: %w", err)
	}
	expr, err := expression.NewBuilder().WithCondition(
		expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed)))).Build()
	if err != nil {
		return 0, fmt.Errorf("dynamo: claim reminder: %w", err)
	}
	check := &types.ConditionCheck{
		TableName: aws.String(s.table), Key: rk, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Put: put}, {ConditionCheck: check}})
	codes := cancelCodes(err)
	switch {
	case err == nil:
		return community.ClaimWon, nil
	case failedAt(codes, 0):
		var tc *types.TransactionCanceledException
		var old reminderClaimItem
		if errors.As(err, &tc) && len(tc.CancellationReasons) > 0 && len(tc.CancellationReasons[0].Item) > 0 {
			if err := attributevalue.UnmarshalMap(tc.CancellationReasons[0].Item, &old); err != nil {
				return 0, fmt.Errorf("dynamo: claim reminder: %w", err)
			}
		}
		if old.State == claimHeld || old.State == "" {
			return community.ClaimBusy, nil
		}
		return community.ClaimDone, nil
	case failedAt(codes, 1):
		return community.ClaimNotConfirmed, nil
	}
	return 0, fmt.Errorf("dynamo: claim reminder: %w", err)
}

// held is the condition that c's owner still holds its claim.
func held(c community.ReminderClaim) expression.ConditionBuilder {
	return expression.Name("state").Equal(expression.Value(claimHeld)).
		And(expression.Name("owner").Equal(expression.Value(c.Owner)))
}

func errClaimLost() error {
	return community.ErrClaimLost.Messagef("リマインダーの送信権が別の処理に移りました。")
}

// CompleteReminder ends c's claim with outcome IF c's owner holds it. A
// sent reminder is recorded on its registration in the same transaction
// (ADD reminders_sent), so the registration says which reminders went out
// and the next sweep skips it without a claim. Conflict (reason
// "claim_lost") when another owner took the claim over.
func (s *Store) CompleteReminder(ctx context.Context, c community.ReminderClaim, outcome community.ReminderOutcome, now time.Time) error {
	err := s.completeClaim(ctx, c, outcome, now, outcome == community.ReminderSent)
	if errors.Is(err, errNoRegistration) {
		// No registration item to mark (they are never deleted, but if): the
		// claim alone is what keeps the send from happening twice.
		err = s.completeClaim(ctx, c, outcome, now, false)
	}
	return err
}

var errNoRegistration = errors.New("dynamo: complete reminder: no registration item")

// completeClaim is CompleteReminder's transaction: [0] the claim's state
// IF held by c's owner, [1] when record, the mark on the registration IF
// it exists.
func (s *Store) completeClaim(ctx context.Context, c community.ReminderClaim, outcome community.ReminderOutcome, now time.Time, record bool) error {
	done := expression.Set(expression.Name("state"), expression.Value(string(outcome))).
		Set(expression.Name("done_at"), expression.Value(now.UTC()))
	claim, err := s.txUpdate(claimKey(c), done, held(c))
	if err != nil {
		return fmt.Errorf("dynamo: complete reminder: %w", err)
	}
	items := []types.TransactWriteItem{{Update: claim}}
	if record {
		mark := &types.AttributeValueMemberSS{Value: []string{community.ReminderMark(c.Offset, c.StartsAt)}}
		reg, err := s.txUpdate(registrationKey(c.EventID, c.RegistrationID),
			expression.Add(expression.Name("reminders_sent"), expression.Value(mark)),
			expression.AttributeExists(expression.Name("PK")))
		if err != nil {
			return fmt.Errorf("dynamo: complete reminder: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: reg})
	}
	err = s.transact(ctx, items)
	codes := cancelCodes(err)
	switch {
	case err == nil:
		return nil
	case failedAt(codes, 0):
		return errClaimLost()
	case failedAt(codes, 1):
		return errNoRegistration
	}
	return fmt.Errorf("dynamo: complete reminder: %w", err)
}

// ReleaseReminder deletes c's claim IF c's owner holds it, so that the
// next sweep sends it; a claim already taken over is left alone.
func (s *Store) ReleaseReminder(ctx context.Context, c community.ReminderClaim) error {
	if _, _, err := s.deleteItem(ctx, claimKey(c), held(c)); err != nil {
		return fmt.Errorf("dynamo: release reminder: %w", err)
	}
	return nil
}
