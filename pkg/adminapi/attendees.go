package adminapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
)

type attendeeList struct {
	Event         apijson.AdminEvent `json:"event"`
	Registrations []apijson.Attendee `json:"registrations"`
	NextCursor    *string            `json:"next_cursor"`
}

func (h *Handler) registrations(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "format", "status", "limit", "cursor")
	if err != nil {
		return httpapi.Response{}, err
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		if q.Get("status") != "" || q.Get("limit") != "" || q.Get("cursor") != "" {
			return httpapi.Response{}, &community.Error{Reason: community.ErrInvalidParameter,
				Message: "CSVはすべての申込を出力します。status, limit, cursor は指定できません。",
				Fields:  map[string]string{"format": "csv では status, limit, cursor を指定できません。"}}
		}
		return h.exportCSV(ctx, v, id)
	default:
		return httpapi.Response{}, httpapi.InvalidParam("format", community.ErrInvalidFormat.Message())
	}
	limit, err := q.Int("limit", 50, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	page, err := h.svc.Attendance.Attendees(ctx, v, id, community.AttendeeQuery{
		Status: community.RegistrationStatus(q.Get("status")), Limit: limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := attendeeList{Event: apijson.AdminEventJSON(page.Event, v), Registrations: make([]apijson.Attendee, 0, len(page.Attendees)), NextCursor: nextCursor(page.NextCursor)}
	for _, a := range page.Attendees {
		out.Registrations = append(out.Registrations, apijson.AttendeeJSON(a))
	}
	return httpapi.JSON(200, out), nil
}

func (h *Handler) exportCSV(ctx context.Context, v community.Viewer, id string) (httpapi.Response, error) {
	e, list, err := h.svc.Attendance.ExportAttendees(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := csvexport.Attendees(list, e.Questions...)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Base64, so that the BOM, CRLFs and Japanese pass API Gateway byte for byte.
	resp := httpapi.Body(200, csvexport.ContentType, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = csvexport.AttendeesDisposition(e)
	return resp, nil
}

func (h *Handler) checkIn(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.setCheckIn(ctx, v, req, true)
}

func (h *Handler) undoCheckIn(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.setCheckIn(ctx, v, req, false)
}

func (h *Handler) setCheckIn(ctx context.Context, v community.Viewer, req httpapi.Request, in bool) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	rid, err := regID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := noBody(req); err != nil {
		return httpapi.Response{}, err
	}
	var r *community.Registration
	if in {
		r, err = h.svc.Attendance.CheckIn(ctx, v, id, rid)
	} else {
		r, err = h.svc.Attendance.UndoCheckIn(ctx, v, id, rid)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminRegistrationJSON(r)), nil
}

// messageResponse is what a message request did: the message is stored
// and one mail per recipient is in the outbox, for the mailer to send.
type messageResponse struct {
	MessageID  string `json:"message_id"`
	Recipients int    `json:"recipients"`
	Queued     int    `json:"queued"` // written by this request; a repeat writes only what is missing
}

// message sends a message to an event's attendees: it answers 202 once the
// message and its mails are stored, however many recipients there are.
// Repeating the request mails nobody twice: with an Idempotency-Key a
// retry gets the first answer again, and the key (or, without one, the
// message's text) names the message, whose mails are named by recipient.
func (h *Handler) message(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		Subject           string `json:"subject"`
		Body              string `json:"body"`
		IncludeWaitlisted bool   `json:"include_waitlisted"`
	}
	if _, err := decode(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	// The key is the organizer's own: two organizers choosing the same key
	// never see each other's answers.
	raw, _ := json.Marshal(body) // a struct of strings and a bool always marshals
	key := httpapi.Header(req, "Idempotency-Key")
	return httpapi.Idempotent(ctx, h.log, h.keeper, req, "organizer:"+v.Member.ID, idempotency.Fingerprint(id, string(raw)),
		func(ctx context.Context) (httpapi.Response, error) {
			wctx, cancel := withMargin(ctx)
			defer cancel()
			res, err := h.svc.Messages.MessageAttendees(wctx, v, id, key, body.Subject, body.Body, body.IncludeWaitlisted)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(202, messageResponse{MessageID: res.Message.ID, Recipients: res.Recipients, Queued: res.Queued}), nil
		})
}

// messageProgress is how the mails of one message stand.
type messageProgress struct {
	MessageID  string    `json:"message_id"`
	EventID    string    `json:"event_id"`
	Subject    string    `json:"subject"`
	CreatedAt  time.Time `json:"created_at"`
	Recipients int       `json:"recipients"`
	Sent       int       `json:"sent"`
	Pending    int       `json:"pending"`
	Skipped    int       `json:"skipped"`
	Failed     int       `json:"failed"`
}

func (h *Handler) messageProgress(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	mid, err := pathID(req, "mid", community.ErrMessageNotFound)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, p, err := h.svc.Messages.Progress(ctx, v, id, mid)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, messageProgress{
		MessageID: m.ID, EventID: m.EventID, Subject: m.Subject, CreatedAt: m.CreatedAt.In(community.Tokyo),
		Recipients: p.Recipients, Sent: p.Sent, Pending: p.Pending, Skipped: p.Skipped, Failed: p.Failed,
	}), nil
}

// attendanceFigures answers an event's attendance figures (confirmed,
// checked in, cancellations, releases, no-shows, reconfirmation answers),
// read from the event item's counters: one GetItem.
func (h *Handler) attendanceFigures(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	f, err := h.svc.Attendance.Figures(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AttendanceJSON(f)), nil
}
