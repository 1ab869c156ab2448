package web

import (
	"context"
	"net/http"

	"github.com/sorae/tabane/pkg/community"
)

var errBadUnsubscribe = community.ErrInvalidToken.Messagef("配信停止のリンクが正しくありません。メールに記載のリンクをそのまま開いてください。")

type unsubscribeData struct {
	Token string
	List  string // what stops, in Japanese
	Done  bool
}

// unsubscribePage shows what the link will stop, and a button to stop it.
func (h *Handler) unsubscribePage(ctx context.Context, r *request) response {
	token := r.query.Get("token")
	o, ok := h.links.ParseOptOutToken(token)
	if !ok {
		return h.tokenPage(h.errorPage(ctx, r, errBadUnsubscribe))
	}
	d := unsubscribeData{Token: token, List: o.Label()}
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "unsubscribe", "配信停止", "", d))
}

// unsubscribe stops the list. It is also the RFC 8058 one-click target: a
// mail provider POSTs "List-Unsubscribe=One-Click" to the URL from the
// List-Unsubscribe header, with no cookie, no CSRF token and whatever body
// encoding it likes. So the body is not read at all: the signed token in the
// URL is the whole authority, and all it can do is stop mail — a member's
// list, or one registration's reminders (a guest's) or organizer messages.
func (h *Handler) unsubscribe(ctx context.Context, r *request) response {
	token := r.query.Get("token")
	o, ok := h.links.ParseOptOutToken(token)
	if !ok {
		return h.tokenPage(h.errorPage(ctx, r, errBadUnsubscribe))
	}
	if err := h.optOuts.Stop(ctx, o); err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := unsubscribeData{List: o.Label(), Done: true}
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "unsubscribe", "配信を停止しました", "", d))
}

// tokenPage keeps the token in the page's URL out of any Referer, even to
// us. Only pages whose forms need no Origin check get it: under
// no-referrer, browsers send "Origin: null" with a form POST (see sameOrigin),
// which is why the sign-in page reached from a link keeps same-origin.
func (h *Handler) tokenPage(resp response) response {
	resp.referrer = "no-referrer"
	return resp
}
