package web

import (
	"context"
	"net/http"

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
	return nominationConfirmData{EventID: e.ID, Title: e.Title, Date: jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Lottery: e.Mode == community.ModeLottery}
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
