package web

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
	"github.com/sorae/tabane/pkg/qr"
)

// checkInData is the page an organizer's phone opens from a QR code.
type checkInData struct {
	Token            string
	EventID, Title   string
	When             string
	Person           attendeeRow
	Confirmed        bool
	Status           string
	Done             bool   // checked in by this request
	AlreadyCheckedIn string // when, for a second scan
}

// checkInTarget reads the signed link. A forged, altered or expired link
// gets the unknown page's answer, nothing more: the page says nothing
// about whom it would have named.
func (h *Handler) checkInTarget(token string) (eventID, regID string, err error) {
	eventID, regID, ok := h.links.ParseCheckInToken(token, h.clock.Now())
	if !ok {
		return "", "", community.ErrPageNotFound
	}
	return eventID, regID, nil
}

// consoleCheckInPage shows the person a QR code names and a 受付 button.
// Opening it changes nothing: the button does.
func (h *Handler) consoleCheckInPage(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	return h.checkInPage(ctx, r, v, r.query.Get("t"), false)
}

// consoleCheckIn checks the person in; a second press answers with the
// first time.
func (h *Handler) consoleCheckIn(ctx context.Context, r *request) response {
	v, f, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	return h.checkInPage(ctx, r, v, f.Get("t"), true)
}

func (h *Handler) checkInPage(ctx context.Context, r *request, v community.Viewer, token string, checkIn bool) response {
	eventID, regID, err := h.checkInTarget(token)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	e, a, err := h.attendance.CheckInAttendee(ctx, v, eventID, regID)
	if community.ErrorCode(err) == community.NotFound {
		return h.errorPage(ctx, r, community.ErrPageNotFound)
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := checkInData{Token: token, EventID: e.ID, Title: e.Title, When: jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Person: rowOf(a), Confirmed: a.Status == community.RegistrationConfirmed, Status: statusWord(a)}
	if a.CheckedInAt != nil {
		d.AlreadyCheckedIn = jadate.DateTime(*a.CheckedInAt)
	} else if checkIn && d.Confirmed {
		reg, err := h.attendance.CheckIn(ctx, v, eventID, regID)
		if err != nil {
			return h.errorPage(ctx, r, err)
		}
		d.Done, d.Person = true, rowOf(community.Attendee{Registration: reg, Name: a.Name, NameKana: a.NameKana,
			Affiliation: a.Affiliation, Email: a.Email, Guest: a.Guest, FrameName: a.FrameName, Organization: a.Organization})
	}
	return h.render(ctx, r, http.StatusOK, "console_checkin", "受付", "admin-events", d)
}

func statusWord(a community.Attendee) string {
	switch a.Status {
	case community.RegistrationConfirmed:
		return "参加確定"
	case community.RegistrationWaitlisted:
		return "キャンセル待ち"
	case community.RegistrationCancelled:
		return "キャンセル済み"
	}
	return "申込中"
}

// checkInListData is the door's list for people without their code.
type checkInListData struct {
	EventID, Title, When string
	Query                string
	People               []attendeeRow
	Total, Arrived       int
	Done                 string // the name just checked in
}

// consoleCheckInList lists the confirmed, searchable by name or ふりがな,
// each with a 受付 button.
func (h *Handler) consoleCheckInList(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	q := r.query.Get("q")
	e, list, err := h.attendance.CheckInList(ctx, v, r.params["id"], q)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := checkInListData{EventID: e.ID, Title: e.Title, When: jadate.DateTimeRange(e.StartsAt, e.EndsAt), Query: q}
	csrf := h.csrfToken(r)
	for _, a := range list {
		row := rowOf(a)
		row.EventID, row.CSRF = e.ID, csrf
		if row.CheckedIn != "" {
			d.Arrived++
		}
		if a.ID == r.query.Get("done") {
			d.Done = row.Name
		}
		d.People = append(d.People, row)
	}
	d.Total = len(d.People)
	return h.render(ctx, r, http.StatusOK, "console_checkin_list", "受付リスト："+e.Title, "admin-events", d)
}

// consoleCheckInFromList checks one person in from the list and goes back
// to the same search.
func (h *Handler) consoleCheckInFromList(ctx context.Context, r *request) response {
	v, f, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	id, rid := r.params["id"], r.params["rid"]
	if _, err := h.attendance.CheckIn(ctx, v, id, rid); err != nil {
		return h.errorPage(ctx, r, err)
	}
	back := url.Values{"done": {rid}}
	if q := f.Get("q"); q != "" {
		back.Set("q", q)
	}
	return redirect("/admin/events/" + url.PathEscape(id) + "/checkin?" + back.Encode() + "#r-" + rid)
}

// checkInQR is the data: URL of a registrant's check-in code on my page:
// inline, so the page needs no image route and works offline once open.
func (h *Handler) checkInQR(e *community.Event, regID string) template.URL {
	png, err := qr.PNG(h.links.CheckInLink(e.ID, regID, community.CheckInUntil(e)))
	if err != nil {
		return ""
	}
	// Our own PNG, base64: safe in src, which html/template would
	// otherwise refuse for a data: URL.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
