package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.ApplicationStore = (*Store)(nil)

// lotteriesPartition indexes the lotteries not yet finished on GSI3 by
// their draw time (see doc.go), so the sweep finds the due ones with one
// Query whose cost is what is due, not the table.
const lotteriesPartition = "LOTTERIES"

// Apply stores r as an application: [0] the attendee item IF not exists
// (one live registration or application per person and event), [1] the
// registration with status applied IF not exists, [2] its receipt in the
// outbox. The event item is not in the transaction: applying takes no
// seat, so a rush of applicants never contends on it. Conflict (reason
// "already_registered") when the person holds one, (reason
// "registration_exists") when r.ID is taken.
func (s *Store) Apply(ctx context.Context, e *community.Event, r *community.Registration) error {
	if e == nil || !community.ValidID(r.ID) || r.EventID == "" || r.EventID != e.ID ||
		(r.MemberID == "") == (r.Guest == nil) || (r.Guest != nil && normEmail(r.Guest.Email) == "") {
		return errors.New("dynamo: apply: application needs an id, its event, and one member or guest email")
	}
	x := *r
	x.Status, x.WaitlistSeq = community.RegistrationApplied, 0
	reg := newRegistrationItem(&x)
	reg.attendeePerFrame(e.MultipleFrames)
	att := reg.attendee()
	notExists := expression.AttributeNotExists(expression.Name("PK"))
	guard, err := s.txPut(attendeeItem{PK: att.PK, SK: att.SK, Type: typeAttendee, RegID: r.ID}, notExists)
	if err != nil {
		return fmt.Errorf("dynamo: apply: %w", err)
	}
	put, err := s.txPut(reg, notExists)
	if err != nil {
		return fmt.Errorf("dynamo: apply: %w", err)
	}
	mail, err := s.txPutMail(community.ApplicationMail(&x, r.CreatedAt))
	if err != nil {
		return fmt.Errorf("dynamo: apply: %w", err)
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Put: guard}, {Put: put}, mail})
	codes := cancelCodes(err)
	switch {
	case err == nil:
		r.Status = community.RegistrationApplied
		return nil
	case failedAt(codes, 0):
		return community.ErrAlreadyRegistered
	case failedAt(codes, 1):
		return community.ErrRegistrationExists
	case codes != nil:
		return community.ErrBusy
	}
	return fmt.Errorf("dynamo: apply: %w", err)
}

// SetDecision stores an organizer's decision on an application with one
// UpdateItem IF its status is applied.
func (s *Store) SetDecision(ctx context.Context, eventID, regID string, d community.Decision, now time.Time) (*community.Registration, error) {
	upd := expression.Set(expression.Name("decision"), expression.Value(string(d))).
		Set(expression.Name("updated_at"), expression.Value(now.UTC()))
	cond := expression.Name("type").Equal(expression.Value(typeRegistration)).
		And(expression.Name("status").Equal(expression.Value(string(community.RegistrationApplied))))
	item, ok, err := s.updateItem(ctx, registrationKey(eventID, regID), upd, cond)
	if err != nil {
		return nil, fmt.Errorf("dynamo: set decision: %w", err)
	}
	if !ok {
		if len(item) == 0 {
			return nil, community.ErrRegistrationNotFound
		}
		return nil, community.ErrNotApplication
	}
	var it registrationItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("dynamo: set decision: %w", err)
	}
	return it.registration(), nil
}

// resolveAttempts bounds ResolveApplication's retries of a transaction
// that met another on the event item.
const resolveAttempts = 10

