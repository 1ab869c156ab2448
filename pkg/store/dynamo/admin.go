package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// The stores of organizer administration, one per service.
var (
	_ community.EventAdminStore  = (*Store)(nil)
	_ community.SeriesAdminStore = (*Store)(nil)
	_ community.MemberAdminStore = (*Store)(nil)
	_ community.AttendanceStore  = (*Store)(nil)
	_ community.MessageStore     = (*Store)(nil)
	_ community.AuditLogStore    = (*Store)(nil)
)

// cancelledPartition indexes cancelled events on GSI1 by start, so that
// listings can show the ones not yet past as 中止 (see doc.go).
const cancelledPartition = "CANCELLED"

// draftsPartition indexes drafts on GSI1 by start, for the organizers'
// dashboard (see doc.go).
const draftsPartition = "DRAFTS"

// seriesDetached marks an occurrence an organizer edited by hand; series
// template edits leave such occurrences alone.
const seriesDetached = "series_detached"

// editableEventAttrs are the event attributes an organizer's edit writes:
// everything entered, never the counters, the status or the keys. An
// attribute the edit leaves empty is removed, as newEventItem omits it.
var editableEventAttrs = []string{
	"title", "kind", "audience", "description", "starts_at", "ends_at", "venue",
	"online_platform", "join_url", "capacity", "waitlist", "registration_opens_at",
	"registration_closes_at", "eligibility", "fee_jpy", "speakers", "notes",
	"reminder_offsets_s", "questions", "survey", "org_survey", "updated_at", "mode", "lottery",
	"nomination_cap", "reconfirmation",
}

// frameEventAttrs are the frames as the organizer entered them, written by
// an edit that says what the frames were before (EventUpdate.Before).
var frameEventAttrs = []string{"frames", "multiple_frames"}

// eventIndexKeys sets the index keys an event carries in status st, so
// that the listings always agree with the status (doc.go): published events
// in the upcoming indexes, cancelled ones in the cancelled index, drafts in
// the drafts index; every occurrence of a series in its series index.
func eventIndexKeys(upd expression.UpdateBuilder, st community.EventStatus, e *community.Event) expression.UpdateBuilder {
	start := keyStamp(e.StartsAt) + "#" + e.ID
	switch st {
	case community.EventPublished:
		upd = upd.Set(expression.Name("GSI1PK"), expression.Value(eventsPartition)).
			Set(expression.Name("GSI1SK"), expression.Value(start)).
			Set(expression.Name("GSI2PK"), expression.Value(eventsKindPartition(e.Kind))).
			Set(expression.Name("GSI2SK"), expression.Value(start))
	case community.EventCancelled:
		upd = upd.Set(expression.Name("GSI1PK"), expression.Value(cancelledPartition)).
			Set(expression.Name("GSI1SK"), expression.Value(start)).
			Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK"))
	default:
		upd = upd.Set(expression.Name("GSI1PK"), expression.Value(draftsPartition)).
			Set(expression.Name("GSI1SK"), expression.Value(start)).
			Remove(expression.Name("GSI2PK")).Remove(expression.Name("GSI2SK"))
	}
	if e.SeriesID != "" {
		upd = upd.Set(expression.Name("GSI3PK"), expression.Value("SERIES#"+e.SeriesID)).
			Set(expression.Name("GSI3SK"), expression.Value(start))
	} else {
		upd = upd.Remove(expression.Name("GSI3PK")).Remove(expression.Name("GSI3SK"))
	}
	return upd
}

// eventGuard is the part of an event item a failed condition is judged by.
type eventGuard struct {
	Status         string    `dynamodbav:"status"`
	UpdatedAt      time.Time `dynamodbav:"updated_at"`
	ConfirmedCount int       `dynamodbav:"confirmed_count"`
	WaitlistCount  int       `dynamodbav:"waitlist_count"`
	Detached       bool      `dynamodbav:"series_detached"`
}

