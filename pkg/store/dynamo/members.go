package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// CreateMember stores a new member and claims its email in one transaction,
// so the table itself keeps emails unique; an expired unverified member's
// claim counts as free (TTL deletes it late). Conflict (reason "email_taken")
// when another member has the email case-insensitively, (reason
// "member_exists") when the id exists.
func (s *Store) CreateMember(ctx context.Context, m *community.Member) error {
	if m.ID == "" || normEmail(m.Email) == "" {
		return errors.New("dynamo: create member: empty id or email")
	}
	notExists := expression.AttributeNotExists(expression.Name("PK"))
	member, err := s.txPut(newMemberItem(m, 1), notExists)
	if err != nil {
		return fmt.Errorf("dynamo: create member: %w", err)
	}
	// An unverified member's claim past its expiry is free already: TTL
	// deletes it late, so the signup takes it over. The expired member it
	// named stays, unread (community.Member.Expired), until TTL deletes it.
	free := notExists.Or(expression.Name("expires_at").LessThanEqual(expression.Value(m.CreatedAt.Unix())))
	email, err := s.txPut(newEmailItem(m.Email, m), free)
	if err != nil {
		return fmt.Errorf("dynamo: create member: %w", err)
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Put: member}, {Put: email}})
	codes := cancelCodes(err)
	switch {
	case err == nil:
		m.Version = 1
		return nil
	case failedAt(codes, 1):
		return community.ErrEmailTaken
	case failedAt(codes, 0):
		return community.ErrMemberExists
	}
	return fmt.Errorf("dynamo: create member: %w", err)
}

// Member returns a member by id. NotFound (reason "member_not_found") when unknown.
func (s *Store) Member(ctx context.Context, id string) (*community.Member, error) {
	it, err := s.memberItem(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := it.member()
	if err != nil {
		return nil, fmt.Errorf("dynamo: get member: %w", err)
	}
	return m, nil
}

func (s *Store) memberItem(ctx context.Context, id string) (memberItem, error) {
	var it memberItem
	ok, err := s.get(ctx, memberKey(id), true, &it)
	if err != nil {
		return memberItem{}, fmt.Errorf("dynamo: get member: %w", err)
	}
	if !ok {
		return memberItem{}, community.ErrMemberNotFound
	}
	return it, nil
}

// MemberByEmail returns the member who holds email, compared
// case-insensitively. NotFound (reason "member_not_found") when none.
func (s *Store) MemberByEmail(ctx context.Context, email string) (*community.Member, error) {
	var it emailItem
	ok, err := s.get(ctx, emailKey(email), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get email: %w", err)
	}
	if !ok {
		return nil, community.ErrMemberNotFound
	}
	return s.Member(ctx, it.MemberID)
}

// UpdateMember replaces a member's stored fields with m's, keeping the
// stored CreatedAt. The approval-queue keys follow the status, and a changed
// email moves its EMAIL# claim in the same transaction. NotFound (reason
// "member_not_found") when unknown; Conflict (reason "email_taken") when
// another member has the new email, (reason "member_changed") when another
// write came between this one's read and write. The mails the change owes
// go into the outbox in the same transaction.
func (s *Store) UpdateMember(ctx context.Context, m *community.Member, mails ...community.Mail) error {
	cur, err := s.memberItem(ctx, m.ID)
	if err != nil {
		return err
	}
	if m.Version != 0 && m.Version != cur.Version {
		return community.ErrMemberChanged
	}
	next := *m
	next.CreatedAt = cur.CreatedAt
	items, err := s.replaceMember(cur, &next)
	if err != nil {
		return fmt.Errorf("dynamo: update member: %w", err)
	}
	claim := -1 // index of the new email's claim in items
	if email := normEmail(m.Email); email != "" && email != normEmail(cur.Email) {
		put, err := s.txPut(newEmailItem(email, &next), expression.AttributeNotExists(expression.Name("PK")))
		if err != nil {
			return fmt.Errorf("dynamo: update member: %w", err)
		}
		claim = len(items)
		items = append(items, types.TransactWriteItem{Put: put})
	}
	lift, err := s.liftSuppression(cur, &next) // suppression.go
	if err != nil {
		return fmt.Errorf("dynamo: update member: %w", err)
	}
	items = append(items, lift...)
	if items, err = s.withMails(items, mails); err != nil {
		return fmt.Errorf("dynamo: update member: %w", err)
	}
	err = s.transact(ctx, items)
	codes := cancelCodes(err)
	switch {
	case err == nil:
		m.Version = cur.Version + 1
		return nil
	case claim >= 0 && failedAt(codes, claim):
		return community.ErrEmailTaken
	case failedAt(codes, 0), failedAt(codes, 1):
		return community.ErrMemberChanged
	}
	return fmt.Errorf("dynamo: update member: %w", err)
}

// replaceMember returns the transaction items that overwrite cur with next:
// the member item, guarded by the version read, and, when the email changes,
// the release of the old email's claim. Claiming a new email is the caller's.
func (s *Store) replaceMember(cur memberItem, next *community.Member) ([]types.TransactWriteItem, error) {
	put, err := s.txPut(newMemberItem(next, cur.Version+1), expression.Name("ver").Equal(expression.Value(cur.Version)))
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Put: put}}
	old := normEmail(cur.Email)
	switch {
	case old != "" && old != normEmail(next.Email):
		del, err := s.txDelete(emailKey(old), expression.Name("member_id").Equal(expression.Value(cur.ID)))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Delete: del})
	case old != "" && cur.ExpiresAt != 0 && next.Status != community.MemberUnverified:
		// Verified: the claim stops expiring with the member, or TTL
		// would free the address of an active member.
		claim, err := s.txPut(newEmailItem(old, next), expression.Name("member_id").Equal(expression.Value(cur.ID)))
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: claim})
	}
	return items, nil
}