// ResolveApplication turns application r into status `to` in one
// transaction: [0] the registration IF still applied; [1] for a seat, the
// frame's confirmed_count plus one IF capacity = 0 OR confirmed_count <
// capacity (the event's own attributes for the default frame, fstate.<fid>
// for the others), for a reserve its waitlist_count plus one (with a fresh
// waitlist ticket, so reserves line up in the order they are resolved),
// and for a decline nothing — the declined keep their attendee item, so
// nobody applies twice; then the result mail (community.ResultMail). It
// returns false when the registration was no longer applied.
func (s *Store) ResolveApplication(ctx context.Context, e *community.Event, r *community.Registration, to community.RegistrationStatus, now time.Time) (resolved bool, err error) {
	// A reserve's waitlist ticket is taken once and kept across retries, so
	// places stay exact (registrations.go); one never used is burned.
	var seq int64
	used := false
	defer func() {
		if seq != 0 && !used {
			if berr := s.burnTicket(context.WithoutCancel(ctx), r.EventID, r.FrameID, seq); berr != nil {
				err = errors.Join(err, berr)
			}
		}
	}()
	for attempt := 1; ; attempt++ {
		cur, err := s.registrationItem(ctx, r.EventID, r.ID)
		if err != nil {
			return false, err
		}
		if cur.Status != string(community.RegistrationApplied) {
			return false, nil
		}
		if to == community.RegistrationWaitlisted && seq == 0 {
			if seq, err = s.nextWaitlistSeq(ctx, r.EventID, r.FrameID); err != nil {
				return false, fmt.Errorf("dynamo: resolve application: %w", err)
			}
		}
		items, err := s.resolveItems(cur, to, seq, now)
		if err != nil {
			return false, fmt.Errorf("dynamo: resolve application: %w", err)
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			used = true
			return true, nil
		}
		codes := cancelCodes(err)
		switch {
		case codes == nil:
			return false, fmt.Errorf("dynamo: resolve application: %w", err)
		case failedAt(codes, 0):
			return false, nil // resolved by someone else, who owed the mail
		case failedAt(codes, 1):
			return false, community.ErrEventFull
		}
		if attempt == resolveAttempts {
			return false, community.ErrBusy
		}
		if err := pause(ctx, attempt); err != nil {
			return false, fmt.Errorf("dynamo: resolve application: %w", err)
		}
	}
}

func (s *Store) resolveItems(cur registrationItem, to community.RegistrationStatus, seq int64, now time.Time) ([]types.TransactWriteItem, error) {
	cur.WaitlistSeq = seq
	upd := moveRegistration(cur, to, now)
	if seq > 0 {
		upd = upd.Set(expression.Name("waitlist_seq"), expression.Value(seq))
	}
	reg, err := s.txUpdate(registrationKey(cur.EventID, cur.ID), upd,
		expression.Name("status").Equal(expression.Value(string(community.RegistrationApplied))))
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Update: reg}}
	switch to {
	case community.RegistrationConfirmed:
		fid := cur.FrameID
		ev, err := s.txUpdate(eventKey(cur.EventID), expression.Add(frameAttr(fid, "confirmed_count"), expression.Value(1)),
			expression.AttributeExists(expression.Name("PK")).And(expression.Or(
				frameAttr(fid, "capacity").Equal(expression.Value(0)),
				frameAttr(fid, "confirmed_count").LessThan(frameAttr(fid, "capacity")))))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: ev})
	case community.RegistrationWaitlisted:
		ev, err := s.txUpdate(eventKey(cur.EventID), expression.Add(frameAttr(cur.FrameID, "waitlist_count"), expression.Value(1)),
			expression.AttributeExists(expression.Name("PK")).And(expression.AttributeExists(frameAttr(cur.FrameID, "waitlist_count"))))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Update: ev})
	}
	x := cur.registration()
	x.Status, x.WaitlistSeq = to, seq
	mail, err := s.txPutMail(community.ResultMail(x, to, now))
	if err != nil {
		return nil, err
	}
	return append(items, mail), nil
}