// updateEventItem runs one conditional UpdateItem on an event and returns
// the event as written; on a failed condition it returns the item as it
// was (nil when there was none) and ok false.
func (s *Store) updateEventItem(ctx context.Context, id string, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (written *community.Event, old map[string]types.AttributeValue, ok bool, err error) {
	k, err := attributevalue.MarshalMap(eventKey(id))
	if err != nil {
		return nil, nil, false, err
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, nil, false, err
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: k,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var cf *types.ConditionalCheckFailedException
		if errors.As(err, &cf) {
			return nil, cf.Item, false, nil
		}
		return nil, nil, false, err
	}
	var it eventItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, nil, false, err
	}
	return it.event(), nil, true, nil
}

// UpdateEvent writes the editable attributes of u.Event with one
// conditional UpdateItem: the counters are never written (registrations
// change them concurrently), and the index keys follow u.Status. See
// community.EventAdminStore for the errors.
func (s *Store) UpdateEvent(ctx context.Context, u community.EventUpdate) (*community.Event, error) {
	e := u.Event
	if e == nil || e.ID == "" {
		return nil, fmt.Errorf("dynamo: update event: no event")
	}
	av, err := attributevalue.MarshalMap(newEventItem(e))
	if err != nil {
		return nil, fmt.Errorf("dynamo: update event: %w", err)
	}
	var upd expression.UpdateBuilder
	names := editableEventAttrs
	if u.Before != nil {
		names = append(slices.Clone(names), frameEventAttrs...)
	}
	for _, name := range names {
		if v, ok := av[name]; ok {
			upd = upd.Set(expression.Name(name), expression.Value(v))
		} else {
			upd = upd.Remove(expression.Name(name))
		}
	}
	upd = eventIndexKeys(upd, u.Status, e)
	if u.Detach {
		upd = upd.Set(expression.Name(seriesDetached), expression.Value(true))
	}
	cond := expression.AttributeExists(expression.Name("PK")).
		And(statusIs(u.Status)).
		And(expression.Name("updated_at").Equal(expression.Value(u.ReadAt.UTC())))
	if e.Capacity > 0 {
		cond = cond.And(expression.Name("confirmed_count").LessThanEqual(expression.Value(e.Capacity)))
	}
	if u.Counted {
		cond = cond.And(
			expression.Name("confirmed_count").Equal(expression.Value(e.ConfirmedCount)),
			expression.Name("waitlist_count").Equal(expression.Value(e.WaitlistCount)))
	}
	if u.Before != nil {
		upd, cond = frameEdit(upd, cond, u.Before.Frames, e.Frames)
	}
	if u.Untouched {
		cond = cond.And(
			expression.Name("confirmed_count").Equal(expression.Value(0)),
			expression.Name("waitlist_count").Equal(expression.Value(0)),
			expression.AttributeNotExists(expression.Name(seriesDetached)))
	}
	written, old, ok, err := s.updateEventItem(ctx, e.ID, upd, cond)
	if err != nil {
		return nil, fmt.Errorf("dynamo: update event: %w", err)
	}
	if ok {
		return written, s.followEvent(ctx, written)
	}
	if len(old) == 0 {
		return nil, community.ErrEventNotFound
	}
	var g eventGuard
	if err := attributevalue.UnmarshalMap(old, &g); err != nil {
		return nil, fmt.Errorf("dynamo: update event: %w", err)
	}
	var was eventItem
	if err := attributevalue.UnmarshalMap(old, &was); err != nil {
		return nil, fmt.Errorf("dynamo: update event: %w", err)
	}
	switch {
	case g.Status != string(u.Status) || !g.UpdatedAt.Equal(u.ReadAt):
		return nil, community.ErrEventChanged
	case e.Capacity > 0 && g.ConfirmedCount > e.Capacity:
		return nil, community.CapacityBelowConfirmed(g.ConfirmedCount)
	case u.Before != nil:
		if err := frameEditRefused(was, e.Frames); err != nil {
			return nil, err
		}
	case u.Untouched:
		return nil, community.ErrOccurrenceTaken
	}
	return nil, community.ErrEventChanged
}

