package adminapi

import (
	"context"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

type memberList struct {
	Members    []apijson.AdminMember `json:"members"`
	NextCursor *string               `json:"next_cursor"`
}

func (h *Handler) members(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	q, err := httpapi.ParseQuery(req, "status", "limit", "cursor")
	if err != nil {
		return httpapi.Response{}, err
	}
	limit, err := q.Int("limit", 50, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	page, err := h.svc.Members.Members(ctx, v, community.MemberStatus(q.Get("status")), limit, q.Get("cursor"))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := memberList{Members: make([]apijson.AdminMember, 0, len(page.Members)), NextCursor: nextCursor(page.NextCursor)}
	for _, m := range page.Members {
		out.Members = append(out.Members, apijson.AdminMemberJSON(m))
	}
	return httpapi.JSON(200, out), nil
}

func (h *Handler) approve(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.memberAction(ctx, v, req, h.svc.Members.ApproveMember)
}

func (h *Handler) suspend(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.memberAction(ctx, v, req, h.svc.Members.SuspendMember)
}

func (h *Handler) reinstate(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.memberAction(ctx, v, req, h.svc.Members.ReinstateMember)
}

func (h *Handler) memberAction(ctx context.Context, v community.Viewer, req httpapi.Request,
	act func(context.Context, community.Viewer, string) (*community.Member, error)) (httpapi.Response, error) {
	id, err := memberID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := noBody(req); err != nil {
		return httpapi.Response{}, err
	}
	m, err := act(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminMemberJSON(m)), nil
}

// eligibility sets a member's public_servant and birth_date: approving
// their pending request, or correcting the claim (audited).
func (h *Handler) eligibility(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := memberID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		PublicServant *bool  `json:"public_servant"`
		BirthDate     string `json:"birth_date"`
	}
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	if body.PublicServant == nil {
		return httpapi.Response{}, community.ErrValidation.WithFields(map[string]string{"public_servant": "公務員かどうかを指定してください。"})
	}
	m, err := h.svc.Members.SetEligibility(ctx, v, id, *body.PublicServant, body.BirthDate)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminMemberJSON(m)), nil
}

func (h *Handler) reject(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := memberID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if _, err := decode(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	m, err := h.svc.Members.RejectMember(ctx, v, id, body.Reason)
	if err != nil {
		return httpapi.Response{}, err
	}
	// What is left of the applicant: an id and a status, nothing personal.
	return httpapi.JSON(200, map[string]string{"id": m.ID, "status": string(m.Status)}), nil
}

type auditList struct {
	Entries    []apijson.AuditEntry `json:"entries"`
	NextCursor *string              `json:"next_cursor"`
}

func (h *Handler) audit(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	q, err := httpapi.ParseQuery(req, "limit", "cursor", "actor")
	if err != nil {
		return httpapi.Response{}, err
	}
	limit, err := q.Int("limit", 50, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	actor := q.Get("actor")
	if actor != "" && actor != community.SystemActor && !community.ValidID(actor) {
		return httpapi.Response{}, httpapi.InvalidParam("actor", community.ErrInvalidActor.Message())
	}
	page, err := h.svc.Audit.Page(ctx, v, community.AuditQuery{ActorID: actor, Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := auditList{Entries: make([]apijson.AuditEntry, 0, len(page.Entries)), NextCursor: nextCursor(page.NextCursor)}
	for _, a := range page.Entries {
		out.Entries = append(out.Entries, apijson.AuditEntryJSON(a))
	}
	return httpapi.JSON(200, out), nil
}
