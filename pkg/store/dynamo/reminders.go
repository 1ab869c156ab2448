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

// The schedule of upcoming reminders (see doc.go): reminder items sit in
// their event's partition and, while due to someone, in the one GSI3
// partition REMINDERS sorted by due time. A reminder handed over is marked
// on its registration and owed as an outbox mail (HandOverReminders).
const (
	remindersPartition = "REMINDERS"
	reminderSKPrefix   = "REMINDER#"
	// reminderKeep is how long after its event's start a reminder is kept
	// before TTL may delete it: long past any use.
	reminderKeep = 30 * 24 * time.Hour
)

var reminderIndex = index{"GSI3", "GSI3PK", "GSI3SK"}

func offsetSeconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func reminderKey(eventID string, offset time.Duration) key {
	return key{PK: eventKey(eventID).PK, SK: reminderSKPrefix + offsetSeconds(offset)}
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
	for _, a := range surveyAudiences {
		if it, ok := newSurveyScheduleItem(e, a); ok {
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				return nil, err
			}
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
		}
	}
	rec, err := s.reconfirmPuts(e)
	if err != nil {
		return nil, err
	}
	return append(out, rec...), nil
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

// eventReminders reads an event's reminder items and its survey schedule
// (SK between "REMINDER#" and "SURVEY", which holds nothing else: see
// doc.go) from its own partition, consistently, so a sync right after
// another sees what it wrote. One Query for both keeps an event write
// without a survey at the round trips it had before surveys.
func (s *Store) eventReminders(ctx context.Context, eventID string) ([]reminderItem, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").Between(expression.Value(reminderSKPrefix), expression.Value(surveyScheduleKey(eventID, community.AudienceOrganizations).SK)))).Build()
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
	items, err := s.eventReminders(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("dynamo: sync reminders: %w", err)
	}
	var have []reminderItem
	// The survey schedules as read: only SK and due_at matter.
	surveyDue := map[string]*time.Time{}
	for _, it := range items {
		if it.SK == surveyScheduleKey(e.ID, community.AudienceAttendees).SK || it.SK == surveyScheduleKey(e.ID, community.AudienceOrganizations).SK {
			surveyDue[it.SK] = &it.DueAt
			continue
		}
		have = append(have, it)
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
	// The surveys' schedules follow the same event writes (surveys.go).
	for _, a := range surveyAudiences {
		if err := s.syncSurvey(ctx, e, a, surveyDue[surveyScheduleKey(e.ID, a).SK]); err != nil {
			return err
		}
	}
	// So does its reconfirmation (reconfirm.go), and the anonymization of
	// its guests (retention.go).
	if err := s.syncReconfirm(ctx, e); err != nil {
		return err
	}
	return s.syncAnonymization(ctx, e)
}

// DueReminders returns the reminders due at or before now (to the second)
// that are still owed to someone, oldest due first: a Query of GSI3
// REMINDERS for GSI3SK < <now+1s>, every page. Finished reminders have left
// the index, so the cost is what is due, never the table.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]community.DueReminder, error) {
	due, err := dueBefore(ctx, s, remindersPartition, now, infallible(reminderItem.due))
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

// handOverBatch is how many reminders one transaction hands over: two
// items each, within TransactWriteItems' 100.
const handOverBatch = 50

// HandOverReminders hands reminders over to the mailer, up to 50 in one
// TransactWriteItems of, per reminder, [Update registration ADD
// reminders_sent :mark IF status = confirmed AND NOT contains(reminders_sent,
// :mark), ReturnValuesOnConditionCheckFailure ALL_OLD; Put OUTBOX#<mail id>].
// The mark and its mail commit together or not at all, and the condition
// lets exactly one of overlapping sweeps owe it. A transaction cancelled by
// some conditions is run again without those reminders; the registration
// as it was says why each failed (handed over already, or no longer
// confirmed).
func (s *Store) HandOverReminders(ctx context.Context, mails []community.Mail) ([]community.HandOver, error) {
	out := make([]community.HandOver, 0, len(mails))
	for start := 0; start < len(mails); start += handOverBatch {
		got, err := s.handOver(ctx, mails[start:min(start+handOverBatch, len(mails))], s.markReminder, reminderMarked, nil)
		if err != nil {
			return out, fmt.Errorf("dynamo: hand over reminders: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// markReminder is the registration's half of handing reminder m over:
// ADD its mark IF confirmed and not marked yet.
func (s *Store) markReminder(m community.Mail) (*types.Update, error) {
	if m.Kind != community.MailReminder || m.RegistrationID == "" {
		return nil, fmt.Errorf("mail %s is no reminder", m.ID)
	}
	mark := community.ReminderMark(m.Offset, m.StartsAt)
	return s.txUpdate(registrationKey(m.EventID, m.RegistrationID),
		expression.Add(expression.Name("reminders_sent"), expression.Value(&types.AttributeValueMemberSS{Value: []string{mark}})),
		expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed))).
			And(expression.Not(expression.Contains(expression.Name("reminders_sent"), mark))))
}

// reminderMarked: a confirmed registration whose condition failed carried
// the mark already.
func reminderMarked(old registrationItem, _ community.Mail) bool {
	return old.Status == string(community.RegistrationConfirmed)
}

// handOver is one transaction of HandOverReminders (or HandOverSurveys,
// HandOverReconfirms), run again without the mails whose condition failed
// until the rest commits. mark is the registration's conditional update
// that goes with each mail; done says, of a registration as it was when its
// condition failed, whether the mail was handed over before (else it is no
// longer confirmed); tail, when set, gives the items that go with n mails
// handed over together (a counter), after the mails' own.
func (s *Store) handOver(ctx context.Context, mails []community.Mail, mark func(community.Mail) (*types.Update, error), done func(registrationItem, community.Mail) bool, tail func(n int) ([]types.TransactWriteItem, error)) ([]community.HandOver, error) {
	got := make([]community.HandOver, len(mails))
	left := make([]int, 0, len(mails)) // indexes into mails still to hand over
	var pairs []types.TransactWriteItem
	for i, m := range mails {
		upd, err := mark(m)
		if err != nil {
			return nil, err
		}
		upd.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		put, err := s.txPutMail(m)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, types.TransactWriteItem{Update: upd}, put)
		left = append(left, i)
	}
	for len(left) > 0 {
		items := pairs
		if tail != nil {
			extra, err := tail(len(left))
			if err != nil {
				return nil, err
			}
			items = append(pairs[:len(pairs):len(pairs)], extra...)
		}
		err := s.transact(ctx, items)
		if err == nil {
			for _, i := range left {
				got[i] = community.HandedOver
			}
			return got, nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			return nil, err
		}
		codes := cancelCodes(err)
		keepPairs, keepLeft := pairs[:0:0], left[:0:0]
		for j, i := range left {
			if !failedAt(codes, 2*j) {
				keepPairs = append(keepPairs, pairs[2*j], pairs[2*j+1])
				keepLeft = append(keepLeft, i)
				continue
			}
			got[i] = community.HandOverNotConfirmed
			var old registrationItem
			if r := tc.CancellationReasons[2*j]; len(r.Item) > 0 {
				if err := attributevalue.UnmarshalMap(r.Item, &old); err != nil {
					return nil, err
				}
				if done(old, mails[i]) {
					got[i] = community.HandOverDone
				}
			}
		}
		if len(keepLeft) == len(left) {
			return nil, err // cancelled for a reason no condition explains
		}
		pairs, left = keepPairs, keepLeft
	}
	return got, nil
}
