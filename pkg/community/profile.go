package community

import (
	"context"
	"time"
)

// Lists a member can opt out of by the link in a mail.
const (
	ListReminders     = "reminders"
	ListAnnouncements = "announcements"
)

// ListLabel is the Japanese name of an opt-out list.
func ListLabel(list string) string {
	switch list {
	case ListReminders:
		return "イベント前のリマインダーメール"
	case ListAnnouncements:
		return "お知らせメール"
	}
	return list
}

// ProfileUpdate is a partial change to the signed-in member: nil leaves a field as it is.
type ProfileUpdate struct {
	Name          *string
	NameKana      *string
	Affiliation   *string
	Department    *string
	JobCategory   *string
	PublicServant *bool
	BirthDate     *string // "" clears it
	Reminders     *bool
	Announcements *bool
}

func requireMember(v Viewer) (*Member, error) {
	if v.Member == nil {
		return nil, ErrUnauthorized
	}
	return v.Member, nil
}

// Me returns the signed-in member.
func (s *Members) Me(_ context.Context, v Viewer) (*Member, error) {
	return requireMember(v)
}

// UpdateMe changes the signed-in member's profile and preferences. It
// applies the change to the member as stored now, not to the session's
// copy, and retries when a concurrent write wins, so nothing written since
// (a withdrawal, an approval) is undone.
func (s *Members) UpdateMe(ctx context.Context, v Viewer, u ProfileUpdate) (*Member, error) {
	cur, err := requireMember(v)
	if err != nil {
		return nil, err
	}
	var m *Member
	err = RetryOn(memberAttempts, func() error {
		var err error
		m, err = s.updateMe(ctx, cur.ID, u)
		return err
	}, ErrMemberChanged)
	return m, err
}

func (s *Members) updateMe(ctx context.Context, id string, u ProfileUpdate) (*Member, error) {
	now := s.Clock.Now()
	fresh, err := s.Store.Member(ctx, id)
	if ErrorCode(err) == NotFound {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if fresh.Status == MemberWithdrawn || fresh.Status == MemberUnverified {
		return nil, ErrUnauthorized
	}
	m := *fresh
	p := ProfileInput{m.Name, m.NameKana, m.Affiliation, m.Department, m.JobCategory, m.PublicServant, ""}
	if m.BirthDate != nil {
		p.BirthDate = m.BirthDate.In(Tokyo).Format("2006-01-02")
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.Name, u.Name)
	set(&p.NameKana, u.NameKana)
	set(&p.Affiliation, u.Affiliation)
	set(&p.Department, u.Department)
	set(&p.JobCategory, u.JobCategory)
	set(&p.BirthDate, u.BirthDate)
	if u.PublicServant != nil {
		p.PublicServant = *u.PublicServant
	}
	f := FieldErrors{}
	p, bd := p.validate(f, now)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if m.EligibilityLocked() && !(EligibilityClaim{p.PublicServant, bd}).equal(m.Claim()) {
		// Past approval the claim is an organizer's to change: the member
		// asks (RequestEligibilityChange). The same values sent back, as a
		// form resending the whole profile does, are no change.
		return nil, ErrEligibilityLocked
	}
	m.Name, m.NameKana, m.Affiliation, m.Department, m.JobCategory, m.PublicServant, m.BirthDate =
		p.Name, p.NameKana, p.Affiliation, p.Department, p.JobCategory, p.PublicServant, bd
	if u.Reminders != nil {
		m.Preferences.Reminders = *u.Reminders
	}
	if u.Announcements != nil && *u.Announcements != m.Preferences.Announcements {
		m.Preferences.Announcements = *u.Announcements
		m.Consent.recordAnnouncements(*u.Announcements, now)
	}
	m.UpdatedAt = now
	if err := s.Store.UpdateMember(ctx, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Withdraw ends the membership: personal data is erased from every item that
// holds it; what the consent record and counts need stays.
func (s *Members) Withdraw(ctx context.Context, v Viewer) error {
	m, err := requireMember(v)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	if s.BeforeWithdraw != nil {
		if err := s.BeforeWithdraw(ctx, m, now); err != nil {
			return err
		}
	}
	_, err = s.Store.WithdrawMember(ctx, m.ID, now)
	return err
}

// Unsubscribe turns off one list for a member, from a signed link. Doing it
// twice is harmless.
func (s *Members) Unsubscribe(ctx context.Context, memberID, list string) (*Member, error) {
	if list != ListReminders && list != ListAnnouncements {
		return nil, ErrInvalidToken
	}
	var m *Member
	err := RetryOn(memberAttempts, func() error {
		var err error
		m, err = s.Store.Member(ctx, memberID)
		if ErrorCode(err) == NotFound {
			return ErrInvalidToken
		}
		if err != nil || m.Status == MemberWithdrawn {
			return err
		}
		switch list {
		case ListReminders:
			m.Preferences.Reminders = false
		case ListAnnouncements:
			if m.Preferences.Announcements {
				m.Consent.recordAnnouncements(false, s.Clock.Now())
			}
			m.Preferences.Announcements = false
		}
		m.UpdatedAt = s.Clock.Now()
		return s.Store.UpdateMember(ctx, m) // a concurrent change may win; read again
	}, ErrMemberChanged)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// recordAnnouncements keeps the consent record in step with the member's
// answer on announcements (特定電子メール法: whoever sends them must be
// able to show the recipient agreed, and when).
func (c *Consent) recordAnnouncements(agreed bool, at time.Time) {
	c.Announcements = agreed
	c.AnnouncementsChangedAt = &at
}
