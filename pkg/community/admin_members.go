package community

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"
)

// memberStatuses lists every member status, for checking a filter.
var memberStatuses = []MemberStatus{MemberUnverified, MemberPendingApproval, MemberActive, MemberSuspended, MemberWithdrawn}

// memberStatusLabel is the Japanese name of a member status.
func memberStatusLabel(s MemberStatus) string {
	switch s {
	case MemberUnverified:
		return "メール未確認"
	case MemberPendingApproval:
		return "承認待ち"
	case MemberActive:
		return "有効"
	case MemberSuspended:
		return "停止中"
	case MemberWithdrawn:
		return "退会済み"
	}
	return string(s)
}

// MemberAdmin runs membership approvals for organizers: the queue,
// approving and rejecting applicants, suspending and reinstating members.
type MemberAdmin struct {
	Store MemberAdminStore
	Clock Clock
	// Log reports a mail or an audit entry that failed after the change
	// was stored.
	Log *slog.Logger
}

// MemberAdminStore is what membership approvals keep and read.
type MemberAdminStore interface {
	// Member returns a member by id. NotFound when unknown.
	Member(ctx context.Context, id string) (*Member, error)
	// UpdateMember and MembersByStatus are as MembershipStore says.
	UpdateMember(ctx context.Context, m *Member, mails ...Mail) error
	MembersByStatus(ctx context.Context, status MemberStatus, limit int, cursor string) (MemberPage, error)
	ApplicantStore
	AuditAppender
}

// Members returns a page of members with status, oldest first; the
// approval queue is status MemberPendingApproval, the default. Unverified
// members past UnverifiedRetention are gone, whether or not TTL has
// deleted them yet. The reading is audited.
func (a *MemberAdmin) Members(ctx context.Context, v Viewer, status MemberStatus, limit int, cursor string) (MemberPage, error) {
	if err := RequireOrganizer(v); err != nil {
		return MemberPage{}, err
	}
	if status == "" {
		status = MemberPendingApproval
	}
	valid := false
	for _, s := range memberStatuses {
		valid = valid || s == status
	}
	if !valid {
		return MemberPage{}, ErrInvalidStatus.Messagef("status は unverified, pending_approval, active, suspended, withdrawn のいずれかです。")
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 100 {
		return MemberPage{}, ErrInvalidLimit
	}
	page, err := a.Store.MembersByStatus(ctx, status, limit, cursor)
	if err != nil {
		return MemberPage{}, err
	}
	now := a.Clock.Now()
	page.Members = slices.DeleteFunc(page.Members, func(m *Member) bool { return m.Expired(now) })
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMembersView, "members", string(status),
		fmt.Sprintf("会員一覧（%s）を閲覧（%d件）", memberStatusLabel(status), len(page.Members)))
	return page, nil
}

// transition moves member id from one status to another with a
// version-checked write, reading again when a concurrent write won.
// A mail of kind (none when "") goes into the outbox with the write.
func (a *MemberAdmin) transition(ctx context.Context, id string, from, to MemberStatus, wrong *Reason, edit func(m *Member), kind MailKind) (*Member, error) {
	var m *Member
	err := RetryOn(editAttempts, func() error {
		var err error
		if m, err = a.Store.Member(ctx, id); err != nil {
			return err
		}
		if m.Status != from {
			return wrong.Messagef("この会員は現在「%s」のため、この操作はできません。", memberStatusLabel(m.Status))
		}
		m.Status, m.UpdatedAt = to, after(a.Clock, m.UpdatedAt)
		if edit != nil {
			edit(m)
		}
		if kind != "" {
			return a.Store.UpdateMember(ctx, m, StatusMail(kind, m, m.UpdatedAt))
		}
		return a.Store.UpdateMember(ctx, m)
	}, ErrMemberChanged)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ApproveMember activates a membership that awaits approval and mails the
// member. Conflict (reason "member_not_pending") for any other status.
func (a *MemberAdmin) ApproveMember(ctx context.Context, v Viewer, id string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	m, err := a.transition(ctx, id, MemberPendingApproval, MemberActive, ErrMemberNotPending, func(m *Member) {
		now := m.UpdatedAt
		m.ApprovedAt = &now
		// The claim approved with the membership: what organizers saw.
		m.EligibilityApproval = &EligibilityApproval{EligibilityClaim: m.Claim(), By: actorOf(v), At: now}
	}, MailApproved)
	if err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMemberApprove, "member", id, m.Membership.Label()+"の入会を承認")
	return m, nil
}

