package community

import "time"

// CheckRegistration applies every rule that decides whether v (or, for a
// guest, nobody signed in) may register for e at now. Capacity is not checked
// here: the store enforces it atomically.
func (e *Event) CheckRegistration(v Viewer, guest *Guest, now time.Time) error {
	switch e.Status {
	case EventDraft:
		return Errorf(NotFound, "event_not_found", "イベントが見つかりません。")
	case EventCancelled:
		return Errorf(Closed, "event_cancelled", "このイベントは中止になりました。")
	}
	if !now.Before(e.StartsAt) {
		return Errorf(Closed, "event_started", "このイベントはすでに開始しているため、申し込めません。")
	}
	if o := e.RegistrationOpensAt; o != nil && now.Before(*o) {
		return Errorf(Closed, "registration_not_open", "申込受付はまだ始まっていません。")
	}
	if c := e.RegistrationClosesAt; c != nil && !now.Before(*c) {
		return Errorf(Closed, "registration_closed", "申込受付は締め切りました。")
	}
	if v.Member == nil {
		if guest == nil {
			return Errorf(Unauthorized, "unauthorized", "ログインするか、お名前とメールアドレスを入力してください。")
		}
		if e.Audience != AudiencePublic {
			return Errorf(Forbidden, "members_only", "このイベントは会員限定です。ログインしてお申し込みください。")
		}
		if el := e.Eligibility; el != nil && (el.PublicServantOnly || el.MinAge != nil || el.MaxAge != nil) {
			return Errorf(Forbidden, "members_only", "このイベントは参加条件の確認が必要なため、会員登録のうえお申し込みください。")
		}
		return nil
	}
	m := v.Member
	switch m.Status {
	case MemberActive:
	case MemberSuspended:
		return Errorf(Forbidden, "member_suspended", "会員資格が停止されているため、申し込めません。")
	case MemberPendingApproval:
		return Errorf(Forbidden, "member_not_active", "会員登録の承認後にお申し込みいただけます。")
	default:
		return Errorf(Forbidden, "member_not_active", "会員登録が完了していないため、申し込めません。")
	}
	if !v.MayAttend(e) {
		return Errorf(Forbidden, "regular_members_only", "このイベントは正会員限定です。")
	}
	return e.checkEligibility(m)
}

func (e *Event) checkEligibility(m *Member) error {
	el := e.Eligibility
	if el == nil {
		return nil
	}
	if el.PublicServantOnly && !m.PublicServant {
		return Errorf(Forbidden, "public_servants_only", "このイベントは公務員の方が対象です。")
	}
	if el.MinAge == nil && el.MaxAge == nil {
		return nil
	}
	age, ok := m.AgeOn(e.StartsAt)
	if !ok {
		return Errorf(Forbidden, "birth_date_required", "年齢条件があるため、マイページで生年月日を登録してからお申し込みください。")
	}
	if (el.MinAge != nil && age < *el.MinAge) || (el.MaxAge != nil && age > *el.MaxAge) {
		return Errorf(Forbidden, "age_not_eligible", "開催初日時点の年齢が参加条件に合わないため、申し込めません。")
	}
	return nil
}
