// Package auth signs people in without passwords: it issues and resolves
// sessions, and signs the self-contained tokens that mails carry (unsubscribe,
// cancel) with the keys of a Keyring (keyring.go). Single-use tokens (verification, sign-in links) are random secrets
// whose hashes live in the store; see NewSecret in random.go and Secrets in links.go.
package auth

import (
	"context"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Sessions issues, resolves and revokes sessions. A session token is
// "<key id>.<session id>.<HMAC of both>" (Keyring.Sign): the signature lets a forged or mangled
// token be refused without touching the table, and the stored session lets a
// signed-out token be refused even though its signature is still good.
type Sessions struct {
	Store      community.MemberStore
	Keys       *Keyring
	TTL        time.Duration
	Clock      community.Clock
	Organizers func(email string) bool // the configured organizer emails
}

// Issue starts a session for memberID and returns its bearer token.
func (s *Sessions) Issue(ctx context.Context, memberID string) (string, time.Time, error) {
	now := s.Clock.Now()
	sess := &community.Session{
		ID:        community.NewID(now) + randomSuffix(),
		MemberID:  memberID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.TTL),
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", time.Time{}, err
	}
	return s.Keys.Sign("session", sess.ID), sess.ExpiresAt, nil
}

// Resolve returns who holds token. An empty token is an anonymous viewer; a
// forged, expired or revoked one is Unauthorized, as is a withdrawn member
// and a session a suspension ended.
func (s *Sessions) Resolve(ctx context.Context, token string) (community.Viewer, error) {
	if token == "" {
		return community.Viewer{}, nil
	}
	id, ok := s.Keys.Verify("session", token)
	if !ok {
		return community.Viewer{}, community.ErrInvalidSession
	}
	sess, err := s.Store.Session(ctx, id, s.Clock.Now())
	if community.ErrorCode(err) == community.NotFound {
		return community.Viewer{}, community.ErrInvalidSession
	}
	if err != nil {
		return community.Viewer{}, err
	}
	m, err := s.Store.Member(ctx, sess.MemberID)
	if community.ErrorCode(err) == community.NotFound {
		return community.Viewer{}, community.ErrInvalidSession
	}
	if err != nil {
		return community.Viewer{}, err
	}
	if m.Status == community.MemberWithdrawn || m.Status == community.MemberUnverified {
		return community.Viewer{}, community.ErrInvalidSession
	}
	if end := m.SessionsEndedAt; end != nil && !sess.CreatedAt.After(*end) {
		// Started before a suspension ended the member's sessions.
		return community.Viewer{}, community.ErrInvalidSession
	}
	s.applyRole(m)
	return community.Viewer{Member: m, SessionID: sess.ID}, nil
}

// applyRole makes configured organizers organizers: the list in configuration
// is the source of truth, so removing an address takes effect at once.
func (s *Sessions) applyRole(m *community.Member) {
	if s.Organizers != nil && s.Organizers(m.Email) {
		m.Role = community.RoleOrganizer
	} else if m.Role == community.RoleOrganizer {
		m.Role = community.RoleMember
	}
}

// Revoke ends the session behind token; an unknown or malformed token is not an error.
func (s *Sessions) Revoke(ctx context.Context, token string) error {
	id, ok := s.Keys.Verify("session", token)
	if !ok {
		return nil
	}
	return s.Store.DeleteSession(ctx, id)
}