// frameEdit adds to an event edit what changes in its frames, from before
// to after: a kept frame gets its new capacity and waitlist IF its confirmed
// count fits; a new one starts with no places taken; a removed one goes IF
// nobody holds a place in it. The first frames of an event replace its
// default frame, IF nobody holds a place in that.
func frameEdit(upd expression.UpdateBuilder, cond expression.ConditionBuilder, before, after []community.Frame) (expression.UpdateBuilder, expression.ConditionBuilder) {
	if len(after) == 0 && len(before) == 0 {
		return upd, cond
	}
	had := map[string]bool{}
	for _, f := range before {
		had[f.ID] = true
	}
	if len(before) == 0 {
		state := map[string]frameStateItem{}
		for _, f := range after {
			state[f.ID] = frameStateItem{Capacity: f.Capacity, Waitlist: f.Waitlist}
		}
		return upd.Set(expression.Name("fstate"), expression.Value(state)), cond.And(
			expression.Name("confirmed_count").Equal(expression.Value(0)),
			expression.Name("waitlist_count").Equal(expression.Value(0)))
	}
	kept := map[string]bool{}
	for _, f := range after {
		kept[f.ID] = true
		if !had[f.ID] {
			upd = upd.Set(expression.Name("fstate."+f.ID), expression.Value(frameStateItem{Capacity: f.Capacity, Waitlist: f.Waitlist}))
			continue
		}
		upd = upd.Set(frameAttr(f.ID, "capacity"), expression.Value(f.Capacity)).
			Set(frameAttr(f.ID, "waitlist"), expression.Value(f.Waitlist))
		if f.Capacity > 0 {
			cond = cond.And(frameAttr(f.ID, "confirmed_count").LessThanEqual(expression.Value(f.Capacity)))
		}
	}
	for _, f := range before {
		if !kept[f.ID] {
			upd = upd.Remove(expression.Name("fstate." + f.ID))
			cond = cond.And(expression.Or(expression.AttributeNotExists(expression.Name("fstate."+f.ID)), expression.And(
				frameAttr(f.ID, "confirmed_count").Equal(expression.Value(0)),
				frameAttr(f.ID, "waitlist_count").Equal(expression.Value(0)))))
		}
	}
	return upd, cond
}

// frameEditRefused says which frame rule an edit broke, judged by the
// event item as the failed condition saw it; nil when none did.
func frameEditRefused(was eventItem, after []community.Frame) error {
	if len(was.Frames) == 0 && len(after) > 0 && (was.ConfirmedCount > 0 || was.WaitlistCount > 0) {
		return community.ErrFrameHasRegistrations.Messagef("申込のあるイベントには参加枠を追加できません。")
	}
	kept := map[string]bool{}
	for _, f := range after {
		kept[f.ID] = true
		if st, ok := was.FState[f.ID]; ok && f.Capacity > 0 && st.ConfirmedCount > f.Capacity {
			return community.ErrCapacityBelowConfirmed.Messagef("「%s」の定員を参加確定者数（%d人）より少なくはできません。", f.Name, st.ConfirmedCount)
		}
	}
	for fid, st := range was.FState {
		if !kept[fid] && (st.ConfirmedCount > 0 || st.WaitlistCount > 0) {
			return community.ErrFrameHasRegistrations
		}
	}
	return nil
}

// PublishEvent turns draft e into published as of e.UpdatedAt and adds it
// to the upcoming indexes, in one conditional UpdateItem.
func (s *Store) PublishEvent(ctx context.Context, e *community.Event, now time.Time) (*community.Event, bool, error) {
	upd := expression.Set(expression.Name("status"), expression.Value(string(community.EventPublished)))
	if it := newEventItem(e); it.Lottery != nil {
		// The commitment made before publishing goes live with the event.
		upd = upd.Set(expression.Name("lottery"), expression.Value(it.Lottery))
	}
	return s.followMove(ctx)(s.moveEvent(ctx, "publish event", e, community.EventDraft, community.EventPublished, upd, now,
		func(cur *community.Event) error {
			if cur.Status == community.EventCancelled {
				return community.ErrEventCancelled // the domain says it in words before it writes
			}
			return community.ErrEventChanged
		}))
}