// RejectMember declines an application: the applicant is erased, so that
// nothing personal remains, and then mailed (with the reason, when given)
// at the address read before. The erasure requires the applicant unchanged
// since that read, so an approval (or any edit) racing the rejection wins:
// Conflict (reason "member_changed"), nobody erased, nobody mailed.
// Conflict (reason "member_not_pending") unless the member awaits
// approval. A rejection mail that fails cannot be sent again (the address
// is gone): the failure is logged and noted in the audit log.
func (a *MemberAdmin) RejectMember(ctx context.Context, v Viewer, id, reason string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	reason, err := actionReason(reason)
	if err != nil {
		return nil, err
	}
	m, err := a.Store.Member(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Status != MemberPendingApproval {
		return nil, ErrMemberNotPending.Messagef("この会員は現在「%s」のため、この操作はできません。", memberStatusLabel(m.Status))
	}
	now := a.Clock.Now()
	// The address is read before the erasure and travels only with the
	// mail, which the erasing transaction puts in the outbox.
	kept, err := a.Store.EraseApplicant(ctx, id, MemberPendingApproval, m.UpdatedAt, now,
		RejectedMail(id, Recipient{Name: m.Name, Email: m.Email}, reason, now))
	if errors.Is(err, ErrMemberChanged) {
		return nil, ErrMemberChanged.Messagef("この会員の情報が同時に変更されました（承認されたなど）。会員の状態を確かめてから、もう一度操作してください。")
	}
	if err != nil {
		return nil, err
	}
	summary := m.Membership.Label() + "の入会申請を却下し、申請者の情報を削除"
	if reason != "" {
		summary += "（理由を通知）"
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMemberReject, "member", id, summary)
	return kept, nil
}

// actionReason checks an organizer's reason for a membership decision.
func actionReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if _, ok := cleanText(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(reason)); !ok {
		return "", FieldErrors{"reason": "理由に使えない文字が含まれています。"}.Err()
	}
	if utf8.RuneCountInString(reason) > maxReasonRunes {
		return "", FieldErrors{"reason": fmt.Sprintf("理由は%d文字以内で入力してください。", maxReasonRunes)}.Err()
	}
	return reason, nil
}

// SuspendMember suspends an active member, who can then no longer
// register for events. Conflict (reason "member_not_suspendable") for any other
// status, (reason "cannot_suspend_self") for the organizer themselves.
func (a *MemberAdmin) SuspendMember(ctx context.Context, v Viewer, id string) (*Member, error) {
	return a.SuspendMemberBecause(ctx, v, id, "")
}

// SuspendMemberBecause is SuspendMember with the organizer's reason, kept
// in the audit log (not mailed: a suspension is not announced). Invalid
// (reason "validation_failed") for a reason too long or of unusable
// characters.
func (a *MemberAdmin) SuspendMemberBecause(ctx context.Context, v Viewer, id, reason string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	reason, err := actionReason(reason)
	if err != nil {
		return nil, err
	}
	if v.Member.ID == id {
		return nil, ErrCannotSuspendSelf
	}
	// Every session they hold ends with the suspension, in the same write.
	m, err := a.transition(ctx, id, MemberActive, MemberSuspended, ErrMemberNotSuspendable, func(m *Member) {
		at := m.UpdatedAt
		m.SessionsEndedAt = &at
	}, "")
	if err != nil {
		return nil, err
	}
	summary := "会員資格を停止"
	if reason != "" {
		summary += "（理由: " + reason + "）"
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMemberSuspend, "member", id, summary)
	return m, nil
}

// ReinstateMember ends a suspension. Conflict (reason
// "member_not_suspended") for any other status.
func (a *MemberAdmin) ReinstateMember(ctx context.Context, v Viewer, id string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	m, err := a.transition(ctx, id, MemberSuspended, MemberActive, ErrMemberNotSuspended, nil, "")
	if err != nil {
		return nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMemberReinstate, "member", id, "会員資格の停止を解除")
	return m, nil
}
