package adminapi

import (
	"context"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// application is one application as organizers review it (docs/openapi.yaml,
// AdminApplication). Answers to the event's questions (the forms work)
// join it as `answers`.
type application struct {
	RegistrationID string    `json:"registration_id"`
	Status         string    `json:"status"`
	Decision       *string   `json:"decision"`
	CreatedAt      time.Time `json:"created_at"`
	Guest          bool      `json:"guest"`
	Name           string    `json:"name"`
	Affiliation    string    `json:"affiliation"`
	Eligible       bool      `json:"eligible"`
	IneligibleCode *string   `json:"ineligible_reason"`
}

type applicationList struct {
	Applications []application `json:"applications"`
}

func applicationJSON(a community.Application) application {
	r := a.Registration
	out := application{
		RegistrationID: r.ID, Status: string(r.Status), CreatedAt: r.CreatedAt.In(community.Tokyo),
		Guest: r.Guest != nil, Eligible: a.Ineligible == nil,
	}
	if r.Decision != "" {
		d := string(r.Decision)
		out.Decision = &d
	}
	switch {
	case r.Guest != nil:
		out.Name = r.Guest.Name
	case a.Member != nil:
		out.Name, out.Affiliation = a.Member.Name, a.Member.Affiliation
	}
	if a.Ineligible != nil {
		code := community.ReasonOf(a.Ineligible).Name()
		out.IneligibleCode = &code
	}
	return out
}

func (h *Handler) applications(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	apps, err := h.svc.Applications.List(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := applicationList{Applications: make([]application, 0, len(apps))}
	for _, a := range apps {
		out.Applications = append(out.Applications, applicationJSON(a))
	}
	return httpapi.JSON(200, out), nil
}

type decisionRequest struct {
	Decision *string `json:"decision"`
}

func (h *Handler) decide(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	rid, err := regID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body decisionRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	if body.Decision == nil {
		return httpapi.Response{}, community.ErrInvalidDecision
	}
	r, err := h.svc.Applications.Decide(ctx, v, id, rid, community.Decision(*body.Decision))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, applicationJSON(community.Application{Registration: r})), nil
}

func (h *Handler) notifyDecisions(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := noBody(req); err != nil {
		return httpapi.Response{}, err
	}
	// The flips and their mails must land even when the request's time
	// runs short: each is its own transaction, and a repeat finishes the rest.
	ctx, cancel := withMargin(ctx)
	defer cancel()
	res, err := h.svc.Applications.Notify(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(202, res), nil
}
