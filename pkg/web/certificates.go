package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sorae/tabane/pkg/certpdf"
	"github.com/sorae/tabane/pkg/certwords"
	"github.com/sorae/tabane/pkg/community"
)

// Attendance certificates (参加証明書): the attendee downloads theirs from
// my page, an organizer downloads an event's from the console, and anyone
// holding one confirms it at /certificates/{id}.

// certificateView is what the verification page shows: what the
// certificate itself shows, and nothing else of the person.
type certificateView struct {
	Verified          bool
	Number, Name      string
	Title, When       string
	PlaceLabel, Place string
	Issuer, Contact   string
}

func (h *Handler) issuer() certpdf.Issuer {
	return certpdf.Issuer{Name: h.cfg.CommunityName, Contact: h.cfg.ContactEmail}
}

// certificatePage confirms a certificate. Whatever is wrong with the id
// the page says the same, with 404, and writes nothing. It is kept out of
// search engines: it shows a person's name to whoever holds the link.
func (h *Handler) certificatePage(ctx context.Context, r *request) response {
	d := certificateView{Issuer: h.cfg.CommunityName, Contact: h.cfg.ContactEmail}
	status := http.StatusOK
	c, err := h.certs.Verify(ctx, r.params["id"])
	switch {
	case err == nil:
		d.Verified, d.Number, d.Name = true, c.Number, c.Name
		d.Title, d.When = c.Event.Title, certwords.When(c.Event.StartsAt, c.Event.EndsAt)
		d.PlaceLabel, d.Place = certwords.Place(c.Event)
	case community.ErrorCode(err) == community.NotFound:
		status = http.StatusNotFound
	default:
		return h.errorPage(ctx, r, err)
	}
	resp := h.render(ctx, r, status, "certificate", "参加証明書の確認", "", d)
	resp.noindex = true
	return resp
}

// myCertificate downloads the signed-in member's certificate for an
// event: 404 when they hold no place at it, 409 when they were not
// checked in.
func (h *Handler) myCertificate(ctx context.Context, r *request) response {
	if r.viewer.Member == nil {
		back := r.raw.RawPath
		resp := redirect("/signin?next=" + url.QueryEscape(back))
		resp.cookies = append(resp.cookies, h.nextCookie(back, 600))
		return resp
	}
	id := r.params["id"]
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrEventNotFound)
	}
	c, err := h.certs.Mine(ctx, r.viewer, id)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	b, err := certpdf.Bytes(h.issuer(), h.clock.Now(), c)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return response{status: http.StatusOK, body: string(b), download: &download{
		contentType: certpdf.ContentType, disposition: certpdf.Disposition(c.Event, true)}}
}

// consoleCertificates downloads one PDF of every checked-in attendee's
// certificate, a page each, for an organizer to print: one file prints
// in one go, where a zip would have to be unpacked and each file opened.
func (h *Handler) consoleCertificates(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	id := r.params["id"]
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrEventNotFound)
	}
	e, certs, err := h.certs.ForEvent(ctx, v, id)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	b, err := certpdf.Bytes(h.issuer(), h.clock.Now(), certs...)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return response{status: http.StatusOK, body: string(b), download: &download{
		contentType: certpdf.ContentType, disposition: certpdf.Disposition(e, false)}}
}
