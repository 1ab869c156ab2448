package dynamo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.RegistrationStore = (*Store)(nil)

// Bounds of the optimistic loops below. Each attempt is one transaction;
// under a rush of a few hundred people on one event the jittered pauses
// spread them out enough that every one lands well inside the bound.
const (
	registerAttempts = 10
	cancelAttempts   = 10
	pauseBase        = 10 * time.Millisecond
	pauseCap         = time.Second
)

// pause waits before the next attempt: full jitter on an exponential
// ceiling, so that racers who collided once do not collide again in step.
func pause(ctx context.Context, attempt int) error {
	ceil := min(pauseBase<<min(attempt, 16), pauseCap)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(ceil))) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func eventRegsPartition(eventID string, st community.RegistrationStatus) string {
	return "EREG#" + eventID + "#" + string(st)
}

func memberRegsPartition(memberID string) string { return "MREG#" + memberID }

// regSortKey orders an event's registrations of one status: by id (which
// is arrival time) in general, and the waitlist by its ticket, which the
// table hands out, so no Lambda's clock decides who is first in line.
//
// A frame's waitlist reads as one run, F#<fid>#<seq>#<rid>, after the
// default frame's (digits sort before "F"): each frame has its own tickets,
// and its head is the first key that begins with its prefix.
func regSortKey(st community.RegistrationStatus, frameID string, seq int64, id string) string {
	if st == community.RegistrationWaitlisted {
		return fmt.Sprintf("%s%020d#%s", frameLinePrefix(frameID), seq, id)
	}
	return id
}

// frameLinePrefix starts the waitlist sort keys of a frame ("" for the
// default frame).
func frameLinePrefix(frameID string) string {
	if frameID == community.DefaultFrameID {
		return ""
	}
	return "F#" + frameID + "#"
}

// frameAttr names a counter (or the capacity, or waitlist) of a frame on
// the event item: the event's own attribute for the default frame,
// fstate.<fid>.<attr> for the others (the expression builder splits the
// path, and frame ids hold no dots).
func frameAttr(frameID, attr string) expression.NameBuilder {
	if frameID == community.DefaultFrameID {
		return expression.Name(attr)
	}
	return expression.Name("fstate." + frameID + "." + attr)
}

type registrationItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
	Type   string `dynamodbav:"type"`

	ID      string `dynamodbav:"id"`
	EventID string `dynamodbav:"event_id"`
	FrameID string `dynamodbav:"frame_id,omitempty"`
	// AttendeeSK is the sort key of the attendee item holding this
	// registration's place when it is not the per-event one (an event
	// whose people may hold places in several frames: one per frame).
	AttendeeSK    string     `dynamodbav:"attendee_sk,omitempty"`
	MemberID      string     `dynamodbav:"member_id,omitempty"`
	GuestName     string     `dynamodbav:"guest_name,omitempty"`
	GuestEmail    string     `dynamodbav:"guest_email,omitempty"`
	Status        string     `dynamodbav:"status"`
	WaitlistSeq   int64      `dynamodbav:"waitlist_seq,omitempty"`
	EventStartsAt time.Time  `dynamodbav:"event_starts_at"`
	CreatedAt     time.Time  `dynamodbav:"created_at"`
	UpdatedAt     time.Time  `dynamodbav:"updated_at"`
	CheckedInAt   *time.Time `dynamodbav:"checked_in_at,omitempty"`
	CancelledAt   *time.Time `dynamodbav:"cancelled_at,omitempty"`
	// A string set, not a list: the reminder sweep marks a send with
	// ADD reminders_sent :r IF NOT contains(reminders_sent, :r), and ADD
	// works on sets only.
	RemindersSent []string `dynamodbav:"reminders_sent,stringset,omitempty"`
	// OptOuts: the lists stopped for this registration by a mail's link,
	// ADDed by OptOutRegistration.
	OptOuts []string `dynamodbav:"opt_outs,stringset,omitempty"`
	// Decision: an organizer's verdict on an application, until notified.
	Decision string `dynamodbav:"decision,omitempty"`
	// A nominee's organization and what it said of them (団体推薦).
	OrganizationID string     `dynamodbav:"organization_id,omitempty"`
	Department     string     `dynamodbav:"department,omitempty"`
	BirthDate      *time.Time `dynamodbav:"birth_date,omitempty"`
	// Answers to the event's questions (community.Form.CheckAnswers);
	// personal data: WithdrawMember removes them.
	Answers []answerItem `dynamodbav:"answers,omitempty"`
	// The after-event survey (surveys.go): when it was handed over, and
	// the answers (personal data, removed by WithdrawMember).
	SurveySentAt     *time.Time   `dynamodbav:"survey_sent_at,omitempty"`
	SurveyAnswers    []answerItem `dynamodbav:"survey_answers,omitempty"`
	SurveyAnsweredAt *time.Time   `dynamodbav:"survey_answered_at,omitempty"`
	// AnonymizedAt: a guest's personal data was erased (retention.go).
	AnonymizedAt *time.Time `dynamodbav:"anonymized_at,omitempty"`
	// The reconfirmation (reconfirm.go): when it was handed over, the
	// answer and when it was given; why a release cancelled it.
	ReconfirmAskedAt    *time.Time `dynamodbav:"reconfirm_asked_at,omitempty"`
	ReconfirmAnswer     string     `dynamodbav:"reconfirm_answer,omitempty"`
	ReconfirmAnsweredAt *time.Time `dynamodbav:"reconfirm_answered_at,omitempty"`
	ReconfirmMailedAt   *time.Time `dynamodbav:"reconfirm_mailed_at,omitempty"`
	CancelReason        string     `dynamodbav:"cancel_reason,omitempty"`
}

// answerItem is one stored answer: {q, t} or {q, c}.
type answerItem struct {
	QuestionID string   `dynamodbav:"q"`
	Text       string   `dynamodbav:"t,omitempty"`
	Choices    []string `dynamodbav:"c,omitempty"`
}

