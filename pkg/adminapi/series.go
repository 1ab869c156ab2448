package adminapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// ruleJSON is a monthly rule as the API takes and gives it, e.g.
// {"week":2,"weekday":"tuesday","start_time":"18:00","duration_minutes":60}.
type ruleJSON struct {
	Week            *int    `json:"week"` // 1–4, or -1 for the last
	Weekday         *string `json:"weekday"`
	StartTime       *string `json:"start_time"` // HH:MM, Japan time
	DurationMinutes *int    `json:"duration_minutes"`
	// Holidays is what a day that is a national holiday does: "keep"
	// (the default), "skip", "next_weekday" or "previous_weekday".
	Holidays *string `json:"holidays"`
}

// seriesRequest is the body of POST /api/admin/series and PATCH
// /api/admin/series/{id}: the template (the Event names, without times),
// the rule, and how occurrences are made.
type seriesRequest struct {
	templateFields
	Rule                     *ruleJSON `json:"rule"`
	Months                   *int      `json:"months"`
	Publish                  *bool     `json:"publish"`
	RegistrationOpensBefore  *string   `json:"registration_opens_before"`  // e.g. "720h" or "30d"
	RegistrationClosesBefore *string   `json:"registration_closes_before"` // e.g. "1h"
}

// defaultSeriesMonths is how far ahead a series is kept when the request
// does not say.
const defaultSeriesMonths = 6

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "sun": time.Sunday, "日": time.Sunday,
	"monday": time.Monday, "mon": time.Monday, "月": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "火": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday, "水": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "木": time.Thursday,
	"friday": time.Friday, "fri": time.Friday, "金": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday, "土": time.Saturday,
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "日"), "曜")
	if s == "" {
		s = "日" // "日曜日" loses both suffixes
	}
	d, ok := weekdayNames[s]
	return d, ok
}

// apply sets the fields present in the body on s; create says whether the
// rule must be complete.
func (r *seriesRequest) apply(s *community.Series, p presence, f community.FieldErrors, create bool) {
	r.templateFields.apply(&s.Template, p, f)
	switch {
	case r.Rule != nil:
		r.Rule.apply(&s.Rule, f, create)
	case create || p.has("rule"):
		f.Add("rule", "繰り返しのルール（rule）を指定してください。")
	}
	if p.has("months") {
		if r.Months == nil {
			f.Add("months", msgNotNull)
		} else {
			s.Months = *r.Months
		}
	}
	if p.has("publish") {
		if r.Publish == nil {
			f.Add("publish", msgNotNull)
		} else {
			s.Publish = *r.Publish
		}
	}
	before := func(name string, src *string, dst *time.Duration) {
		switch {
		case !p.has(name):
		case src == nil:
			*dst = 0
		default:
			d, ok := parseDuration(*src)
			if !ok || d < 0 {
				f.Add(name, `"720h", "30d", "1h" のように指定してください。`)
				return
			}
			*dst = d
		}
	}
	before("registration_opens_before", r.RegistrationOpensBefore, &s.RegistrationOpensBefore)
	before("registration_closes_before", r.RegistrationClosesBefore, &s.RegistrationClosesBefore)
}

