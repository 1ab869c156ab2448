package dynamo

// Retention (community.Retention, issue 14): an anonymization schedule
// item per event, EVENT#<eid> / PRIVACY, sits in the GSI3 partition
// ANONYMIZE sorted by its due time (the event's end + GuestRetention)
// until the event's guests are anonymized; members whose consent still
// holds its source IP sit in GSI3 CONSENT_IPS by the time it is dropped
// (items.go). Both due lists are one Query of what is due.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.RetentionStore = (*Store)(nil)

const (
	typeAnonymization      = "anonymization_schedule"
	anonymizationPartition = "ANONYMIZE"
)

func anonymizationKey(eventID string) key { return key{PK: eventKey(eventID).PK, SK: "PRIVACY"} }

// anonymizationItem is an event's anonymization schedule.
type anonymizationItem struct {
	PK      string    `dynamodbav:"PK"`
	SK      string    `dynamodbav:"SK"`
	GSI3PK  string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK  string    `dynamodbav:"GSI3SK,omitempty"`
	Type    string    `dynamodbav:"type"`
	EventID string    `dynamodbav:"event_id"`
	DueAt   time.Time `dynamodbav:"due_at"`
}

func (it anonymizationItem) due() community.DueAnonymization {
	return community.DueAnonymization{EventID: it.EventID, DueAt: it.DueAt}
}

// syncAnonymization puts e's anonymization schedule IF new or IF due at
// another time, so a finished one stays finished while the event's end
// holds. A draft has none yet: nobody can register for it. Cancelled
// events keep theirs: their guests registered all the same.
func (s *Store) syncAnonymization(ctx context.Context, e *community.Event) error {
	if e.Status == community.EventDraft {
		return nil
	}
	k := anonymizationKey(e.ID)
	due := community.GuestsAnonymizedAt(e.EndsAt).UTC()
	it := anonymizationItem{PK: k.PK, SK: k.SK, GSI3PK: anonymizationPartition, GSI3SK: keyStamp(due) + "#" + e.ID,
		Type: typeAnonymization, EventID: e.ID, DueAt: due}
	if err := s.putSchedule(ctx, it, due); err != nil {
		return fmt.Errorf("dynamo: sync anonymization: %w", err)
	}
	return nil
}

// DueAnonymizations is a Query of GSI3 ANONYMIZE for GSI3SK < <now+1s>:
// finished schedules have left the index.
func (s *Store) DueAnonymizations(ctx context.Context, now time.Time) ([]community.DueAnonymization, error) {
	due, err := dueBefore(ctx, s, anonymizationPartition, now, infallible(anonymizationItem.due))
	if err != nil {
		return nil, fmt.Errorf("dynamo: due anonymizations: %w", err)
	}
	return due, nil
}

// FinishAnonymization removes the schedule's GSI3 keys IF due_at is still
// the one read: an event moved since is due again at its new time.
func (s *Store) FinishAnonymization(ctx context.Context, d community.DueAnonymization) error {
	if err := s.finishSchedule(ctx, anonymizationKey(d.EventID), d.DueAt); err != nil {
		return fmt.Errorf("dynamo: finish anonymization: %w", err)
	}
	return nil
}

