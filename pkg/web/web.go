// Package web serves tabane's server-rendered Japanese HTML pages — the event
// list and detail with its registration form, signup, verification, sign-in
// by link, my page, cancelling by mailed link and unsubscribe — as one Lambda handler behind API Gateway's HTTP API. Pages
// work without JavaScript; every value people typed is escaped by
// html/template, and every response carries a strict Content-Security-Policy.
package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "WebFunction"

// SessionCookie is the session cookie's name over HTTPS, with its __Host-
// prefix; on plain-http loopback (make run) it is
// httpapi.LoopbackSessionCookie. The JSON API reads the same.
const SessionCookie = httpapi.SessionCookie

// Options are the ready-made services the pages call.
type Options struct {
	Events  *community.Events
	Members *community.Members
	// Registrations takes, lists and cancels registrations.
	Registrations *community.Registrations
	// GuestRequests takes guests' requests and their confirmations.
	GuestRequests *community.GuestRequests
	// Nominations confirms organizations' nominees (団体推薦).
	Nominations *community.Nominations
	// OptOuts stops what an opt-out link names; nil stops members' lists
	// only (through Members).
	OptOuts  *community.OptOuts
	Sessions *auth.Sessions
	Config   config.Config
	Log      *slog.Logger
	// Surveys takes after-event survey answers (/survey); nil serves no
	// survey page.
	Surveys *community.Surveys
	// OrgSurveys takes organizations' survey answers (/org-survey); nil
	// serves no such page.
	OrgSurveys *community.OrgSurveys
	// Clock decides whether registration windows are open; nil uses
	// Events.Clock, then the wall clock.
	Clock community.Clock
	// Calendars issues, renews and stops my page's calendar feed URL
	// (カレンダー連携); nil leaves the section out.
	Calendars *community.Calendars
	// Limiter counts each client's form posts (httpapi.WriteLimiter); nil
	// counts none.
	Limiter *httpapi.WriteLimiter
	// EventAdmin and Board serve the organizers' console (/admin).
	EventAdmin *community.EventAdmin
	Board      *community.EventBoard
	// MemberAdmin and AuditLog serve the console's member and audit pages.
	MemberAdmin *community.MemberAdmin
	AuditLog    *community.AuditLog
	// Attendance and Messages serve the console's attendee and check-in
	// pages (console_attendees.go, console_checkin.go).
	Attendance *community.Attendance
	Messages   *community.Messages
	// Series serves the console's series pages (console_series.go).
	Series *community.SeriesAdmin
	// Certificates issues and verifies attendance certificates
	// (certificates.go).
	Certificates *community.Certificates
	// History serves the past events (開催履歴, /past); nil serves no such page.
	History *community.EventHistory
	// Reconfirmations takes the answers behind reconfirmation mails'
	// links (/reconfirm); nil serves no such page.
	Reconfirmations *community.Reconfirmations
}

// Handler answers API Gateway HTTP API (payload 2.0) requests for the web pages.
type Handler struct {
	limit      *httpapi.WriteLimiter
	events     *community.Events
	members    *community.Members
	regs       *community.Registrations
	guests     *community.GuestRequests
	noms       *community.Nominations
	optOuts    *community.OptOuts
	surveys    *community.Surveys
	orgSurveys *community.OrgSurveys
	sessions   *auth.Sessions
	cfg        config.Config
	log        *slog.Logger
	clock      community.Clock
	links      auth.Links
	baseHost   string
	css        template.CSS
	csp        string
	templates  map[string]func() (*template.Template, error) // parsed on first use
	routes     map[string]route
	minTime    time.Duration // floor of the forms' answers that must not reveal who is a member
	eventAdmin *community.EventAdmin
	board      *community.EventBoard

	memberAdmin *community.MemberAdmin
	audit       *community.AuditLog
	attendance  *community.Attendance
	messages    *community.Messages
	series      *community.SeriesAdmin
	certs       *community.Certificates
	history     *community.EventHistory
	reconfirms  *community.Reconfirmations
	calendars   *community.Calendars
}

// route serves one route key; it gets the request already decoded.
type route func(ctx context.Context, r *request) response