func (r *ruleJSON) apply(rule *community.MonthlyRule, f community.FieldErrors, create bool) {
	need := func(name string, present bool) bool {
		if !present && create {
			f.Add("rule."+name, "指定してください。")
		}
		return present
	}
	if need("week", r.Week != nil) {
		rule.Week = *r.Week
	}
	if need("weekday", r.Weekday != nil) {
		d, ok := parseWeekday(*r.Weekday)
		if !ok {
			f.Add("rule.weekday", `曜日は "tuesday" や "火" のように指定してください。`)
		}
		rule.Weekday = d
	}
	if need("start_time", r.StartTime != nil) {
		t, err := time.Parse("15:04", strings.TrimSpace(*r.StartTime))
		if err != nil {
			f.Add("rule.start_time", `開始時刻は "18:00" のように指定してください。`)
		}
		rule.Hour, rule.Minute = t.Hour(), t.Minute()
	}
	if need("duration_minutes", r.DurationMinutes != nil) {
		rule.Duration = time.Duration(*r.DurationMinutes) * time.Minute
	}
	if r.Holidays != nil { // optional: a series without it keeps holidays
		p, ok := community.ParseHolidayPolicy(strings.TrimSpace(*r.Holidays))
		if !ok {
			f.Add("rule.holidays", `祝日の扱いは "keep"、"skip"、"next_weekday"、"previous_weekday" のいずれかで指定してください。`)
		}
		rule.Holidays = p
	}
}

// Series is a series as the API gives it.
type Series struct {
	ID                       string                 `json:"id"`
	Title                    string                 `json:"title"`
	Kind                     community.Kind         `json:"kind"`
	Audience                 community.Audience     `json:"audience"`
	Description              string                 `json:"description"`
	Venue                    *community.Venue       `json:"venue"`
	OnlinePlatform           *string                `json:"online_platform"`
	JoinURL                  string                 `json:"join_url,omitempty"`
	Capacity                 int                    `json:"capacity"`
	Waitlist                 bool                   `json:"waitlist"`
	Eligibility              *community.Eligibility `json:"eligibility"`
	FeeJPY                   int                    `json:"fee_jpy"`
	Speakers                 []string               `json:"speakers"`
	Notes                    string                 `json:"notes"`
	ReminderOffsets          []string               `json:"reminder_offsets"`
	Rule                     ruleOut                `json:"rule"`
	RegistrationOpensBefore  *string                `json:"registration_opens_before"`
	RegistrationClosesBefore *string                `json:"registration_closes_before"`
	Months                   int                    `json:"months"`
	Publish                  bool                   `json:"publish"`
	CreatedAt                time.Time              `json:"created_at"`
	UpdatedAt                time.Time              `json:"updated_at"`
}

type ruleOut struct {
	Week            int    `json:"week"`
	Weekday         string `json:"weekday"`
	StartTime       string `json:"start_time"`
	DurationMinutes int    `json:"duration_minutes"`
	Holidays        string `json:"holidays"` // keep, skip, next_weekday, previous_weekday
	Label           string `json:"label"`    // 毎月第2火曜日 18:00〜19:00（祝日は休み）
}

// slotOut is one month of the preview of coming dates: the rule's day,
// when it takes place (null when skipped), and the holiday on the rule's
// day that moved or skipped it.
type slotOut struct {
	RuleDate string     `json:"rule_date"` // YYYY-MM-DD, Japan
	StartsAt *time.Time `json:"starts_at"`
	Holiday  *string    `json:"holiday"`
	Moved    bool       `json:"moved"`
	Skipped  bool       `json:"skipped"`
}

func slotsJSON(slots []community.Slot) []slotOut {
	out := make([]slotOut, 0, len(slots))
	for _, s := range slots {
		o := slotOut{RuleDate: s.Nominal.In(community.Tokyo).Format(time.DateOnly), Moved: s.Moved(), Skipped: s.Skipped()}
		if !s.Skipped() {
			t := s.Start.In(community.Tokyo)
			o.StartsAt = &t
		}
		if s.Holiday != "" {
			h := s.Holiday
			o.Holiday = &h
		}
		out = append(out, o)
	}
	return out
}

