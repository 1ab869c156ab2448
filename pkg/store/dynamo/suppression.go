package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var (
	_ community.SuppressionList = (*Store)(nil)
	_ community.Suppressor      = (*Store)(nil)
)

const typeSuppression = "suppression"

// errNoDigest refuses the suppression list to a store given no key: an
// unkeyed digest of an address is an address to anyone who can guess it.
var errNoDigest = errors.New("no digest key for the suppression list (Store.WithDigest)")

// WithDigest returns a copy of s that keys the suppression list by
// hash(address); pkg/app passes auth.Secrets' keyed Hash, the one the mail
// rate limit uses, so a copy of the table does not confirm a guessed
// address without the key. That key is the keyring's digest key, which a
// rotation of the signing keys leaves alone; changing it empties the list
// in effect (members' marks stay until cleared). docs/keys.md.
func (s *Store) WithDigest(hash func(string) string) *Store {
	c := *s
	c.digest = hash
	return &c
}

// suppressionKey is the suppression item of an address: a keyed digest of
// its normalised form, under its own prefix so it never equals another
// digest the same key makes (the rate limit's).
func (s *Store) suppressionKey(email string) (key, error) {
	if s.digest == nil {
		return key{}, errNoDigest
	}
	return key{PK: "SUPPRESS#" + s.digest("suppression\x00"+normEmail(email)), SK: "SUPPRESS"}, nil
}

type suppressionItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	Type      string    `dynamodbav:"type"`
	Reason    string    `dynamodbav:"reason"`
	At        time.Time `dynamodbav:"at"`
	MessageID string    `dynamodbav:"message_id,omitempty"`
}

// suppressionMark is the copy of a suppression on the member item.
type suppressionMark struct {
	Reason    string    `dynamodbav:"reason"`
	At        time.Time `dynamodbav:"at"`
	MessageID string    `dynamodbav:"message_id,omitempty"`
}

func newSuppressionMark(s *community.Suppression) *suppressionMark {
	if s == nil {
		return nil
	}
	return &suppressionMark{Reason: string(s.Reason), At: s.At.UTC(), MessageID: s.MessageID}
}

func (m *suppressionMark) suppression() *community.Suppression {
	if m == nil {
		return nil
	}
	return &community.Suppression{Reason: community.SuppressionReason(m.Reason), At: m.At, MessageID: m.MessageID}
}

// Suppressed reports whether email is on the suppression list (one
// consistent GetItem: a mail sent right after a verification lifted the
// suppression must see it lifted).
func (s *Store) Suppressed(ctx context.Context, email string) (bool, error) {
	k, err := s.suppressionKey(email)
	if err != nil {
		return false, fmt.Errorf("dynamo: suppressed: %w", err)
	}
	var it suppressionItem
	ok, err := s.get(ctx, k, true, &it)
	if err != nil {
		return false, fmt.Errorf("dynamo: suppressed: %w", err)
	}
	return ok, nil
}

// Suppression returns what the suppression list records for email, and
// false when the address is not on it.
func (s *Store) Suppression(ctx context.Context, email string) (*community.Suppression, bool, error) {
	k, err := s.suppressionKey(email)
	if err != nil {
		return nil, false, fmt.Errorf("dynamo: suppression: %w", err)
	}
	var it suppressionItem
	ok, err := s.get(ctx, k, true, &it)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("dynamo: suppression: %w", err)
		}
		return nil, false, err
	}
	return &community.Suppression{Reason: community.SuppressionReason(it.Reason), At: it.At, MessageID: it.MessageID}, true, nil
}

// suppressAttempts bounds the retries of Suppress when the member was
// written between its read and the transaction.
const suppressAttempts = 4

// Suppress puts email on the suppression list and, when a member holds the
// address, marks the member in the same transaction (SET mail_suppressed,
// ver + 1, IF ver = :read, so a replacing write read earlier cannot undo
// the mark). Either write replaces what was there: a repeated notification
// changes nothing that matters.
func (s *Store) Suppress(ctx context.Context, email string, sup community.Suppression) error {
	k, err := s.suppressionKey(email)
	if err != nil {
		return fmt.Errorf("dynamo: suppress: %w", err)
	}
	if sup.Reason == "" || sup.At.IsZero() {
		return errors.New("dynamo: suppress: no reason or time")
	}
	av, err := attributevalue.MarshalMap(suppressionItem{
		PK: k.PK, SK: k.SK, Type: typeSuppression, Reason: string(sup.Reason), At: sup.At.UTC(), MessageID: sup.MessageID,
	})
	if err != nil {
		return fmt.Errorf("dynamo: suppress: %w", err)
	}
	put := &types.Put{TableName: aws.String(s.table), Item: av} // unconditional: the latest notice wins
	err = community.RetryOn(suppressAttempts, func() error {
		var claim emailItem
		ok, err := s.get(ctx, emailKey(email), true, &claim)
		if err != nil {
			return fmt.Errorf("dynamo: suppress: get email: %w", err)
		}
		items := []types.TransactWriteItem{{Put: put}}
		if ok {
			cur, err := s.memberItem(ctx, claim.MemberID)
			switch {
			case errors.Is(err, community.ErrMemberNotFound):
				// A claim without its member cannot stay so; list the address alone.
			case err != nil:
				return err
			default:
				upd, err := s.txUpdate(memberKey(cur.ID),
					expression.Set(expression.Name("mail_suppressed"), expression.Value(newSuppressionMark(&sup))).
						Add(expression.Name("ver"), expression.Value(1)),
					expression.Name("ver").Equal(expression.Value(cur.Version)))
				if err != nil {
					return fmt.Errorf("dynamo: suppress: %w", err)
				}
				items = append(items, types.TransactWriteItem{Update: upd})
			}
		}
		err = s.transact(ctx, items)
		if failedAt(cancelCodes(err), 1) {
			return community.ErrMemberChanged
		}
		if err != nil {
			return fmt.Errorf("dynamo: suppress: %w", err)
		}
		return nil
	}, community.ErrMemberChanged)
	return err
}

// liftSuppression returns the transaction item that takes cur's address off
// the suppression list when a member write drops its mark (the member
// proved the address works), or none.
func (s *Store) liftSuppression(cur memberItem, next *community.Member) ([]types.TransactWriteItem, error) {
	if cur.MailSuppressed == nil || next.MailSuppressed != nil || normEmail(cur.Email) == "" {
		return nil, nil
	}
	k, err := s.suppressionKey(cur.Email)
	if err != nil {
		return nil, err
	}
	av, err := attributevalue.MarshalMap(k)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Delete: &types.Delete{TableName: aws.String(s.table), Key: av}}}, nil
}
