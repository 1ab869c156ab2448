package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// The request shapes take the contract's Event names (docs/openapi.yaml: "Admin
// create/edit takes the same names"). Every field is a pointer or a slice
// so that an edit can tell a field left out from one set; which fields
// were sent, and which as null, comes from presence (see decode).

type venueJSON struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type eligibilityJSON struct {
	PublicServantOnly bool `json:"public_servant_only"`
	MinAge            *int `json:"min_age"`
	MaxAge            *int `json:"max_age"`
}

// templateFields are what an event and a series template share.
type templateFields struct {
	Title           *string          `json:"title"`
	Kind            *string          `json:"kind"`
	Audience        *string          `json:"audience"`
	Description     *string          `json:"description"`
	Venue           *venueJSON       `json:"venue"`
	OnlinePlatform  *string          `json:"online_platform"`
	JoinURL         *string          `json:"join_url"`
	Capacity        *int             `json:"capacity"`
	Waitlist        *bool            `json:"waitlist"`
	Eligibility     *eligibilityJSON `json:"eligibility"`
	FeeJPY          *int             `json:"fee_jpy"`
	Speakers        []string         `json:"speakers"`
	Notes           *string          `json:"notes"`
	ReminderOffsets []string         `json:"reminder_offsets"`
}

// eventRequest is the body of POST /api/admin/events and PATCH
// /api/admin/events/{id}.
type eventRequest struct {
	templateFields
	StartsAt             *string `json:"starts_at"`
	EndsAt               *string `json:"ends_at"`
	RegistrationOpensAt  *string `json:"registration_opens_at"`
	RegistrationClosesAt *string `json:"registration_closes_at"`
	SeriesID             *string `json:"series_id"`
	// Questions replace the event's form as a whole; null or [] clears it.
	Questions []community.Question `json:"questions"`
	// Survey replaces the after-event survey as a whole; null removes it.
	Survey *apijson.Survey `json:"survey"`
	// OrgSurvey replaces the organizations' survey as a whole; null removes it.
	OrgSurvey *apijson.Survey `json:"org_survey"`
	// Reconfirmation replaces the 参加予定の再確認 as a whole; null removes it.
	Reconfirmation *apijson.Reconfirmation `json:"reconfirmation"`
	// issue 10 — apply: how places are handed out.
	Mode    *string      `json:"mode"`
	Lottery *lotteryJSON `json:"lottery"`
	// issue 10 — nominate: people one organization may hold nominated.
	NominationCap *int `json:"nomination_cap"`
	// Frames replace the event's 参加枠 as a whole when sent; null or []
	// goes back to the one default frame.
	Frames         []frameJSON `json:"frames"`
	MultipleFrames *bool       `json:"multiple_frames"`
}

// lotteryJSON is what an organizer sets on a lottery; the commitment and
// the draw's time are the system's.
type lotteryJSON struct {
	DrawAt          string `json:"draw_at"`
	Reserves        int    `json:"reserves"`
	FirstTimeWeight *int   `json:"first_time_weight"`
	FillRemaining   bool   `json:"fill_remaining"`
}

// frameJSON is one 参加枠 as an organizer enters it.
type frameJSON struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Capacity       int              `json:"capacity"`
	Waitlist       bool             `json:"waitlist"`
	Eligibility    *eligibilityJSON `json:"eligibility"`
	JoinURL        string           `json:"join_url"`
	OnlinePlatform string           `json:"online_platform"`
	Venue          *venueJSON       `json:"venue"`
	Mode           string           `json:"mode"`
}

// presence records which top-level fields a body sent; a field sent as
// null is present, and its pointer nil.
type presence map[string]json.RawMessage

func (p presence) has(k string) bool { _, ok := p[k]; return ok }

// decode reads req's body strictly into v (unknown fields refused, at any
// depth) and notes which fields it sent.
func decode(req httpapi.Request, v any) (presence, error) {
	if err := httpapi.DecodeJSON(req, v); err != nil {
		return nil, unembed(err)
	}
	body, err := httpapi.RawBody(req)
	if err != nil {
		return nil, err
	}
	p := presence{}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, community.ErrInvalidJSON
	}
	return p, nil
}

// unembed names a field as the client wrote it: encoding/json puts the
// embedded struct's Go name in front of a promoted field's path.
func unembed(err error) error {
	var e *community.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		fields[strings.TrimPrefix(k, "templateFields.")] = v
	}
	c := *e
	c.Fields = fields
	return &c
}

const msgNotNull = "null にはできません。"

