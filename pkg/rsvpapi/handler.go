// Package rsvpapi is the HTTP side of registrations, the `rsvp` function:
// registering (members and guests, with Idempotency-Key replay), cancelling
// (own registration, or by the signed link in a mail) and the member's own
// list. A guest's registration is a request until the guest follows the
// mailed confirmation link (community.GuestRequests). Capacity and the waitlist are the store's; rules are community's.
// Organizations' nominations of their staff (団体推薦) and the nominees'
// confirmations are served here too (nominations.go; community.Nominations).
package rsvpapi

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "RsvpFunction"

// Routes this handler serves, as template.yaml names them.
const (
	RouteRegister        = "POST /api/events/{id}/registrations"
	RouteCancelMine      = "DELETE /api/events/{id}/registrations/me"
	RouteCancelByToken   = "POST /api/registrations/cancel"
	RouteConfirmGuest    = "POST /api/registrations/confirm"
	RouteMyRegistrations = "GET /api/me/registrations"
)

// Handler serves the registration routes.
type Handler struct {
	regs    *community.Registrations
	guests  *community.GuestRequests
	viewers httpapi.ViewerResolver
	keeper  *idempotency.Keeper
	log     *slog.Logger
	// noms serves organizations' nominations (nominations.go); Wire sets it.
	noms    *community.Nominations
	surveys *community.Surveys // nil: survey answers are not taken (surveys.go)
	// limit counts each client's writes (nil: none counted); Wire sets it.
	limit *httpapi.WriteLimiter
}

// New returns a Handler on ready services.
func New(regs *community.Registrations, guests *community.GuestRequests, viewers httpapi.ViewerResolver, keeper *idempotency.Keeper, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{regs: regs, guests: guests, viewers: viewers, keeper: keeper, log: log}
}

// Handle answers one API Gateway v2 request; failures are answered in the
// contract's error shape, so the error is always nil.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	ctx = awscalls.WithFunction(ctx, function)
	return httpapi.Serve(ctx, h.log, req, func(ctx context.Context) (httpapi.Response, error) {
		if err := h.limit.Check(ctx, req); err != nil {
			return httpapi.Response{}, err
		}
		switch req.RouteKey {
		case RouteRegister:
			return h.register(ctx, req)
		case RouteCancelMine:
			return h.cancelMine(ctx, req)
		case RouteCancelByToken:
			return h.cancelByToken(ctx, req)
		case RouteConfirmGuest:
			return h.confirmGuest(ctx, req)
		case RouteMyRegistrations:
			return h.mine(ctx, req)
		case RouteNominate, RouteConfirmNominee, RouteMyNominations:
			if h.noms == nil {
				break // a handler built by New alone serves registrations only
			}
			switch req.RouteKey {
			case RouteNominate:
				return h.nominate(ctx, req)
			case RouteConfirmNominee:
				return h.confirmNominee(ctx, req)
			}
			return h.myNominations(ctx, req)
		case RouteAnswerSurvey:
			return h.answerSurvey(ctx, req)
		}
		return httpapi.Response{}, community.ErrRouteNotFound
	}), nil
}

func eventID(req httpapi.Request) (string, error) {
	id := req.PathParameters["id"]
	if !community.ValidID(id) {
		return "", community.ErrEventNotFound
	}
	return id, nil
}

type registerRequest struct {
	Guest   *community.Guest   `json:"guest"`
	Answers []community.Answer `json:"answers,omitempty"`
	// FrameID names the 参加枠; required when the event has several.
	FrameID string `json:"frame_id,omitempty"`
}

