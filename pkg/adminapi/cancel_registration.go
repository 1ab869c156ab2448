package adminapi

import (
	"context"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// cancelRegistration cancels one registration for its registrant; the body
// may carry a reason, which only the audit log keeps.
func (h *Handler) cancelRegistration(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	rid, err := regID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if _, err := decode(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.svc.Attendance.CancelRegistration(ctx, v, id, rid, body.Reason)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminRegistrationJSON(r)), nil
}
