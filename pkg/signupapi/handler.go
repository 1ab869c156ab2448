// Package signupapi is the HTTP side of membership, the `signup` function:
// signup with double opt-in, sign-in by mailed link, the member's own
// profile, withdrawal and unsubscribe. The rules live in community.Members;
// this package turns requests into calls and members into the contract's JSON.
package signupapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "SignupFunction"

// Routes this handler serves, as template.yaml names them.
const (
	RouteSignup   = "POST /api/members"
	RouteVerify   = "POST /api/members/verify"
	RouteLink     = "POST /api/auth/link"
	RouteSession  = "POST /api/auth/session"
	RouteSignOut  = "DELETE /api/auth/session"
	RouteMe       = "GET /api/me"
	RouteUpdateMe = "PATCH /api/me"
	// RouteEligibilityRequest asks organizers to change the member's locked
	// public_servant and birth_date.
	RouteEligibilityRequest = "POST /api/me/eligibility-request"
	RouteWithdraw           = "DELETE /api/me"
	RouteUnsubscribe        = "POST /api/unsubscribe"
	// The member's personal calendar feed URL: shown, issued or renewed
	// (the old URL stops at once), stopped. The feed itself is
	// EventsFunction's (eventsapi.RouteMyCalendar).
	RouteCalendar      = "GET /api/me/calendar"
	RouteIssueCalendar = "POST /api/me/calendar"
	RouteStopCalendar  = "DELETE /api/me/calendar"
)

// Handler serves the membership routes.
type Handler struct {
	members  *community.Members
	optOuts  *community.OptOuts
	sessions *auth.Sessions
	links    auth.Links
	log      *slog.Logger
	minTime  time.Duration // floor of the answers that must not reveal who is a member
	// limit counts each client's writes (nil: none counted); Wire sets it.
	limit *httpapi.WriteLimiter
	// Calendars manages personal calendar feeds; BaseURL is where their
	// URLs point. Wire sets both.
	Calendars *community.Calendars
	BaseURL   string
}

// New returns a Handler on ready services. optOuts stops what an opt-out
// link names; nil stops members' lists only (through members).
func New(members *community.Members, optOuts *community.OptOuts, sessions *auth.Sessions, links auth.Links, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	if optOuts == nil {
		optOuts = &community.OptOuts{Members: members}
	}
	return &Handler{members: members, optOuts: optOuts, sessions: sessions, links: links, log: log, minTime: httpapi.MinResponseTime}
}

// SetMinResponseTime changes how long signup and sign-in link answers take
// at least (httpapi.MinResponseTime unless set); 0 turns the floor off, for
// tests that are not about timing.
func (h *Handler) SetMinResponseTime(d time.Duration) { h.minTime = d }

// Handle answers one API Gateway v2 request; failures are answered in the
// contract's error shape, so the error is always nil.
func (h *Handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	ctx = awscalls.WithFunction(ctx, function)
	switch req.RouteKey {
	case RouteSignup, RouteLink:
		// Only some of these answers send a mail; all take as long.
		defer httpapi.Pace(ctx, time.Now(), h.minTime)
	}
	return httpapi.Serve(ctx, h.log, req, func(ctx context.Context) (httpapi.Response, error) {
		if err := h.limit.Check(ctx, req); err != nil {
			return httpapi.Response{}, err
		}
		switch req.RouteKey {
		case RouteSignup:
			return h.signup(ctx, req)
		case RouteVerify:
			return h.verify(ctx, req)
		case RouteLink:
			return h.link(ctx, req)
		case RouteSession:
			return h.session(ctx, req)
		case RouteSignOut:
			return h.signOut(ctx, req)
		case RouteMe:
			return h.me(ctx, req)
		case RouteEligibilityRequest:
			return h.requestEligibility(ctx, req)
		case RouteUpdateMe:
			return h.updateMe(ctx, req)
		case RouteWithdraw:
			return h.withdraw(ctx, req)
		case RouteUnsubscribe:
			return h.unsubscribe(ctx, req)
		case RouteCalendar, RouteIssueCalendar, RouteStopCalendar:
			return h.calendar(ctx, req)
		}
		return httpapi.Response{}, community.ErrRouteNotFound
	}), nil
}

// signupRequest is the contract's Signup shape; role and status are not in
// it, so mass assignment is refused as an unknown field.
type signupRequest struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	NameKana      string `json:"name_kana"`
	Membership    string `json:"membership"`
	Affiliation   string `json:"affiliation"`
	Department    string `json:"department"`
	JobCategory   string `json:"job_category"`
	PublicServant bool   `json:"public_servant"`
	BirthDate     string `json:"birth_date"`
	Consent       struct {
		Terms         bool `json:"terms"`
		Announcements bool `json:"announcements"`
	} `json:"consent"`
}

