package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.CalendarStore = (*Store)(nil)

const typeCalendarToken = "calendar_token"

// calendarTokenKey is the lookup item of a calendar feed, by the keyed
// digest of its URL's token (community.CalendarFeed).
func calendarTokenKey(digest string) key {
	return key{PK: "CALTOKEN#" + digest, SK: "CALTOKEN"}
}

// calendarFeedItem is a member's feed, on the member item.
type calendarFeedItem struct {
	Nonce       string    `dynamodbav:"nonce"`
	TokenDigest string    `dynamodbav:"token_digest"`
	IssuedAt    time.Time `dynamodbav:"issued_at"`
}

func newCalendarFeedItem(f *community.CalendarFeed) *calendarFeedItem {
	if f == nil {
		return nil
	}
	return &calendarFeedItem{Nonce: f.Nonce, TokenDigest: f.TokenDigest, IssuedAt: f.IssuedAt.UTC()}
}

func (it *calendarFeedItem) feed() *community.CalendarFeed {
	if it == nil {
		return nil
	}
	return &community.CalendarFeed{Nonce: it.Nonce, TokenDigest: it.TokenDigest, IssuedAt: it.IssuedAt}
}

// calendarTokenItem names the member a feed token digest belongs to.
type calendarTokenItem struct {
	PK       string    `dynamodbav:"PK"`
	SK       string    `dynamodbav:"SK"`
	Type     string    `dynamodbav:"type"`
	MemberID string    `dynamodbav:"member_id"`
	IssuedAt time.Time `dynamodbav:"issued_at"`
}

// CalendarMember returns the id of the member whose current feed has this
// token digest: one GetItem. NotFound (reason "calendar_not_found") when
// none — a stopped or renewed feed's item is gone with the write that
// stopped or renewed it.
func (s *Store) CalendarMember(ctx context.Context, tokenDigest string) (string, error) {
	var it calendarTokenItem
	ok, err := s.get(ctx, calendarTokenKey(tokenDigest), false, &it)
	if err != nil {
		return "", fmt.Errorf("dynamo: calendar member: %w", err)
	}
	if !ok || it.MemberID == "" {
		return "", community.ErrCalendarNotFound
	}
	return it.MemberID, nil
}

// SetCalendar replaces m's feed with next in one transaction: UpdateItem
// of the member (SET or REMOVE calendar, ADD ver :1 IF ver = :read, so it
// and every other member write exclude each other as they always do),
// DeleteItem of the old lookup item, PutItem of the new one. Conflict
// (reason "member_changed") when the member was written since m was read.
func (s *Store) SetCalendar(ctx context.Context, m *community.Member, next *community.CalendarFeed) error {
	if m.ID == "" || m.Version == 0 {
		return fmt.Errorf("dynamo: set calendar: member %q not read from the store", m.ID)
	}
	upd := expression.Add(expression.Name("ver"), expression.Value(1))
	if next != nil {
		upd = upd.Set(expression.Name("calendar"), expression.Value(newCalendarFeedItem(next)))
	} else {
		upd = upd.Remove(expression.Name("calendar"))
	}
	member, err := s.txUpdate(memberKey(m.ID), upd, expression.Name("ver").Equal(expression.Value(m.Version)))
	if err != nil {
		return fmt.Errorf("dynamo: set calendar: %w", err)
	}
	items := []types.TransactWriteItem{{Update: member}}
	if old := m.Calendar; old != nil && old.TokenDigest != "" {
		del, err := s.deleteCalendarToken(m.ID, old.TokenDigest)
		if err != nil {
			return fmt.Errorf("dynamo: set calendar: %w", err)
		}
		items = append(items, types.TransactWriteItem{Delete: del})
	}
	if next != nil {
		k := calendarTokenKey(next.TokenDigest)
		put, err := s.txPut(calendarTokenItem{PK: k.PK, SK: k.SK, Type: typeCalendarToken, MemberID: m.ID, IssuedAt: next.IssuedAt.UTC()},
			expression.AttributeNotExists(expression.Name("PK")))
		if err != nil {
			return fmt.Errorf("dynamo: set calendar: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: put})
	}
	if err := s.transact(ctx, items); err != nil {
		if failedAt(cancelCodes(err), 0) {
			return community.ErrMemberChanged
		}
		return fmt.Errorf("dynamo: set calendar: %w", err)
	}
	m.Calendar = next
	m.Version++
	return nil
}

// deleteCalendarToken deletes a feed's lookup item if it is memberID's (or
// already gone: a missing item must not block stopping the feed).
func (s *Store) deleteCalendarToken(memberID, digest string) (*types.Delete, error) {
	return s.txDelete(calendarTokenKey(digest),
		expression.AttributeNotExists(expression.Name("PK")).Or(expression.Name("member_id").Equal(expression.Value(memberID))))
}

// EventsByID reads events with BatchGetItem, 100 keys a call, retrying
// what DynamoDB leaves unprocessed (eventually consistent, as event reads
// for pages are). Unknown ids are absent from the map.
func (s *Store) EventsByID(ctx context.Context, ids []string) (map[string]*community.Event, error) {
	out, err := batchGet(ctx, s, ids, eventKey, infallible(eventItem.event), func(e *community.Event) string { return e.ID })
	if err != nil {
		return nil, fmt.Errorf("dynamo: events by id: %w", err)
	}
	return out, nil
}
