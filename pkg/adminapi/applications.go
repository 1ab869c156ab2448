package adminapi

import (
	"context"
	"encoding/base64"
	"slices"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
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
	// issue 10 — nominate: the nominating organization, and the
	// department it gave (団体推薦); null and absent for everyone else.
	Organization *organizationRef `json:"organization,omitempty"`
	Department   string           `json:"department,omitempty"`
}

// organizationRef names an organization member by its registered name.
type organizationRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// organizationCount is one organization's line in the by_organization
// summary: how many of its nominees await a result, and how many of them
// are decided so far.
type organizationCount struct {
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Applications   int    `json:"applications"`
	Selected       int    `json:"selected"`
	Waitlisted     int    `json:"waitlisted"`
	Declined       int    `json:"declined"`
}

type applicationList struct {
	Applications []application `json:"applications"`
	// ByOrganization counts the applications per nominating organization,
	// in the order each first appears; applicants on their own are not in it.
	ByOrganization []organizationCount `json:"by_organization"`
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
	if r.OrganizationID != "" {
		out.Organization = &organizationRef{ID: r.OrganizationID}
		if a.Organization != nil {
			out.Organization.Name = community.OrganizationName(a.Organization)
		}
		out.Department = r.Department
	}
	return out
}

// byOrganization sums apps per nominating organization.
func byOrganization(apps []application) []organizationCount {
	out := []organizationCount{}
	at := map[string]int{}
	for _, a := range apps {
		if a.Organization == nil {
			continue
		}
		i, ok := at[a.Organization.ID]
		if !ok {
			i = len(out)
			at[a.Organization.ID] = i
			out = append(out, organizationCount{OrganizationID: a.Organization.ID, Name: a.Organization.Name})
		}
		c := &out[i]
		c.Applications++
		if a.Decision != nil {
			switch community.Decision(*a.Decision) {
			case community.DecisionSelected:
				c.Selected++
			case community.DecisionWaitlisted:
				c.Waitlisted++
			case community.DecisionDeclined:
				c.Declined++
			}
		}
	}
	return out
}

func (h *Handler) applications(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "group", "format")
	if err != nil {
		return httpapi.Response{}, err
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		return h.exportApplicationsCSV(ctx, v, id)
	default:
		return httpapi.Response{}, httpapi.InvalidParam("format", community.ErrInvalidFormat.Message())
	}
	apps, err := h.svc.Applications.List(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := applicationList{Applications: make([]application, 0, len(apps))}
	for _, a := range apps {
		out.Applications = append(out.Applications, applicationJSON(a))
	}
	out.ByOrganization = byOrganization(out.Applications)
	if q.Get("group") == "organization" {
		// Grouped: each organization's applicants together, in the order
		// the organizations first applied; applicants on their own last.
		order := map[string]int{}
		for i, c := range out.ByOrganization {
			order[c.OrganizationID] = i
		}
		rank := func(a application) int {
			if a.Organization == nil {
				return len(order)
			}
			return order[a.Organization.ID]
		}
		slices.SortStableFunc(out.Applications, func(a, b application) int { return rank(a) - rank(b) })
	} else if q.Get("group") != "" {
		return httpapi.Response{}, community.ErrInvalidParameter.Messagef("group は organization だけを指定できます。")
	}
	return httpapi.JSON(200, out), nil
}

// exportApplicationsCSV answers the applications as a spreadsheet
// (ApplicationsCSV), in arrival order.
func (h *Handler) exportApplicationsCSV(ctx context.Context, v community.Viewer, id string) (httpapi.Response, error) {
	e, apps, err := h.svc.Applications.Export(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := ApplicationsCSV(e, apps)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Base64, so that the BOM, CRLFs and Japanese pass API Gateway byte for byte.
	resp := httpapi.Body(200, csvexport.ContentType, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = csvexport.Disposition("applications.csv", csvexport.Filename("申込一覧", e))
	return resp, nil
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
