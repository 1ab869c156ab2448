package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
	"github.com/sorae/tabane/pkg/jadate"
)

// attendeeRow is one registration as the console lists it.
type attendeeRow struct {
	ID, Name, NameKana, Affiliation, Email string
	Kind                                   string // 会員 or ゲスト
	Frame, Organization                    string
	Applied                                string // when the registration came in
	CheckedIn                              string // when they arrived, "" before
	Position                               int    // waitlist place, 0 when not waitlisted
	Withdrawn                              bool
	// EventID and CSRF are for the row's own forms (cancel on behalf,
	// 受付), which a template fills from the row alone.
	EventID, CSRF string
}

func rowOf(a community.Attendee) attendeeRow {
	row := attendeeRow{
		ID: a.ID, Name: a.Name, NameKana: a.NameKana, Affiliation: a.Affiliation, Email: a.Email,
		Kind: "会員", Frame: a.FrameName, Organization: a.Organization, Applied: jadate.DateTime(a.CreatedAt),
		Position: a.WaitlistPosition, Withdrawn: a.Withdrawn,
	}
	if a.Guest {
		row.Kind = "ゲスト"
	}
	if a.CheckedInAt != nil {
		row.CheckedIn = jadate.DateTime(*a.CheckedInAt)
	}
	return row
}

// messageForm is the compose form, as typed.
type messageForm struct {
	Key, Subject, Body string
	IncludeWaitlisted  bool
	Errors             map[string]string
	Message            string
}

// messageProgress is how one message's mails stand.
type messageProgress struct {
	Subject, Sent                                   string
	Recipients, Delivered, Pending, Skipped, Failed int
	Done                                            bool
}

type attendeesData struct {
	EventID, Title, When string
	// CheckedIn is how many were checked in: the certificates' PDF has
	// a page for each, and is offered only when there is one.
	CheckedIn  int
	Confirmed  []attendeeRow
	Waitlisted []attendeeRow
	Cancelled  []attendeeRow
	Next       string // the next page's URL, "" on the last
	Saved      string
	Compose    messageForm
	Progress   *messageProgress
	Figures    *figuresView
}

// figuresView is the event's attendance figures as the console shows them,
// from the counters of the event the page already read (no extra call).
type figuresView struct {
	Confirmed, CheckedIn, Cancelled, Released int
	Rate                                      string // "80%", "" when nobody is confirmed
	NoShows                                   *int   // after the event only
	Reconfirm                                 *community.ReconfirmFigures
	AskAt, Deadline                           string
}

func figuresOf(e *community.Event, now time.Time) *figuresView {
	f := community.FiguresOf(e, now)
	v := &figuresView{Confirmed: f.Confirmed, CheckedIn: f.CheckedIn, Cancelled: f.Cancelled, Released: f.Released,
		NoShows: f.NoShows, Reconfirm: f.Reconfirm}
	if f.CheckInRate != nil {
		v.Rate = strconv.Itoa(int(*f.CheckInRate*100+0.5)) + "%"
	}
	if r := f.Reconfirm; r != nil && !r.AskAt.IsZero() {
		v.AskAt, v.Deadline = jadate.DateTime(r.AskAt), jadate.DateTime(r.Deadline)
	}
	return v
}

// consoleAttendees lists an event's registrations, a page at a time:
// confirmed, waitlisted in order, cancelled; with cancel-on-behalf, the
// CSV and the message form and, after sending, the message's progress.
func (h *Handler) consoleAttendees(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	d := attendeesData{Compose: messageForm{Key: community.NewID(h.clock.Now())}}
	switch r.query.Get("saved") {
	case "cancelled":
		d.Saved = "申込をキャンセルしました。ご本人にキャンセルのメールをお送りします。"
	case "message":
		d.Saved = "メッセージの送信を受け付けました。送信の進み具合は下の「メッセージ」でご確認ください。"
	}
	return h.renderAttendees(ctx, r, v, http.StatusOK, d)
}