// CancelEvent turns published e into cancelled as of e.UpdatedAt, moving
// it from the upcoming indexes to the cancelled index, in one conditional
// UpdateItem. Registrations are the caller's to end.
func (s *Store) CancelEvent(ctx context.Context, e *community.Event, reason string, now time.Time) (*community.Event, bool, error) {
	upd := expression.Set(expression.Name("status"), expression.Value(string(community.EventCancelled))).
		Set(expression.Name("cancel_reason"), expression.Value(reason))
	return s.followMove(ctx)(s.moveEvent(ctx, "cancel event", e, community.EventPublished, community.EventCancelled, upd, now,
		func(cur *community.Event) error {
			if cur.Status == community.EventDraft {
				return community.ErrEventNotPublished
			}
			return community.ErrEventChanged
		}))
}

// followEvent keeps what derives from a stored event in step with it: its
// reminder items (SyncEventReminders). It is part of every event write, so
// no caller can forget it; a failure leaves the event written and is
// returned with it, for the caller to report (see community.EventAdminStore).
func (s *Store) followEvent(ctx context.Context, e *community.Event) error {
	if err := s.SyncEventReminders(ctx, e); err != nil {
		return fmt.Errorf("dynamo: event %s stored, reminders not in step: %w", e.ID, err)
	}
	return nil
}

// followMove applies followEvent to what moveEvent returns.
func (s *Store) followMove(ctx context.Context) func(*community.Event, bool, error) (*community.Event, bool, error) {
	return func(e *community.Event, changed bool, err error) (*community.Event, bool, error) {
		if err != nil {
			return e, changed, err
		}
		return e, changed, s.followEvent(ctx, e)
	}
}

