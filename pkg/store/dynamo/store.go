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
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// Store is community.Store on one DynamoDB table.
type Store struct {
	client *dynamodb.Client
	table  string
	digest func(string) string // keys the suppression list (WithDigest); nil refuses it
}

var _ community.Store = (*Store)(nil)
var _ community.MembershipStore = (*Store)(nil)

// New returns a Store on table, using a ready client.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// maxLimit bounds a page: 100 is the API's limit, and 101 event items stay
// far below the 1 MB a Query returns at most.
const maxLimit = 100

// CreateEvent stores a new event. Conflict (reason "event_exists") when the id exists.
func (s *Store) CreateEvent(ctx context.Context, e *community.Event) error {
	if e.ID == "" {
		return errors.New("dynamo: create event: empty id")
	}
	if listed(e.Status) && len(community.ReminderOffsetsOf(e)) > 0 {
		if err := s.createListedEvent(ctx, e); err != nil { // with its reminders, in one transaction (reminders.go)
			return err
		}
		return s.syncAnonymization(ctx, e)
	}
	put, err := s.putNew(newEventItem(e))
	if err != nil {
		return fmt.Errorf("dynamo: create event: %w", err)
	}
	if _, err := s.client.PutItem(ctx, put); err != nil {
		if conditionFailed(err) {
			return community.ErrEventExists
		}
		return fmt.Errorf("dynamo: create event: %w", err)
	}
	// Its guests' anonymization is scheduled with it (retention.go); a
	// failure is retried by the event's next write, as its reminders are.
	return s.syncAnonymization(ctx, e)
}

// Event returns one event. NotFound (reason "event_not_found") when unknown.
func (s *Store) Event(ctx context.Context, id string) (*community.Event, error) {
	var it eventItem
	ok, err := s.get(ctx, eventKey(id), false, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get event: %w", err)
	}
	if !ok {
		return nil, community.ErrEventNotFound
	}
	return it.event(), nil
}

// UpcomingEvents returns published events starting in [From, To) in start
// order, with exactly one Query per page. Bounds are compared to the whole
// second (ceilinged), exact for events that start on a whole second.
// Invalid (reason "invalid_cursor") for a cursor not issued for this kind;
// (reason "invalid_limit") for a limit outside 1–100.
func (s *Store) UpcomingEvents(ctx context.Context, q community.EventQuery) (community.EventPage, error) {
	idx, part := gsi1, eventsPartition
	if q.Kind != "" {
		idx, part = gsi2, eventsKindPartition(q.Kind)
	}
	page, err := s.eventWindow(ctx, q, idx, part)
	if err != nil {
		return community.EventPage{}, fmt.Errorf("dynamo: upcoming events: %w", err)
	}
	return page, nil
}

// eventWindow reads one page of the events indexed under part of idx (sort
// key "<startsUTC>#<id>") that start in [q.From, q.To), with one Query.
func (s *Store) eventWindow(ctx context.Context, q community.EventQuery, idx index, part string) (community.EventPage, error) {
	if q.Limit < 1 || q.Limit > maxLimit {
		return community.EventPage{}, community.ErrInvalidLimit
	}
	after, err := decodeCursor(q.Cursor, idx, part, "EVENT#", "EVENT")
	if err != nil {
		return community.EventPage{}, err
	}
	var lo, hi string
	if !q.From.IsZero() {
		lo = keyStamp(ceilSecond(q.From))
	}
	if !q.To.IsZero() {
		hi = keyStamp(ceilSecond(q.To))
	}
	// Every sort key is "<stamp>#<id>", so BETWEEN lo AND hi is [lo, hi):
	// no key equals hi itself.
	empty := community.EventPage{Events: []*community.Event{}}
	if hi != "" && hi <= lo {
		return empty, nil
	}
	if after.PK != "" {
		switch {
		case after.Sort < lo:
			// The cursor lies before the window (the window's start moved on
			// since the last page, as "now" does): the window's start is
			// then exactly where the next page begins.
			after = cursor{}
		case hi != "" && after.Sort >= hi:
			return empty, nil
		}
	}
	var sort expression.KeyConditionBuilder
	switch sk := expression.Key(idx.sk); {
	case lo != "" && hi != "":
		sort = sk.Between(expression.Value(lo), expression.Value(hi))
	case lo != "":
		sort = sk.GreaterThanEqual(expression.Value(lo))
	case hi != "":
		sort = sk.LessThan(expression.Value(hi))
	}
	raw, next, err := s.page(ctx, pageQuery{idx: idx, part: part, sort: sort, limit: q.Limit, after: after, forward: true})
	if err != nil {
		return community.EventPage{}, err
	}
	items, err := unmarshalEventItems(raw)
	if err != nil {
		return community.EventPage{}, err
	}
	page := community.EventPage{Events: make([]*community.Event, 0, len(items)), NextCursor: next}
	for _, it := range items {
		page.Events = append(page.Events, it.event())
	}
	return page, nil
}

func ceilSecond(t time.Time) time.Time {
	if u := t.Truncate(time.Second); !u.Equal(t) {
		return u.Add(time.Second)
	}
	return t
}

// index names a GSI and its key attributes.
type index struct{ name, pk, sk string }

var (
	gsi1 = index{"GSI1", "GSI1PK", "GSI1SK"}
	gsi2 = index{"GSI2", "GSI2PK", "GSI2SK"}
)

func (k indexKeys) sortKey(idx index) string {
	switch idx {
	case gsi1:
		return k.GSI1SK
	case gsi2:
		return k.GSI2SK
	}
	return k.GSI3SK
}