// MembersByStatus returns members with status, oldest first, one Query per
// page. Invalid (reason "invalid_cursor") for a cursor not issued for this
// status, (reason "invalid_limit") for a limit outside 1–100.
func (s *Store) MembersByStatus(ctx context.Context, status community.MemberStatus, limit int, cur string) (community.MemberPage, error) {
	if limit < 1 || limit > maxLimit {
		return community.MemberPage{}, community.ErrInvalidLimit
	}
	part := membersPartition + string(status)
	after, err := decodeCursor(cur, gsi1, part, "MEMBER#", "MEMBER")
	if err != nil {
		return community.MemberPage{}, err
	}
	raw, next, err := s.page(ctx, pageQuery{idx: gsi1, part: part, limit: limit, after: after, forward: true})
	if err != nil {
		return community.MemberPage{}, fmt.Errorf("dynamo: members by status: %w", err)
	}
	members, err := convertItems(raw, memberItem.member)
	if err != nil {
		return community.MemberPage{}, fmt.Errorf("dynamo: members by status: %w", err)
	}
	return community.MemberPage{Members: members, NextCursor: next}, nil
}

// WithdrawMember marks a member withdrawn and erases what identifies them —
// email, names, affiliation, department, job category, birth date, the
// consent's source IP — while keeping membership, dates and the rest of the
// consent record (特定電子メール法 asks that consent be provable). The email's claim is released in the same
// transaction, so the address may sign up afresh. NotFound (reason
// "member_not_found") when unknown; Conflict (reason "member_changed") when
// another write came between this one's read and write.
func (s *Store) WithdrawMember(ctx context.Context, id string, now time.Time) (*community.Member, error) {
	cur, err := s.memberItem(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := cur.member()
	if err != nil {
		return nil, fmt.Errorf("dynamo: withdraw member: %w", err)
	}
	if m.Status == community.MemberWithdrawn && m.Email == "" {
		return m, nil
	}
	// Answers first: a failure leaves the member as they were, and the
	// withdrawal, asked again, erases what is left.
	if err := s.eraseAnswers(ctx, id); err != nil {
		return nil, err
	}
	return s.erase(ctx, cur, m, now, nil)
}

// eraseAnswers removes the answers from every registration of a member,
// past and future, and those it gave for an organization to organizations'
// surveys: they are personal data, whatever became of the seat.
func (s *Store) eraseAnswers(ctx context.Context, memberID string) error {
	regs, err := s.MemberRegistrations(ctx, memberID)
	if err != nil {
		return fmt.Errorf("dynamo: erase answers: %w", err)
	}
	if err := s.eraseOrgSurveyAnswers(ctx, memberID); err != nil {
		return fmt.Errorf("dynamo: erase answers: %w", err)
	}
	for _, r := range regs {
		if len(r.Answers) == 0 && len(r.SurveyAnswers) == 0 {
			continue
		}
		_, _, err := s.updateItem(ctx, registrationKey(r.EventID, r.ID),
			expression.Remove(expression.Name("answers")).Remove(expression.Name("survey_answers")),
			expression.AttributeExists(expression.Name("PK")))
		if err != nil {
			return fmt.Errorf("dynamo: erase answers: %w", err)
		}
	}
	return nil
}

// EraseApplicant erases member id as WithdrawMember does, only while the
// member is still as the caller read them: status expect and UpdatedAt
// readAt. The erasure is WithdrawMember's transaction, guarded by the
// version read here, so a write after this read fails it too. NotFound
// (reason "member_not_found"); Conflict (reason "member_changed").
func (s *Store) EraseApplicant(ctx context.Context, id string, expect community.MemberStatus, readAt, now time.Time, mails ...community.Mail) (*community.Member, error) {
	cur, err := s.memberItem(ctx, id)
	if err != nil {
		return nil, err
	}
	m, err := cur.member()
	if err != nil {
		return nil, fmt.Errorf("dynamo: erase applicant: %w", err)
	}
	if m.Status != expect || !m.UpdatedAt.Equal(readAt) {
		return nil, community.ErrMemberChanged
	}
	return s.erase(ctx, cur, m, now, mails)
}

// erase writes m, read as cur, withdrawn and without what identifies them,
// and frees its email, in one transaction guarded by cur's version.
func (s *Store) erase(ctx context.Context, cur memberItem, m *community.Member, now time.Time, mails []community.Mail) (*community.Member, error) {
	m.Email, m.Name, m.NameKana = "", "", ""
	m.Affiliation, m.Department, m.JobCategory = "", "", ""
	m.BirthDate = nil
	m.EligibilityRequest, m.EligibilityApproval = nil, nil // birth dates and a reason
	// The consent stays as proof of what was agreed and when; its source
	// address goes with the person (community.ConsentIPRetention).
	m.Consent.IP = ""
	m.Status, m.Role = community.MemberWithdrawn, community.RoleMember
	m.Preferences = community.Preferences{}
	m.UpdatedAt = now
	feed := m.Calendar
	m.Calendar = nil // the feed URL stops with the membership (calendar.go)
	items, err := s.replaceMember(cur, m)
	if err != nil {
		return nil, fmt.Errorf("dynamo: withdraw member: %w", err)
	}
	if feed != nil && feed.TokenDigest != "" {
		del, err := s.deleteCalendarToken(m.ID, feed.TokenDigest)
		if err != nil {
			return nil, fmt.Errorf("dynamo: withdraw member: %w", err)
		}
		items = append(items, types.TransactWriteItem{Delete: del})
	}
	if items, err = s.withMails(items, mails); err != nil {
		return nil, fmt.Errorf("dynamo: withdraw member: %w", err)
	}
	if err := s.transact(ctx, items); err != nil {
		if codes := cancelCodes(err); failedAt(codes, 0) || failedAt(codes, 1) {
			return nil, community.ErrMemberChanged
		}
		return nil, fmt.Errorf("dynamo: withdraw member: %w", err)
	}
	m.Version = cur.Version + 1
	return m, nil
}

// CreateSession stores a session. Conflict (reason "session_exists") when the id exists.
func (s *Store) CreateSession(ctx context.Context, sess *community.Session) error {
	put, err := s.putNew(newSessionItem(sess))
	if err != nil {
		return fmt.Errorf("dynamo: create session: %w", err)
	}
	if _, err := s.client.PutItem(ctx, put); err != nil {
		if conditionFailed(err) {
			return community.ErrSessionExists
		}
		return fmt.Errorf("dynamo: create session: %w", err)
	}
	return nil
}

// Session returns a session unexpired at now. NotFound (reason
// "session_not_found") when unknown, revoked or expired: TTL removes expired
// sessions only eventually, so expiry is decided here.
func (s *Store) Session(ctx context.Context, id string, now time.Time) (*community.Session, error) {
	var it sessionItem
	ok, err := s.get(ctx, sessionKey(id), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get session: %w", err)
	}
	if !ok || expired(it.ExpiresAt, now) {
		return nil, community.ErrSessionNotFound
	}
	return it.session(), nil
}

// DeleteSession revokes a session; deleting an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	av, err := attributevalue.MarshalMap(sessionKey(id))
	if err != nil {
		return fmt.Errorf("dynamo: delete session: %w", err)
	}
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: av}); err != nil {
		return fmt.Errorf("dynamo: delete session: %w", err)
	}
	return nil
}