// moveEvent writes upd (which sets the status to) plus updated_at and the
// index keys of status to, if e is still in status from as of e.UpdatedAt.
// It reports whether it wrote. Already in status to is no error: it returns
// the stored event and false. Otherwise refuse says why, given the event as
// stored; NotFound when it is gone.
func (s *Store) moveEvent(ctx context.Context, op string, e *community.Event, from, to community.EventStatus,
	upd expression.UpdateBuilder, now time.Time, refuse func(cur *community.Event) error) (*community.Event, bool, error) {
	upd = eventIndexKeys(upd.Set(expression.Name("updated_at"), expression.Value(now.UTC())), to, e)
	cond := expression.AttributeExists(expression.Name("PK")).
		And(statusIs(from)).
		And(expression.Name("updated_at").Equal(expression.Value(e.UpdatedAt.UTC())))
	written, old, ok, err := s.updateEventItem(ctx, e.ID, upd, cond)
	if err != nil {
		return nil, false, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if ok {
		return written, true, nil
	}
	cur, err := oldEvent(old)
	if err != nil {
		return nil, false, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	switch {
	case cur == nil:
		return nil, false, community.ErrEventNotFound
	case cur.Status == to:
		return cur, false, nil
	}
	return nil, false, refuse(cur)
}

func oldEvent(old map[string]types.AttributeValue) (*community.Event, error) {
	if len(old) == 0 {
		return nil, nil
	}
	var it eventItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return nil, err
	}
	return it.event(), nil
}

// promoteAttempts bounds PromoteWaitlistHead's optimistic loop.
const promoteAttempts = 10

// PromoteWaitlistHead gives one free seat of a published event to the head
// of its waitlist, in its own transaction like a cancellation's promotion:
// [0] the head confirmed IF still waitlisted, [1] the event's waitlist_count
// less one and confirmed_count plus one IF it is published, someone waits
// and a seat is free (confirmed_count < capacity, or capacity 0). It
// returns nil when no seat is free or nobody waits.
func (s *Store) PromoteWaitlistHead(ctx context.Context, eventID string, now time.Time) (*community.Registration, error) {
	skip := map[string]bool{}
	for attempt := 1; ; attempt++ {
		var ev eventItem
		ok, err := s.get(ctx, eventKey(eventID), true, &ev)
		if err != nil {
			return nil, fmt.Errorf("dynamo: promote: %w", err)
		}
		if !ok {
			return nil, community.ErrEventNotFound
		}
		fid, ok := ev.promotable()
		if !ok {
			return nil, nil
		}
		head, err := s.waitlistHead(ctx, eventID, fid, skip)
		if err != nil {
			return nil, fmt.Errorf("dynamo: promote: %w", err)
		}
		if head != nil {
			items, err := s.promoteItems(*head, now)
			if err != nil {
				return nil, fmt.Errorf("dynamo: promote: %w", err)
			}
			_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			if err == nil {
				r := head.registration()
				r.Status, r.UpdatedAt = community.RegistrationConfirmed, now.UTC()
				return r, nil
			}
			codes := cancelCodes(err)
			if codes == nil {
				return nil, fmt.Errorf("dynamo: promote: %w", err)
			}
			if failedAt(codes, 0) {
				skip[head.ID] = true // cancelled or promoted by someone else
			}
		}
		// No head in the (eventually consistent) index yet, or a race on
		// the event: read again after a pause.
		if attempt == promoteAttempts {
			return nil, community.ErrBusy
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, fmt.Errorf("dynamo: promote: %w", err)
		}
	}
}

// promotable returns a frame of a published event with a free seat and
// people waiting for it (the default frame for an event without frames).
func (it eventItem) promotable() (string, bool) {
	if it.Status != string(community.EventPublished) {
		return "", false
	}
	fids := []string{community.DefaultFrameID}
	if len(it.Frames) > 0 {
		fids = fids[:0]
		for _, f := range it.Frames {
			fids = append(fids, f.ID)
		}
	}
	for _, fid := range fids {
		capacity, _, confirmed, waiting := it.counters(fid)
		if waiting > 0 && (capacity == 0 || confirmed < capacity) {
			return fid, true
		}
	}
	return "", false
}

func (s *Store) promoteItems(head registrationItem, now time.Time) ([]types.TransactWriteItem, error) {
	reg, err := s.txUpdate(registrationKey(head.EventID, head.ID),
		moveRegistration(head, community.RegistrationConfirmed, now),
		expression.Name("status").Equal(expression.Value(string(community.RegistrationWaitlisted))))
	if err != nil {
		return nil, err
	}
	fid := head.FrameID
	seat, err := s.txUpdate(eventKey(head.EventID),
		expression.Add(frameAttr(fid, "waitlist_count"), expression.Value(-1)).
			Add(frameAttr(fid, "confirmed_count"), expression.Value(1)),
		statusIs(community.EventPublished).And(
			frameAttr(fid, "waitlist_count").GreaterThan(expression.Value(0)),
			expression.Or(
				frameAttr(fid, "capacity").Equal(expression.Value(0)),
				frameAttr(fid, "confirmed_count").LessThan(frameAttr(fid, "capacity")))))
	if err != nil {
		return nil, err
	}
	mail, err := s.txPutMail(community.PromotedMail(head.registration(), now))
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Update: reg}, {Update: seat}, mail}
	if head.WaitlistSeq != 0 {
		line, err := s.txLine(head.EventID, fid, "left", head.WaitlistSeq)
		if err != nil {
			return nil, err
		}
		items = append(items, line)
	}
	return items, nil
}

// regsOfEvent is a consistent Query of the event's own partition for its
// registration items: the table, not an index, so nothing just written is
// missed.
func (s *Store) regsOfEvent(eventID string) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").BeginsWith("REG#"))).Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// AllRegistrations returns every registration of an event, read
// consistently from the event's partition, in id (arrival) order.
func (s *Store) AllRegistrations(ctx context.Context, eventID string) ([]*community.Registration, error) {
	in, err := s.regsOfEvent(eventID)
	if err != nil {
		return nil, fmt.Errorf("dynamo: all registrations: %w", err)
	}
	regs, err := queryAll(ctx, s.client, in, infallible(registrationItem.registration))
	if err != nil {
		return nil, fmt.Errorf("dynamo: all registrations: %w", err)
	}
	return regs, nil
}

