package adminapi

import (
	"context"
	"encoding/base64"

	"github.com/sorae/tabane/pkg/certpdf"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// certificates answers one PDF with a page per checked-in attendee of the
// event, for an organizer to print: one file prints in one go, where a
// zip of files would have to be unpacked and each opened. 409
// not_checked_in when nobody was checked in.
func (h *Handler) certificates(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	e, certs, err := h.svc.Certificates.ForEvent(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := certpdf.Bytes(h.svc.Issuer, h.svc.Certificates.Clock.Now(), certs...)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.Body(200, certpdf.ContentType, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = certpdf.Disposition(e, false)
	return resp, nil
}
