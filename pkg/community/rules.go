package community

import "time"

// CheckRegistration applies every rule that decides whether v (or, for a
// guest, nobody signed in) may register for e at now. Capacity is not checked
// here: the store enforces it atomically.
func (e *Event) CheckRegistration(v Viewer, guest *Guest, now time.Time) error {
	switch e.Status {
	case EventDraft:
		return ErrEventNotFound
	case EventCancelled:
		return ErrEventCancelled
	}
	if !now.Before(e.StartsAt) {
		return ErrEventStarted
	}
	if o := e.RegistrationOpensAt; o != nil && now.Before(*o) {
		return ErrRegistrationNotOpen
	}
	if c := e.RegistrationClosesAt; c != nil && !now.Before(*c) {
		return ErrRegistrationClosed
	}
	if v.Member == nil {
		if guest == nil {
			return ErrUnauthorized.Messagef("ログインするか、お名前とメールアドレスを入力してください。")
		}
		if e.Audience == AudienceRegular {
			return ErrMembersOnly.Messagef("このイベントは正会員限定です。ログインしてお申し込みください。")
		}
		if e.Audience != AudiencePublic {
			return ErrMembersOnly
		}
		if el := e.Eligibility; el != nil && (el.PublicServantOnly || el.MinAge != nil || el.MaxAge != nil) {
			return ErrMembersOnly.Messagef("このイベントは参加条件の確認が必要なため、会員登録のうえお申し込みください。")
		}
		return nil
	}
	m := v.Member
	switch m.Status {
	case MemberActive:
	case MemberSuspended:
		return ErrMemberSuspended
	case MemberPendingApproval:
		return ErrMemberNotActive.Messagef("会員登録の承認後にお申し込みいただけます。")
	default:
		return ErrMemberNotActive
	}
	if !v.MayAttend(e) {
		return ErrRegularMembersOnly
	}
	return e.checkEligibility(m)
}

func (e *Event) checkEligibility(m *Member) error {
	el := e.Eligibility
	if el == nil {
		return nil
	}
	if el.PublicServantOnly && !m.PublicServant {
		return ErrPublicServantsOnly
	}
	if el.MinAge == nil && el.MaxAge == nil {
		return nil
	}
	age, ok := m.AgeOn(e.StartsAt)
	if !ok {
		return ErrBirthDateRequired
	}
	if (el.MinAge != nil && age < *el.MinAge) || (el.MaxAge != nil && age > *el.MaxAge) {
		return ErrAgeNotEligible
	}
	return nil
}