// cursor is where a page ends: the key of its last item, and which query it
// belongs to. It travels base64url-encoded JSON; it is opaque to clients
// but not secret (it holds a start time and a public id).
type cursor struct {
	Index string `json:"i"`
	Part  string `json:"p"`
	PK    string `json:"k"`
	SK    string `json:"s"`
	Sort  string `json:"o"`
}

func (c cursor) encode() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // five strings always marshal
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor and checks that it was issued for this index
// and partition, on an item of this kind; "" is the zero cursor.
func decodeCursor(s string, idx index, part, pkPrefix, sk string) (cursor, error) {
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
	id, ok := strings.CutPrefix(c.PK, pkPrefix)
	if !ok || id == "" || c.SK != sk || c.Index != idx.name || c.Part != part ||
		!strings.HasSuffix(c.Sort, "#"+id) {
		return cursor{}, community.ErrInvalidCursor
	}
	if _, err := time.Parse(keyTime, strings.TrimSuffix(c.Sort, "#"+id)); err != nil {
		return cursor{}, community.ErrInvalidCursor
	}
	return c, nil
}

type pageQuery struct {
	idx     index
	part    string
	sort    expression.KeyConditionBuilder // unset for the whole partition
	limit   int
	after   cursor
	forward bool
}

// page runs one Query for up to limit items. It asks for one more than it
// returns, so a page that ends the results carries no cursor; the cursor is
// the key of the last returned item.
func (s *Store) page(ctx context.Context, q pageQuery) ([]map[string]types.AttributeValue, string, error) {
	kc := expression.Key(q.idx.pk).Equal(expression.Value(q.part))
	if q.sort.IsSet() {
		kc = kc.And(q.sort)
	}
	expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(q.idx.name),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     aws.Int32(int32(q.limit + 1)),
		ScanIndexForward:          aws.Bool(q.forward),
	}
	if q.after.PK != "" {
		// A GSI's start key is the table key plus the index key; the names
		// depend on the index, hence a map rather than a struct.
		in.ExclusiveStartKey, err = attributevalue.MarshalMap(map[string]string{
			"PK": q.after.PK, "SK": q.after.SK, q.idx.pk: q.part, q.idx.sk: q.after.Sort,
		})
		if err != nil {
			return nil, "", err
		}
	}
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	items, last := out.Items, map[string]types.AttributeValue(nil)
	switch {
	case len(items) > q.limit:
		items = items[:q.limit]
		last = items[q.limit-1]
	case out.LastEvaluatedKey != nil:
		// Cut short by the 1 MB response limit: continue where it stopped.
		last = out.LastEvaluatedKey
	}
	if last == nil {
		return items, "", nil
	}
	var k indexKeys
	if err := attributevalue.UnmarshalMap(last, &k); err != nil {
		return nil, "", err
	}
	c := cursor{Index: q.idx.name, Part: q.part, PK: k.PK, SK: k.SK, Sort: k.sortKey(q.idx)}
	return items, c.encode(), nil
}

// get reads one item into v and reports whether it exists.
func (s *Store) get(ctx context.Context, k key, consistent bool, v any) (bool, error) {
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return false, err
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: av, ConsistentRead: aws.Bool(consistent),
	})
	if err != nil {
		return false, err
	}
	if len(out.Item) == 0 {
		return false, nil
	}
	return true, attributevalue.UnmarshalMap(out.Item, v)
}

// putNew is a PutItem of item that fails when its key is taken.
func (s *Store) putNew(item any) (*dynamodb.PutItemInput, error) {
	p, err := s.txPut(item, expression.AttributeNotExists(expression.Name("PK")))
	if err != nil {
		return nil, err
	}
	return &dynamodb.PutItemInput{
		TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression,
		ExpressionAttributeNames: p.ExpressionAttributeNames, ExpressionAttributeValues: p.ExpressionAttributeValues,
	}, nil
}

// txPut is a transactional Put of item under cond.
func (s *Store) txPut(item any, cond expression.ConditionBuilder) (*types.Put, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return nil, err
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, err
	}
	return &types.Put{
		TableName: aws.String(s.table), Item: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, nil
}

// txDelete is a transactional Delete of the item at k under cond.
func (s *Store) txDelete(k key, cond expression.ConditionBuilder) (*types.Delete, error) {
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, err
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, err
	}
	return &types.Delete{
		TableName: aws.String(s.table), Key: av, ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, nil
}

// Cancellation reason codes of TransactionCanceledException.
const (
	reasonConditionFailed = "ConditionalCheckFailed"
	reasonConflict        = "TransactionConflict"
)

// transact runs a write transaction. DynamoDB cancels a transaction that
// meets another in flight on the same item (TransactionConflict) without
// telling whose condition would hold; retrying a few times turns that into
// the real outcome, which is what callers branch on.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	const attempts = 8
	for i := 1; ; i++ {
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		codes := cancelCodes(err)
		if i == attempts || !slices.Contains(codes, reasonConflict) || slices.Contains(codes, reasonConditionFailed) {
			return err
		}
		backoff := time.Duration(rand.Int64N(int64(5*time.Millisecond) << i))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// cancelCodes returns the per-item reason codes of a cancelled transaction,
// in the order of its items, or nil when err is something else.
func cancelCodes(err error) []string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	codes := make([]string, len(tc.CancellationReasons))
	for i, r := range tc.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// failedAt reports whether the condition of item i failed in a cancelled transaction.
func failedAt(codes []string, i int) bool {
	return i < len(codes) && codes[i] == reasonConditionFailed
}

func conditionFailed(err error) bool {
	var e *types.ConditionalCheckFailedException
	return errors.As(err, &e)
}
