package adminapi

import (
	"context"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

func (h *Handler) createEvent(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	var body eventRequest
	p, err := decode(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	f := community.FieldErrors{}
	e := &community.Event{}
	body.apply(e, p, f)
	if body.SeriesID != nil {
		e.SeriesID = strings.TrimSpace(*body.SeriesID)
		if e.SeriesID != "" && !community.ValidID(e.SeriesID) {
			f.Add("series_id", "シリーズが見つかりません。")
		}
	}
	if err := f.Err(); err != nil {
		return httpapi.Response{}, err
	}
	created, err := h.svc.Events.CreateEvent(ctx, v, e)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.JSON(201, apijson.AdminEventJSON(created, v))
	resp.Headers["Location"] = "/api/admin/events/" + created.ID
	return resp, nil
}

func (h *Handler) getEvent(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	e, err := h.svc.Events.Event(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminEventJSON(e, v)), nil
}

// editResponse is an edited event and who its new seats went to.
type editResponse struct {
	apijson.AdminEvent
	Changed  []string `json:"changed"`
	Promoted []string `json:"promoted"` // registration ids, head of the waitlist first
}

func (h *Handler) updateEvent(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body eventRequest
	p, err := decode(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	edit, err := h.svc.Events.UpdateEvent(ctx, v, id, func(e *community.Event) error {
		f := community.FieldErrors{}
		body.apply(e, p, f)
		if p.has("series_id") && (body.SeriesID == nil || *body.SeriesID != e.SeriesID) {
			f.Add("series_id", "シリーズは変更できません。")
		}
		return f.Err()
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := editResponse{AdminEvent: apijson.AdminEventJSON(edit.Event, v), Changed: edit.Changed, Promoted: []string{}}
	if out.Changed == nil {
		out.Changed = []string{}
	}
	for _, r := range edit.Promoted {
		out.Promoted = append(out.Promoted, r.ID)
	}
	return httpapi.JSON(200, out), nil
}

func (h *Handler) publishEvent(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := noBody(req); err != nil {
		return httpapi.Response{}, err
	}
	e, err := h.svc.Events.PublishEvent(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminEventJSON(e, v)), nil
}

// cancelResponse is what one cancel call did. The notices are owed, not
// yet sent: each registration ended wrote its event-cancelled notice to the
// outbox, which the mailer sends. Repeating the cancel of a cancelled event
// is how an organizer finishes one (0s when nothing was left).
type cancelResponse struct {
	Event                  apijson.AdminEvent `json:"event"`
	RegistrationsCancelled int                `json:"registrations_cancelled"`
	NoticesQueued          int                `json:"notices_queued"`
	// Complete is false when registrations were left for a repeat (the
	// function's time ran out).
	Complete bool `json:"complete"`
}

// workMargin is how long before the function's deadline a long organizer
// action (ending an event's registrations, writing a message's mails)
// stops starting new writes, so that its answer still goes out.
const workMargin = 3 * time.Second

// withMargin is ctx, ending workMargin before its deadline.
func withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-workMargin))
	}
	return context.WithCancel(ctx)
}

func (h *Handler) cancelEvent(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if _, err := decode(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	wctx, cancel := withMargin(ctx)
	defer cancel()
	res, err := h.svc.Events.CancelEvent(wctx, v, id, body.Reason)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(202, cancelResponse{
		Event: apijson.AdminEventJSON(res.Event, v), RegistrationsCancelled: res.Cancelled,
		NoticesQueued: res.Cancelled, Complete: res.Complete,
	}), nil
}