// PutToken stores a token until its ExpiresAt (to the second). Conflict
// (reason "token_exists") when the id exists.
func (s *Store) PutToken(ctx context.Context, t *community.Token, mails ...community.Mail) error {
	if t.ID == "" || t.Purpose == "" {
		return errors.New("dynamo: put token: empty id or purpose")
	}
	if len(mails) > 0 {
		// The token and the mail that carries its link: both or neither.
		tok, err := s.txPut(newTokenItem(t), expression.AttributeNotExists(expression.Name("PK")))
		if err != nil {
			return fmt.Errorf("dynamo: put token: %w", err)
		}
		items, err := s.withMails([]types.TransactWriteItem{{Put: tok}}, mails)
		if err != nil {
			return fmt.Errorf("dynamo: put token: %w", err)
		}
		err = s.transact(ctx, items)
		if failedAt(cancelCodes(err), 0) {
			return community.ErrTokenExists
		}
		if err != nil {
			return fmt.Errorf("dynamo: put token: %w", err)
		}
		return nil
	}
	put, err := s.putNew(newTokenItem(t))
	if err != nil {
		return fmt.Errorf("dynamo: put token: %w", err)
	}
	if _, err := s.client.PutItem(ctx, put); err != nil {
		if conditionFailed(err) {
			return community.ErrTokenExists
		}
		return fmt.Errorf("dynamo: put token: %w", err)
	}
	return nil
}

