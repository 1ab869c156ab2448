package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

var errCSRF = community.ErrInvalidCSRF.Messagef("フォームの有効期限が切れたか、別のサイトから送信されました。ページを開き直してからお試しください。")

// profileValues is the profile form, as stored or as typed.
type profileValues struct {
	Name          string
	NameKana      string
	Affiliation   string
	Department    string
	JobCategory   string
	PublicServant string // "yes" or "no"
	BirthDate     string // YYYY-MM-DD or ""
}

type meData struct {
	Member        *community.Member
	Membership    string
	Status        string
	Pending       bool
	BirthDate     string // 1990年4月1日(日), "" when not given
	Profile       profileValues
	Errors        map[string]string // profile form
	Message       string
	Saved         string // which form was just saved
	WithdrawError string
	Upcoming      []myRegistration
	Past          []myRegistration
	// Nominations are an organization member's nominations (団体推薦).
	Nominations []myNomination
	// Locked: public servant and birth date are an organizer's to change
	// now; the member asks (the eligibility form) and Requested shows the
	// pending request.
	Locked          bool
	Requested       *claimView
	EligibilityForm claimValues
	EligibilityErrs map[string]string
	// Calendar is the カレンダー連携 section; nil leaves it out.
	Calendar *calendarView
}

// calendarView is my page's calendar feed section.
type calendarView struct {
	URL string // the feed's secret URL, "" when the member has none
	// Subscribe is the same as webcal://, which calendar apps open to
	// subscribe; html/template refuses the scheme unless told it is ours
	// (it is: the configured base URL and a hex token).
	Subscribe template.URL
}

// claimView is an eligibility claim in words.
type claimView struct {
	PublicServant, BirthDate, Reason string
}

// claimValues is the eligibility request form as filled in.
type claimValues struct {
	PublicServant, BirthDate, Reason string
}

func claimWords(publicServant bool, birth *time.Time) (string, string) {
	ps, bd := "いいえ", "未登録"
	if publicServant {
		ps = "はい"
	}
	if birth != nil {
		bd = jadate.Date(*birth)
	}
	return ps, bd
}

func profileOf(m *community.Member) profileValues {
	p := profileValues{
		Name:          m.Name,
		NameKana:      m.NameKana,
		Affiliation:   m.Affiliation,
		Department:    m.Department,
		JobCategory:   m.JobCategory,
		PublicServant: "no",
	}
	if m.PublicServant {
		p.PublicServant = "yes"
	}
	if m.BirthDate != nil {
		p.BirthDate = m.BirthDate.In(community.Tokyo).Format("2006-01-02")
	}
	return p
}

func newMeData(m *community.Member) meData {
	d := meData{
		Member:     m,
		Membership: m.Membership.Label(),
		Status:     statusLabel(m.Status),
		Pending:    m.Status == community.MemberPendingApproval,
		Profile:    profileOf(m),
	}
	if m.BirthDate != nil {
		d.BirthDate = jadate.Date(*m.BirthDate)
	}
	d.Locked = m.EligibilityLocked()
	d.EligibilityForm = claimValues{PublicServant: d.Profile.PublicServant, BirthDate: d.Profile.BirthDate}
	if rq := m.EligibilityRequest; rq != nil {
		ps, bd := claimWords(rq.PublicServant, rq.BirthDate)
		d.Requested = &claimView{PublicServant: ps, BirthDate: bd, Reason: rq.Reason}
	}
	return d
}