// HasRegistrations reports whether the event's partition holds any
// registration item, whatever its status: one consistent Query, Limit 1.
func (s *Store) HasRegistrations(ctx context.Context, eventID string) (bool, error) {
	in, err := s.regsOfEvent(eventID)
	if err != nil {
		return false, fmt.Errorf("dynamo: has registrations: %w", err)
	}
	in.Limit = aws.Int32(1)
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return false, fmt.Errorf("dynamo: has registrations: %w", err)
	}
	return len(out.Items) > 0, nil
}

// MoveRegistrations writes an event's new start into each of its
// registrations and the member index key that sorts by it.
func (s *Store) MoveRegistrations(ctx context.Context, eventID string, startsAt time.Time) error {
	regs, err := s.AllRegistrations(ctx, eventID)
	if err != nil {
		return err
	}
	for _, r := range regs {
		x := *r
		x.EventStartsAt = startsAt
		it := newRegistrationItem(&x)
		upd := expression.Set(expression.Name("event_starts_at"), expression.Value(it.EventStartsAt))
		if it.GSI2PK != "" {
			upd = upd.Set(expression.Name("GSI2SK"), expression.Value(it.GSI2SK))
		}
		if _, _, err := s.updateItem(ctx, registrationKey(eventID, r.ID), upd, expression.AttributeExists(expression.Name("PK"))); err != nil {
			return fmt.Errorf("dynamo: move registrations: %w", err)
		}
	}
	return nil
}

// updateItem runs one conditional UpdateItem and returns the item as
// written, or as it was when the condition failed (ok false).
func (s *Store) updateItem(ctx context.Context, k key, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (item map[string]types.AttributeValue, ok bool, err error) {
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, false, err
	}
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() { // an unset condition: the write is unconditional
		b = b.WithCondition(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, false, err
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: av,
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		var cf *types.ConditionalCheckFailedException
		if errors.As(err, &cf) {
			return cf.Item, false, nil
		}
		return nil, false, err
	}
	return out.Attributes, true, nil
}

// SetCheckIn records (at != nil) or clears a registration's check-in, and
// moves the event's checked_in_count by one in the same transaction: the
// registration's condition (not checked in / checked in) lets only the
// write that changes the flag through, so repeated and concurrent scans of
// one code count once. Only a confirmed registration can be checked in,
// or have its check-in undone: a cancelled one keeps its check-in as a
// record, and its cancellation took it off the counter already
// (cancelItems), so an undo then would count it off twice. A second
// check-in keeps the first time.
func (s *Store) SetCheckIn(ctx context.Context, eventID, regID string, at *time.Time) (*community.Registration, error) {
	exists := expression.AttributeExists(expression.Name("PK"))
	confirmed := expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed)))
	regUpd := expression.Remove(expression.Name("checked_in_at"))
	regCond := expression.AttributeExists(expression.Name("checked_in_at")).And(confirmed)
	evUpd := expression.Add(expression.Name("checked_in_count"), expression.Value(-1))
	// An undo never takes the counter below zero: a check-in made before
	// the counter existed was never counted.
	evCond := exists.And(expression.Name("checked_in_count").GreaterThan(expression.Value(0)))
	if at != nil {
		regUpd = expression.Set(expression.Name("checked_in_at"), expression.Value(at.UTC()))
		regCond = exists.And(confirmed, expression.AttributeNotExists(expression.Name("checked_in_at")))
		evUpd = expression.Add(expression.Name("checked_in_count"), expression.Value(1))
		evCond = exists
	}
	reg, err := s.txUpdate(registrationKey(eventID, regID), regUpd, regCond)
	if err != nil {
		return nil, fmt.Errorf("dynamo: check in: %w", err)
	}
	reg.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	ev, err := s.txUpdate(eventKey(eventID), evUpd, evCond)
	if err != nil {
		return nil, fmt.Errorf("dynamo: check in: %w", err)
	}
	txErr := s.transact(ctx, []types.TransactWriteItem{{Update: reg}, {Update: ev}})
	codes := cancelCodes(txErr)
	switch {
	case txErr == nil:
		return s.checkedIn(ctx, eventID, regID, at != nil, nil)
	case failedAt(codes, 0):
		var tc *types.TransactionCanceledException
		errors.As(txErr, &tc)
		return s.checkedIn(ctx, eventID, regID, at != nil, tc.CancellationReasons[0].Item)
	case failedAt(codes, 1) && at == nil:
		// Uncounted check-in (see above): clear the flag alone.
		item, _, err := s.updateItem(ctx, registrationKey(eventID, regID), regUpd, exists.And(confirmed))
		if err != nil {
			return nil, fmt.Errorf("dynamo: check in: %w", err)
		}
		return s.checkedIn(ctx, eventID, regID, false, item)
	case failedAt(codes, 1):
		return nil, community.ErrEventNotFound
	}
	return nil, fmt.Errorf("dynamo: check in: %w", txErr)
}

