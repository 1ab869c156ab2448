package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// The console's member pages: the applications waiting for approval and
// the eligibility change requests waiting for a decision come first, then
// a search; a member's page shows what they submitted and the actions
// their status allows, each posted with the session's CSRF token.

// memberRow is a member as the console's lists show them.
type memberRow struct {
	ID          string
	Name        string
	NameKana    string
	Affiliation string
	Department  string
	Membership  string
	Status      string
	Since       string // applied (or registered) on
	Request     *claimView
}

func newMemberRow(m *community.Member) memberRow {
	row := memberRow{
		ID: m.ID, Name: m.Name, NameKana: m.NameKana, Affiliation: m.Affiliation, Department: m.Department,
		Membership: m.Membership.Label(), Status: statusLabel(m.Status), Since: jadate.Date(m.CreatedAt),
	}
	if rq := m.EligibilityRequest; rq != nil {
		ps, bd := claimWords(rq.PublicServant, rq.BirthDate)
		row.Request = &claimView{PublicServant: ps, BirthDate: bd, Reason: rq.Reason}
	}
	return row
}

func memberRows(ms []*community.Member) []memberRow {
	out := make([]memberRow, 0, len(ms))
	for _, m := range ms {
		out = append(out, newMemberRow(m))
	}
	return out
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// consoleStatuses are the status filter's choices; "" is every member
// that is someone (pending, active, suspended).
var consoleStatuses = []struct {
	status community.MemberStatus
	label  string
}{
	{"", "すべて"},
	{community.MemberPendingApproval, "審査中"},
	{community.MemberActive, "有効"},
	{community.MemberSuspended, "利用停止中"},
}

type consoleMembersData struct {
	Query    string
	Statuses []option
	Searched bool
	Pending  []memberRow
	Requests []memberRow
	Results  []memberRow
	More     bool
	Done     string
}

// consoleMembers lists the members: with no search, the applications and
// eligibility requests awaiting organizers; with one, the members found.
func (h *Handler) consoleMembers(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	q, status := r.query.Get("q"), r.query.Get("status")
	d := consoleMembersData{Query: q}
	known := false
	for _, s := range consoleStatuses {
		d.Statuses = append(d.Statuses, option{Value: string(s.status), Label: s.label, Selected: string(s.status) == status})
		known = known || string(s.status) == status
	}
	if !known {
		return h.errorPage(ctx, r, community.ErrInvalidStatus.Messagef("状態の指定が正しくありません。"))
	}
	if r.query.Get("done") == "rejected" {
		d.Done = "入会申請を却下しました。申請者の情報は削除され、却下のお知らせをメールで送りました。"
	}
	if q != "" || status != "" {
		d.Searched = true
		query := community.MemberQuery{Text: q, Limit: 200}
		if status != "" {
			query.Statuses = []community.MemberStatus{community.MemberStatus(status)}
		}
		found, err := h.memberAdmin.SearchMembers(ctx, v, query)
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		d.Results, d.More = memberRows(found.Members), found.More
		return h.render(ctx, r, http.StatusOK, "console_members", "会員の検索結果", "admin-members", d)
	}
	pending, err := h.memberAdmin.SearchMembers(ctx, v, community.MemberQuery{
		Statuses: []community.MemberStatus{community.MemberPendingApproval}, Limit: 200})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	requests, err := h.memberAdmin.SearchMembers(ctx, v, community.MemberQuery{
		Statuses: []community.MemberStatus{community.MemberActive, community.MemberSuspended}, EligibilityRequested: true, Limit: 200})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d.Pending, d.Requests = memberRows(pending.Members), memberRows(requests.Members)
	d.More = pending.More || requests.More
	return h.render(ctx, r, http.StatusOK, "console_members", "会員管理", "admin-members", d)
}

// requestValues is a pending eligibility request as the approval form
// posts it back: what the organizer saw is what gets set.
type requestValues struct {
	PublicServant string // "yes" or "no"
	BirthDate     string // YYYY-MM-DD or ""
}

type consoleMemberData struct {
	memberRow
	Email       string
	JobCategory string
	Servant     string
	BirthDate   string
	Verified    string
	Approved    string
	Consent     string
	Approval    string // the last approved claim, in words
	RequestForm requestValues
	Pending     bool
	Active      bool
	Suspended   bool
	Self        bool
	MailStopped bool
	Errors      map[string]string
	Message     string
	Action      string // the form the errors belong to
	Reason      string // as typed, after a refusal
	Done        string
	AuditFilter string // the member's audit log
}

func (h *Handler) newConsoleMember(v community.Viewer, m *community.Member) consoleMemberData {
	d := consoleMemberData{
		memberRow:   newMemberRow(m),
		Email:       m.Email,
		JobCategory: m.JobCategory,
		Pending:     m.Status == community.MemberPendingApproval,
		Active:      m.Status == community.MemberActive,
		Suspended:   m.Status == community.MemberSuspended,
		Self:        v.Member != nil && v.Member.ID == m.ID,
		MailStopped: m.MailSuppressed != nil,
		AuditFilter: "/admin/audit?member=" + url.QueryEscape(m.ID),
	}
	d.Servant, d.BirthDate = claimWords(m.PublicServant, m.BirthDate)
	if m.VerifiedAt != nil {
		d.Verified = jadate.DateTime(*m.VerifiedAt)
	}
	if m.ApprovedAt != nil {
		d.Approved = jadate.DateTime(*m.ApprovedAt)
	}
	if c := m.Consent; c.Terms {
		d.Consent = jadate.DateTime(c.AgreedAt) + "（フォームの版: " + c.FormVersion + "）"
	}
	if a := m.EligibilityApproval; a != nil {
		ps, bd := claimWords(a.PublicServant, a.BirthDate)
		d.Approval = "公務員: " + ps + "、生年月日: " + bd + "（" + jadate.DateTime(a.At) + " 承認）"
	}
	if rq := m.EligibilityRequest; rq != nil {
		d.RequestForm.PublicServant = "no"
		if rq.PublicServant {
			d.RequestForm.PublicServant = "yes"
		}
		if rq.BirthDate != nil {
			d.RequestForm.BirthDate = rq.BirthDate.In(community.Tokyo).Format(time.DateOnly)
		}
	}
	return d
}

// doneMessages are the notices after each action, by its done= value.
var doneMessages = map[string]string{
	"approved":    "入会を承認しました。承認のお知らせをメールで送りました。",
	"suspended":   "会員資格を停止しました。この会員はログアウトされ、イベントに申し込めなくなります。",
	"reinstated":  "会員資格の停止を解除しました。",
	"eligibility": "参加資格の変更を承認しました。",
}

// consoleMember shows one member, audited as a reading of personal data.
func (h *Handler) consoleMember(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	m, err := h.memberAdmin.Member(ctx, v, r.params["id"])
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := h.newConsoleMember(v, m)
	d.Done = doneMessages[r.query.Get("done")]
	return h.render(ctx, r, http.StatusOK, "console_member", m.Name+"（会員）", "admin-members", d)
}

// consoleMemberAction runs the action a member's page posted: approve,
// reject, suspend, reinstate, or approve an eligibility request.
func (h *Handler) consoleMemberAction(ctx context.Context, r *request) response {
	v, f, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	id, action, reason := r.params["id"], f.Get("action"), f.Get("reason")
	var err error
	done := ""
	switch action {
	case "approve":
		_, err = h.memberAdmin.ApproveMember(ctx, v, id)
		done = "approved"
	case "reject":
		if _, err = h.memberAdmin.RejectMember(ctx, v, id, reason); err == nil {
			return redirect("/admin/members?done=rejected")
		}
	case "suspend":
		_, err = h.memberAdmin.SuspendMemberBecause(ctx, v, id, reason)
		done = "suspended"
	case "reinstate":
		_, err = h.memberAdmin.ReinstateMember(ctx, v, id)
		done = "reinstated"
	case "eligibility":
		_, err = h.memberAdmin.SetEligibility(ctx, v, id, f.Get("public_servant") == "yes", f.Get("birth_date"))
		done = "eligibility"
	default:
		return h.errorPage(ctx, r, community.ErrInvalidForm)
	}
	if err == nil {
		return redirect("/admin/members/" + url.PathEscape(id) + "?done=" + done)
	}
	switch community.ErrorCode(err) {
	case community.Invalid, community.Conflict:
		// Shown on the member's page as it now stands, with the reason as
		// typed, so the organizer sees why and can decide again.
		m, rerr := h.memberAdmin.Member(ctx, v, id)
		if rerr != nil {
			return h.errorPage(ctx, r, err)
		}
		d := h.newConsoleMember(v, m)
		d.Action, d.Reason, d.Errors, d.Message = action, reason, community.ErrorFields(err), community.ErrorMessage(err)
		status := http.StatusBadRequest
		if community.ErrorCode(err) == community.Conflict {
			status = http.StatusConflict
		}
		return h.render(ctx, r, status, "console_member", m.Name+"（会員・操作の確認）", "admin-members", d)
	}
	return h.errorPage(ctx, r, err)
}