// AnonymizeGuests anonymizes every guest registration of an event, whatever
// its status: one transaction per registration, [Update registration SET
// guest_name = community.AnonymizedGuestName, anonymized_at REMOVE
// guest_email, answers, survey_answers, department, birth_date, attendee_sk
// IF attribute_not_exists(anonymized_at); Delete its attendee item (keyed
// by the address's digest) IF absent or still its own]. The condition on
// anonymized_at makes each registration's anonymization happen once
// however many sweeps overlap; a loser counts nothing. Then the
// nominations of the event lose their nominees' names and addresses.
// Members' registrations are left to membership: withdrawal erases them.
func (s *Store) AnonymizeGuests(ctx context.Context, eventID string, now time.Time) (int, error) {
	regs, err := s.eventRegistrationItems(ctx, eventID)
	if err != nil {
		return 0, fmt.Errorf("dynamo: anonymize guests: %w", err)
	}
	n := 0
	for _, it := range regs {
		if it.MemberID != "" || it.AnonymizedAt != nil {
			continue
		}
		upd := expression.Set(expression.Name("guest_name"), expression.Value(community.AnonymizedGuestName)).
			Set(expression.Name("anonymized_at"), expression.Value(now.UTC())).
			Remove(expression.Name("guest_email")).Remove(expression.Name("answers")).
			Remove(expression.Name("survey_answers")).Remove(expression.Name("department")).
			Remove(expression.Name("birth_date")).Remove(expression.Name("attendee_sk"))
		reg, err := s.txUpdate(registrationKey(eventID, it.ID), upd, expression.AttributeNotExists(expression.Name("anonymized_at")))
		if err != nil {
			return n, fmt.Errorf("dynamo: anonymize guests: %w", err)
		}
		att, err := s.txDelete(it.attendee(), expression.AttributeNotExists(expression.Name("PK")).
			Or(expression.Name("reg_id").Equal(expression.Value(it.ID))))
		if err != nil {
			return n, fmt.Errorf("dynamo: anonymize guests: %w", err)
		}
		err = s.transact(ctx, []types.TransactWriteItem{{Update: reg}, {Delete: att}})
		switch codes := cancelCodes(err); {
		case err == nil:
			n++
		case failedAt(codes, 0):
			// Another sweep anonymized it first.
		case failedAt(codes, 1):
			// The address holds a later place of its own in this event
			// (cancelled, then registered again): that registration's
			// turn deletes the item, and this one no longer needs it.
			reg, err := s.txUpdate(registrationKey(eventID, it.ID), upd, expression.AttributeNotExists(expression.Name("anonymized_at")))
			if err != nil {
				return n, fmt.Errorf("dynamo: anonymize guests: %w", err)
			}
			if err := s.transact(ctx, []types.TransactWriteItem{{Update: reg}}); err == nil {
				n++
			} else if !failedAt(cancelCodes(err), 0) {
				return n, fmt.Errorf("dynamo: anonymize guests: %w", err)
			}
		default:
			return n, fmt.Errorf("dynamo: anonymize guests: %w", err)
		}
	}
	if err := s.anonymizeNominations(ctx, eventID, now); err != nil {
		return n, err
	}
	return n, nil
}

// eventRegistrationItems reads every registration of an event, consistently.
func (s *Store) eventRegistrationItems(ctx context.Context, eventID string) ([]registrationItem, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").BeginsWith("REG#"))).Build()
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true),
	}, same[registrationItem])
}

// anonymizeNominations rewrites the nominations of an event (found from
// its NOMCOUNT# items) with their nominees' names, addresses, departments,
// birth dates and reasons gone, IF not anonymized already.
func (s *Store) anonymizeNominations(ctx context.Context, eventID string, now time.Time) error {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").BeginsWith("NOMCOUNT#"))).Build()
	if err != nil {
		return fmt.Errorf("dynamo: anonymize nominations: %w", err)
	}
	counters, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ConsistentRead: aws.Bool(true),
	}, same[nominationCountItem])
	if err != nil {
		return fmt.Errorf("dynamo: anonymize nominations: %w", err)
	}
	for _, c := range counters {
		for _, id := range c.NominationIDs {
			var it nominationItem
			ok, err := s.get(ctx, nominationKey(id), true, &it)
			if err != nil {
				return fmt.Errorf("dynamo: anonymize nominations: %w", err)
			}
			if !ok {
				continue
			}
			nominees := make([]nomineeItem, len(it.Nominees))
			for i, nm := range it.Nominees {
				nominees[i] = nomineeItem{RegID: nm.RegID, Name: community.AnonymizedGuestName}
			}
			upd := expression.Set(expression.Name("nominees"), expression.Value(nominees)).
				Set(expression.Name("anonymized_at"), expression.Value(now.UTC()))
			if _, _, err := s.updateItem(ctx, nominationKey(id), upd, expression.AttributeNotExists(expression.Name("anonymized_at"))); err != nil {
				return fmt.Errorf("dynamo: anonymize nominations: %w", err)
			}
		}
	}
	return nil
}

// consentIPItem is what the consent IP sweep reads of a member.
type consentIPItem struct {
	ID     string `dynamodbav:"id"`
	GSI3SK string `dynamodbav:"GSI3SK"`
}