func newRegistrationItem(r *community.Registration) registrationItem {
	k := registrationKey(r.EventID, r.ID)
	it := registrationItem{
		PK: k.PK, SK: k.SK, Type: typeRegistration,
		GSI1PK: eventRegsPartition(r.EventID, r.Status), GSI1SK: regSortKey(r.Status, r.FrameID, r.WaitlistSeq, r.ID),
		ID: r.ID, EventID: r.EventID, FrameID: r.FrameID, MemberID: r.MemberID, Status: string(r.Status), WaitlistSeq: r.WaitlistSeq,
		EventStartsAt: r.EventStartsAt.UTC(), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		CheckedInAt: utcPtr(r.CheckedInAt), CancelledAt: utcPtr(r.CancelledAt), RemindersSent: r.RemindersSent,
		OptOuts: r.OptOuts, Decision: string(r.Decision),
		OrganizationID: r.OrganizationID, Department: r.Department, BirthDate: r.BirthDate,
	}
	if r.MemberID != "" {
		it.GSI2PK = memberRegsPartition(r.MemberID)
		it.GSI2SK = keyStamp(r.EventStartsAt) + "#" + r.EventID + "#" + r.ID
	}
	if g := r.Guest; g != nil {
		it.GuestName, it.GuestEmail = g.Name, g.Email
	}
	for _, a := range r.Answers {
		it.Answers = append(it.Answers, answerItem{QuestionID: a.QuestionID, Text: a.Text, Choices: a.Choices})
	}
	it.SurveySentAt, it.SurveyAnsweredAt = utcPtr(r.SurveySentAt), utcPtr(r.SurveyAnsweredAt)
	it.SurveyAnswers = answerItems(r.SurveyAnswers)
	it.ReconfirmAskedAt, it.ReconfirmAnswer, it.ReconfirmAnsweredAt = utcPtr(r.ReconfirmAskedAt), r.ReconfirmAnswer, utcPtr(r.ReconfirmAnsweredAt)
	it.ReconfirmMailedAt = utcPtr(r.ReconfirmMailedAt)
	it.CancelReason = r.CancelReason
	return it
}

func (it registrationItem) registration() *community.Registration {
	r := &community.Registration{
		ID: it.ID, EventID: it.EventID, FrameID: it.FrameID, MemberID: it.MemberID, Status: community.RegistrationStatus(it.Status),
		WaitlistSeq: it.WaitlistSeq, EventStartsAt: it.EventStartsAt, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		CheckedInAt: it.CheckedInAt, CancelledAt: it.CancelledAt, Decision: community.Decision(it.Decision),
		OrganizationID: it.OrganizationID, Department: it.Department, BirthDate: it.BirthDate,
	}
	if it.GuestEmail != "" || it.AnonymizedAt != nil {
		// An anonymized guest is still a guest, with no address.
		r.Guest = &community.Guest{Name: it.GuestName, Email: it.GuestEmail}
	}
	if len(it.RemindersSent) > 0 {
		// A set has no order; a sorted copy compares and prints the same every time.
		r.RemindersSent = slices.Sorted(slices.Values(it.RemindersSent))
	}
	if len(it.OptOuts) > 0 {
		r.OptOuts = slices.Sorted(slices.Values(it.OptOuts))
	}
	for _, a := range it.Answers {
		r.Answers = append(r.Answers, community.Answer{QuestionID: a.QuestionID, Text: a.Text, Choices: a.Choices})
	}
	r.SurveySentAt, r.SurveyAnsweredAt = it.SurveySentAt, it.SurveyAnsweredAt
	for _, a := range it.SurveyAnswers {
		r.SurveyAnswers = append(r.SurveyAnswers, community.Answer{QuestionID: a.QuestionID, Text: a.Text, Choices: a.Choices})
	}
	r.ReconfirmAskedAt, r.ReconfirmAnswer, r.ReconfirmAnsweredAt = it.ReconfirmAskedAt, it.ReconfirmAnswer, it.ReconfirmAnsweredAt
	r.ReconfirmMailedAt = it.ReconfirmMailedAt
	r.CancelReason = it.CancelReason
	return r
}

// attendee returns the key of the item that lets one person hold one live
// registration per event.
func (it registrationItem) attendee() key {
	if it.AttendeeSK != "" {
		return key{PK: "EVENT#" + it.EventID, SK: it.AttendeeSK}
	}
	if it.MemberID != "" {
		return memberAttendeeKey(it.EventID, it.MemberID)
	}
	return guestAttendeeKey(it.EventID, it.GuestEmail)
}

// attendeePerFrame gives the registration an attendee item of its own
// frame when one person may hold places in several frames (one per person
// per frame); otherwise one per person per event.
func (it *registrationItem) attendeePerFrame(perFrame bool) {
	if perFrame && it.AttendeeSK == "" {
		it.AttendeeSK = it.attendee().SK + "#F#" + it.FrameID
	}
}

// attendeeItem exists while its registration is live (confirmed or
// waitlisted); Put IF attribute_not_exists(PK) is what refuses a second one.
type attendeeItem struct {
	PK    string `dynamodbav:"PK"`
	SK    string `dynamodbav:"SK"`
	Type  string `dynamodbav:"type"`
	RegID string `dynamodbav:"reg_id"`
}