func (h *Handler) signup(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body signupRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	err := h.members.Signup(ctx, community.SignupInput{
		Email: body.Email, Name: body.Name, NameKana: body.NameKana, Membership: community.Membership(body.Membership),
		Affiliation: body.Affiliation, Department: body.Department, JobCategory: body.JobCategory,
		PublicServant: body.PublicServant, BirthDate: body.BirthDate,
		Terms: body.Consent.Terms, Announcements: body.Consent.Announcements,
		IP: req.RequestContext.HTTP.SourceIP,
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(202, map[string]string{"status": "verification_sent"}), nil
}

func (h *Handler) verify(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, err := h.members.Verify(ctx, token)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, map[string]string{"status": string(m.Status), "membership": string(m.Membership)}), nil
}

func (h *Handler) link(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body struct {
		Email string `json:"email"`
	}
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	if err := h.members.RequestSignIn(ctx, body.Email, req.RequestContext.HTTP.SourceIP); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(202, map[string]string{"status": "link_sent"}), nil
}

func (h *Handler) session(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	session, expires, err := h.members.SignIn(ctx, token)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, map[string]string{"token": session, "expires_at": expires.Format(time.RFC3339)}), nil
}

func (h *Handler) signOut(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.SessionToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if token == "" {
		return httpapi.Response{}, community.ErrUnauthorized
	}
	if err := h.sessions.Revoke(ctx, token); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.NoContent(), nil
}

func (h *Handler) me(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Member(ctx, req, h.sessions)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.MemberJSON(v.Member)), nil
}

// updateRequest lists what a member may change about themselves; email,
// membership, role and status are not here, so they are refused.
type updateRequest struct {
	Name          *string `json:"name"`
	NameKana      *string `json:"name_kana"`
	Affiliation   *string `json:"affiliation"`
	Department    *string `json:"department"`
	JobCategory   *string `json:"job_category"`
	PublicServant *bool   `json:"public_servant"`
	BirthDate     *string `json:"birth_date"`
	Preferences   *struct {
		Reminders     *bool `json:"reminders"`
		Announcements *bool `json:"announcements"`
	} `json:"preferences"`
}

func (h *Handler) updateMe(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Member(ctx, req, h.sessions)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body updateRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	u := community.ProfileUpdate{
		Name: body.Name, NameKana: body.NameKana, Affiliation: body.Affiliation, Department: body.Department,
		JobCategory: body.JobCategory, PublicServant: body.PublicServant, BirthDate: body.BirthDate,
	}
	if p := body.Preferences; p != nil {
		u.Reminders, u.Announcements = p.Reminders, p.Announcements
	}
	m, err := h.members.UpdateMe(ctx, v, u)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.MemberJSON(m)), nil
}

// eligibilityBody is a request to change the eligibility claim: both
// values as they should be, and why.
type eligibilityBody struct {
	PublicServant *bool  `json:"public_servant"`
	BirthDate     string `json:"birth_date"`
	Reason        string `json:"reason"`
}

func (h *Handler) requestEligibility(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Member(ctx, req, h.sessions)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body eligibilityBody
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	if body.PublicServant == nil {
		return httpapi.Response{}, community.ErrValidation.WithFields(map[string]string{"public_servant": "公務員かどうかを選んでください。"})
	}
	m, err := h.members.RequestEligibilityChange(ctx, v, *body.PublicServant, body.BirthDate, body.Reason)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.MemberJSON(m)), nil
}

func (h *Handler) withdraw(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	v, err := httpapi.Member(ctx, req, h.sessions)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.members.Withdraw(ctx, v); err != nil {
		return httpapi.Response{}, err
	}
	if token, _ := httpapi.SessionToken(req); token != "" {
		if err := h.sessions.Revoke(ctx, token); err != nil {
			return httpapi.Response{}, err
		}
	}
	return httpapi.JSON(200, map[string]string{"status": string(community.MemberWithdrawn)}), nil
}

func (h *Handler) unsubscribe(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	token, err := httpapi.DecodeToken(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	o, ok := h.links.ParseOptOutToken(token)
	if !ok {
		return httpapi.Response{}, community.ErrInvalidToken.Messagef("配信停止用のリンクが正しくありません。")
	}
	if err := h.optOuts.Stop(ctx, o); err != nil {
		return httpapi.Response{}, err
	}
	out := map[string]string{"status": "unsubscribed", "list": o.List}
	if o.ForRegistration() {
		out["event_id"], out["registration_id"] = o.EventID, o.RegistrationID
	}
	return httpapi.JSON(200, out), nil
}

// calendarBody is the contract's CalendarFeed: the feed's URL, null when
// the member has none.
type calendarBody struct {
	URL *string `json:"url"`
}

// calendar shows, issues (or renews) and stops the member's feed. A write
// with the session cookie must come as JSON from our own pages
// (httpapi.SessionToken), like every cookie write; the body is not read.
func (h *Handler) calendar(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	v, err := httpapi.Member(ctx, req, h.sessions)
	if err != nil {
		return httpapi.Response{}, err
	}
	if h.Calendars == nil {
		return httpapi.Response{}, community.ErrRouteNotFound
	}
	switch req.RouteKey {
	case RouteIssueCalendar:
		token, err := h.Calendars.Issue(ctx, v)
		if err != nil {
			return httpapi.Response{}, err
		}
		u := community.CalendarFeedURL(h.BaseURL, token)
		return httpapi.JSON(200, calendarBody{URL: &u}), nil
	case RouteStopCalendar:
		if err := h.Calendars.Stop(ctx, v); err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.NoContent(), nil
	}
	out := calendarBody{}
	if token, ok := h.Calendars.Token(v.Member); ok {
		u := community.CalendarFeedURL(h.BaseURL, token)
		out.URL = &u
	}
	return httpapi.JSON(200, out), nil
}
