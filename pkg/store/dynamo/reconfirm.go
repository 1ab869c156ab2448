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

var (
	_ community.ReconfirmStore       = (*Store)(nil)
	_ community.ReconfirmAnswerStore = (*Store)(nil)
	_ community.ReconfirmMailStore   = (*Store)(nil)
)

// Reconfirmation (see doc.go): the event item carries the setting
// (attribute reconfirmation) and the tally; two schedule items,
// EVENT#<eid> / RECONFIRM#ask and RECONFIRM#deadline, sit in the GSI3
// partition RECONFIRMS sorted by due time until their step was done for
// everyone. A registration records reconfirm_asked_at in the transaction
// that puts its request, reconfirm_mailed_at when the mailer saw SES take
// it (MarkReconfirmMailed; a release requires it), and its answer.
const (
	reconfirmsPartition = "RECONFIRMS"
	typeReconfirm       = "reconfirm_schedule"
	reconfirmSKPrefix   = "RECONFIRM#"
	// reconfirmKeep is how long after the start a schedule item is kept
	// before TTL may delete it.
	reconfirmKeep = 30 * 24 * time.Hour
	// reconfirmBatch: two items per request and the event's counter
	// within TransactWriteItems' 100.
	reconfirmBatch = 49
)

var reconfirmSteps = []community.ReconfirmStep{community.StepAsk, community.StepDeadline}

// reconfirmItem is an event's reconfirmation setting, inside the event item.
type reconfirmItem struct {
	DaysBefore    int        `dynamodbav:"days_before"`
	DeadlineHours int        `dynamodbav:"deadline_hours,omitempty"`
	DeadlineAt    *time.Time `dynamodbav:"deadline_at,omitempty"`
	Release       bool       `dynamodbav:"release"`
}

func newReconfirmItem(r *community.Reconfirmation) *reconfirmItem {
	if r == nil {
		return nil
	}
	return &reconfirmItem{DaysBefore: r.DaysBefore, DeadlineHours: r.DeadlineHours, DeadlineAt: utcPtr(r.DeadlineAt), Release: r.Release}
}

func (it *reconfirmItem) reconfirmation() *community.Reconfirmation {
	if it == nil {
		return nil
	}
	return &community.Reconfirmation{DaysBefore: it.DaysBefore, DeadlineHours: it.DeadlineHours, DeadlineAt: it.DeadlineAt, Release: it.Release}
}

func reconfirmKey(eventID string, st community.ReconfirmStep) key {
	return key{PK: eventKey(eventID).PK, SK: reconfirmSKPrefix + string(st)}
}

