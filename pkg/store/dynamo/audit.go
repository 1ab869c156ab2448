package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

const (
	typeAudit      = "audit"
	auditPartition = "AUDIT" // GSI1: the whole log, newest first
)

func auditKey(id string) key { return key{PK: "AUDIT#" + id, SK: "AUDIT"} }

// auditActorPartition is GSI2's partition of one organizer's entries.
func auditActorPartition(actor string) string { return "AUDIT#" + actor }

type auditItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	GSI2PK string `dynamodbav:"GSI2PK"`
	GSI2SK string `dynamodbav:"GSI2SK"`
	Type   string `dynamodbav:"type"`

	ID         string    `dynamodbav:"id"`
	At         time.Time `dynamodbav:"at"`
	ActorID    string    `dynamodbav:"actor_id"`
	Action     string    `dynamodbav:"action"`
	TargetType string    `dynamodbav:"target_type"`
	TargetID   string    `dynamodbav:"target_id"`
	Summary    string    `dynamodbav:"summary"`
}

func newAuditItem(a *community.AuditEntry) auditItem {
	k := auditKey(a.ID)
	sort := keyStamp(a.At) + "#" + a.ID
	return auditItem{
		PK: k.PK, SK: k.SK, GSI1PK: auditPartition, GSI1SK: sort,
		GSI2PK: auditActorPartition(a.ActorID), GSI2SK: sort, Type: typeAudit,
		ID: a.ID, At: a.At.UTC(), ActorID: a.ActorID, Action: a.Action,
		TargetType: a.TargetType, TargetID: a.TargetID, Summary: a.Summary,
	}
}

func (it auditItem) entry() *community.AuditEntry {
	return &community.AuditEntry{
		ID: it.ID, At: it.At, ActorID: it.ActorID, Action: it.Action,
		TargetType: it.TargetType, TargetID: it.TargetID, Summary: it.Summary,
	}
}

// AppendAudit stores an audit entry. Conflict (reason "audit_exists") when
// the id exists.
func (s *Store) AppendAudit(ctx context.Context, a *community.AuditEntry) error {
	if a.ID == "" || a.ActorID == "" {
		return fmt.Errorf("dynamo: append audit: empty id or actor")
	}
	put, err := s.putNew(newAuditItem(a))
	if err != nil {
		return fmt.Errorf("dynamo: append audit: %w", err)
	}
	if _, err := s.client.PutItem(ctx, put); err != nil {
		if conditionFailed(err) {
			return community.ErrAuditExists
		}
		return fmt.Errorf("dynamo: append audit: %w", err)
	}
	return nil
}

// AuditLog returns a page of the audit log, newest first, with one Query:
// GSI1 AUDIT for everyone, GSI2 AUDIT#<actor> for one organizer. Invalid
// (reason "invalid_limit", "invalid_cursor").
func (s *Store) AuditLog(ctx context.Context, q community.AuditQuery) (community.AuditPage, error) {
	if q.Limit < 1 || q.Limit > maxLimit {
		return community.AuditPage{}, community.ErrInvalidLimit
	}
	idx, part := gsi1, auditPartition
	if q.ActorID != "" {
		idx, part = gsi2, auditActorPartition(q.ActorID)
	}
	after, err := decodeCursor(q.Cursor, idx, part, "AUDIT#", "AUDIT")
	if err != nil {
		return community.AuditPage{}, err
	}
	raw, next, err := s.page(ctx, pageQuery{idx: idx, part: part, limit: q.Limit, after: after, forward: false})
	if err != nil {
		return community.AuditPage{}, fmt.Errorf("dynamo: audit log: %w", err)
	}
	entries, err := convertItems(raw, infallible(auditItem.entry))
	if err != nil {
		return community.AuditPage{}, fmt.Errorf("dynamo: audit log: %w", err)
	}
	return community.AuditPage{Entries: entries, NextCursor: next}, nil
}
