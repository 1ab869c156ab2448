package web

import (
	"context"
	"net/http"

	"github.com/sorae/tabane/pkg/community"
)

type signinData struct {
	Email   string
	Errors  map[string]string
	Message string // why the link did not work
	Token   string // the mailed sign-in secret, on the confirmation page
}

// signinPage shows the "send me a link" form, or, reached from a mailed
// link, a button that uses it. The link is single-use, so a GET must not
// spend it: mail scanners open links before people do.
func (h *Handler) signinPage(ctx context.Context, r *request) response {
	if token := r.query.Get("token"); token != "" {
		return h.render(ctx, r, http.StatusOK, "signin_confirm", "ログイン", "signin", signinData{Token: token})
	}
	return h.render(ctx, r, http.StatusOK, "signin", "ログイン", "signin", signinData{})
}

// signin either uses a mailed link (token) or mails one (email).
func (h *Handler) signin(ctx context.Context, r *request) response {
	if !h.sameOrigin(r) {
		return h.errorPage(ctx, r, community.ErrCrossSite)
	}
	f, err := r.form()
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	if token := f.Get("token"); token != "" {
		return h.useSignInLink(ctx, r, token)
	}
	email := f.Get("email")
	err = h.members.RequestSignIn(ctx, email, r.sourceIP())
	if community.ErrorCode(err) == community.Invalid {
		d := signinData{Email: email, Errors: community.ErrorFields(err), Message: community.ErrorMessage(err)}
		if d.Errors == nil {
			d.Errors = map[string]string{"email": community.ErrorMessage(err)}
		}
		return h.render(ctx, r, http.StatusBadRequest, "signin", "ログイン", "signin", d)
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return h.render(ctx, r, http.StatusOK, "signin_sent", "ログイン用のメールを送信しました", "signin", nil)
}

func (h *Handler) useSignInLink(ctx context.Context, r *request, token string) response {
	session, expires, err := h.members.SignIn(ctx, token)
	if community.ErrorCode(err) == community.Invalid {
		d := signinData{Message: community.ErrorMessage(err)}
		return h.render(ctx, r, http.StatusBadRequest, "signin", "ログイン", "signin", d)
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	// A session already in this browser is replaced, and ended so it does
	// not linger in the table until it expires.
	if r.token != "" {
		if err := h.sessions.Revoke(ctx, r.token); err != nil {
			logger(ctx).WarnContext(ctx, "web: revoke replaced session", "error", err)
		}
	}
	resp := redirect(h.afterSignIn(r))
	resp.cookies = []string{h.sessionCookie(session, expires), h.nextCookie("", 0)}
	return resp
}
