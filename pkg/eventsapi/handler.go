// Package eventsapi is the HTTP side of event listing, the `events`
// function: GET /api/events (upcoming published events, paginated and
// filtered, or with ?when=past the held ones, latest first), GET /api/events/{id}, GET /api/events.ics (the public
// iCalendar feed) and GET /api/me/calendar.ics (a member's personal feed,
// found by the secret token in its URL). The visibility rules are community's; this package turns
// requests into queries and views into the contract's JSON.
package eventsapi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/ics"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "EventsFunction"

// Routes this handler serves, as template.yaml names them.
const (
	RouteList   = "GET /api/events"
	RouteDetail = "GET /api/events/{id}"
	RouteFeed   = "GET /api/events.ics"
	// RouteLottery publishes a drawn lottery (docs/lottery.md).
	RouteLottery = "GET /api/events/{id}/lottery"
	// RouteCertificate confirms an attendance certificate (参加証明書).
	RouteCertificate = "GET /api/certificates/{id}"
	// RouteMyCalendar is a member's personal feed of their confirmed
	// events. It is served here, not by SignupFunction, which manages the
	// URL: this function only reads, so the route calendar apps poll every
	// hour, with a secret that travels in a query string, reaches a role
	// that cannot write anything; and its reads (the token item, the
	// member, GSI2 MREG#, events by BatchGetItem) are nearly this
	// function's already.
	RouteMyCalendar = "GET /api/me/calendar.ics"
)

// How long shared caches may keep anonymous answers: short, because seats
// left and cancellations should show soon.
const (
	listMaxAge = time.Minute
	feedMaxAge = 15 * time.Minute
	// myFeedMaxAge lets the member's own calendar app keep the personal
	// feed for a while; shared caches may not keep it at all (private).
	myFeedMaxAge = 15 * time.Minute
)

// feedHorizon is how far ahead the iCalendar feed looks.
const feedHorizon = 366 * 24 * time.Hour

// Handler serves the event listing routes.
type Handler struct {
	events  *community.Events
	viewers httpapi.ViewerResolver
	cfg     config.Config
	log     *slog.Logger
	// Lotteries publishes drawn lotteries; nil answers that none is drawn.
	Lotteries *community.Applications
	// Certificates verifies attendance certificates; nil verifies none.
	Certificates *community.Certificates
	// History lists held events for ?when=past; nil answers that
	// parameter 400, as for a value it does not know.
	History *community.EventHistory
	// Calendars serves members' personal feeds; nil answers every
	// token not found.
	Calendars *community.Calendars
}

// New returns a Handler on ready services.
func New(events *community.Events, viewers httpapi.ViewerResolver, cfg config.Config, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{events: events, viewers: viewers, cfg: cfg, log: log}
}

// Handle answers one API Gateway v2 request. Failures are answered in the
// contract's error shape, so the returned error is always nil: Lambda must
// not retry or replace a deliberate 4xx/5xx.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	ctx = awscalls.WithFunction(ctx, function)
	resp := httpapi.Serve(ctx, h.log, req, func(ctx context.Context) (httpapi.Response, error) {
		switch req.RouteKey {
		case RouteList:
			return h.list(ctx, req)
		case RouteDetail:
			return h.detail(ctx, req)
		case RouteFeed:
			return h.feed(ctx, req)
		case RouteLottery:
			return h.lottery(ctx, req)
		case RouteCertificate:
			return h.certificate(ctx, req)
		case RouteMyCalendar:
			return h.myCalendar(ctx, req)
		}
		return httpapi.Response{}, community.ErrRouteNotFound
	})
	if req.RouteKey == RouteMyCalendar {
		// Whatever the answer, a secret URL is not for search engines.
		resp.Headers["X-Robots-Tag"] = "noindex, nofollow, noarchive"
	}
	return resp, nil
}

// maxCursor bounds what is handed to the store; real cursors are far shorter.
const maxCursor = 1024