// reconfirmScheduleItem is one due step of an event's reconfirmation.
type reconfirmScheduleItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	GSI3PK    string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK    string    `dynamodbav:"GSI3SK,omitempty"`
	Type      string    `dynamodbav:"type"`
	EventID   string    `dynamodbav:"event_id"`
	Step      string    `dynamodbav:"step"`
	DueAt     time.Time `dynamodbav:"due_at"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

// newReconfirmScheduleItem is step st of e's reconfirmation, when a
// published e asks one (and, for the deadline, releases seats).
func newReconfirmScheduleItem(e *community.Event, st community.ReconfirmStep) (reconfirmScheduleItem, bool) {
	if e.Status != community.EventPublished || e.Reconfirm == nil || (st == community.StepDeadline && !e.Reconfirm.Release) {
		return reconfirmScheduleItem{}, false
	}
	due := community.ReconfirmAskAt(e)
	if st == community.StepDeadline {
		due = community.ReconfirmDeadline(e)
	}
	k := reconfirmKey(e.ID, st)
	return reconfirmScheduleItem{
		PK: k.PK, SK: k.SK, Type: typeReconfirm,
		GSI3PK: reconfirmsPartition, GSI3SK: keyStamp(due) + "#" + e.ID + "#" + string(st),
		EventID: e.ID, Step: string(st), DueAt: due, ExpiresAt: e.StartsAt.Add(reconfirmKeep).Unix(),
	}, true
}

func (it reconfirmScheduleItem) due() community.DueReconfirm {
	return community.DueReconfirm{EventID: it.EventID, Step: community.ReconfirmStep(it.Step), DueAt: it.DueAt}
}

// reconfirmPuts are the schedule items of a newly stored published event,
// for createListedEvent's transaction.
func (s *Store) reconfirmPuts(e *community.Event) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for _, st := range reconfirmSteps {
		if it, ok := newReconfirmScheduleItem(e, st); ok {
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				return nil, err
			}
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
		}
	}
	return out, nil
}

// syncReconfirm makes e's reconfirmation schedule follow e, as syncSurvey
// does the survey's: one consistent Query of the event's RECONFIRM# items,
// then each wanted step put IF new OR due at another time (a finished step
// stays finished while its time holds), each unwanted one deleted.
func (s *Store) syncReconfirm(ctx context.Context, e *community.Event) error {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(e.ID).PK)).
			And(expression.Key("SK").BeginsWith(reconfirmSKPrefix))).Build()
	if err != nil {
		return fmt.Errorf("dynamo: sync reconfirmation: %w", err)
	}
	have, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, same[reconfirmScheduleItem])
	if err != nil {
		return fmt.Errorf("dynamo: sync reconfirmation: %w", err)
	}
	haveDue := map[string]time.Time{}
	for _, it := range have {
		haveDue[it.SK] = it.DueAt
	}
	for _, st := range reconfirmSteps {
		k := reconfirmKey(e.ID, st)
		it, want := newReconfirmScheduleItem(e, st)
		var had *time.Time
		if due, ok := haveDue[k.SK]; ok {
			had = &due
		}
		if err := s.syncSchedule(ctx, k, it, it.DueAt, want, had); err != nil {
			return fmt.Errorf("dynamo: sync reconfirmation: %w", err)
		}
	}
	return nil
}

// DueReconfirms is a Query of GSI3 RECONFIRMS for GSI3SK < <now+1s>, every
// page: finished steps have left the index.
func (s *Store) DueReconfirms(ctx context.Context, now time.Time) ([]community.DueReconfirm, error) {
	due, err := dueBefore(ctx, s, reconfirmsPartition, now, infallible(reconfirmScheduleItem.due))
	if err != nil {
		return nil, fmt.Errorf("dynamo: due reconfirmations: %w", err)
	}
	return due, nil
}

// FinishReconfirm removes d's GSI3 keys IF its due time is unchanged.
func (s *Store) FinishReconfirm(ctx context.Context, d community.DueReconfirm) error {
	if err := s.finishSchedule(ctx, reconfirmKey(d.EventID, d.Step), d.DueAt); err != nil {
		return fmt.Errorf("dynamo: finish reconfirmation: %w", err)
	}
	return nil
}

// HandOverReconfirms hands requests over, up to 49 in one
// TransactWriteItems of, per mail, [Update registration SET
// reconfirm_asked_at IF status = confirmed AND
// attribute_not_exists(reconfirm_asked_at); Put OUTBOX#<rid>.reconfirm],
// and last [Update event ADD reconfirm_asked :n] for the n that commit.
func (s *Store) HandOverReconfirms(ctx context.Context, mails []community.Mail, now time.Time) ([]community.HandOver, error) {
	mark := func(m community.Mail) (*types.Update, error) {
		if m.Kind != community.MailReconfirm || m.RegistrationID == "" {
			return nil, fmt.Errorf("mail %s is no reconfirmation", m.ID)
		}
		return s.txUpdate(registrationKey(m.EventID, m.RegistrationID),
			expression.Set(expression.Name("reconfirm_asked_at"), expression.Value(now.UTC())),
			expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed))).
				And(expression.AttributeNotExists(expression.Name("reconfirm_asked_at"))))
	}
	done := func(old registrationItem, _ community.Mail) bool { return old.ReconfirmAskedAt != nil }
	out := make([]community.HandOver, 0, len(mails))
	for start := 0; start < len(mails); start += reconfirmBatch {
		batch := mails[start:min(start+reconfirmBatch, len(mails))]
		tail := func(n int) ([]types.TransactWriteItem, error) {
			upd, err := s.txUpdate(eventKey(batch[0].EventID),
				expression.Add(expression.Name("reconfirm_asked"), expression.Value(n)),
				expression.AttributeExists(expression.Name("PK")))
			if err != nil {
				return nil, err
			}
			return []types.TransactWriteItem{{Update: upd}}, nil
		}
		for _, m := range batch {
			if m.EventID != batch[0].EventID {
				return out, fmt.Errorf("dynamo: hand over reconfirmations: mails of several events in one call")
			}
		}
		got, err := s.handOver(ctx, batch, mark, done, tail)
		if err != nil {
			return out, fmt.Errorf("dynamo: hand over reconfirmations: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// ReleaseUnanswered cancels an asked, unanswered registration through the
// one cancelling transaction (cancelRegistration), as a release: its
// registration update is conditioned on reconfirm_answer not existing, it
// sets cancel_reason, counts released_count and cancelled_count on the
// event, and owes ReleasedMail and the head's PromotedMail. Exactly one of
// racing sweeps commits it; the others find it cancelled.
func (s *Store) ReleaseUnanswered(ctx context.Context, eventID, regID string, now time.Time) (released, promoted *community.Registration, err error) {
	return s.cancelRegistration(ctx, eventID, regID, now, cancelKind{counted: true, release: true})
}

// MarkReconfirmMailed sets reconfirm_mailed_at on the registration IF it
// has none (a repeated delivery keeps the first) and the registration
// exists; either way it is done.
func (s *Store) MarkReconfirmMailed(ctx context.Context, eventID, regID string, at time.Time) error {
	upd := expression.Set(expression.Name("reconfirm_mailed_at"), expression.Value(at.UTC()))
	cond := expression.AttributeExists(expression.Name("PK")).And(expression.AttributeNotExists(expression.Name("reconfirm_mailed_at")))
	if _, _, err := s.updateItem(ctx, registrationKey(eventID, regID), upd, cond); err != nil {
		return fmt.Errorf("dynamo: mark reconfirmation mailed: %w", err)
	}
	return nil
}

// KeepSeat records 「参加します」 in one TransactWriteItems: [Update
// registration SET reconfirm_answer = keep, reconfirm_answered_at IF status
// = confirmed AND attribute_not_exists(reconfirm_answer), ReturnValues
// ALL_OLD on failure; Update event ADD reconfirm_kept :1].
func (s *Store) KeepSeat(ctx context.Context, eventID, regID string, now time.Time) error {
	reg, err := s.txUpdate(registrationKey(eventID, regID),
		expression.Set(expression.Name("reconfirm_answer"), expression.Value(community.ReconfirmKeep)).
			Set(expression.Name("reconfirm_answered_at"), expression.Value(now.UTC())),
		expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed))).
			And(expression.AttributeNotExists(expression.Name("reconfirm_answer"))))
	if err != nil {
		return fmt.Errorf("dynamo: keep seat: %w", err)
	}
	reg.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	ev, err := s.txUpdate(eventKey(eventID),
		expression.Add(expression.Name("reconfirm_kept"), expression.Value(1)),
		expression.AttributeExists(expression.Name("PK")))
	if err != nil {
		return fmt.Errorf("dynamo: keep seat: %w", err)
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Update: reg}, {Update: ev}})
	if err == nil {
		return nil
	}
	if !failedAt(cancelCodes(err), 0) {
		if failedAt(cancelCodes(err), 1) {
			return community.ErrEventNotFound
		}
		return fmt.Errorf("dynamo: keep seat: %w", err)
	}
	old, err := s.registrationItem(ctx, eventID, regID)
	if err != nil {
		return err
	}
	if old.ReconfirmAnswer != "" {
		return community.ErrReconfirmAnswered
	}
	return community.ErrNotConfirmed
}
