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

// Organizations' surveys (see doc.go): one item per (event, organization),
// EVENT#<eid> / ORGSURVEY#<org mid>, created in the transaction that puts
// its OUTBOX#<eid>.org_survey.<org mid> mail, and holding the answers. It
// is indexed on GSI2 ORGSURVEY#<org mid> so that withdrawing the
// organization member finds its answers without a Scan.
const (
	typeOrgSurvey       = "org_survey"
	orgSurveySKPrefix   = "ORGSURVEY#"
	orgSurveysPartition = "ORGSURVEY#"
)

var _ community.OrgSurveyStore = (*Store)(nil)

func orgSurveyKey(eventID, orgID string) key {
	return key{PK: eventKey(eventID).PK, SK: orgSurveySKPrefix + orgID}
}

type orgSurveyItem struct {
	PK         string       `dynamodbav:"PK"`
	SK         string       `dynamodbav:"SK"`
	GSI2PK     string       `dynamodbav:"GSI2PK"`
	GSI2SK     string       `dynamodbav:"GSI2SK"`
	Type       string       `dynamodbav:"type"`
	EventID    string       `dynamodbav:"event_id"`
	OrgID      string       `dynamodbav:"organization_id"`
	StaffIDs   []string     `dynamodbav:"staff_reg_ids,stringset,omitempty"`
	SentAt     time.Time    `dynamodbav:"sent_at"`
	Answers    []answerItem `dynamodbav:"answers,omitempty"`
	AnsweredAt *time.Time   `dynamodbav:"answered_at,omitempty"`
}

func newOrgSurveyItem(s *community.OrgSurvey) orgSurveyItem {
	k := orgSurveyKey(s.EventID, s.OrganizationID)
	return orgSurveyItem{PK: k.PK, SK: k.SK, Type: typeOrgSurvey,
		GSI2PK: orgSurveysPartition + s.OrganizationID, GSI2SK: s.EventID,
		EventID: s.EventID, OrgID: s.OrganizationID, StaffIDs: s.StaffIDs, SentAt: s.SentAt.UTC(),
		Answers: answerItems(s.Answers), AnsweredAt: s.AnsweredAt}
}

func (it orgSurveyItem) orgSurvey() *community.OrgSurvey {
	s := &community.OrgSurvey{EventID: it.EventID, OrganizationID: it.OrgID, StaffIDs: it.StaffIDs,
		SentAt: it.SentAt, AnsweredAt: it.AnsweredAt}
	for _, a := range it.Answers {
		s.Answers = append(s.Answers, community.Answer{QuestionID: a.QuestionID, Text: a.Text, Choices: a.Choices})
	}
	return s
}

// HandOverOrgSurvey is one TransactWriteItems: [Put the (event,
// organization) record IF attribute_not_exists(PK); Put the outbox mail].
// A record already there (an earlier or concurrent sweep) is HandOverDone.
func (s *Store) HandOverOrgSurvey(ctx context.Context, os *community.OrgSurvey, m community.Mail) (community.HandOver, error) {
	if m.Kind != community.MailOrgSurvey || m.EventID != os.EventID || m.MemberID != os.OrganizationID {
		return 0, errors.New("dynamo: hand over organization survey: the mail is not this survey's")
	}
	put, err := s.txPut(newOrgSurveyItem(os), expression.AttributeNotExists(expression.Name("PK")))
	if err != nil {
		return 0, fmt.Errorf("dynamo: hand over organization survey: %w", err)
	}
	items, err := s.withMails([]types.TransactWriteItem{{Put: put}}, []community.Mail{m})
	if err != nil {
		return 0, fmt.Errorf("dynamo: hand over organization survey: %w", err)
	}
	err = s.transact(ctx, items)
	switch codes := cancelCodes(err); {
	case err == nil:
		return community.HandedOver, nil
	case failedAt(codes, 0):
		return community.HandOverDone, nil
	}
	return 0, fmt.Errorf("dynamo: hand over organization survey: %w", err)
}

// OrgSurvey reads one record (consistent GetItem).
func (s *Store) OrgSurvey(ctx context.Context, eventID, orgID string) (*community.OrgSurvey, error) {
	var it orgSurveyItem
	ok, err := s.get(ctx, orgSurveyKey(eventID, orgID), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get organization survey: %w", err)
	}
	if !ok {
		return nil, community.ErrOrgSurveyNotSent
	}
	return it.orgSurvey(), nil
}

// AnswerOrgSurvey replaces an organization's answers with one conditional
// UpdateItem: SET answers, answered_at IF attribute_exists(PK).
func (s *Store) AnswerOrgSurvey(ctx context.Context, eventID, orgID string, answers []community.Answer, at time.Time) error {
	upd := expression.Set(expression.Name("answered_at"), expression.Value(at.UTC()))
	if items := answerItems(answers); len(items) > 0 {
		upd = upd.Set(expression.Name("answers"), expression.Value(items))
	} else {
		upd = upd.Remove(expression.Name("answers"))
	}
	_, ok, err := s.updateItem(ctx, orgSurveyKey(eventID, orgID), upd, expression.AttributeExists(expression.Name("PK")))
	if err != nil {
		return fmt.Errorf("dynamo: answer organization survey: %w", err)
	}
	if !ok {
		return community.ErrSurveyNotOpen
	}
	return nil
}

// EventOrgSurveys is a Query of PK = EVENT#<eid> AND begins_with(SK,
// "ORGSURVEY#"), every page (consistent).
func (s *Store) EventOrgSurveys(ctx context.Context, eventID string) ([]*community.OrgSurvey, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key("PK").Equal(expression.Value(eventKey(eventID).PK)).
			And(expression.Key("SK").BeginsWith(orgSurveySKPrefix))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: event organization surveys: %w", err)
	}
	out, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, infallible(orgSurveyItem.orgSurvey))
	if err != nil {
		return nil, fmt.Errorf("dynamo: event organization surveys: %w", err)
	}
	return out, nil
}

// eraseOrgSurveyAnswers removes the answers an organization member gave to
// organizations' surveys: Query GSI2 ORGSURVEY#<mid>, every page, then
// REMOVE answers from each record that has them. The record itself stays,
// so the survey is never mailed again.
func (s *Store) eraseOrgSurveyAnswers(ctx context.Context, memberID string) error {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(gsi2.pk).Equal(expression.Value(orgSurveysPartition + memberID))).Build()
	if err != nil {
		return err
	}
	recs, err := queryAll(ctx, s.client, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(gsi2.name),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, same[orgSurveyItem])
	if err != nil {
		return err
	}
	for _, r := range recs {
		if len(r.Answers) == 0 {
			continue
		}
		if _, _, err := s.updateItem(ctx, key{PK: r.PK, SK: r.SK}, expression.Remove(expression.Name("answers")),
			expression.AttributeExists(expression.Name("PK"))); err != nil {
			return err
		}
	}
	return nil
}