// checkedIn decodes the registration item a check-in or undo left (reading
// it when the write returned none); a check-in of a registration that holds
// no seat is refused, and so is an undo of one that was checked in but
// holds no seat any more.
func (s *Store) checkedIn(ctx context.Context, eventID, regID string, checkIn bool, item map[string]types.AttributeValue) (*community.Registration, error) {
	var it registrationItem
	if item == nil {
		ok, err := s.get(ctx, registrationKey(eventID, regID), true, &it)
		if err != nil {
			return nil, fmt.Errorf("dynamo: check in: %w", err)
		}
		if !ok {
			return nil, community.ErrRegistrationNotFound
		}
	} else {
		if len(item) == 0 {
			return nil, community.ErrRegistrationNotFound
		}
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, fmt.Errorf("dynamo: check in: %w", err)
		}
	}
	if it.Status != string(community.RegistrationConfirmed) && (checkIn || it.CheckedInAt != nil) {
		// Not checked in, or (undo) checked in but holding no seat any more.
		return nil, community.ErrNotConfirmed
	}
	return it.registration(), nil
}

// batchGetMax is BatchGetItem's limit of keys per call.
const batchGetMax = 100

// MembersByID reads members with BatchGetItem, 100 keys a call, retrying
// what DynamoDB leaves unprocessed. Unknown ids are absent from the map.
func (s *Store) MembersByID(ctx context.Context, ids []string) (map[string]*community.Member, error) {
	out, err := batchGet(ctx, s, ids, memberKey, memberItem.member, func(m *community.Member) string { return m.ID })
	if err != nil {
		return nil, fmt.Errorf("dynamo: members by id: %w", err)
	}
	return out, nil
}