func (h *Handler) renderAttendees(ctx context.Context, r *request, v community.Viewer, status int, d attendeesData) response {
	id := r.params["id"]
	page, err := h.attendance.Attendees(ctx, v, id, community.AttendeeQuery{Limit: 100, Cursor: r.query.Get("cursor")})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d.EventID, d.Title, d.When = page.Event.ID, page.Event.Title, jadate.DateTimeRange(page.Event.StartsAt, page.Event.EndsAt)
	if page.Event.Status == community.EventPublished {
		d.CheckedIn = page.Event.CheckedInCount
	}
	d.Figures = figuresOf(page.Event, h.clock.Now())
	csrf := h.csrfToken(r)
	for _, a := range page.Attendees {
		row := rowOf(a)
		row.EventID, row.CSRF = id, csrf
		switch a.Status {
		case community.RegistrationConfirmed:
			d.Confirmed = append(d.Confirmed, row)
		case community.RegistrationWaitlisted:
			d.Waitlisted = append(d.Waitlisted, row)
		case community.RegistrationCancelled:
			d.Cancelled = append(d.Cancelled, row)
		}
	}
	if page.NextCursor != "" {
		d.Next = "/admin/events/" + url.PathEscape(id) + "/attendees?cursor=" + url.QueryEscape(page.NextCursor)
	}
	if mid := r.query.Get("message"); mid != "" && community.ValidID(mid) {
		m, p, err := h.messages.Progress(ctx, v, id, mid)
		if err != nil && community.ErrorCode(err) != community.NotFound {
			return h.errorPage(ctx, r, err)
		}
		if err == nil {
			d.Progress = &messageProgress{Subject: m.Subject, Sent: jadate.DateTime(m.CreatedAt), Recipients: p.Recipients,
				Delivered: p.Sent, Pending: p.Pending, Skipped: p.Skipped, Failed: p.Failed, Done: p.Pending == 0}
		}
	}
	return h.render(ctx, r, status, "console_attendees", "参加者一覧："+d.Title, "admin-events", d)
}

// consoleAttendeesCSV downloads every registration of the event for Excel:
// the JSON API's export, byte for byte (BOM, CRLF, Japanese headers).
func (h *Handler) consoleAttendeesCSV(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	e, list, err := h.attendance.ExportAttendees(ctx, v, r.params["id"])
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	b, err := csvexport.Attendees(list, e.Questions...)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return response{status: http.StatusOK, body: string(b), download: &download{
		contentType: csvexport.ContentType, disposition: csvexport.AttendeesDisposition(e)}}
}

// consoleCancelAttendee cancels one registration on its registrant's
// behalf, as the JSON API does: the seat goes to the waitlist's head and
// both get their mails.
func (h *Handler) consoleCancelAttendee(ctx context.Context, r *request) response {
	v, f, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	id := r.params["id"]
	if _, err := h.attendance.CancelRegistration(ctx, v, id, r.params["rid"], f.Get("reason")); err != nil {
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/events/" + url.PathEscape(id) + "/attendees?saved=cancelled")
}

// consoleMessage sends a message to the event's attendees. The form's key
// names the message, so a second press of the button, or a reload of the
// answer, mails nobody twice.
func (h *Handler) consoleMessage(ctx context.Context, r *request) response {
	v, f, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	id := r.params["id"]
	c := messageForm{Key: f.Get("key"), Subject: f.Get("subject"), Body: f.Get("body"), IncludeWaitlisted: f.Get("include_waitlisted") == "yes"}
	if !community.ValidID(c.Key) {
		c.Key = community.NewID(h.clock.Now())
	}
	res, err := h.messages.MessageAttendees(ctx, v, id, "web:"+c.Key, c.Subject, c.Body, c.IncludeWaitlisted)
	if community.ErrorCode(err) == community.Invalid {
		c.Errors, c.Message = community.ErrorFields(err), community.ErrorMessage(err)
		return h.renderAttendees(ctx, r, v, http.StatusBadRequest, attendeesData{Compose: c})
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/events/" + url.PathEscape(id) + "/attendees?saved=message&message=" + url.QueryEscape(res.Message.ID) + "#messages")
}
