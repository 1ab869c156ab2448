package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/jadate"
)

// nominationConfirmData is the page behind a nominee's confirmation link.
type nominationConfirmData struct {
	Token   string
	EventID string
	Title   string
	Date    string
	Lottery bool
	// Done: the nominee is an applicant (Again: since an earlier click).
	Done, Again bool
	Message     string // why the link confirms nothing
}

// confirmNominationPage shows, for a nominee's mailed link, a button that
// makes them an applicant. Opening the link changes nothing: mail scanners
// fetch links before people open them, and applying is the nominee's own
// choice. A link followed before shows that it was.
func (h *Handler) confirmNominationPage(ctx context.Context, r *request) response {
	token := r.query.Get("t")
	c, err := h.noms.Pending(ctx, token)
	if err != nil {
		return h.tokenPage(h.nominationFailed(ctx, r, err))
	}
	d := nominationView(c)
	d.Token = token
	if c.Registration != nil {
		d.Done, d.Again = true, true
	}
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "nomination_confirm", "団体推薦の確定", "", d))
}

// confirmNomination confirms by the posted token. Doing it twice is
// harmless: the second time shows the same application. As for guests,
// there is no Origin check: a forged form could only post a token its
// author already holds, and holding it is enough to confirm.
func (h *Handler) confirmNomination(ctx context.Context, r *request) response {
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	c, err := h.noms.Confirm(ctx, f.Get("t"))
	if err != nil {
		return h.tokenPage(h.nominationFailed(ctx, r, err))
	}
	d := nominationView(c)
	d.Done, d.Again = true, !c.Created
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "nomination_confirm", "お申し込みを受け付けました", "", d))
}

func nominationView(c *community.NominationConfirmation) nominationConfirmData {
	e := c.Event
	fid, _ := e.NominationFrame() // before the nominee applies there is no registration yet
	if c.Registration != nil {
		fid = c.Registration.FrameID
	}
	return nominationConfirmData{EventID: e.ID, Title: e.Title, Date: jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Lottery: e.ForFrame(fid).Mode == community.ModeLottery}
}

// nominationFailed explains a link that confirms nothing on the same page.
func (h *Handler) nominationFailed(ctx context.Context, r *request, err error) response {
	switch community.ErrorCode(err) {
	case community.Invalid, community.Closed, community.Forbidden, community.Conflict:
		return h.render(ctx, r, httpapi.Status(err), "nomination_confirm", "団体推薦の確定", "",
			nominationConfirmData{Message: community.ErrorMessage(err)})
	}
	return h.errorPage(ctx, r, err)
}

// Rows of the nomination form: a few to start with, more on request
// (?rows=), never more than a nomination may name. The pages run no
// script, so adding rows is a link that reloads the form with more.
const (
	nominateRows    = 5
	nominateMaxRows = community.MaxNominees
)

// nomineeRow is one row of the nomination form, as typed.
type nomineeRow struct {
	Index, Number                              int
	Name, Email, Department, BirthDate, Reason string
}

// nominatePanel is the nomination form (団体推薦) on the event page, shown
// to active organization members while the event takes nominations.
type nominatePanel struct {
	EventID   string
	Rows      []nomineeRow
	More      int // the row count the "add rows" link asks for; 0 when at the maximum
	Cap       int
	AgeRule   bool
	Error     string
	Errors    map[string]string
	ErrorCode string
}

// nominatePanelFor returns the nomination form for v's viewer, or nil.
func (h *Handler) nominatePanelFor(r *request, e *community.Event) *nominatePanel {
	m := r.viewer.Member
	if h.noms == nil || m == nil || m.Membership != community.MembershipOrganization || m.Status != community.MemberActive || !e.TakesNominations() {
		return nil
	}
	now := h.clock.Now()
	if c := e.RegistrationClosesAt; e.Status != community.EventPublished || !now.Before(e.StartsAt) || (c != nil && !now.Before(*c)) {
		return nil
	}
	n := nominateRows
	if k, err := strconv.Atoi(r.query.Get("rows")); err == nil && k > 0 {
		n = min(k, nominateMaxRows)
	}
	p := &nominatePanel{EventID: e.ID, Cap: e.NominationCap,
		AgeRule: e.Eligibility != nil && (e.Eligibility.MinAge != nil || e.Eligibility.MaxAge != nil)}
	p.setRows(make([]nomineeRow, n))
	return p
}