// lotteryItem is a lottery event's secret and its outcome: the seed (never
// copied anywhere before the draw), the due index while undrawn or not
// fully applied, and the result once drawn.
type lotteryItem struct {
	PK      string     `dynamodbav:"PK"`
	SK      string     `dynamodbav:"SK"`
	GSI3PK  string     `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK  string     `dynamodbav:"GSI3SK,omitempty"`
	Type    string     `dynamodbav:"type"`
	EventID string     `dynamodbav:"event_id"`
	Seed    string     `dynamodbav:"seed"`
	DrawAt  time.Time  `dynamodbav:"draw_at"`
	Result  string     `dynamodbav:"result,omitempty"`
	DrawnAt *time.Time `dynamodbav:"drawn_at,omitempty"`
}

// EnsureLottery sets the seed IF it has none (if_not_exists), the draw
// time and the due index keys, with one UpdateItem IF no result is stored,
// and returns the commitment of the seed as stored.
func (s *Store) EnsureLottery(ctx context.Context, eventID string, drawAt time.Time) (string, error) {
	seed, err := community.NewLotterySeed()
	if err != nil {
		return "", fmt.Errorf("dynamo: ensure lottery: %w", err)
	}
	k := lotteryKey(eventID)
	upd := expression.Set(expression.Name("seed"), expression.IfNotExists(expression.Name("seed"), expression.Value(seed))).
		Set(expression.Name("type"), expression.Value(typeLottery)).
		Set(expression.Name("event_id"), expression.Value(eventID)).
		Set(expression.Name("draw_at"), expression.Value(drawAt.UTC())).
		Set(expression.Name("GSI3PK"), expression.Value(lotteriesPartition)).
		Set(expression.Name("GSI3SK"), expression.Value(keyStamp(drawAt)+"#"+eventID))
	item, ok, err := s.updateItem(ctx, k, upd, expression.AttributeNotExists(expression.Name("result")))
	if err != nil {
		return "", fmt.Errorf("dynamo: ensure lottery: %w", err)
	}
	if !ok {
		return "", community.ErrLotteryDrawn.Messagef("抽選後は抽選の設定を変更できません。")
	}
	var it lotteryItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return "", fmt.Errorf("dynamo: ensure lottery: %w", err)
	}
	return community.LotteryCommitment(it.Seed), nil
}

// DueLotteries queries GSI3 LOTTERIES for draw times before now+1s,
// every page.
func (s *Store) DueLotteries(ctx context.Context, now time.Time) ([]string, error) {
	ids, err := dueBefore(ctx, s, lotteriesPartition, now, infallible(func(it lotteryItem) string { return it.EventID }))
	if err != nil {
		return nil, fmt.Errorf("dynamo: due lotteries: %w", err)
	}
	return ids, nil
}

func (s *Store) lottery(ctx context.Context, eventID string) (lotteryItem, error) {
	var it lotteryItem
	ok, err := s.get(ctx, lotteryKey(eventID), true, &it)
	if err != nil {
		return lotteryItem{}, fmt.Errorf("dynamo: get lottery: %w", err)
	}
	if !ok {
		return lotteryItem{}, community.ErrLotteryNotDrawn
	}
	return it, nil
}

// LotterySeed returns the secret seed, read consistently.
func (s *Store) LotterySeed(ctx context.Context, eventID string) (string, error) {
	it, err := s.lottery(ctx, eventID)
	if err != nil {
		return "", err
	}
	return it.Seed, nil
}

// SaveLotteryResult stores result with one UpdateItem IF no result is
// stored; when one is, it returns that one: concurrent sweeps draw once.
func (s *Store) SaveLotteryResult(ctx context.Context, eventID string, result []byte, now time.Time) ([]byte, error) {
	upd := expression.Set(expression.Name("result"), expression.Value(string(result))).
		Set(expression.Name("drawn_at"), expression.Value(now.UTC()))
	cond := expression.AttributeExists(expression.Name("PK")).And(expression.AttributeNotExists(expression.Name("result")))
	item, ok, err := s.updateItem(ctx, lotteryKey(eventID), upd, cond)
	if err != nil {
		return nil, fmt.Errorf("dynamo: save lottery result: %w", err)
	}
	var it lotteryItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("dynamo: save lottery result: %w", err)
	}
	if !ok && it.Result == "" {
		return nil, community.ErrLotteryNotDrawn.Messagef("抽選の種がありません。")
	}
	return []byte(it.Result), nil
}

// MarkDrawn sets the event's lottery.drawn_at IF it has none, and moves
// updated_at, so an organizer's edit read before the draw cannot write
// the lottery back undrawn.
func (s *Store) MarkDrawn(ctx context.Context, eventID string, at time.Time) error {
	upd := expression.Set(expression.Name("lottery.drawn_at"), expression.Value(at.UTC())).
		Set(expression.Name("updated_at"), expression.Value(at.UTC()))
	cond := expression.AttributeExists(expression.Name("lottery")).
		And(expression.AttributeNotExists(expression.Name("lottery.drawn_at")))
	if _, _, _, err := s.updateEventItem(ctx, eventID, upd, cond); err != nil {
		return fmt.Errorf("dynamo: mark drawn: %w", err)
	}
	return nil
}

// FinishLottery removes the lottery item's GSI3 keys; the item stays with
// its result, for publishing.
func (s *Store) FinishLottery(ctx context.Context, eventID string) error {
	upd := expression.Remove(expression.Name("GSI3PK")).Remove(expression.Name("GSI3SK"))
	if _, _, err := s.updateItem(ctx, lotteryKey(eventID), upd, expression.AttributeExists(expression.Name("PK"))); err != nil {
		return fmt.Errorf("dynamo: finish lottery: %w", err)
	}
	return nil
}

// LotteryResult returns the stored result JSON. NotFound (reason
// "lottery_not_drawn") before the draw.
func (s *Store) LotteryResult(ctx context.Context, eventID string) ([]byte, error) {
	it, err := s.lottery(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if it.Result == "" {
		return nil, community.ErrLotteryNotDrawn
	}
	return []byte(it.Result), nil
}
