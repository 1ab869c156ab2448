// Package adminapi is the HTTP side of organizer administration, the
// `admin` function: events (create, edit, publish, cancel), monthly series,
// attendee lists (JSON and CSV for Excel), check-in, member approval,
// messages to attendees and the audit log. Every route answers 401 without
// a session and 403 to anyone but an organizer, before the request body is
// read. The rules live in community's administration services (EventAdmin,
// SeriesAdmin, MemberAdmin, Attendance, Messages, AuditLog); this package turns requests into
// calls and results into the contract's JSON.
package adminapi

import (
	"context"
	"log/slog"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/certpdf"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "AdminFunction"

// Routes this handler serves, as template.yaml names them.
const (
	RouteCreateEvent   = "POST /api/admin/events"
	RouteGetEvent      = "GET /api/admin/events/{id}"
	RouteUpdateEvent   = "PATCH /api/admin/events/{id}"
	RoutePublishEvent  = "POST /api/admin/events/{id}/publish"
	RouteCancelEvent   = "POST /api/admin/events/{id}/cancel"
	RouteRegistrations = "GET /api/admin/events/{id}/registrations"
	RouteCheckIn       = "POST /api/admin/events/{id}/registrations/{rid}/checkin"
	RouteUndoCheckIn   = "DELETE /api/admin/events/{id}/registrations/{rid}/checkin"
	RouteCancelReg     = "POST /api/admin/events/{id}/registrations/{rid}/cancel"
	RouteMessage       = "POST /api/admin/events/{id}/messages"
	RouteMessageStatus = "GET /api/admin/events/{id}/messages/{mid}"
	RouteListSeries    = "GET /api/admin/series"
	RouteCreateSeries  = "POST /api/admin/series"
	RouteGetSeries     = "GET /api/admin/series/{id}"
	RouteUpdateSeries  = "PATCH /api/admin/series/{id}"
	RouteMembers       = "GET /api/admin/members"
	RouteApprove       = "POST /api/admin/members/{id}/approve"
	RouteReject        = "POST /api/admin/members/{id}/reject"
	RouteSuspend       = "POST /api/admin/members/{id}/suspend"
	RouteReinstate     = "POST /api/admin/members/{id}/reinstate"
	RouteEligibility   = "PUT /api/admin/members/{id}/eligibility"
	RouteAudit         = "GET /api/admin/audit"
	// issue 10 — apply: selection
	RouteApplications   = "GET /api/admin/events/{id}/applications"
	RouteDecision       = "PUT /api/admin/events/{id}/applications/{rid}/decision"
	RouteNotifyDecision = "POST /api/admin/events/{id}/decisions/notify"
	RouteSurvey         = "GET /api/admin/events/{id}/survey"
	// issue 12 — attendance certificates (参加証明書), one PDF for the event.
	RouteCertificates = "GET /api/admin/events/{id}/certificates"
	// issue 12 — attendance figures
	RouteAttendance = "GET /api/admin/events/{id}/attendance"
)

// Routes lists every route of the handler, for template.yaml and tests.
var Routes = []string{
	RouteCreateEvent, RouteGetEvent, RouteUpdateEvent, RoutePublishEvent, RouteCancelEvent,
	RouteRegistrations, RouteCheckIn, RouteUndoCheckIn, RouteCancelReg, RouteMessage, RouteMessageStatus,
	RouteListSeries, RouteCreateSeries, RouteGetSeries, RouteUpdateSeries,
	RouteMembers, RouteApprove, RouteReject, RouteSuspend, RouteReinstate, RouteEligibility,
	RouteAudit, RouteSurvey, RouteAttendance,
	RouteApplications, RouteDecision, RouteNotifyDecision,
	RouteCertificates,
}

// Services are the administration services the handler calls, one per
// aggregate.
type Services struct {
	Events     *community.EventAdmin
	Series     *community.SeriesAdmin
	Members    *community.MemberAdmin
	Attendance *community.Attendance
	Messages   *community.Messages
	Audit      *community.AuditLog
	// Applications runs selection: decisions and the 決定通知.
	Applications *community.Applications
	// Certificates issues an event's attendance certificates, which
	// Issuer signs off.
	Certificates *community.Certificates
	Issuer       certpdf.Issuer
}

// Handler serves the admin routes.
type Handler struct {
	svc     Services
	viewers httpapi.ViewerResolver
	keeper  *idempotency.Keeper // nil: Idempotency-Key is ignored
	log     *slog.Logger
	routes  map[string]route
}

// New returns a Handler on ready services. Messages to attendees honour an
// Idempotency-Key with keeper (nil ignores the header).
func New(s Services, viewers httpapi.ViewerResolver, keeper *idempotency.Keeper, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{svc: s, viewers: viewers, keeper: keeper, log: log}
	h.routes = h.table()
	return h
}

type route func(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error)

func (h *Handler) table() map[string]route {
	return map[string]route{
		RouteCreateEvent:   h.createEvent,
		RouteGetEvent:      h.getEvent,
		RouteUpdateEvent:   h.updateEvent,
		RoutePublishEvent:  h.publishEvent,
		RouteCancelEvent:   h.cancelEvent,
		RouteRegistrations: h.registrations,
		RouteCheckIn:       h.checkIn,
		RouteUndoCheckIn:   h.undoCheckIn,
		RouteCancelReg:     h.cancelRegistration,
		RouteMessage:       h.message,
		RouteMessageStatus: h.messageProgress,
		RouteListSeries:    h.listSeries,
		RouteCreateSeries:  h.createSeries,
		RouteGetSeries:     h.getSeries,
		RouteUpdateSeries:  h.updateSeries,
		RouteMembers:       h.members,
		RouteApprove:       h.approve,
		RouteReject:        h.reject,
		RouteSuspend:       h.suspend,
		RouteReinstate:     h.reinstate,
		RouteEligibility:   h.eligibility,
		RouteAudit:         h.audit,

		RouteApplications:   h.applications,
		RouteDecision:       h.decide,
		RouteNotifyDecision: h.notifyDecisions,
		RouteSurvey:         h.survey,
		RouteCertificates:   h.certificates,
		RouteAttendance:     h.attendanceFigures,
	}
}

// Handle answers one API Gateway v2 request. Who is asking is settled
// first, on every route: nothing of the request is read for anyone but an
// organizer. Failures are answered in the contract's error shape, so the
// returned error is always nil.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	ctx = awscalls.WithFunction(ctx, function)
	return httpapi.Serve(ctx, h.log, req, func(ctx context.Context) (httpapi.Response, error) {
		v, err := h.organizer(ctx, req)
		if err != nil {
			return httpapi.Response{}, err
		}
		if fn, ok := h.routes[req.RouteKey]; ok {
			return fn(ctx, v, req)
		}
		return httpapi.Response{}, community.ErrRouteNotFound
	}), nil
}

