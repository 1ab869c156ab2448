package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// honeypotField is the signup field people never see (hidden by CSS, out of
// the tab order and the accessibility tree); bots fill it.
const honeypotField = "website"

// membershipOption is one radio button of the membership choice.
type membershipOption struct {
	Value string
	Label string
	Hint  string
}

var membershipOptions = []membershipOption{
	{string(community.MembershipRegular), community.MembershipRegular.Label(),
		"現職の公務員の方。メールアドレスの確認後、事務局の承認をもって有効になります。"},
	{string(community.MembershipSupporting), community.MembershipSupporting.Label(),
		"活動を応援してくださる方ならどなたでも。メールアドレスの確認後すぐに有効になります。"},
	{string(community.MembershipOrganization), community.MembershipOrganization.Label(),
		"自治体などの団体として加入し、担当者の方が登録します。事務局の承認をもって有効になります。"},
}

// signupValues is what was typed, kept to fill the form again on error.
type signupValues struct {
	Email         string
	Name          string
	NameKana      string
	Membership    string
	Affiliation   string
	Department    string
	JobCategory   string
	PublicServant string // "yes", "no" or "" (not answered)
	BirthDate     string
	Terms         bool
	Announcements bool
}

type signupData struct {
	Form        signupValues
	Errors      map[string]string
	Message     string
	Memberships []membershipOption
	Honeypot    string
}

func (h *Handler) signupForm(ctx context.Context, r *request) response {
	d := signupData{Memberships: membershipOptions, Honeypot: honeypotField}
	return h.render(ctx, r, http.StatusOK, "signup", "会員登録", "signup", d)
}

func signupValuesFrom(f url.Values) signupValues {
	return signupValues{
		Email:         f.Get("email"),
		Name:          f.Get("name"),
		NameKana:      f.Get("name_kana"),
		Membership:    f.Get("membership"),
		Affiliation:   f.Get("affiliation"),
		Department:    f.Get("department"),
		JobCategory:   f.Get("job_category"),
		PublicServant: f.Get("public_servant"),
		BirthDate:     f.Get("birth_date"),
		Terms:         f.Get("terms") != "",
		Announcements: f.Get("announcements") != "",
	}
}

// signup takes the form. Whatever happens after validation — a new
// address, a known one, a honeypot hit, the mail limit — the answer is the
// same page, so nobody learns who is a member.
func (h *Handler) signup(ctx context.Context, r *request) response {
	if !h.sameOrigin(r) {
		return h.errorPage(ctx, r, community.ErrCrossSite)
	}
	f, err := r.form()
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	v := signupValuesFrom(f)
	in := community.SignupInput{
		Email:         v.Email,
		Name:          v.Name,
		NameKana:      v.NameKana,
		Membership:    community.Membership(v.Membership),
		Affiliation:   v.Affiliation,
		Department:    v.Department,
		JobCategory:   v.JobCategory,
		PublicServant: v.PublicServant == "yes",
		BirthDate:     v.BirthDate,
		Terms:         v.Terms,
		Announcements: v.Announcements,
		IP:            r.sourceIP(),
		Honeypot:      f.Get(honeypotField),
	}
	err = h.members.Signup(ctx, in)
	if community.ErrorCode(err) == community.Invalid {
		d := signupData{Form: v, Errors: community.ErrorFields(err), Message: community.ErrorMessage(err), Memberships: membershipOptions, Honeypot: honeypotField}
		return h.render(ctx, r, http.StatusBadRequest, "signup", "会員登録（入力内容の確認）", "signup", d)
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return h.render(ctx, r, http.StatusOK, "signup_sent", "確認メールを送信しました", "signup", nil)
}

type verifyData struct {
	OK         bool
	Pending    bool // waits for an organizer's approval
	Membership string
	Message    string
	Token      string // the mailed secret, on the confirmation page
}

// verifyPage shows, for a mailed link, a button that confirms the address.
// Opening the link must not confirm it: mail scanners fetch links before
// people do, and double opt-in means the person chose to. Like the sign-in
// confirmation, the page keeps Referrer-Policy same-origin, so the form's
// POST carries a real Origin for sameOrigin to check.
func (h *Handler) verifyPage(ctx context.Context, r *request) response {
	token := r.query.Get("token")
	if token == "" {
		return h.render(ctx, r, http.StatusBadRequest, "verify", "メールアドレスの確認", "", verifyData{Message: community.ErrInvalidToken.Message()})
	}
	return h.render(ctx, r, http.StatusOK, "verify_confirm", "メールアドレスの確認", "", verifyData{Token: token})
}

// verify confirms an address with the token the confirmation page posts.
// Verifying twice is harmless: the second time shows the same result.
func (h *Handler) verify(ctx context.Context, r *request) response {
	if !h.sameOrigin(r) {
		return h.errorPage(ctx, r, community.ErrCrossSite)
	}
	f, err := r.form()
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	m, err := h.members.Verify(ctx, f.Get("token"))
	if m != nil && (m.Status == community.MemberWithdrawn || m.Status == community.MemberSuspended) {
		// An old link of a closed membership verifies nothing.
		m, err = nil, community.ErrInvalidToken
	}
	if m == nil {
		if community.ErrorCode(err) != community.Invalid {
			return h.errorPage(ctx, r, err)
		}
		return h.render(ctx, r, http.StatusBadRequest, "verify", "メールアドレスの確認", "", verifyData{Message: community.ErrorMessage(err)})
	}
	if err != nil {
		// The address is verified; only the welcome mail failed. The page
		// says what matters, and the log keeps the rest.
		logger(ctx).WarnContext(ctx, "web: verified but mail failed", "error", httpapi.RedactEmails(err.Error()))
	}
	d := verifyData{
		OK:         true,
		Pending:    m.Status == community.MemberPendingApproval,
		Membership: m.Membership.Label(),
	}
	return h.render(ctx, r, http.StatusOK, "verify", "メールアドレスの確認", "", d)
}
