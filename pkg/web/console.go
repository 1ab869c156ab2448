package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

// The organizer console (/admin…): pages for the people who run the
// community, on the same session cookie and CSRF tokens as the member
// pages. Every console page starts with h.organizer: a signed-out visitor
// is sent to sign in and comes back to the page afterwards; a signed-in
// member who is not an organizer gets 403 and learns nothing else.

// nextCookie remembers, across the mailed sign-in link, the console page a
// signed-out organizer asked for. The link is opened in the same browser
// as a rule; where it is not, sign-in lands on my page as usual.
const nextCookie = "tabane_next"

// organizer returns the signed-in organizer for a console page, or the
// response to give instead (false): a redirect to sign in, or 403.
func (h *Handler) organizer(ctx context.Context, r *request) (community.Viewer, response, bool) {
	v := r.viewer
	if v.Member == nil {
		// The query comes back too: a scanned check-in link is its query.
		back := r.raw.RawPath
		if q := r.raw.RawQueryString; q != "" {
			back += "?" + q
		}
		resp := redirect("/signin?next=" + url.QueryEscape(back))
		resp.cookies = append(resp.cookies, h.nextCookie(back, 600))
		return v, resp, false
	}
	if !v.Organizer() {
		return v, h.errorPage(ctx, r, community.ErrForbidden), false
	}
	return v, response{}, true
}

// nextCookie sets (maxAge > 0) or clears the page to return to.
func (h *Handler) nextCookie(path string, maxAge int) string {
	c := &http.Cookie{Name: nextCookie, Value: url.QueryEscape(path), Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode}
	if maxAge <= 0 {
		c.Value, c.MaxAge = "", -1
	}
	return c.String()
}

// afterSignIn is where a fresh sign-in goes: the console page the
// visitor asked for, when it is one of ours, else my page.
func (h *Handler) afterSignIn(r *request) string {
	raw, err := url.QueryUnescape(r.cookie(nextCookie))
	if err != nil || !consolePath(raw) {
		return "/me"
	}
	return raw
}

// consolePath admits only paths of the console on this site: never
// another host ("//evil.example"), never a scheme.
func consolePath(p string) bool {
	return (p == "/admin" || strings.HasPrefix(p, "/admin/")) && !strings.ContainsAny(p, "\\\r\n") && !strings.HasPrefix(p, "//")
}

// organizerForm is organizer, then the posted form with its CSRF token
// checked (sessionForm), in that order: every console post starts so, and
// a forged post from a non-organizer learns only that it is forbidden.
func (h *Handler) organizerForm(ctx context.Context, r *request) (community.Viewer, url.Values, response, bool) {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return v, nil, resp, false
	}
	f, resp, ok := h.sessionForm(ctx, r)
	if !ok {
		return v, nil, resp, false
	}
	return v, f, response{}, true
}