func (h *Handler) organizer(ctx context.Context, req httpapi.Request) (community.Viewer, error) {
	// Organizers work through the API with a bearer token only. The web
	// session cookie is refused here, so no page on a sibling site can make
	// a browser act as an organizer (SameSite=Lax does not stop same-site
	// requests, and bodiless POSTs carry no Content-Type to check).
	if httpapi.Header(req, "Authorization") == "" {
		return community.Viewer{}, community.ErrUnauthorized.Messagef("運営者の操作には Authorization: Bearer ヘッダーでトークンを送ってください。")
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return community.Viewer{}, err
	}
	return v, community.RequireOrganizer(v)
}

// pathID returns the path parameter name when it is a well-formed id, and
// NotFound with reason otherwise: garbage never becomes a key.
func pathID(req httpapi.Request, name string, reason *community.Reason) (string, error) {
	id := req.PathParameters[name]
	if !community.ValidID(id) {
		return "", reason
	}
	return id, nil
}

func eventID(req httpapi.Request) (string, error) {
	return pathID(req, "id", community.ErrEventNotFound)
}

func memberID(req httpapi.Request) (string, error) {
	return pathID(req, "id", community.ErrMemberNotFound)
}

func seriesID(req httpapi.Request) (string, error) {
	return pathID(req, "id", community.ErrSeriesNotFound)
}

func regID(req httpapi.Request) (string, error) {
	return pathID(req, "rid", community.ErrRegistrationNotFound)
}

// noBody refuses a body on routes that take none, as DecodeJSON refuses
// unknown fields: {} and an empty body pass.
func noBody(req httpapi.Request) error {
	var none struct{}
	return httpapi.DecodeJSON(req, &none)
}

func nextCursor(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