func seriesJSON(s *community.Series) Series {
	t := s.Template
	out := Series{
		ID: s.ID, Title: t.Title, Kind: t.Kind, Audience: t.Audience, Description: t.Description,
		JoinURL: t.JoinURL, Capacity: t.Capacity, Waitlist: t.Waitlist, Eligibility: t.Eligibility,
		FeeJPY: t.FeeJPY, Speakers: append([]string{}, t.Speakers...), Notes: t.Notes,
		ReminderOffsets: make([]string, 0, len(t.ReminderOffsets)),
		Rule: ruleOut{
			Week: s.Rule.Week, Weekday: strings.ToLower(s.Rule.Weekday.String()),
			StartTime:       fmt.Sprintf("%02d:%02d", s.Rule.Hour, s.Rule.Minute),
			DurationMinutes: int(s.Rule.Duration / time.Minute), Holidays: s.Rule.Holidays.String(), Label: s.Rule.Label(),
		},
		Months: s.Months, Publish: s.Publish,
		CreatedAt: s.CreatedAt.In(community.Tokyo), UpdatedAt: s.UpdatedAt.In(community.Tokyo),
	}
	if t.Venue != nil {
		v := *t.Venue
		out.Venue = &v
	}
	if t.OnlinePlatform != "" {
		p := t.OnlinePlatform
		out.OnlinePlatform = &p
	}
	for _, d := range t.ReminderOffsets {
		out.ReminderOffsets = append(out.ReminderOffsets, apijson.FormatOffset(d))
	}
	if d := s.RegistrationOpensBefore; d > 0 {
		x := apijson.FormatOffset(d)
		out.RegistrationOpensBefore = &x
	}
	if d := s.RegistrationClosesBefore; d > 0 {
		x := apijson.FormatOffset(d)
		out.RegistrationClosesBefore = &x
	}
	return out
}

type seriesResponse struct {
	Series      Series               `json:"series"`
	Occurrences []apijson.AdminEvent `json:"occurrences,omitempty"`
	Created     []apijson.AdminEvent `json:"created,omitempty"`
	Updated     []apijson.AdminEvent `json:"updated,omitempty"`
	Kept        []apijson.AdminEvent `json:"kept,omitempty"`
	// Upcoming previews the rule's dates to the series' horizon, holidays
	// applied, on GET.
	Upcoming []slotOut `json:"upcoming,omitempty"`
}

func (h *Handler) createSeries(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	var body seriesRequest
	p, err := decode(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	s := &community.Series{Months: defaultSeriesMonths}
	f := community.FieldErrors{}
	body.apply(s, p, f, true)
	if err := f.Err(); err != nil {
		return httpapi.Response{}, err
	}
	edit, err := h.svc.Series.CreateSeries(ctx, v, s)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.JSON(201, seriesResponse{Series: seriesJSON(edit.Series), Created: apijson.AdminEventsJSON(edit.Created, v)})
	resp.Headers["Location"] = "/api/admin/series/" + edit.Series.ID
	return resp, nil
}

func (h *Handler) updateSeries(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := seriesID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body seriesRequest
	p, err := decode(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	edit, err := h.svc.Series.UpdateSeries(ctx, v, id, func(s *community.Series) error {
		f := community.FieldErrors{}
		body.apply(s, p, f, false)
		return f.Err()
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, seriesResponse{
		Series: seriesJSON(edit.Series), Created: apijson.AdminEventsJSON(edit.Created, v),
		Updated: apijson.AdminEventsJSON(edit.Updated, v), Kept: apijson.AdminEventsJSON(edit.Kept, v),
	}), nil
}

func (h *Handler) getSeries(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := seriesID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	s, occ, err := h.svc.Series.Series(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, seriesResponse{Series: seriesJSON(s), Occurrences: apijson.AdminEventsJSON(occ, v),
		Upcoming: slotsJSON(h.svc.Series.Upcoming(s))}), nil
}

func (h *Handler) listSeries(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	if _, err := httpapi.ParseQuery(req); err != nil {
		return httpapi.Response{}, err
	}
	all, err := h.svc.Series.ListSeries(ctx, v)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := make([]Series, 0, len(all))
	for _, s := range all {
		out = append(out, seriesJSON(s))
	}
	return httpapi.JSON(200, map[string][]Series{"series": out}), nil
}