// me is my page; without a session it sends people to sign in.
func (h *Handler) me(ctx context.Context, r *request) response {
	if r.viewer.Member == nil {
		return redirect("/signin")
	}
	d := newMeData(r.viewer.Member)
	switch r.query.Get("saved") {
	case "profile":
		d.Saved = "プロフィールを保存しました。"
	case "preferences":
		d.Saved = "メール配信の設定を保存しました。"
	case "cancelled":
		d.Saved = "申込を取り消しました。"
	case "eligibility":
		d.Saved = "参加資格の変更を申請しました。運営者が確認するまで、これまでの内容のままです。"
	case "nominated":
		d.Saved = "推薦を受け付けました。推薦した方それぞれに確認メールをお送りしました（ご本人の確定で申込となります）。"
	case "calendar_issued":
		d.Saved = "カレンダー連携のURLを発行しました。カレンダーアプリに登録してください。"
	case "calendar_renewed":
		d.Saved = "カレンダー連携のURLを再発行しました。古いURLは使えなくなりました。カレンダーアプリの登録を新しいURLに替えてください。"
	case "calendar_stopped":
		d.Saved = "カレンダー連携を停止しました。これまでのURLは使えなくなりました。"
	}
	return h.renderMe(ctx, r, http.StatusOK, "マイページ", d)
}

// renderMe shows my page with the member's registrations, which every
// version of the page lists, also after a refused form.
func (h *Handler) renderMe(ctx context.Context, r *request, status int, title string, d meData) response {
	var err error
	d.Upcoming, d.Past, err = h.myRegistrations(ctx, r)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	if d.Nominations, err = h.myNominations(ctx, r); err != nil {
		return h.errorPage(ctx, r, err)
	}
	d.Calendar = h.calendarView(r.viewer.Member)
	return h.render(ctx, r, status, "me", title, "me", d)
}

// sessionForm reads a form posted with the session and checks its CSRF
// token. ok is false when resp is the answer already.
func (h *Handler) sessionForm(ctx context.Context, r *request) (f url.Values, resp response, ok bool) {
	if r.viewer.Member == nil {
		return nil, redirect("/signin"), false
	}
	f, err := r.form()
	if err != nil {
		return nil, h.errorPage(ctx, r, err), false
	}
	if !h.validCSRF(r, f) {
		return nil, h.errorPage(ctx, r, errCSRF), false
	}
	return f, response{}, true
}

// updateMe saves either the preferences form or the profile form, then
// redirects so a reload does not post again.
func (h *Handler) updateMe(ctx context.Context, r *request) response {
	f, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return resp
	}
	var u community.ProfileUpdate
	which := f.Get("form")
	switch which {
	case "preferences":
		reminders, announcements := f.Get("reminders") != "", f.Get("announcements") != ""
		u.Reminders, u.Announcements = &reminders, &announcements
	case "profile":
		p := profileValues{
			Name:          f.Get("name"),
			NameKana:      f.Get("name_kana"),
			Affiliation:   f.Get("affiliation"),
			Department:    f.Get("department"),
			JobCategory:   f.Get("job_category"),
			PublicServant: f.Get("public_servant"),
			BirthDate:     f.Get("birth_date"),
		}
		ps := p.PublicServant == "yes"
		u = community.ProfileUpdate{
			Name: &p.Name, NameKana: &p.NameKana, Affiliation: &p.Affiliation, Department: &p.Department,
			JobCategory: &p.JobCategory, PublicServant: &ps, BirthDate: &p.BirthDate,
		}
		if r.viewer.Member.EligibilityLocked() {
			// The form has no such fields then: the eligibility form asks.
			u.PublicServant, u.BirthDate = nil, nil
			p.PublicServant, p.BirthDate = profileOf(r.viewer.Member).PublicServant, profileOf(r.viewer.Member).BirthDate
		}
		_, err := h.members.UpdateMe(ctx, r.viewer, u)
		if community.ErrorCode(err) == community.Invalid {
			d := newMeData(r.viewer.Member)
			d.Profile, d.Errors, d.Message = p, community.ErrorFields(err), community.ErrorMessage(err)
			return h.renderMe(ctx, r, http.StatusBadRequest, "マイページ（入力内容の確認）", d)
		}
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		return redirect("/me?saved=profile")
	case "calendar":
		return h.updateCalendar(ctx, r, f.Get("action"))
	case "eligibility":
		c := claimValues{PublicServant: f.Get("public_servant"), BirthDate: f.Get("birth_date"), Reason: f.Get("reason")}
		_, err := h.members.RequestEligibilityChange(ctx, r.viewer, c.PublicServant == "yes", c.BirthDate, c.Reason)
		if community.ErrorCode(err) == community.Invalid {
			d := newMeData(r.viewer.Member)
			d.EligibilityForm, d.EligibilityErrs, d.Message = c, community.ErrorFields(err), community.ErrorMessage(err)
			return h.renderMe(ctx, r, http.StatusBadRequest, "マイページ（入力内容の確認）", d)
		}
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		return redirect("/me?saved=eligibility#eligibility")
	default:
		return h.errorPage(ctx, r, community.ErrInvalidForm)
	}
	if _, err := h.members.UpdateMe(ctx, r.viewer, u); err != nil {
		return h.errorPage(ctx, r, err)
	}
	return redirect("/me?saved=preferences")
}

