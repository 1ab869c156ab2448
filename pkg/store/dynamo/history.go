package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.HistoryStore = (*Store)(nil)

// HeldEvents returns a page of published events that started before q.To,
// the latest first (開催履歴): one Query on GSI1 EVENTS (GSI2 EVENTS#<kind>
// for one kind) read backwards, Limit n+1, whatever the number of past
// events. A cursor continues below the page it came from; one at or past
// q.To was not issued for this window (history cursors only move back in
// time, while q.To, the present, moves forward) and is refused, since a
// start key outside the key condition would fail the Query. Invalid
// (reason "invalid_limit", "invalid_cursor").
func (s *Store) HeldEvents(ctx context.Context, q community.EventQuery) (community.EventPage, error) {
	if q.Limit < 1 || q.Limit > maxLimit {
		return community.EventPage{}, community.ErrInvalidLimit
	}
	idx, part := gsi1, eventsPartition
	if q.Kind != "" {
		idx, part = gsi2, eventsKindPartition(q.Kind)
	}
	after, err := decodeCursor(q.Cursor, idx, part, "EVENT#", "EVENT")
	if err != nil {
		return community.EventPage{}, err
	}
	hi := keyStamp(ceilSecond(q.To))
	if after.PK != "" && after.Sort >= hi {
		return community.EventPage{}, community.ErrInvalidCursor
	}
	sort := expression.Key(idx.sk).LessThan(expression.Value(hi))
	raw, next, err := s.page(ctx, pageQuery{idx: idx, part: part, sort: sort, limit: q.Limit, after: after})
	if err != nil {
		return community.EventPage{}, fmt.Errorf("dynamo: held events: %w", err)
	}
	items, err := unmarshalEventItems(raw)
	if err != nil {
		return community.EventPage{}, fmt.Errorf("dynamo: held events: %w", err)
	}
	page := community.EventPage{Events: make([]*community.Event, 0, len(items)), NextCursor: next}
	for _, it := range items {
		page.Events = append(page.Events, it.event())
	}
	return page, nil
}