// txUpdate is a transactional Update of the item at k under cond.
func (s *Store) txUpdate(k key, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (*types.Update, error) {
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, err
	}
	b := expression.NewBuilder().WithUpdate(upd)
	if cond.IsSet() { // an unset condition: the write is unconditional
		b = b.WithCondition(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, err
	}
	return &types.Update{
		TableName: aws.String(s.table), Key: av, UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, nil
}

func statusIs(st community.EventStatus) expression.ConditionBuilder {
	return expression.Name("status").Equal(expression.Value(string(st)))
}

// The two ways in, as conditions on the event item. They mirror
// registerPath exactly: when one fails, the event it failed on says which
// way is open, so a retry never guesses.
// Per frame: the default frame's are on the event's own attributes.
func seatCond(fid string) expression.ConditionBuilder {
	// A seat is free and nobody waits for it: a newcomer never jumps the queue.
	return statusIs(community.EventPublished).And(
		frameAttr(fid, "waitlist_count").Equal(expression.Value(0)),
		expression.Or(
			frameAttr(fid, "capacity").Equal(expression.Value(0)),
			frameAttr(fid, "confirmed_count").LessThan(frameAttr(fid, "capacity"))))
}

func waitCond(fid string) expression.ConditionBuilder {
	// The frame is full, or people already wait: join the end of the line.
	return statusIs(community.EventPublished).And(
		frameAttr(fid, "waitlist").Equal(expression.Value(true)),
		frameAttr(fid, "capacity").GreaterThan(expression.Value(0)),
		expression.Or(
			frameAttr(fid, "confirmed_count").GreaterThanEqual(frameAttr(fid, "capacity")),
			frameAttr(fid, "waitlist_count").GreaterThan(expression.Value(0))))
}

// registerPath decides, from an event's status and counters, whether a
// newcomer gets a seat, joins the waitlist, or is refused.
func registerPath(status community.EventStatus, capacity int, waitlist bool, confirmed, waiting int) (community.RegistrationStatus, error) {
	switch status {
	case community.EventPublished:
	case community.EventCancelled:
		return "", community.ErrEventCancelled
	default:
		return "", community.ErrEventNotFound // back to draft: invisible again
	}
	if waiting == 0 && (capacity == 0 || confirmed < capacity) {
		return community.RegistrationConfirmed, nil
	}
	if waitlist && capacity > 0 {
		return community.RegistrationWaitlisted, nil
	}
	return "", community.ErrEventFull
}

// Register stores r for e, confirmed while a seat is free and nobody waits,
// else waitlisted when e has a waitlist, and sets r.Status and, when
// waitlisted, r.WaitlistSeq. The seat (or place) and its counter on the
// event item are written in one transaction, with the attendee item that
// keeps one live registration per person and event; e is only the first
// guess, the event item's conditions decide. Conflict (reason
// "already_registered") when the member or guest email holds a live
// registration, (reason "event_full") when full without waitlist,
// (reason "registration_exists") when r.ID is taken, (reason
// "event_changed") when e asks questions and was edited since it was read
// (the answers were checked against e's form); Closed (reason
// "event_cancelled") when the event was cancelled meanwhile; NotFound
// (reason "event_not_found") when it is unknown or a draft; Unavailable
// (reason "busy") when contention outlasts every attempt.
func (s *Store) Register(ctx context.Context, e *community.Event, r *community.Registration) (err error) {
	if e == nil || !community.ValidID(r.ID) || r.EventID == "" || r.EventID != e.ID ||
		(r.MemberID == "") == (r.Guest == nil) || (r.Guest != nil && normEmail(r.Guest.Email) == "") {
		return errors.New("dynamo: register: registration needs an id, its event, and one member or guest email")
	}
	fid := r.FrameID
	f, err := e.Frame(fid)
	if err != nil || f.ID != fid {
		// The domain resolved the frame: a store call naming none of the
		// event's is a bug, not a person's mistake.
		return fmt.Errorf("dynamo: register: frame %q is not one of event %s", fid, e.ID)
	}
	first, err := registerPath(e.Status, f.Capacity, f.Waitlist, f.ConfirmedCount, f.WaitlistCount)
	wait := err == nil && first == community.RegistrationWaitlisted
	// ticket is this person's place in line, taken the first time the
	// waitlist is the way in and kept across every retry: a retry that
	// took a fresh one would leave a gap, and a place counted from the
	// index while others still write is not exact (issue 10). A ticket
	// that does not end up as this waitlisted registration is burned, so
	// WaitlistPosition skips it.
	var ticket int64
	settled := false
	defer func() {
		if ticket != 0 && !settled {
			// The outcome is decided and may already be answered; only a
			// failure to write the burn itself is worth reporting.
			if berr := s.burnTicket(context.WithoutCancel(ctx), e.ID, fid, ticket); berr != nil && err == nil {
				err = fmt.Errorf("dynamo: register: %w", berr)
			}
		}
	}()
	// Even a snapshot that says "full" or "cancelled" may be stale: the
	// event item answers, so the first attempt is always made.
	for attempt := 1; ; attempt++ {
		status, seq := community.RegistrationConfirmed, int64(0)
		if wait {
			status = community.RegistrationWaitlisted
			if ticket == 0 {
				if ticket, err = s.nextWaitlistSeq(ctx, e.ID, fid); err != nil {
					return fmt.Errorf("dynamo: register: %w", err)
				}
			}
			seq = ticket
		}
		items, err := s.registerItems(r, e.MultipleFrames, status, seq, ticket, formStamp(e))
		if err != nil {
			return fmt.Errorf("dynamo: register: %w", err)
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			// A seat taken with a ticket in hand burned it in the same
			// transaction.
			settled = true
			r.Status, r.WaitlistSeq = status, seq
			return nil
		}
		codes := cancelCodes(err)
		switch {
		case codes == nil:
			return fmt.Errorf("dynamo: register: %w", err)
		case failedAt(codes, 1):
			return community.ErrAlreadyRegistered
		case failedAt(codes, 2):
			return community.ErrRegistrationExists
		case failedAt(codes, 0):
			ev, err := s.eventAtFailure(ctx, err, e.ID)
			if err != nil {
				return err
			}
			if stamp := formStamp(e); stamp != nil && !ev.UpdatedAt.Equal(*stamp) {
				// The answers were checked against a form edited since.
				return community.ErrEventChanged
			}
			capacity, waitlist, confirmed, waiting := ev.counters(fid)
			next, err := registerPath(community.EventStatus(ev.Status), capacity, waitlist, confirmed, waiting)
			if err != nil {
				return err
			}
			switched := (next == community.RegistrationWaitlisted) != wait
			wait = next == community.RegistrationWaitlisted
			if switched && attempt < registerAttempts {
				continue // the event said which way is open: take it now
			}
		}
		if attempt == registerAttempts {
			return community.ErrBusy
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("dynamo: register: %w", err)
		}
	}
}

// formStamp is the edit time of e when e asks questions: a registration
// whose answers were checked against e's form is written only while the
// event is still as read (an organizer's edit moves updated_at; the
// counters do not), so no answer is stored against a form changed since.
func formStamp(e *community.Event) *time.Time {
	if len(e.Questions) == 0 {
		return nil
	}
	t := e.UpdatedAt
	return &t
}

// registerItems is the registering transaction: [0] the event's counter
// under seatCond or waitCond, [1] the attendee item, [2] the registration,
// [3] the mail it owes (community.RegistrationMail) in the outbox, and,
// when a seat is taken by someone holding a waitlist ticket, [4] that
// ticket burned on the counter item. With form set, the event must still
// be as it was when the answers were checked (its updated_at).
func (s *Store) registerItems(r *community.Registration, perFrame bool, status community.RegistrationStatus, seq, ticket int64, form *time.Time) ([]types.TransactWriteItem, error) {
	x := *r
	x.Status, x.WaitlistSeq = status, seq
	reg := newRegistrationItem(&x)
	reg.attendeePerFrame(perFrame)
	counter, cond := "confirmed_count", seatCond(r.FrameID)
	if status == community.RegistrationWaitlisted {
		counter, cond = "waitlist_count", waitCond(r.FrameID)
	}
	if form != nil {
		cond = cond.And(expression.Name("updated_at").Equal(expression.Value(form.UTC())))
	}
	ev, err := s.txUpdate(eventKey(r.EventID), expression.Add(frameAttr(r.FrameID, counter), expression.Value(1)), cond)
	if err != nil {
		return nil, err
	}
	// The event item as it was tells why the condition failed, without a
	// second read that could see a later state.
	ev.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	att := reg.attendee()
	notExists := expression.AttributeNotExists(expression.Name("PK"))
	guard, err := s.txPut(attendeeItem{PK: att.PK, SK: att.SK, Type: typeAttendee, RegID: r.ID}, notExists)
	if err != nil {
		return nil, err
	}
	put, err := s.txPut(reg, notExists)
	if err != nil {
		return nil, err
	}
	mail, err := s.txPutMail(community.RegistrationMail(&x, r.CreatedAt))
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Update: ev}, {Put: guard}, {Put: put}, mail}
	if status != community.RegistrationWaitlisted && ticket != 0 {
		burn, err := s.txLine(r.EventID, r.FrameID, "burned", ticket)
		if err != nil {
			return nil, err
		}
		items = append(items, burn)
	}
	return items, nil
}