// New builds the handler. It parses no template: each page is parsed the
// first time it is rendered (the package's tests parse them all).
func New(o Options) *Handler {
	h := &Handler{
		limit:      o.Limiter,
		events:     o.Events,
		members:    o.Members,
		regs:       o.Registrations,
		guests:     o.GuestRequests,
		noms:       o.Nominations,
		optOuts:    o.OptOuts,
		surveys:    o.Surveys,
		orgSurveys: o.OrgSurveys,
		sessions:   o.Sessions,
		cfg:        o.Config,
		log:        o.Log,
		clock:      o.Clock,
		links:      auth.Links{BaseURL: o.Config.BaseURL, Keys: o.Config.Keys},
		templates:  pageTemplates(),
		minTime:    httpapi.MinResponseTime,
		eventAdmin: o.EventAdmin,
		board:      o.Board,

		memberAdmin: o.MemberAdmin,
		audit:       o.AuditLog,
		attendance:  o.Attendance,
		messages:    o.Messages,
		series:      o.Series,
		certs:       o.Certificates,
		history:     o.History,
		reconfirms:  o.Reconfirmations,
		calendars:   o.Calendars,
	}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if h.optOuts == nil {
		h.optOuts = &community.OptOuts{Members: o.Members}
	}
	if h.clock == nil && o.Events != nil && o.Events.Clock != nil {
		h.clock = o.Events.Clock
	}
	if h.clock == nil {
		h.clock = community.ClockFunc(time.Now)
	}
	if u, err := url.Parse(o.Config.BaseURL); err == nil {
		h.baseHost = strings.ToLower(u.Host)
	}
	// The stylesheet is inlined and allowed by its hash: no extra request per
	// page, no extra route, and no nonce to mint per response. It is our own
	// embedded file, never user data, so it may bypass escaping.
	h.css = template.CSS(cssFile)
	sum := sha256.Sum256([]byte(cssFile))
	h.csp = "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	h.routes = h.routeTable()
	return h
}

// SetMinResponseTime changes how long the signup and sign-in forms' answers
// take at least (httpapi.MinResponseTime unless set); 0 turns the floor off,
// for tests that are not about timing.
func (h *Handler) SetMinResponseTime(d time.Duration) { h.minTime = d }

// routeTable maps each API Gateway route key to its page.
func (h *Handler) routeTable() map[string]route {
	return map[string]route{
		"GET /":                       h.eventList,
		"GET /past":                   h.pastEvents,
		"GET /share.png":              h.shareImage,
		"GET /events/{id}":            h.eventDetail,
		"POST /events/{id}/register":  h.register,
		"POST /events/{id}/cancel":    h.cancelMine,
		"GET /cancel":                 h.cancelPage,
		"POST /cancel":                h.cancelByToken,
		"GET /reconfirm":              h.reconfirmPage,
		"POST /reconfirm":             h.reconfirm,
		"GET /registrations/confirm":  h.confirmGuestPage,
		"POST /registrations/confirm": h.confirmGuest,
		"GET /nominations/confirm":    h.confirmNominationPage,
		"POST /nominations/confirm":   h.confirmNomination,
		"POST /events/{id}/nominate":  h.nominate,
		"GET /signup":                 h.signupForm,
		"POST /signup":                h.signup,
		"GET /verify":                 h.verifyPage,
		"POST /verify":                h.verify,
		"GET /signin":                 h.signinPage,
		"POST /signin":                h.signin,
		"GET /me":                     h.me,
		"POST /me":                    h.updateMe,
		"POST /me/withdraw":           h.withdraw,
		"POST /signout":               h.signout,
		"GET /unsubscribe":            h.unsubscribePage,
		"POST /unsubscribe":           h.unsubscribe,
		"GET /survey":                 h.surveyPage,
		"POST /survey":                h.answerSurvey,
		"GET /org-survey":             h.orgSurveyPage,
		"POST /org-survey":            h.answerOrgSurvey,
		// The organizers' console: events (console_events.go).
		"GET /admin":                      h.consoleDashboard,
		"GET /admin/events":               h.consoleEventList,
		"GET /admin/events/new":           h.consoleNewEvent,
		"POST /admin/events":              h.consoleCreateEvent,
		"GET /admin/events/{id}":          h.consoleEditEvent,
		"POST /admin/events/{id}":         h.consoleUpdateEvent,
		"GET /admin/events/{id}/preview":  h.consolePreviewEvent,
		"POST /admin/events/{id}/publish": h.consolePublishEvent,
		"GET /admin/events/{id}/cancel":   h.consoleCancelEventPage,
		"POST /admin/events/{id}/cancel":  h.consoleCancelEvent,
		// Monthly series (console_series.go).
		"GET /admin/series":       h.consoleSeriesList,
		"GET /admin/series/new":   h.consoleNewSeries,
		"POST /admin/series":      h.consoleCreateSeries,
		"GET /admin/series/{id}":  h.consoleEditSeries,
		"POST /admin/series/{id}": h.consoleUpdateSeries,

		"GET /terms":               h.terms,
		"GET /privacy":             h.privacy,
		"GET /admin/members":       h.consoleMembers,
		"GET /admin/members/{id}":  h.consoleMember,
		"POST /admin/members/{id}": h.consoleMemberAction,
		"GET /admin/audit":         h.consoleAudit,
		// The console's attendee and check-in pages.
		"GET /admin/events/{id}/attendees":               h.consoleAttendees,
		"GET /admin/events/{id}/attendees/csv":           h.consoleAttendeesCSV,
		"POST /admin/events/{id}/attendees/{rid}/cancel": h.consoleCancelAttendee,
		"POST /admin/events/{id}/messages":               h.consoleMessage,
		"GET /admin/events/{id}/checkin":                 h.consoleCheckInList,
		"POST /admin/events/{id}/checkin/{rid}":          h.consoleCheckInFromList,
		"GET /admin/checkin":                             h.consoleCheckInPage,
		// Attendance certificates (certificates.go).
		"GET /certificates/{id}":              h.certificatePage,
		"GET /me/certificates/{id}":           h.myCertificate,
		"GET /admin/events/{id}/certificates": h.consoleCertificates,
		"POST /admin/checkin":                 h.consoleCheckIn,
	}
}

