package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.NominationStore = (*Store)(nil)

const (
	typeNomination      = "nomination"
	typeNominationCount = "nomination_count"
)

func nominationKey(id string) key { return key{PK: "NOMINATION#" + id, SK: "NOMINATION"} }

// nominationCountKey is an organization's counter for one event. It lives
// in the event's partition but is its own item, so nominating never
// contends with registrations on the event item.
func nominationCountKey(eventID, orgID string) key {
	return key{PK: "EVENT#" + eventID, SK: "NOMCOUNT#" + orgID}
}

func orgNominationsPartition(orgID string) string { return "ORGNOM#" + orgID }

type nomineeItem struct {
	RegID      string     `dynamodbav:"reg_id"`
	Name       string     `dynamodbav:"name"`
	Email      string     `dynamodbav:"email"`
	Department string     `dynamodbav:"department,omitempty"`
	BirthDate  *time.Time `dynamodbav:"birth_date,omitempty"`
	Reason     string     `dynamodbav:"reason,omitempty"`
}

type nominationItem struct {
	PK        string        `dynamodbav:"PK"`
	SK        string        `dynamodbav:"SK"`
	GSI2PK    string        `dynamodbav:"GSI2PK"`
	GSI2SK    string        `dynamodbav:"GSI2SK"`
	Type      string        `dynamodbav:"type"`
	ID        string        `dynamodbav:"id"`
	EventID   string        `dynamodbav:"event_id"`
	OrgID     string        `dynamodbav:"organization_id"`
	Nominees  []nomineeItem `dynamodbav:"nominees"`
	CreatedAt time.Time     `dynamodbav:"created_at"`
	ExpiresAt time.Time     `dynamodbav:"links_expire_at"`
}

type nominationCountItem struct {
	PK            string   `dynamodbav:"PK"`
	SK            string   `dynamodbav:"SK"`
	Type          string   `dynamodbav:"type"`
	NominationIDs []string `dynamodbav:"nomination_ids"`
	Ver           int64    `dynamodbav:"ver"`
}

func newNominationItem(n *community.Nomination) nominationItem {
	k := nominationKey(n.ID)
	it := nominationItem{PK: k.PK, SK: k.SK, Type: typeNomination,
		GSI2PK: orgNominationsPartition(n.OrganizationID), GSI2SK: keyStamp(n.CreatedAt) + "#" + n.ID,
		ID: n.ID, EventID: n.EventID, OrgID: n.OrganizationID, CreatedAt: n.CreatedAt.UTC(), ExpiresAt: n.ExpiresAt.UTC()}
	for _, nm := range n.Nominees {
		it.Nominees = append(it.Nominees, nomineeItem{RegID: nm.RegistrationID, Name: nm.Name, Email: nm.Email,
			Department: nm.Department, BirthDate: nm.BirthDate, Reason: nm.Reason})
	}
	return it
}

func (it nominationItem) nomination() *community.Nomination {
	n := &community.Nomination{ID: it.ID, EventID: it.EventID, OrganizationID: it.OrgID, CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt}
	for _, nm := range it.Nominees {
		n.Nominees = append(n.Nominees, community.Nominee{RegistrationID: nm.RegID, Name: nm.Name, Email: nm.Email,
			Department: nm.Department, BirthDate: nm.BirthDate, Reason: nm.Reason})
	}
	return n
}

// NominationCount reads an organization's counter for an event
// (consistent GetItem); the zero value when it has nominated nobody yet.
func (s *Store) NominationCount(ctx context.Context, eventID, orgID string) (community.NominationCount, error) {
	var it nominationCountItem
	ok, err := s.get(ctx, nominationCountKey(eventID, orgID), true, &it)
	if err != nil {
		return community.NominationCount{}, fmt.Errorf("dynamo: nomination count: %w", err)
	}
	if !ok {
		return community.NominationCount{}, nil
	}
	return community.NominationCount{NominationIDs: it.NominationIDs, Version: it.Ver}, nil
}

// Nomination returns one nomination (consistent GetItem).
func (s *Store) Nomination(ctx context.Context, id string) (*community.Nomination, error) {
	var it nominationItem
	ok, err := s.get(ctx, nominationKey(id), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get nomination: %w", err)
	}
	if !ok {
		return nil, community.ErrNominationNotFound
	}
	return it.nomination(), nil
}

// PutNomination stores n in one transaction: [0] the counter, replaced
// with n's id added and ver + 1, IF ver = read (or IF it does not exist
// when read found none); [1] the nomination IF new; then each nominee's
// pending token IF new and its mail. Up to 20 nominees: 42 items.
func (s *Store) PutNomination(ctx context.Context, n *community.Nomination, read community.NominationCount, tokens []*community.Token, mails []community.Mail) error {
	if !community.ValidID(n.ID) || n.EventID == "" || n.OrganizationID == "" || len(tokens) != len(n.Nominees) {
		return errors.New("dynamo: put nomination: needs an id, its event, its organization and one token per nominee")
	}
	k := nominationCountKey(n.EventID, n.OrganizationID)
	counter := nominationCountItem{PK: k.PK, SK: k.SK, Type: typeNominationCount,
		NominationIDs: append(append([]string{}, read.NominationIDs...), n.ID), Ver: read.Version + 1}
	cond := expression.AttributeNotExists(expression.Name("PK"))
	if read.Version > 0 {
		cond = expression.Name("ver").Equal(expression.Value(read.Version))
	}
	put, err := s.txPut(counter, cond)
	if err != nil {
		return fmt.Errorf("dynamo: put nomination: %w", err)
	}
	notExists := expression.AttributeNotExists(expression.Name("PK"))
	nom, err := s.txPut(newNominationItem(n), notExists)
	if err != nil {
		return fmt.Errorf("dynamo: put nomination: %w", err)
	}
	items := []types.TransactWriteItem{{Put: put}, {Put: nom}}
	for _, t := range tokens {
		tok, err := s.txPut(newTokenItem(t), notExists)
		if err != nil {
			return fmt.Errorf("dynamo: put nomination: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: tok})
	}
	if items, err = s.withMails(items, mails); err != nil {
		return fmt.Errorf("dynamo: put nomination: %w", err)
	}
	err = s.transact(ctx, items)
	codes := cancelCodes(err)
	switch {
	case err == nil:
		return nil
	case failedAt(codes, 0):
		return community.ErrNominationChanged
	case codes != nil:
		return community.ErrBusy
	}
	return fmt.Errorf("dynamo: put nomination: %w", err)
}

// OrganizationNominations lists an organization's nominations, newest
// first: Query GSI2 ORGNOM#<org id>, every page.
func (s *Store) OrganizationNominations(ctx context.Context, orgID string) ([]*community.Nomination, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(gsi2.pk).Equal(expression.Value(orgNominationsPartition(orgID)))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: organization nominations: %w", err)
	}
	ns, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi2.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false),
	}, infallible(nominationItem.nomination))
	if err != nil {
		return nil, fmt.Errorf("dynamo: organization nominations: %w", err)
	}
	return ns, nil
}