// Token returns a token unexpired at now without using it up. NotFound
// (reason "token_not_found") when unknown, used, of another purpose or expired.
func (s *Store) Token(ctx context.Context, id, purpose string, now time.Time) (*community.Token, error) {
	var it tokenItem
	ok, err := s.get(ctx, tokenKey(id), true, &it)
	if err != nil {
		return nil, fmt.Errorf("dynamo: get token: %w", err)
	}
	if !ok || it.Purpose != purpose || expired(it.ExpiresAt, now) {
		return nil, community.ErrTokenNotFound
	}
	return it.token(), nil
}

// ConsumeToken deletes and returns a token unexpired at now. The delete is
// conditional, so among concurrent callers exactly one gets the token.
// NotFound (reason "token_not_found") when unknown, used, of another purpose
// or expired; an expired or mismatched token is left for TTL.
func (s *Store) ConsumeToken(ctx context.Context, id, purpose string, now time.Time) (*community.Token, error) {
	av, err := attributevalue.MarshalMap(tokenKey(id))
	if err != nil {
		return nil, fmt.Errorf("dynamo: consume token: %w", err)
	}
	cond := expression.Name("purpose").Equal(expression.Value(purpose)).
		And(expression.Name("expires_at").GreaterThan(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: consume token: %w", err)
	}
	out, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: av,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllOld,
	})
	if err != nil {
		if conditionFailed(err) {
			return nil, community.ErrTokenNotFound
		}
		return nil, fmt.Errorf("dynamo: consume token: %w", err)
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, fmt.Errorf("dynamo: consume token: %w", err)
	}
	return it.token(), nil
}

// Hit counts one attempt under key in the fixed window of length window
// that contains now (windows are aligned to the Unix epoch) and returns the
// attempts so far in it, this one included. ADD is atomic, so concurrent
// hits each see a distinct count. The bucket expires with its window.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	if window < time.Second {
		return 0, fmt.Errorf("dynamo: hit: window %v under a second", window)
	}
	start := now.Truncate(window)
	av, err := attributevalue.MarshalMap(rateKey(key, window, start))
	if err != nil {
		return 0, fmt.Errorf("dynamo: hit: %w", err)
	}
	upd := expression.Add(expression.Name("count"), expression.Value(1)).
		Set(expression.Name("type"), expression.Value(typeRate)).
		Set(expression.Name("expires_at"), expression.Value(start.Add(window).Unix()))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return 0, fmt.Errorf("dynamo: hit: %w", err)
	}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: av,
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("dynamo: hit: %w", err)
	}
	var got struct {
		Count int `dynamodbav:"count"`
	}
	if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
		return 0, fmt.Errorf("dynamo: hit: %w", err)
	}
	return got.Count, nil
}