// batchGet reads the items of ids (keyed by keyOf; blanks and repeats
// left out) with BatchGetItem, batchGetMax keys a call, retrying what
// DynamoDB leaves unprocessed, and returns them converted by conv, by
// idOf. Unknown ids are absent from the map. Busy when DynamoDB keeps
// leaving keys unprocessed.
func batchGet[I, T any](ctx context.Context, s *Store, ids []string, keyOf func(string) key, conv func(I) (T, error), idOf func(T) string) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		k, err := attributevalue.MarshalMap(keyOf(id))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	for len(keys) > 0 {
		n := min(len(keys), batchGetMax)
		req := map[string]types.KeysAndAttributes{s.table: {Keys: keys[:n]}}
		keys = keys[n:]
		for attempt := 1; len(req) > 0; attempt++ {
			res, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			var items []I
			if err := attributevalue.UnmarshalListOfMaps(res.Responses[s.table], &items); err != nil {
				return nil, err
			}
			for _, it := range items {
				v, err := conv(it)
				if err != nil {
					return nil, err
				}
				out[idOf(v)] = v
			}
			req = res.UnprocessedKeys
			if len(req) > 0 {
				if attempt == promoteAttempts {
					return nil, community.ErrBusy
				}
				if err := pause(ctx, attempt); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// CancelledEvents returns cancelled events starting in [From, To) from the
// cancelled index (GSI1 CANCELLED), by start time, one Query per page.
// Invalid (reason "invalid_limit", "invalid_cursor").
func (s *Store) CancelledEvents(ctx context.Context, q community.EventQuery) (community.EventPage, error) {
	page, err := s.eventWindow(ctx, q, gsi1, cancelledPartition)
	if err != nil {
		return community.EventPage{}, fmt.Errorf("dynamo: cancelled events: %w", err)
	}
	return page, nil
}

// DraftEvents returns drafts starting in [From, To) from the drafts index
// (GSI1 DRAFTS), by start time, one Query per page. Invalid (reason
// "invalid_limit", "invalid_cursor").
func (s *Store) DraftEvents(ctx context.Context, q community.EventQuery) (community.EventPage, error) {
	page, err := s.eventWindow(ctx, q, gsi1, draftsPartition)
	if err != nil {
		return community.EventPage{}, fmt.Errorf("dynamo: draft events: %w", err)
	}
	return page, nil
}

// PastEvents returns up to limit (1–100) published events that started
// before before, the latest first: one Query on GSI1 EVENTS read backwards,
// whatever the number of past events. Invalid (reason "invalid_limit").
func (s *Store) PastEvents(ctx context.Context, before time.Time, limit int) ([]*community.Event, error) {
	if limit < 1 || limit > maxLimit {
		return nil, community.ErrInvalidLimit
	}
	sort := expression.Key(gsi1.sk).LessThan(expression.Value(keyStamp(ceilSecond(before))))
	raw, _, err := s.page(ctx, pageQuery{idx: gsi1, part: eventsPartition, sort: sort, limit: limit})
	if err != nil {
		return nil, fmt.Errorf("dynamo: past events: %w", err)
	}
	items, err := unmarshalEventItems(raw)
	if err != nil {
		return nil, fmt.Errorf("dynamo: past events: %w", err)
	}
	out := make([]*community.Event, 0, len(items))
	for _, it := range items {
		out = append(out, it.event())
	}
	return out, nil
}

// statusPartitions names the GSI1 partition each event status is listed
// under: every event is in exactly one of them.
var statusPartitions = map[community.EventStatus]string{
	community.EventPublished: eventsPartition,
	community.EventDraft:     draftsPartition,
	community.EventCancelled: cancelledPartition,
}

// EventsBefore returns up to limit (1–100) events of status st whose
// (start, id) sorts before mark, the latest first: one Query of GSI1 <st's
// partition> AND GSI1SK < "<startsUTC>#<id>" read backwards (the whole
// partition backwards for the zero mark). Invalid (reason "invalid_limit").
func (s *Store) EventsBefore(ctx context.Context, st community.EventStatus, mark community.EventMark, limit int) ([]*community.Event, error) {
	if limit < 1 || limit > maxLimit {
		return nil, community.ErrInvalidLimit
	}
	part, ok := statusPartitions[st]
	if !ok {
		return nil, fmt.Errorf("dynamo: events before: unknown status %q", st)
	}
	var sort expression.KeyConditionBuilder
	if !mark.StartsAt.IsZero() {
		sort = expression.Key(gsi1.sk).LessThan(expression.Value(keyStamp(mark.StartsAt) + "#" + mark.ID))
	}
	raw, _, err := s.page(ctx, pageQuery{idx: gsi1, part: part, sort: sort, limit: limit})
	if err != nil {
		return nil, fmt.Errorf("dynamo: events before: %w", err)
	}
	items, err := unmarshalEventItems(raw)
	if err != nil {
		return nil, fmt.Errorf("dynamo: events before: %w", err)
	}
	out := make([]*community.Event, 0, len(items))
	for _, it := range items {
		out = append(out, it.event())
	}
	return out, nil
}

var _ community.EventBoardStore = (*Store)(nil)
