package rsvpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
)

// Routes of organizations' nominations (団体推薦), served by this handler.
const (
	RouteNominate       = "POST /api/events/{id}/nominations"
	RouteConfirmNominee = "POST /api/nominations/confirm"
	RouteMyNominations  = "GET /api/me/nominations"
)

type nomineeBody struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Department string `json:"department"`
	BirthDate  string `json:"birth_date"`
	Reason     string `json:"reason"`
}

type nominateRequest struct {
	Nominees []nomineeBody `json:"nominees"`
}

// nominee is one nominee as the nominating contact sees them
// (docs/openapi.yaml, Nominee): what they typed and where the person stands.
type nominee struct {
	RegistrationID string  `json:"registration_id"`
	Name           string  `json:"name"`
	Email          string  `json:"email"`
	Department     string  `json:"department"`
	BirthDate      *string `json:"birth_date"`
	State          string  `json:"state"`
}

type nominationEvent struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	StartsAt string `json:"starts_at"`
}

// nomination is docs/openapi.yaml's Nomination.
type nomination struct {
	ID            string           `json:"id"`
	EventID       string           `json:"event_id"`
	Event         *nominationEvent `json:"event"`
	CreatedAt     string           `json:"created_at"`
	LinksExpireAt string           `json:"links_expire_at"`
	Nominees      []nominee        `json:"nominees"`
}

func nominationJSON(st community.NominationStatus) nomination {
	n := st.Nomination
	out := nomination{ID: n.ID, EventID: n.EventID, CreatedAt: n.CreatedAt.In(community.Tokyo).Format(time.RFC3339),
		LinksExpireAt: n.ExpiresAt.In(community.Tokyo).Format(time.RFC3339), Nominees: []nominee{}}
	if e := st.Event; e != nil {
		out.Event = &nominationEvent{ID: e.ID, Title: e.Title, StartsAt: e.StartsAt.In(community.Tokyo).Format(time.RFC3339)}
	}
	for _, x := range st.Nominees {
		nm := nominee{RegistrationID: x.Nominee.RegistrationID, Name: x.Nominee.Name, Email: x.Nominee.Email,
			Department: x.Nominee.Department, State: string(x.State)}
		if b := x.Nominee.BirthDate; b != nil {
			s := b.In(community.Tokyo).Format("2006-01-02")
			nm.BirthDate = &s
		}
		out.Nominees = append(out.Nominees, nm)
	}
	return out
}

// nominate stores an organization's nomination: 201 with each nominee
// pending; the links go out through the outbox. An Idempotency-Key makes a
// retried request answer the first one's nomination, not a second one.
func (h *Handler) nominate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body nominateRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	if v.Member == nil {
		return httpapi.Response{}, community.ErrUnauthorized
	}
	raw, _ := json.Marshal(body) // marshalling a struct of strings cannot fail
	return httpapi.Idempotent(ctx, h.log, h.keeper, req, "member:"+v.Member.ID, idempotency.Fingerprint(id, string(raw)),
		func(ctx context.Context) (httpapi.Response, error) {
			in := make([]community.NomineeInput, len(body.Nominees))
			for i, b := range body.Nominees {
				in[i] = community.NomineeInput{Name: b.Name, Email: b.Email, Department: b.Department, BirthDate: b.BirthDate, Reason: b.Reason}
			}
			n, err := h.noms.Nominate(ctx, v, id, in)
			if err != nil {
				return httpapi.Response{}, err
			}
			st := community.NominationStatus{Nomination: n}
			for _, nm := range n.Nominees {
				st.Nominees = append(st.Nominees, community.NomineeStatus{Nominee: nm, State: community.NomineePending})
			}
			return httpapi.JSON(201, nominationJSON(st)), nil
		})
}

// confirmNominee follows a nominee's mailed link: 201 with the application
// it made, 200 with the same application when the link was followed before.
func (h *Handler) confirmNominee(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.noms.Confirm(ctx, token)
	if err != nil {
		return httpapi.Response{}, err
	}
	status := 200
	if c.Created {
		status = 201
	}
	return httpapi.JSON(status, apijson.RegistrationJSON(c.Registration, 0)), nil
}

// myNominations lists the signed-in organization member's nominations.
func (h *Handler) myNominations(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	sts, err := h.noms.Mine(ctx, v)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := make([]nomination, 0, len(sts))
	for _, st := range sts {
		out = append(out, nominationJSON(st))
	}
	return httpapi.JSON(200, map[string]any{"nominations": out}), nil
}