// withdraw ends the membership after an explicit confirmation.
func (h *Handler) withdraw(ctx context.Context, r *request) response {
	f, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return resp
	}
	if f.Get("confirm") != "yes" {
		d := newMeData(r.viewer.Member)
		d.WithdrawError = "退会するには、確認のチェックを入れてください。"
		return h.renderMe(ctx, r, http.StatusBadRequest, "マイページ（退会の確認）", d)
	}
	if err := h.members.Withdraw(ctx, r.viewer); err != nil {
		return h.errorPage(ctx, r, err)
	}
	// Withdrawal already made the session useless; revoking it too keeps a
	// copied cookie from resolving even for a moment.
	if err := h.sessions.Revoke(ctx, r.token); err != nil {
		logger(ctx).WarnContext(ctx, "web: revoke after withdrawal", "error", err)
	}
	r.viewer, r.token = community.Viewer{}, ""
	resp = h.render(ctx, r, http.StatusOK, "withdrawn", "退会しました", "", nil)
	resp.cookies = []string{h.expiredCookie()}
	return resp
}

// signout ends the session and forgets the cookie.
func (h *Handler) signout(ctx context.Context, r *request) response {
	if r.viewer.Member == nil {
		resp := redirect("/")
		resp.cookies = []string{h.expiredCookie()}
		return resp
	}
	_, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return resp
	}
	if err := h.sessions.Revoke(ctx, r.token); err != nil {
		return h.errorPage(ctx, r, err)
	}
	resp = redirect("/")
	resp.cookies = []string{h.expiredCookie()}
	return resp
}

// calendarView is the calendar feed section for m; nil without the service.
func (h *Handler) calendarView(m *community.Member) *calendarView {
	if h.calendars == nil {
		return nil
	}
	v := &calendarView{}
	if token, ok := h.calendars.Token(m); ok {
		v.URL = community.CalendarFeedURL(h.cfg.BaseURL, token)
		if rest, ok := strings.CutPrefix(v.URL, "https://"); ok {
			v.Subscribe = template.URL("webcal://" + rest)
		}
	}
	return v
}

// updateCalendar issues, renews or stops the member's calendar feed URL
// (the form's action), then comes back to the section.
func (h *Handler) updateCalendar(ctx context.Context, r *request, action string) response {
	if h.calendars == nil {
		return h.errorPage(ctx, r, community.ErrInvalidForm)
	}
	var saved string
	switch action {
	case "issue", "renew":
		saved = "calendar_issued"
		if _, had := h.calendars.Token(r.viewer.Member); had {
			saved = "calendar_renewed"
		}
		if _, err := h.calendars.Issue(ctx, r.viewer); err != nil {
			return h.errorPage(ctx, r, err)
		}
	case "stop":
		saved = "calendar_stopped"
		if err := h.calendars.Stop(ctx, r.viewer); err != nil {
			return h.errorPage(ctx, r, err)
		}
	default:
		return h.errorPage(ctx, r, community.ErrInvalidForm)
	}
	return redirect("/me?saved=" + saved + "#calendar")
}