// apply sets the fields present in the body on e. A field sent as null is
// cleared where it may be empty, and refused where it may not.
func (t *templateFields) apply(e *community.Event, p presence, f community.FieldErrors) {
	str := func(name string, src *string, dst *string, clearable bool) {
		switch {
		case !p.has(name):
		case src != nil:
			*dst = *src
		case clearable:
			*dst = ""
		default:
			f.Add(name, msgNotNull)
		}
	}
	str("title", t.Title, &e.Title, false)
	var kind, audience string = string(e.Kind), string(e.Audience)
	str("kind", t.Kind, &kind, false)
	str("audience", t.Audience, &audience, false)
	e.Kind, e.Audience = community.Kind(kind), community.Audience(audience)
	str("description", t.Description, &e.Description, true)
	str("online_platform", t.OnlinePlatform, &e.OnlinePlatform, true)
	str("join_url", t.JoinURL, &e.JoinURL, true)
	str("notes", t.Notes, &e.Notes, true)
	if p.has("venue") {
		e.Venue = nil
		if t.Venue != nil {
			e.Venue = &community.Venue{Name: t.Venue.Name, Address: t.Venue.Address}
		}
	}
	if p.has("eligibility") {
		e.Eligibility = nil
		if el := t.Eligibility; el != nil {
			e.Eligibility = &community.Eligibility{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
		}
	}
	num := func(name string, src *int, dst *int) {
		switch {
		case !p.has(name):
		case src != nil:
			*dst = *src
		default:
			f.Add(name, msgNotNull)
		}
	}
	num("capacity", t.Capacity, &e.Capacity)
	num("fee_jpy", t.FeeJPY, &e.FeeJPY)
	if p.has("waitlist") {
		if t.Waitlist == nil {
			f.Add("waitlist", msgNotNull)
		} else {
			e.Waitlist = *t.Waitlist
		}
	}
	if p.has("speakers") {
		e.Speakers = append([]string{}, t.Speakers...)
	}
	if p.has("reminder_offsets") {
		e.ReminderOffsets = []time.Duration{} // null or [] both mean no reminders
		for _, s := range t.ReminderOffsets {
			d, ok := parseDuration(s)
			if !ok || d <= 0 {
				f.Add("reminder_offsets", `リマインダーは "24h", "1h", "30m", "2d" のように指定してください。`)
				continue
			}
			e.ReminderOffsets = append(e.ReminderOffsets, d)
		}
	}
}

// apply sets the fields present in the body on e.
func (r *eventRequest) apply(e *community.Event, p presence, f community.FieldErrors) {
	r.templateFields.apply(e, p, f)
	if p.has("frames") {
		// The store keeps each frame's counters by id; the edit only says
		// which frames there are and what they offer.
		was := map[string]community.Frame{}
		for _, fr := range e.Frames {
			was[fr.ID] = fr
		}
		e.Frames = nil
		for _, j := range r.Frames {
			fr := community.Frame{
				ID: strings.TrimSpace(j.ID), Name: strings.TrimSpace(j.Name), Capacity: j.Capacity, Waitlist: j.Waitlist,
				JoinURL: strings.TrimSpace(j.JoinURL), OnlinePlatform: strings.TrimSpace(j.OnlinePlatform), Mode: community.RegistrationMode(j.Mode),
			}
			if v := j.Venue; v != nil {
				fr.Venue = &community.Venue{Name: v.Name, Address: v.Address}
			}
			if el := j.Eligibility; el != nil {
				fr.Eligibility = &community.Eligibility{PublicServantOnly: el.PublicServantOnly, MinAge: el.MinAge, MaxAge: el.MaxAge}
			}
			if old, ok := was[fr.ID]; ok {
				fr.ConfirmedCount, fr.WaitlistCount = old.ConfirmedCount, old.WaitlistCount
			}
			e.Frames = append(e.Frames, fr)
		}
	}
	if p.has("multiple_frames") {
		e.MultipleFrames = r.MultipleFrames != nil && *r.MultipleFrames
	}
	when := func(name string, src *string, dst *time.Time) {
		switch {
		case !p.has(name):
		case src == nil:
			f.Add(name, msgNotNull)
		default:
			if t, ok := parseTime(name, *src, f); ok {
				*dst = t
			}
		}
	}
	when("starts_at", r.StartsAt, &e.StartsAt)
	when("ends_at", r.EndsAt, &e.EndsAt)
	window := func(name string, src *string, dst **time.Time) {
		switch {
		case !p.has(name):
		case src == nil:
			*dst = nil
		default:
			if t, ok := parseTime(name, *src, f); ok {
				*dst = &t
			}
		}
	}
	window("registration_opens_at", r.RegistrationOpensAt, &e.RegistrationOpensAt)
	window("registration_closes_at", r.RegistrationClosesAt, &e.RegistrationClosesAt)
	if p.has("mode") {
		if r.Mode == nil {
			e.Mode = ""
		} else {
			e.Mode = community.RegistrationMode(strings.TrimSpace(*r.Mode))
		}
	}
	if p.has("nomination_cap") {
		e.NominationCap = 0
		if r.NominationCap != nil {
			e.NominationCap = *r.NominationCap
		}
	}
	if p.has("lottery") {
		if r.Lottery == nil {
			e.Lottery = nil
		} else {
			l := &community.Lottery{Reserves: r.Lottery.Reserves, FirstTimeWeight: 1, FillRemaining: r.Lottery.FillRemaining}
			if r.Lottery.FirstTimeWeight != nil {
				l.FirstTimeWeight = *r.Lottery.FirstTimeWeight
			}
			if t, ok := parseTime("lottery.draw_at", r.Lottery.DrawAt, f); ok {
				l.DrawAt = t
			}
			if cur := e.Lottery; cur != nil {
				l.Commitment, l.DrawnAt = cur.Commitment, cur.DrawnAt
			}
			e.Lottery = l
		}
	}
	if p.has("survey") {
		e.Survey = apijson.SurveyFrom(r.Survey)
	}
	if p.has("org_survey") {
		e.OrgSurvey = apijson.SurveyFrom(r.OrgSurvey)
	}
	if p.has("reconfirmation") {
		if rc := r.Reconfirmation; rc != nil && (rc.AskAt != nil || rc.Deadline != nil) {
			f.Add("reconfirmation", "ask_at と deadline は計算される項目のため、送信できません。")
		}
		e.Reconfirm = apijson.ReconfirmationFrom(r.Reconfirmation)
	}
	if p.has("questions") {
		e.Questions = community.Form(r.Questions)
		if len(e.Questions) == 0 {
			e.Questions = nil
		}
	}
}

// parseTime reads an RFC 3339 time with its offset, as the API writes them.
func parseTime(name, s string, f community.FieldErrors) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		f.Add(name, "日時はRFC 3339形式（例: 2025-05-14T19:00:00+09:00）で指定してください。")
		return time.Time{}, false
	}
	return t, true
}

// parseDuration reads "24h", "1h30m", "90s" (Go durations) and "2d" (days).
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}