// eventAtFailure returns the event item as the failed condition saw it
// (item 0 of a cancelled transaction), reading it only when the
// cancellation carries no item. NotFound when the event does not exist.
func (s *Store) eventAtFailure(ctx context.Context, txErr error, id string) (eventItem, error) {
	var ev eventItem
	var tc *types.TransactionCanceledException
	if errors.As(txErr, &tc) && len(tc.CancellationReasons) > 0 && len(tc.CancellationReasons[0].Item) > 0 {
		if err := attributevalue.UnmarshalMap(tc.CancellationReasons[0].Item, &ev); err != nil {
			return eventItem{}, fmt.Errorf("dynamo: register: %w", err)
		}
		return ev, nil
	}
	ok, err := s.get(ctx, eventKey(id), true, &ev)
	if err != nil {
		return eventItem{}, fmt.Errorf("dynamo: register: %w", err)
	}
	if !ok {
		return eventItem{}, community.ErrEventNotFound
	}
	return ev, nil
}

// nextWaitlistSeq takes the next waitlist ticket of an event. The counter
// has its own item so that taking a ticket never collides with the
// transactions on the event item.
func (s *Store) nextWaitlistSeq(ctx context.Context, eventID, frameID string) (int64, error) {
	av, err := attributevalue.MarshalMap(waitlistSeqKey(eventID, frameID))
	if err != nil {
		return 0, err
	}
	upd := expression.Add(expression.Name("seq"), expression.Value(1)).
		Set(expression.Name("type"), expression.Value(typeWaitlistSeq))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return 0, err
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: av,
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, err
	}
	var got struct {
		Seq int64 `dynamodbav:"seq"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		return 0, err
	}
	return got.Seq, nil
}

// Registration returns one registration of an event, read consistently.
// NotFound (reason "registration_not_found") when unknown.
func (s *Store) Registration(ctx context.Context, eventID, regID string) (*community.Registration, error) {
	it, err := s.registrationItem(ctx, eventID, regID)
	if err != nil {
		return nil, err
	}
	return it.registration(), nil
}

func (s *Store) registrationItem(ctx context.Context, eventID, regID string) (registrationItem, error) {
	var it registrationItem
	ok, err := s.get(ctx, registrationKey(eventID, regID), true, &it)
	if err != nil {
		return registrationItem{}, fmt.Errorf("dynamo: get registration: %w", err)
	}
	if !ok {
		return registrationItem{}, community.ErrRegistrationNotFound
	}
	return it, nil
}

// MemberRegistration returns the member's live registration for the
// event, the earliest when they hold places in several frames. NotFound
// (reason "registration_not_found") when none.
func (s *Store) MemberRegistration(ctx context.Context, eventID, memberID string) (*community.Registration, error) {
	regs, err := s.MemberEventRegistrations(ctx, eventID, memberID)
	if err != nil {
		return nil, err
	}
	if len(regs) == 0 {
		return nil, community.ErrRegistrationNotFound
	}
	return regs[0], nil
}

// MemberEventRegistrations returns every registration the member holds at
// the event and has not cancelled — one per frame in an event of
// multiple_frames — earliest first; empty when none. Two calls whatever
// the number of frames: a Query of the member's attendee items and one
// BatchGetItem of their registrations, both consistent.
func (s *Store) MemberEventRegistrations(ctx context.Context, eventID, memberID string) ([]*community.Registration, error) {
	return s.heldRegistrations(ctx, memberAttendeeKey(eventID, memberID), func(it registrationItem) bool {
		return it.MemberID == memberID
	})
}

// GuestEventRegistrations is MemberEventRegistrations for a guest's
// address (case-insensitively): what the holder of one of the guest's
// cancel links holds at the event.
func (s *Store) GuestEventRegistrations(ctx context.Context, eventID, email string) ([]*community.Registration, error) {
	return s.heldRegistrations(ctx, guestAttendeeKey(eventID, email), func(it registrationItem) bool {
		return it.MemberID == "" && normEmail(it.GuestEmail) == normEmail(email)
	})
}

// heldRegistrations reads the registrations named by the attendee items
// at base (the per-event key) and base#F#<fid> (the per-frame keys of an
// event of multiple_frames). Only those two forms are taken from the
// begins_with Query, so no other person's key that merely starts the same
// way is read. An attendee item outlives a declined application, so the
// status is filtered here; whose registration it is is checked by mine.
func (s *Store) heldRegistrations(ctx context.Context, base key, mine func(registrationItem) bool) ([]*community.Registration, error) {
	kc := expression.Key("PK").Equal(expression.Value(base.PK)).And(expression.Key("SK").BeginsWith(base.SK))
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: held registrations: %w", err)
	}
	atts, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, same[attendeeItem])
	if err != nil {
		return nil, fmt.Errorf("dynamo: held registrations: %w", err)
	}
	eventID := strings.TrimPrefix(base.PK, "EVENT#")
	var keys []map[string]types.AttributeValue
	for _, a := range atts {
		if a.SK != base.SK && !strings.HasPrefix(a.SK, base.SK+"#F#") {
			continue
		}
		k, err := attributevalue.MarshalMap(registrationKey(eventID, a.RegID))
		if err != nil {
			return nil, fmt.Errorf("dynamo: held registrations: %w", err)
		}
		keys = append(keys, k)
	}
	out := []*community.Registration{}
	// An event has at most a few frames (community.maxFrames), so one
	// BatchGetItem holds every key; what DynamoDB leaves unprocessed is
	// asked again.
	req := map[string]types.KeysAndAttributes{}
	if len(keys) > 0 {
		req[s.table] = types.KeysAndAttributes{Keys: keys[:min(len(keys), batchGetMax)], ConsistentRead: aws.Bool(true)}
	}
	for attempt := 1; len(req) > 0; attempt++ {
		res, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("dynamo: held registrations: %w", err)
		}
		var items []registrationItem
		if err := attributevalue.UnmarshalListOfMaps(res.Responses[s.table], &items); err != nil {
			return nil, fmt.Errorf("dynamo: held registrations: %w", err)
		}
		for _, it := range items {
			if mine(it) && it.Status != string(community.RegistrationCancelled) {
				out = append(out, it.registration())
			}
		}
		req = res.UnprocessedKeys
		if len(req) > 0 {
			if attempt == promoteAttempts {
				return nil, community.ErrBusy
			}
			if err := pause(ctx, attempt); err != nil {
				return nil, fmt.Errorf("dynamo: held registrations: %w", err)
			}
		}
	}
	// BatchGetItem answers in no particular order.
	slices.SortFunc(out, func(a, b *community.Registration) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// CancelRegistration cancels a live registration at now and frees its
// attendee item, so the person may register again later. Cancelling a
// confirmed seat of a published event with people waiting promotes the
// head of the waitlist in the same transaction — the seat changes hands,
// confirmed_count stays — and only the transaction that turns the head from
// waitlisted to confirmed reports it, so each promotion is reported once.
// It returns the cancelled registration and the promoted one (nil if
// none). NotFound (reason "registration_not_found") when unknown; Conflict
// (reason "already_cancelled") when already cancelled; Unavailable (reason
// "busy") when contention outlasts every attempt.
func (s *Store) CancelRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *community.Registration, err error) {
	return s.cancelRegistration(ctx, eventID, regID, now, cancelKind{owed: community.CancelledMail, counted: true})
}

// EndRegistration cancels a registration as CancelRegistration does, for
// its event's cancellation: the mail it puts in the same transaction is the
// event-cancelled notice (community.EventCancelledMail), not the
// registrant's own cancellation mail. The transaction commits once, so the
// notice is owed once however often the event's cancel is repeated.
func (s *Store) EndRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *community.Registration, err error) {
	return s.cancelRegistration(ctx, eventID, regID, now, cancelKind{owed: community.EventCancelledMail})
}

// cancelKind is what a cancellation is, for the one cancelling
// transaction: the mail it owes the registrant; whether it counts in the
// event's tally (a cancelled event's cancellations do not); whether it is
// a release of an unanswered reconfirmation (ReleaseUnanswered).
type cancelKind struct {
	owed    func(*community.Registration, time.Time) community.Mail
	counted bool
	release bool
	// uncount is set by each attempt: the seat ends checked in and
	// counted, so checked_in_count goes down with it.
	uncount bool
	// deadline is the event's reconfirmation deadline as each attempt
	// read it (zero when it asks none): a cancellation before it answers
	// an asked registrant's request.
	deadline time.Time
}

// cancelRegistration ends a registration and puts the mail owed makes in
// the outbox, in one transaction.
func (s *Store) cancelRegistration(ctx context.Context, eventID, regID string, now time.Time, k cancelKind) (cancelled, promoted *community.Registration, err error) {
	// Registrations known not to be waitlisted. A registration never returns
	// to the waitlist, so once a head turns out taken (by a racing
	// cancellation, or a stale index) it is skipped for good.
	skip := map[string]bool{regID: true}
	for attempt := 1; ; {
		cur, err := s.registrationItem(ctx, eventID, regID)
		if err != nil {
			return nil, nil, err
		}
		var head *registrationItem
		// uncount: cur was checked in and counted, so its seat's end takes
		// it off the event's checked_in_count in the same transaction.
		k.uncount, k.deadline = false, time.Time{}
		if k.release {
			switch {
			case cur.Status == string(community.RegistrationCancelled):
				return nil, nil, community.ErrAlreadyCancelled
			case cur.Status != string(community.RegistrationConfirmed):
				return nil, nil, community.ErrNotConfirmed
			case cur.ReconfirmAskedAt == nil || cur.ReconfirmAnswer != "":
				return nil, nil, community.ErrReconfirmAnswered
			case cur.ReconfirmMailedAt == nil:
				return nil, nil, community.ErrReconfirmNotMailed
			case cur.CheckedInAt != nil:
				// Here already: the seat is theirs whatever the mail.
				return nil, nil, community.ErrReconfirmCheckedIn
			}
		}
		switch community.RegistrationStatus(cur.Status) {
		case community.RegistrationCancelled:
			return nil, nil, community.ErrAlreadyCancelled
		case community.RegistrationConfirmed:
			var ev eventItem
			ok, err := s.get(ctx, eventKey(eventID), true, &ev)
			if err != nil {
				return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
			}
			if !ok {
				return nil, nil, community.ErrEventNotFound
			}
			// A check-in from before the counter existed was never counted
			// (the counter reads 0): ending it leaves the counter at 0.
			k.uncount = cur.CheckedInAt != nil && ev.CheckedInCount > 0
			e := ev.event()
			k.deadline = community.ReconfirmDeadline(e)
			if k.release && !community.ReconfirmMailedInTime(e, cur.ReconfirmMailedAt) {
				// Mailed too close to the deadline to count as asked.
				return nil, nil, community.ErrReconfirmNotMailed
			}
			_, _, _, waiting := ev.counters(cur.FrameID)
			if k.release && (ev.Status != string(community.EventPublished) || waiting == 0) {
				// A seat nobody waits for stays with its holder.
				return nil, nil, community.ErrNobodyWaiting
			}
			if ev.Status == string(community.EventPublished) && waiting > 0 {
				if head, err = s.waitlistHead(ctx, eventID, cur.FrameID, skip); err != nil {
					return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
				}
				if head == nil {
					// The index lags behind the counter (GSIs are eventually
					// consistent): the head is on its way.
					if attempt == cancelAttempts {
						return nil, nil, community.ErrBusy
					}
					if err := pause(ctx, attempt); err != nil {
						return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
					}
					attempt++
					continue
				}
			}
		case community.RegistrationWaitlisted, community.RegistrationApplied:
		case community.RegistrationDeclined:
			return nil, nil, errDeclinedCancel
		default:
			return nil, nil, fmt.Errorf("dynamo: cancel registration: unknown status %q", cur.Status)
		}
		items, err := s.cancelItems(cur, head, now, k)
		if err != nil {
			return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			c := cur.registration()
			c.Status, c.UpdatedAt, c.CancelledAt = community.RegistrationCancelled, now.UTC(), utcPtr(&now)
			if k.release {
				c.CancelReason = community.CancelReasonUnanswered
			} else if answersByCancel(cur, k, now) {
				c.ReconfirmAnswer, c.ReconfirmAnsweredAt = community.ReconfirmCancel, utcPtr(&now)
			}
			if head != nil {
				promoted = head.registration()
				promoted.Status, promoted.UpdatedAt = community.RegistrationConfirmed, now.UTC()
			}
			return c, promoted, nil
		}
		codes := cancelCodes(err)
		if codes == nil {
			return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
		}
		if head != nil && failedAt(codes, 2) {
			skip[head.ID] = true
			if headOnly(codes) && len(skip) <= maxLimit {
				// Another cancellation promoted this head first: that is
				// progress, not contention, so it spends no attempt; the
				// short pause keeps the losers from meeting again on the
				// next head all at once.
				if err := pause(ctx, 0); err != nil {
					return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
				}
				continue
			}
		}
		// Any other failure (a racing cancel or promotion of this one, a
		// waitlist that changed, a conflict) is settled by reading again.
		if attempt == cancelAttempts {
			return nil, nil, community.ErrBusy
		}
		if err := pause(ctx, attempt); err != nil {
			return nil, nil, fmt.Errorf("dynamo: cancel registration: %w", err)
		}
		attempt++
	}
}

// errDeclinedCancel answers a cancel of an application that was declined:
// there is no place to give back, and the result stands.
var errDeclinedCancel = community.ErrAlreadyCancelled.Messagef("落選・見送りとなった申込は、取り消しの必要はありません。")

// headOnly reports whether a cancelling transaction with a promotion failed
// on the head's condition alone.
func headOnly(codes []string) bool {
	for i, c := range codes {
		if i != 2 && c != "" && c != "None" {
			return false
		}
	}
	return failedAt(codes, 2)
}

// cancelItems is the cancelling transaction: [0] the registration, IF its
// status is still the one read (and, for a seat, its check-in as read);
// [1] release of its attendee item; then, when head is set, [2] the head
// promoted IF still waitlisted and [3] the event's waitlist_count less
// one; else [2] the event's counter of cur's status less one. With
// k.uncount the event's update also takes one off checked_in_count; it
// also counts the cancellation in the event's tally (k.counted, releases,
// answers by cancelling). Last come the mails owed, in the outbox: the
// cancellation's (k.owed: the registrant's own, or the event-cancelled
// notice; a release's notice) and the promotion's.
//
// The registration's condition is what keeps checked_in_count true under
// retries and races: only the one transaction that ends the seat commits,
// and a check-in or undo landing between the read and the write fails it
// (the loop reads again), so the counter moves with exactly the check-in
// the registration holds. The cancelled registration keeps checked_in_at
// as the record that the person came; an undo of it is refused, as it
// holds no seat any more (SetCheckIn).
func (s *Store) cancelItems(cur registrationItem, head *registrationItem, now time.Time, k cancelKind) ([]types.TransactWriteItem, error) {
	st := community.RegistrationStatus(cur.Status)
	owed := k.owed
	if k.release {
		owed = community.ReleasedMail
	}
	upd := moveRegistration(cur, community.RegistrationCancelled, now).
		Set(expression.Name("cancelled_at"), expression.Value(now.UTC()))
	regCond := expression.Name("status").Equal(expression.Value(cur.Status))
	if st == community.RegistrationConfirmed {
		if cur.CheckedInAt != nil {
			regCond = regCond.And(expression.AttributeExists(expression.Name("checked_in_at")))
		} else {
			regCond = regCond.And(expression.AttributeNotExists(expression.Name("checked_in_at")))
		}
	}
	answering := answersByCancel(cur, k, now)
	switch {
	case k.release:
		// Released only while still unanswered: a 「参加します」 that
		// lands first keeps the seat.
		upd = upd.Set(expression.Name("cancel_reason"), expression.Value(community.CancelReasonUnanswered))
		regCond = regCond.And(expression.AttributeNotExists(expression.Name("reconfirm_answer"))).
			And(expression.AttributeExists(expression.Name("reconfirm_mailed_at")))
	case answering:
		// An asked registrant who cancels before the deadline answered
		// 「キャンセルします」, whichever way they cancelled.
		upd = upd.Set(expression.Name("reconfirm_answer"), expression.Value(community.ReconfirmCancel)).
			Set(expression.Name("reconfirm_answered_at"), expression.Value(now.UTC()))
		regCond = regCond.And(expression.AttributeNotExists(expression.Name("reconfirm_answer")))
	}
	reg, err := s.txUpdate(registrationKey(cur.EventID, cur.ID), upd, regCond)
	if err != nil {
		return nil, err
	}
	// Never release another registration's claim; a claim already gone
	// (nothing should remove it, but if) must not block the cancellation.
	att := cur.attendee()
	release, err := s.txDelete(att, expression.Or(
		expression.AttributeNotExists(expression.Name("PK")),
		expression.Name("reg_id").Equal(expression.Value(cur.ID))))
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Update: reg}, {Delete: release}}
	if st == community.RegistrationApplied {
		// An application holds no seat and no place: withdrawing it
		// touches no counter, as applying did not.
		mail, err := s.txPutMail(owed(cur.registration(), now))
		if err != nil {
			return nil, err
		}
		return append(items, mail), nil
	}

	var counter expression.UpdateBuilder
	var cond expression.ConditionBuilder
	fid := cur.FrameID
	waiting := frameAttr(fid, "waitlist_count").GreaterThan(expression.Value(0))
	switch {
	case head != nil:
		promote, err := s.txUpdate(registrationKey(head.EventID, head.ID),
			moveRegistration(*head, community.RegistrationConfirmed, now),
			expression.Name("status").Equal(expression.Value(string(community.RegistrationWaitlisted))))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: promote})
		counter = expression.Add(frameAttr(fid, "waitlist_count"), expression.Value(-1))
		cond = statusIs(community.EventPublished).And(waiting)
	case st == community.RegistrationWaitlisted:
		counter = expression.Add(frameAttr(fid, "waitlist_count"), expression.Value(-1))
		cond = waiting
	default:
		// Nobody to promote: nobody waits, or the event is no longer on
		// offer (promoting into a cancelled event would only mislead).
		counter = expression.Add(frameAttr(fid, "confirmed_count"), expression.Value(-1))
		cond = frameAttr(fid, "confirmed_count").GreaterThan(expression.Value(0)).And(expression.Or(
			frameAttr(fid, "waitlist_count").Equal(expression.Value(0)),
			statusIs(community.EventPublished).Not()))
	}
	if k.uncount {
		counter = counter.Add(expression.Name("checked_in_count"), expression.Value(-1))
		cond = cond.And(expression.Name("checked_in_count").GreaterThan(expression.Value(0)))
	}
	if k.counted && st == community.RegistrationConfirmed {
		counter = counter.Add(expression.Name("cancelled_count"), expression.Value(1))
	}
	if k.release {
		counter = counter.Add(expression.Name("released_count"), expression.Value(1))
	}
	if answering {
		counter = counter.Add(expression.Name("reconfirm_cancelled"), expression.Value(1))
	}
	ev, err := s.txUpdate(eventKey(cur.EventID), counter, cond)
	if err != nil {
		return nil, err
	}
	items = append(items, types.TransactWriteItem{Update: ev})
	// Whoever leaves the line (the cancelled place, or the head promoted)
	// is recorded on the waitlist counter, so the places behind move up.
	if leaving := leavesLine(cur, head); leaving != 0 {
		line, err := s.txLine(cur.EventID, fid, "left", leaving)
		if err != nil {
			return nil, err
		}
		items = append(items, line)
	}
	mail, err := s.txPutMail(owed(cur.registration(), now))
	if err != nil {
		return nil, err
	}
	items = append(items, mail)
	if head != nil {
		mail, err := s.txPutMail(community.PromotedMail(head.registration(), now))
		if err != nil {
			return nil, err
		}
		items = append(items, mail)
	}
	return items, nil
}

// answersByCancel reports whether cancelling cur at now answers its
// reconfirmation: it was asked, has not answered, holds a seat, the
// deadline is still ahead, and the cancellation is the registrant's or an
// organizer's, not a release or an event's cancellation. (A no-show
// cancelled after the day did not answer.)
func answersByCancel(cur registrationItem, k cancelKind, now time.Time) bool {
	return k.counted && !k.release && cur.ReconfirmAskedAt != nil && cur.ReconfirmAnswer == "" &&
		cur.Status == string(community.RegistrationConfirmed) && !k.deadline.IsZero() && now.Before(k.deadline)
}

// leavesLine is the ticket that a cancellation takes out of the waitlist:
// the head's when one is promoted, the cancelled place's own when it was
// waitlisted, else 0.
func leavesLine(cur registrationItem, head *registrationItem) int64 {
	switch {
	case head != nil:
		return head.WaitlistSeq
	case cur.Status == string(community.RegistrationWaitlisted):
		return cur.WaitlistSeq
	}
	return 0
}

// moveRegistration sets a registration's status and the index keys that
// follow it.
func moveRegistration(it registrationItem, to community.RegistrationStatus, now time.Time) expression.UpdateBuilder {
	return expression.Set(expression.Name("status"), expression.Value(string(to))).
		Set(expression.Name("GSI1PK"), expression.Value(eventRegsPartition(it.EventID, to))).
		Set(expression.Name("GSI1SK"), expression.Value(regSortKey(to, it.FrameID, it.WaitlistSeq, it.ID))).
		Set(expression.Name("updated_at"), expression.Value(now.UTC()))
}

// waitlistHead returns the first waitlisted registration of an event's
// frame not in skip, or nil when the index shows none.
func (s *Store) waitlistHead(ctx context.Context, eventID, frameID string, skip map[string]bool) (*registrationItem, error) {
	var sort expression.KeyConditionBuilder
	if frameID != community.DefaultFrameID {
		sort = expression.Key(gsi1.sk).BeginsWith(frameLinePrefix(frameID))
	}
	in, err := s.regsQuery(eventID, community.RegistrationWaitlisted, sort)
	if err != nil {
		return nil, err
	}
	in.Limit = aws.Int32(int32(min(len(skip)+1, maxLimit)))
	p := dynamodb.NewQueryPaginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		var items []registrationItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			if !skip[it.ID] && it.Status == string(community.RegistrationWaitlisted) && it.FrameID == frameID {
				return &it, nil
			}
		}
	}
	return nil, nil
}

// regsQuery is a Query of GSI1 for an event's registrations of one status,
// in arrival order, optionally narrowed by sort.
func (s *Store) regsQuery(eventID string, st community.RegistrationStatus, sort expression.KeyConditionBuilder) (*dynamodb.QueryInput, error) {
	kc := expression.Key(gsi1.pk).Equal(expression.Value(eventRegsPartition(eventID, st)))
	if sort.IsSet() {
		kc = kc.And(sort)
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi1.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, nil
}

// countAll runs a Select COUNT query over every page.
func (s *Store) countAll(ctx context.Context, in *dynamodb.QueryInput) (int, error) {
	in.Select = types.SelectCount
	n := 0
	p := dynamodb.NewQueryPaginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += int(out.Count)
	}
	return n, nil
}

// waitlistSeqItem is an event's waitlist counter: seq is the last ticket
// handed out; burned holds the tickets that never became a waitlisted
// registration (the holder got a seat, or was refused), left the tickets
// of registrations that left the line (promoted or cancelled). Every
// ticket up to seq is in line, burned, left, or still on its way in.
type waitlistSeqItem struct {
	Seq    int64   `dynamodbav:"seq"`
	Burned []int64 `dynamodbav:"burned,numberset,omitempty"`
	Left   []int64 `dynamodbav:"left,numberset,omitempty"`
}

// txLine adds ticket to the set (burned or left) of an event's waitlist
// counter, as one item of the caller's transaction: the write that takes
// a ticket out of the line records it, so no position counts it again.
func (s *Store) txLine(eventID, frameID, set string, ticket int64) (types.TransactWriteItem, error) {
	upd, err := s.txUpdate(waitlistSeqKey(eventID, frameID), lineUpdate(set, ticket), expression.ConditionBuilder{})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: upd}, nil
}

func lineUpdate(set string, ticket int64) expression.UpdateBuilder {
	return expression.Add(expression.Name(set), expression.Value(&types.AttributeValueMemberNS{Value: []string{strconv.FormatInt(ticket, 10)}})).
		Set(expression.Name("type"), expression.Value(typeWaitlistSeq))
}

// burnTicket records a ticket that will never be a waitlisted
// registration.
func (s *Store) burnTicket(ctx context.Context, eventID, frameID string, ticket int64) error {
	if _, _, err := s.updateItem(ctx, waitlistSeqKey(eventID, frameID), lineUpdate("burned", ticket), expression.ConditionBuilder{}); err != nil {
		return fmt.Errorf("burn waitlist ticket: %w", err)
	}
	return nil
}

// WaitlistPosition returns the 1-based place of a waitlisted registration,
// from the ticket sequence itself: its ticket less the tickets below it
// that were burned or whose registrations left the line. One consistent
// GetItem of the counter; no index is counted, so registrations still
// being written cannot make two people share a place. The answer to the
// registration, the mail and my page all use it. It is 0 for a
// registration that is not waitlisted.
func (s *Store) WaitlistPosition(ctx context.Context, r *community.Registration) (int, error) {
	if r.Status != community.RegistrationWaitlisted {
		return 0, nil
	}
	var c waitlistSeqItem
	if _, err := s.get(ctx, waitlistSeqKey(r.EventID, r.FrameID), true, &c); err != nil {
		return 0, fmt.Errorf("dynamo: waitlist position: %w", err)
	}
	return waitlistPlace(r.WaitlistSeq, c), nil
}

// waitlistPlace is the formula of WaitlistPosition.
func waitlistPlace(seq int64, c waitlistSeqItem) int {
	pos := seq
	for _, set := range [][]int64{c.Burned, c.Left} {
		for _, t := range set {
			if t < seq {
				pos--
			}
		}
	}
	return int(max(pos, 1))
}

// MemberRegistrations lists every registration of a member, cancelled ones
// included, soonest event first (ties by event, then arrival).
func (s *Store) MemberRegistrations(ctx context.Context, memberID string) ([]*community.Registration, error) {
	return s.memberRegistrations(ctx, expression.Key(gsi2.pk).Equal(expression.Value(memberRegsPartition(memberID))))
}

// MemberRegistrationsBetween lists the member's registrations for events
// starting in [from, to], soonest first: the index sorts by event start, so
// the cost is what falls in the range, not the member's whole history.
func (s *Store) MemberRegistrationsBetween(ctx context.Context, memberID string, from, to time.Time) ([]*community.Registration, error) {
	// "~" sorts after every character of "<startsUTC>#<eid>#<rid>", so the
	// upper bound includes events starting exactly at to.
	key := expression.Key(gsi2.pk).Equal(expression.Value(memberRegsPartition(memberID))).
		And(expression.Key(gsi2.sk).Between(expression.Value(keyStamp(from)), expression.Value(keyStamp(to)+"~")))
	return s.memberRegistrations(ctx, key)
}

func (s *Store) memberRegistrations(ctx context.Context, key expression.KeyConditionBuilder) ([]*community.Registration, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(key).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: member registrations: %w", err)
	}
	regs, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi2.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(true),
	}, infallible(registrationItem.registration))
	if err != nil {
		return nil, fmt.Errorf("dynamo: member registrations: %w", err)
	}
	return regs, nil
}

// EventRegistrations returns one page of an event's registrations with
// status, in arrival order (the waitlist head first), with one Query per
// page. Invalid (reason "invalid_status") for an unknown status, (reason
// "invalid_limit") for a limit outside 1–100, (reason "invalid_cursor")
// for a cursor not issued for this event and status.
func (s *Store) EventRegistrations(ctx context.Context, eventID string, status community.RegistrationStatus, limit int, cur string) ([]*community.Registration, string, error) {
	switch status {
	case community.RegistrationConfirmed, community.RegistrationWaitlisted, community.RegistrationCancelled,
		community.RegistrationApplied, community.RegistrationDeclined:
	default:
		return nil, "", community.ErrInvalidStatus
	}
	if limit < 1 || limit > maxLimit {
		return nil, "", community.ErrInvalidLimit
	}
	part := eventRegsPartition(eventID, status)
	after, err := decodeRegCursor(cur, eventID, status)
	if err != nil {
		return nil, "", err
	}
	raw, next, err := s.page(ctx, pageQuery{idx: gsi1, part: part, limit: limit, after: after, forward: true})
	if err != nil {
		return nil, "", fmt.Errorf("dynamo: event registrations: %w", err)
	}
	regs, err := convertItems(raw, infallible(registrationItem.registration))
	if err != nil {
		return nil, "", fmt.Errorf("dynamo: event registrations: %w", err)
	}
	return regs, next, nil
}

// decodeRegCursor reads a cursor that page issued for this event's
// registrations of status; "" is the zero cursor.
func decodeRegCursor(s, eventID string, status community.RegistrationStatus) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, community.ErrInvalidCursor
	}
	var c cursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return cursor{}, community.ErrInvalidCursor
	}
	rid, ok := strings.CutPrefix(c.SK, "REG#")
	if !ok || !community.ValidID(rid) || c.Index != gsi1.name || c.Part != eventRegsPartition(eventID, status) ||
		c.PK != registrationKey(eventID, rid).PK {
		return cursor{}, community.ErrInvalidCursor
	}
	want := rid
	if status == community.RegistrationWaitlisted {
		seq, ok := strings.CutSuffix(c.Sort, "#"+rid)
		if rest, framed := strings.CutPrefix(seq, "F#"); framed {
			// F#<fid>#<seq>: a frame's run of the waitlist.
			fid, fseq, found := strings.Cut(rest, "#")
			ok = ok && found && community.ValidFrameID(fid)
			seq = fseq
		}
		if !ok || len(seq) != 20 || strings.Trim(seq, "0123456789") != "" {
			return cursor{}, community.ErrInvalidCursor
		}
		want = c.Sort
	}
	if c.Sort != want {
		return cursor{}, community.ErrInvalidCursor
	}
	return c, nil
}

// CountConfirmed counts an event's confirmed registrations from the table
// itself (a consistent Query of the event's partition, not the eventually
// consistent index), so that it can be held against confirmed_count. It
// reads every registration of the event: for checks and reports, not for
// request paths.
func (s *Store) CountConfirmed(ctx context.Context, eventID string) (int, error) {
	k := eventKey(eventID)
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("PK").Equal(expression.Value(k.PK)).And(expression.Key("SK").BeginsWith("REG#"))).
		WithFilter(expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed)))).
		Build()
	if err != nil {
		return 0, fmt.Errorf("dynamo: count confirmed: %w", err)
	}
	n, err := s.countAll(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	if err != nil {
		return 0, fmt.Errorf("dynamo: count confirmed: %w", err)
	}
	return n, nil
}

var _ community.OptOutStore = (*Store)(nil)

// OptOutRegistration adds list to a registration's opt_outs (a string set)
// with one UpdateItem IF the registration exists; the reminder sweep and
// the organizer-message fan-out read it with the registration, and the
// mailer again before it sends.
func (s *Store) OptOutRegistration(ctx context.Context, eventID, regID, list string) error {
	_, ok, err := s.updateItem(ctx, registrationKey(eventID, regID),
		expression.Add(expression.Name("opt_outs"), expression.Value(&types.AttributeValueMemberSS{Value: []string{list}})),
		expression.Name("type").Equal(expression.Value(typeRegistration)))
	if err != nil {
		return fmt.Errorf("dynamo: opt out registration: %w", err)
	}
	if !ok {
		return community.ErrRegistrationNotFound
	}
	return nil
}