func (h *Handler) register(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body registerRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	// The key is the client's, but only within what the caller is: two
	// people choosing the same key never see each other's answers.
	who := "anonymous"
	if v.Member != nil {
		who = "member:" + v.Member.ID
	} else if body.Guest != nil {
		who = "guest:" + community.NormalizeEmail(body.Guest.Email)
	}
	raw, _ := json.Marshal(body) // marshalling a struct of strings and string slices cannot fail
	return httpapi.Idempotent(ctx, h.log, h.keeper, req, who, idempotency.Fingerprint(id, string(raw)),
		func(ctx context.Context) (httpapi.Response, error) {
			if body.Guest != nil {
				// A guest holds nothing until the mailed link is followed;
				// the answer is the same whatever the address (no enumeration).
				if err := h.guests.RequestIn(ctx, v, id, body.FrameID, *body.Guest, req.RequestContext.HTTP.SourceIP, body.Answers...); err != nil {
					return httpapi.Response{}, err
				}
				return httpapi.JSON(202, map[string]string{"status": "confirmation_sent"}), nil
			}
			res, err := h.regs.RegisterIn(ctx, v, id, body.FrameID, nil, body.Answers...)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(201, apijson.RegistrationJSON(res.Registration, res.WaitlistPosition).InFrame(res.Event, res.Registration)), nil
		})
}

func (h *Handler) cancelMine(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "frame_id")
	if err != nil {
		return httpapi.Response{}, err
	}
	frameID := q.Get("frame_id")
	if frameID != community.DefaultFrameID && !community.ValidFrameID(frameID) {
		return httpapi.Response{}, community.ErrUnknownFrame
	}
	res, err := h.regs.CancelMineIn(ctx, v, id, frameID)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := cancelledJSON{Registration: apijson.RegistrationJSON(res.Cancelled, 0).InFrame(res.Event, res.Cancelled)}
	for _, k := range res.Kept {
		// The place in line is the one my registrations would show.
		pos, err := h.regs.Regs.WaitlistPosition(ctx, k)
		if err != nil {
			return httpapi.Response{}, err
		}
		out.Remaining = append(out.Remaining, apijson.RegistrationJSON(k, pos).InFrame(res.Event, k))
	}
	return httpapi.JSON(200, out), nil
}

// cancelledJSON is the answer to cancelling my registration: the cancelled
// one as before, and, for someone who holds places in other frames of the
// event (multiple_frames), those places, kept.
type cancelledJSON struct {
	apijson.Registration
	Remaining []apijson.Registration `json:"remaining,omitempty"`
}

func (h *Handler) cancelByToken(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	r, _, err := h.regs.CancelByToken(ctx, token)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.RegistrationJSON(r, 0)), nil
}

// confirmGuest follows a guest's mailed confirmation link: 201 with the
// registration it made, 200 with the same registration when the link was
// followed before.
func (h *Handler) confirmGuest(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.guests.Confirm(ctx, token)
	if err != nil {
		return httpapi.Response{}, err
	}
	status := 200
	if c.Created {
		status = 201
	}
	return httpapi.JSON(status, apijson.RegistrationJSON(c.Registration, c.WaitlistPosition).InFrame(c.Event, c.Registration)), nil
}

func (h *Handler) mine(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	regs, events, err := h.regs.Mine(ctx, v)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := make([]apijson.MyRegistration, 0, len(regs))
	for _, r := range regs {
		if r.Status == community.RegistrationCancelled {
			continue
		}
		// The event as the registrant's frame has it: its joining details
		// only (the online frame's URL is not a venue registrant's).
		e := events[r.EventID].ForFrame(r.FrameID)
		view := community.View(e, v, r.Status == community.RegistrationConfirmed)
		// The place is the one the answer and the mail gave, from the same
		// formula (Store.WaitlistPosition).
		pos, err := h.regs.Regs.WaitlistPosition(ctx, r)
		if err != nil {
			return httpapi.Response{}, err
		}
		out = append(out, apijson.MyRegistration{Registration: apijson.RegistrationJSON(r, pos).InFrame(events[r.EventID], r), Event: apijson.EventJSON(view)})
	}
	return httpapi.JSON(200, map[string]any{"registrations": out}), nil
}
