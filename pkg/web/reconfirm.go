package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// reconfirmData is the page behind a reconfirmation mail's links: what
// the link names and the answer it offers; opening it changes nothing
// (mail scanners open links), its button does.
type reconfirmData struct {
	Token    string
	Answer   string // the answer the link offers first (keep or cancel)
	EventID  string
	Title    string
	Date     string
	Deadline string
	Name     string // a guest's name; members are not named on a page anyone with the link may see
	Open     bool   // the keep answer is still taken
	// Cancellable says the seat may still be given back (before the start).
	Cancellable bool
	Kept        bool   // the registration answered 参加します
	Cancelled   bool   // the registration is cancelled
	Released    bool   // cancelled by the deadline's release
	Done        string // what the button just did: keep or cancel
	// Late says the deadline passed with the seat held and no answer:
	// 「参加します」 is no longer taken.
	Late bool
	// Refused is why the button's answer was not taken, shown on the page
	// with the state it was refused in.
	Refused string
}

func (h *Handler) reconfirmView(v *community.ReconfirmView, token, answer string) reconfirmData {
	r, e := v.Registration, v.Event
	d := reconfirmData{Token: token, Answer: answer, EventID: e.ID, Title: e.Title,
		Date: jadate.DateTimeRange(e.StartsAt, e.EndsAt), Open: v.Open,
		Kept:      r.ReconfirmAnswer == community.ReconfirmKeep,
		Cancelled: r.Status == community.RegistrationCancelled,
		Released:  r.CancelReason == community.CancelReasonUnanswered,
	}
	if !v.Deadline.IsZero() {
		d.Deadline = jadate.DateTime(v.Deadline)
	}
	d.Late = !v.Open && !d.Kept && !d.Cancelled && r.Status == community.RegistrationConfirmed && !v.Deadline.IsZero() &&
		!h.clock.Now().Before(v.Deadline)
	d.Cancellable = !d.Cancelled && h.clock.Now().Before(e.StartsAt) && e.Status == community.EventPublished
	if d.Answer != community.ReconfirmCancel {
		d.Answer = community.ReconfirmKeep
	}
	if r.Guest != nil {
		d.Name = r.Guest.Name
	}
	return d
}

// reconfirmPage shows the answer a link offers, with its button.
func (h *Handler) reconfirmPage(ctx context.Context, r *request) response {
	if h.reconfirms == nil {
		return h.notFound(ctx, r)
	}
	token := r.query.Get("token")
	v, err := h.reconfirms.Look(ctx, token)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := h.reconfirmView(v, token, r.query.Get("answer"))
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "reconfirm", "参加予定のご確認", "", d))
}

// reconfirm takes the answer its button posts. Like the cancel page's,
// the form needs no Origin check: only a holder of the token can post it.
func (h *Handler) reconfirm(ctx context.Context, r *request) response {
	if h.reconfirms == nil {
		return h.notFound(ctx, r)
	}
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	token, answer := f.Get("token"), f.Get("answer")
	v, err := h.reconfirms.Answer(ctx, token, answer)
	if errors.Is(err, community.ErrReconfirmClosed) {
		// Say so beside the state it was refused in, and keep the way
		// to give the seat back.
		if v, lerr := h.reconfirms.Look(ctx, token); lerr == nil {
			d := h.reconfirmView(v, token, answer)
			d.Refused = community.ErrorMessage(err)
			return h.tokenPage(h.render(ctx, r, http.StatusUnprocessableEntity, "reconfirm", "参加予定のご確認", "", d))
		}
	}
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := h.reconfirmView(v, token, answer)
	d.Done = answer
	title := "ご回答ありがとうございました"
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "reconfirm", title, "", d))
}
