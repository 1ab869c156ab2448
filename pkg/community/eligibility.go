package community

import (
	"context"
	"fmt"
	"time"
)

// Eligibility claims. Whether someone is a public servant, and their birth
// date, decide who may take a seat at an event for public servants aged 25
// to 39 (rules.go). A member states them at signup; once the membership is
// in force they are no longer the member's to change: an organizer sets
// them (audited), and a member who needs them changed asks, and the change
// waits for an organizer, as the signup did. Organizers see what was last
// approved, and by whom.

// EligibilityClaim is a member's public-servant status and birth date.
type EligibilityClaim struct {
	PublicServant bool
	BirthDate     *time.Time // a Tokyo calendar day; nil = not given
}

func (c EligibilityClaim) equal(d EligibilityClaim) bool {
	return c.PublicServant == d.PublicServant && sameDay(c.BirthDate, d.BirthDate)
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// EligibilityRequest is a member's pending request to change their claim.
type EligibilityRequest struct {
	EligibilityClaim
	Reason      string
	RequestedAt time.Time
}

// EligibilityApproval records the claim an organizer approved.
type EligibilityApproval struct {
	EligibilityClaim
	By string // the organizer's member id
	At time.Time
}

// Claim is m's eligibility claim as it stands.
func (m *Member) Claim() EligibilityClaim {
	return EligibilityClaim{PublicServant: m.PublicServant, BirthDate: m.BirthDate}
}

// EligibilityLocked reports whether m's claim is past changing by the
// member: the membership is in force (active or suspended). Before that —
// unverified, or waiting for approval — the approval still lies ahead.
func (m *Member) EligibilityLocked() bool {
	return m.Status == MemberActive || m.Status == MemberSuspended
}

// RequestEligibilityChange stores the signed-in member's request to change
// their claim, for an organizer to decide (SetEligibility). The claim in
// force stays as it is meanwhile. A request equal to the claim in force
// withdraws any pending one. Invalid (reason "validation_failed") for a
// birth date that is not a date, or one in the future.
func (s *Members) RequestEligibilityChange(ctx context.Context, v Viewer, publicServant bool, birthDate, reason string) (*Member, error) {
	cur, err := requireMember(v)
	if err != nil {
		return nil, err
	}
	f := FieldErrors{}
	bd := parseClaimDate(f, "birth_date", birthDate, s.Clock.Now())
	reason = textField(f, "reason", "変更の理由", reason, false, 500)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var m *Member
	err = RetryOn(memberAttempts, func() error {
		fresh, err := s.Store.Member(ctx, cur.ID)
		if ErrorCode(err) == NotFound {
			return ErrUnauthorized
		}
		if err != nil {
			return err
		}
		if !fresh.EligibilityLocked() {
			return ErrEligibilityNotLocked
		}
		x := *fresh
		now := s.Clock.Now()
		claim := EligibilityClaim{PublicServant: publicServant, BirthDate: bd}
		if claim.equal(x.Claim()) {
			x.EligibilityRequest = nil
		} else {
			x.EligibilityRequest = &EligibilityRequest{EligibilityClaim: claim, Reason: reason, RequestedAt: now}
		}
		x.UpdatedAt = after(s.Clock, x.UpdatedAt)
		if err := s.Store.UpdateMember(ctx, &x); err != nil {
			return err
		}
		m = &x
		return nil
	}, ErrMemberChanged)
	return m, err
}

// parseClaimDate reads a birth date of a claim ("" = none) into f.
func parseClaimDate(f FieldErrors, field, s string, now time.Time) *time.Time {
	bd, ok := ParseBirthDate(s)
	switch {
	case !ok:
		f.Add(field, "生年月日は 1990-04-01 の形式で入力してください。")
	case bd != nil && bd.After(now):
		f.Add(field, "生年月日が未来の日付になっています。")
	}
	return bd
}

// SetEligibility is an organizer setting member id's claim — approving a
// pending request, or correcting what the member stated — recorded as the
// approved claim and audited. Any pending request is closed by it.
func (a *MemberAdmin) SetEligibility(ctx context.Context, v Viewer, id string, publicServant bool, birthDate string) (*Member, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	bd := parseClaimDate(f, "birth_date", birthDate, a.Clock.Now())
	if err := f.Err(); err != nil {
		return nil, err
	}
	var m *Member
	err := RetryOn(editAttempts, func() error {
		cur, err := a.Store.Member(ctx, id)
		if err != nil {
			return err
		}
		if cur.Status == MemberWithdrawn || cur.Status == MemberUnverified {
			return ErrMemberNotFound // erased, or not yet anyone's
		}
		x := *cur
		x.UpdatedAt = after(a.Clock, x.UpdatedAt)
		x.PublicServant, x.BirthDate = publicServant, bd
		x.EligibilityRequest = nil
		x.EligibilityApproval = &EligibilityApproval{EligibilityClaim: x.Claim(), By: actorOf(v), At: x.UpdatedAt}
		if err := a.Store.UpdateMember(ctx, &x); err != nil {
			return err
		}
		m = &x
		return nil
	}, ErrMemberChanged)
	if err != nil {
		return nil, err
	}
	birth := "未登録"
	if bd != nil {
		birth = bd.Format("2006-01-02")
	}
	servant := "いいえ"
	if publicServant {
		servant = "はい"
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditMemberEligibility, "member", id,
		fmt.Sprintf("参加資格を設定（公務員: %s、生年月日: %s）", servant, birth))
	return m, nil
}