func (h *Handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	q, past, err := parseListQuery(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if past && h.History == nil {
		return httpapi.Response{}, httpapi.InvalidParam("when", "when は upcoming で指定してください。")
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	var views []community.EventView
	var next string
	if past {
		views, next, err = h.History.Page(ctx, v, community.HistoryQuery{Kind: q.Kind, Limit: q.Limit, Cursor: q.Cursor})
	} else {
		views, next, err = h.events.List(ctx, v, q)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.CachePublic(req, httpapi.JSON(200, apijson.ListJSON(views, next)), listMaxAge), nil
}

// parseListQuery checks every parameter before anything is read, so a bad
// request costs no DynamoDB call. past says ?when=past: the held events,
// the latest first (開催履歴), which take no from or to.
func parseListQuery(req httpapi.Request) (community.EventQuery, bool, error) {
	qs, err := httpapi.ParseQuery(req, "cursor", "limit", "kind", "from", "to", "when")
	if err != nil {
		return community.EventQuery{}, false, err
	}
	var q community.EventQuery
	past := false
	switch qs.Get("when") {
	case "", "upcoming":
	case "past":
		past = true
		for _, name := range []string{"from", "to"} {
			if qs.Get(name) != "" {
				return q, false, httpapi.InvalidParam(name, name+" は when=past と一緒には指定できません。")
			}
		}
	default:
		return q, false, httpapi.InvalidParam("when", "when は upcoming か past で指定してください。")
	}
	if q.Limit, err = qs.Int("limit", 20, 1, 100); err != nil {
		return q, false, err
	}
	if k := community.Kind(qs.Get("kind")); k != "" {
		if !k.Valid() {
			return q, false, httpapi.InvalidParam("kind", "kind は meeting, lecture, field_trip, workshop のいずれかで指定してください。")
		}
		q.Kind = k
	}
	if q.From, err = qs.Time("from", httpapi.StartOfDay); err != nil {
		return q, false, err
	}
	if q.To, err = qs.Time("to", httpapi.EndOfDay); err != nil {
		return q, false, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return q, false, httpapi.InvalidParam("to", "to は from より後の日時で指定してください。")
	}
	q.Cursor = qs.Get("cursor")
	if len(q.Cursor) > maxCursor {
		return q, false, httpapi.InvalidParam("cursor", "cursor が正しくありません。前のページの next_cursor をそのまま指定してください。")
	}
	return q, past, nil
}

func (h *Handler) detail(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["id"]
	if !community.ValidID(id) {
		// Garbage never becomes a key, and looks like any unknown event.
		return httpapi.Response{}, community.ErrEventNotFound
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	view, err := h.events.Get(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.CachePublic(req, httpapi.JSON(200, apijson.EventJSON(view)), listMaxAge), nil
}

// feed serves public events only, to everyone alike, so it needs no viewer;
// ics.Feed never writes a join URL.
func (h *Handler) feed(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	events, err := h.events.PublicFeed(ctx, feedHorizon)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.Body(200, httpapi.ContentTypeCalendar, string(ics.Feed(h.cfg.CommunityName, events, h.cfg.BaseURL)))
	resp.Headers["Content-Disposition"] = `inline; filename="events.ics"`
	return httpapi.CachePublic(req, resp, feedMaxAge), nil
}

// lottery publishes the result of a drawn lottery as stored: the seed, the
// entries (application ids and weights, never names), the drawn order and
// who won. It never changes once drawn, so caches may keep it.
func (h *Handler) lottery(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["id"]
	if !community.ValidID(id) {
		return httpapi.Response{}, community.ErrEventNotFound
	}
	if h.Lotteries == nil {
		return httpapi.Response{}, community.ErrLotteryNotDrawn
	}
	v, err := httpapi.Viewer(ctx, req, h.viewers)
	if err != nil {
		return httpapi.Response{}, err
	}
	raw, err := h.Lotteries.PublishedLottery(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.CachePublic(req, httpapi.JSON(200, raw), feedMaxAge), nil
}

// myCalendar serves a member's personal feed. The token is the only
// credential (calendar apps send no cookie), so every refusal — unknown,
// renewed away, stopped, a member withdrawn or suspended — is the same
// 404, and the token is never logged: errors carry no part of it, and the
// query string reaches no log line (see the test). The events are those
// the member holds a confirmed place in, as their frame has them; ics.Feed
// writes no join URL, and every join URL the events hold is redacted from
// their texts.
func (h *Handler) myCalendar(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	qs, err := httpapi.ParseQuery(req, "token")
	if err != nil {
		return httpapi.Response{}, err
	}
	if h.Calendars == nil {
		return httpapi.Response{}, community.ErrCalendarNotFound
	}
	events, secrets, err := h.Calendars.Feed(ctx, qs.Get("token"))
	if err != nil {
		return httpapi.Response{}, err
	}
	name := h.cfg.CommunityName + "（参加予定）"
	resp := httpapi.Body(200, httpapi.ContentTypeCalendar, string(ics.Feed(name, events, h.cfg.BaseURL, ics.Redact(secrets...))))
	resp.Headers["Content-Disposition"] = `inline; filename="my-events.ics"`
	// private: the answer is one member's, so no shared cache may keep it;
	// max-age: their calendar app may, and polls again after it.
	resp.Headers["Cache-Control"] = fmt.Sprintf("private, max-age=%d", int(myFeedMaxAge/time.Second))
	return resp, nil
}