// DueConsentIPs is a Query of GSI3 CONSENT_IPS for GSI3SK < <now+1s>:
// members whose IP was dropped have left the index.
func (s *Store) DueConsentIPs(ctx context.Context, now time.Time) ([]community.DueConsentIP, error) {
	due, err := dueBefore(ctx, s, consentIPsPartition, now, func(it consentIPItem) (community.DueConsentIP, error) {
		stamp, _, _ := strings.Cut(it.GSI3SK, "#")
		at, err := time.Parse(keyTime, stamp)
		return community.DueConsentIP{MemberID: it.ID, DueAt: at}, err
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: due consent IPs: %w", err)
	}
	return due, nil
}

// DropConsentIP REMOVEs consent.ip and the GSI3 keys and ADDs ver :1, IF
// GSI3SK is still the one read (a newer consent is due later). The
// version moves, so a write that read the member before cannot put the
// address back.
func (s *Store) DropConsentIP(ctx context.Context, d community.DueConsentIP) (bool, error) {
	upd := expression.Remove(expression.Name("consent.ip")).
		Remove(expression.Name(reminderIndex.pk)).Remove(expression.Name(reminderIndex.sk)).
		Add(expression.Name("ver"), expression.Value(1))
	cond := expression.Name(reminderIndex.sk).Equal(expression.Value(keyStamp(d.DueAt) + "#" + d.MemberID))
	_, ok, err := s.updateItem(ctx, memberKey(d.MemberID), upd, cond)
	if err != nil {
		return false, fmt.Errorf("dynamo: drop consent IP: %w", err)
	}
	return ok, nil
}

// BackfillResult is what BackfillRetention put in place.
type BackfillResult struct {
	UnverifiedExpiring int // unverified members (and their claims) given expires_at
	ConsentIPsIndexed  int // members whose consent IP was put in GSI3 CONSENT_IPS
	EventsScheduled    int // published and cancelled events whose anonymization was scheduled
}

// BackfillRetention gives the items written before retention (issue 14)
// what newer writes carry: an unverified member and its claim their
// expires_at, a member with a consent IP its GSI3 CONSENT_IPS keys, and a
// published or cancelled event its anonymization schedule. It reads only
// with Queries of the partitions that list them all (GSI1 MEMBERS#<status>,
// EVENTS, CANCELLED), and each write is conditional on what it read or
// idempotent, so running it twice, or beside live traffic, is harmless.
// Run once after deploying (infra/retention-backfill).
func (s *Store) BackfillRetention(ctx context.Context) (BackfillResult, error) {
	var res BackfillResult
	for _, st := range []community.MemberStatus{community.MemberUnverified, community.MemberPendingApproval,
		community.MemberActive, community.MemberSuspended, community.MemberWithdrawn} {
		members, err := s.partition(ctx, gsi1, membersPartition+string(st))
		if err != nil {
			return res, fmt.Errorf("dynamo: backfill retention: %w", err)
		}
		items, err := convertItems(members, same[memberItem])
		if err != nil {
			return res, fmt.Errorf("dynamo: backfill retention: %w", err)
		}
		for _, it := range items {
			m, err := it.member()
			if err != nil {
				return res, fmt.Errorf("dynamo: backfill retention: %w", err)
			}
			want := newMemberItem(m, it.Version)
			unchanged := expression.Name("ver").Equal(expression.Value(it.Version))
			if want.ExpiresAt != 0 && it.ExpiresAt == 0 {
				upd := expression.Set(expression.Name("expires_at"), expression.Value(want.ExpiresAt))
				if _, ok, err := s.updateItem(ctx, memberKey(m.ID), upd, unchanged); err != nil {
					return res, fmt.Errorf("dynamo: backfill retention: %w", err)
				} else if ok {
					if _, _, err := s.updateItem(ctx, emailKey(m.Email), upd,
						expression.Name("member_id").Equal(expression.Value(m.ID))); err != nil {
						return res, fmt.Errorf("dynamo: backfill retention: %w", err)
					}
					res.UnverifiedExpiring++
				}
			}
			if want.GSI3PK != "" && it.GSI3PK == "" {
				upd := expression.Set(expression.Name(reminderIndex.pk), expression.Value(want.GSI3PK)).
					Set(expression.Name(reminderIndex.sk), expression.Value(want.GSI3SK))
				if _, ok, err := s.updateItem(ctx, memberKey(m.ID), upd, unchanged); err != nil {
					return res, fmt.Errorf("dynamo: backfill retention: %w", err)
				} else if ok {
					res.ConsentIPsIndexed++
				}
			}
		}
	}
	for _, part := range []string{eventsPartition, cancelledPartition} {
		raw, err := s.partition(ctx, gsi1, part)
		if err != nil {
			return res, fmt.Errorf("dynamo: backfill retention: %w", err)
		}
		events, err := convertItems(raw, infallible(eventItem.event))
		if err != nil {
			return res, fmt.Errorf("dynamo: backfill retention: %w", err)
		}
		for _, e := range events {
			if err := s.syncAnonymization(ctx, e); err != nil {
				return res, err
			}
			res.EventsScheduled++
		}
	}
	return res, nil
}

// partition reads every item of one index partition, every page.
func (s *Store) partition(ctx context.Context, idx index, part string) ([]map[string]types.AttributeValue, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key(idx.pk).Equal(expression.Value(part))).Build()
	if err != nil {
		return nil, err
	}
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(idx.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
	}
	return out, nil
}