func (p *nominatePanel) setRows(rows []nomineeRow) {
	for i := range rows {
		rows[i].Index, rows[i].Number = i, i+1
	}
	p.Rows = rows
	p.More = 0
	if len(rows) < nominateMaxRows {
		p.More = min(len(rows)+5, nominateMaxRows)
	}
}

// nominate takes the nomination form: the rows with anything typed in them
// are the nominees. Stored, it goes to my page, where the nominations are
// listed; refused, the event page shows the form again as typed.
func (h *Handler) nominate(ctx context.Context, r *request) response {
	f, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return resp
	}
	id := r.params["id"]
	names, emails, depts, births, reasons := f["name"], f["email"], f["department"], f["birth_date"], f["reason"]
	var rows []nomineeRow
	var in []community.NomineeInput
	for i := range min(len(names), nominateMaxRows+1) {
		row := nomineeRow{Name: names[i], Email: at(emails, i), Department: at(depts, i), BirthDate: at(births, i), Reason: at(reasons, i)}
		if strings.TrimSpace(row.Name+row.Email+row.Department+row.BirthDate+row.Reason) == "" {
			continue
		}
		rows = append(rows, row)
		in = append(in, community.NomineeInput{Name: row.Name, Email: row.Email, Department: row.Department, BirthDate: row.BirthDate, Reason: row.Reason})
	}
	if h.noms == nil {
		return h.errorPage(ctx, r, community.ErrPageNotFound)
	}
	if _, err := h.noms.Nominate(ctx, r.viewer, id, in); err != nil {
		status := httpapi.Status(err)
		if status == http.StatusNotFound || status >= 500 {
			return h.errorPage(ctx, r, err)
		}
		return h.eventPage(ctx, r, id, status, func(p *applyPanel) {
			if p.Nominate == nil {
				p.Error, p.ErrorReason = community.ErrorMessage(err), community.ErrorReason(err)
				return
			}
			n := p.Nominate
			n.Error, n.ErrorCode, n.Errors = community.ErrorMessage(err), community.ErrorReason(err), community.ErrorFields(err)
			for len(rows) < nominateRows {
				rows = append(rows, nomineeRow{})
			}
			n.setRows(rows)
		})
	}
	return redirect("/me?saved=nominated#nominations")
}

func at(vs []string, i int) string {
	if i < len(vs) {
		return vs[i]
	}
	return ""
}

// myNomination is one nomination on the contact's my page.
type myNomination struct {
	EventID, Title, When, Expires string
	Nominees                      []myNominee
}

type myNominee struct {
	Name, Department, State string
	Done                    bool // past pending: the nominee answered
}

var nomineeStateLabels = map[community.NomineeState]string{
	community.NomineePending:    "確認待ち",
	community.NomineeExpired:    "期限切れ（未確認）",
	community.NomineeApplied:    "申込済み（選考・抽選待ち）",
	community.NomineeSelected:   "参加確定",
	community.NomineeWaitlisted: "補欠",
	community.NomineeDeclined:   "見送り",
	community.NomineeCancelled:  "取消",
}

// myNominations lists an organization member's nominations for my page;
// nil for everyone else.
func (h *Handler) myNominations(ctx context.Context, r *request) ([]myNomination, error) {
	m := r.viewer.Member
	if h.noms == nil || m == nil || m.Membership != community.MembershipOrganization {
		return nil, nil
	}
	sts, err := h.noms.Mine(ctx, r.viewer)
	if err != nil {
		return nil, err
	}
	out := make([]myNomination, 0, len(sts))
	for _, st := range sts {
		n := myNomination{EventID: st.Nomination.EventID, Title: "（削除されたイベント）",
			Expires: jadate.DateTime(st.Nomination.ExpiresAt)}
		if e := st.Event; e != nil {
			n.Title, n.When = e.Title, jadate.DateTimeRange(e.StartsAt, e.EndsAt)
		}
		for _, x := range st.Nominees {
			n.Nominees = append(n.Nominees, myNominee{Name: x.Nominee.Name, Department: x.Nominee.Department,
				State: nomineeStateLabels[x.State], Done: x.State != community.NomineePending})
		}
		out = append(out, n)
	}
	return out, nil
}
