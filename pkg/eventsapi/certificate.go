package eventsapi

import (
	"context"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// certificate confirms an attendance certificate for whoever holds it
// (an employer, typically): 200 with what it attests, or 404
// certificate_not_verified — the same for an unknown, altered or
// wrong-key id and for an attendance no longer standing. It reads, never
// writes, and is never cached: a cancellation must show at once.
func (h *Handler) certificate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	if h.Certificates == nil {
		return httpapi.Response{}, community.ErrCertificateNotVerified
	}
	c, err := h.Certificates.Verify(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.CertificateJSON(c, h.cfg.CommunityName)), nil
}