// Routes lists the route keys the handler serves, sorted; template.yaml must
// declare each of them for the web function.
func Routes() []string {
	keys := make([]string, 0, 16)
	for k := range (&Handler{}).routeTable() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Handle serves one request. It never returns an error: failures become a
// Japanese error page, and internals go to the log only.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx = awscalls.WithFunction(ctx, function)
	start := time.Now()
	r := newRequest(req)
	switch r.routeKey {
	case "POST /signup", "POST /signin":
		// Only some of these answers send a mail; all take as long.
		defer httpapi.Pace(ctx, start, h.minTime)
	}
	// The page answers (503) before Lambda would cut the function off.
	ctx, cancel := httpapi.WithAnswerMargin(ctx)
	defer cancel()
	ctx = httpapi.WithRequest(ctx, req)
	ctx = withLogger(ctx, httpapi.Logger(ctx, h.log).With("route", r.routeKey))
	serve, ok := h.routes[r.routeKey]
	if !ok {
		serve = h.notFound
	}
	if err := h.limit.Check(ctx, req); err != nil {
		limited := err
		serve = func(ctx context.Context, r *request) response { return h.errorPage(ctx, r, limited) }
	}
	return h.serve(ctx, r, serve).apiGateway(h.csp, h.cfg.Secure), nil
}

// notFound answers a route the handler does not serve; the session is still
// resolved so the menu shows who is signed in.
func (h *Handler) notFound(ctx context.Context, r *request) response {
	return h.errorPage(ctx, r, community.ErrPageNotFound)
}

// serve resolves the session, then runs the route, turning a panic into a
// 500 page rather than a dropped connection.
func (h *Handler) serve(ctx context.Context, r *request, serve route) (resp response) {
	defer func() {
		if p := recover(); p != nil {
			logger(ctx).ErrorContext(ctx, "web: panic", "panic", p)
			// An error of no declared reason: the page says 500 (a nil one
			// would panic again inside the recovery).
			resp = h.errorPage(ctx, r, fmt.Errorf("web: panic: %v", p))
		}
	}()
	if err := h.resolveSession(ctx, r); err != nil {
		return h.errorPage(ctx, r, err)
	}
	resp = serve(ctx, r)
	if r.clearCookie && resp.cookies == nil {
		resp.cookies = append(resp.cookies, h.expiredCookie())
	}
	return resp
}

// resolveSession finds who holds the session cookie. A stale or forged
// cookie makes the visitor anonymous and is cleared; only a failing store is
// an error.
func (h *Handler) resolveSession(ctx context.Context, r *request) error {
	r.token = r.cookie(httpapi.SessionCookieName(h.cfg.Secure))
	if r.token == "" {
		return nil
	}
	v, err := h.sessions.Resolve(ctx, r.token)
	if community.ErrorCode(err) == community.Unauthorized {
		r.token, r.clearCookie = "", true
		return nil
	}
	if err != nil {
		return err
	}
	r.viewer = v
	return nil
}

type loggerKey struct{}

func withLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
