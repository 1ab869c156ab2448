// Package apijson holds the JSON shapes of the API contract
// (docs/openapi.yaml) and their converters from the domain, in one place
// that every handler shares, so no handler package imports another and a
// shape cannot differ between two routes that return it.
package apijson

import (
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// Event is the contract's JSON shape of an event (docs/openapi.yaml, Event). The
// field names are part of the API: add fields freely, rename none. Other
// APIs and the web pages reuse it through EventJSON so that the visibility
// rules are applied once.
type Event struct {
	ID                   string                 `json:"id"`
	Title                string                 `json:"title"`
	Kind                 community.Kind         `json:"kind"`
	KindLabel            string                 `json:"kind_label"`
	Audience             community.Audience     `json:"audience"`
	AudienceLabel        string                 `json:"audience_label"`
	Description          string                 `json:"description"`
	StartsAt             time.Time              `json:"starts_at"`
	EndsAt               time.Time              `json:"ends_at"`
	Venue                *community.Venue       `json:"venue"`
	OnlinePlatform       *string                `json:"online_platform"`
	JoinURL              string                 `json:"join_url,omitempty"`
	Capacity             int                    `json:"capacity"`
	Waitlist             bool                   `json:"waitlist"`
	SeatsLeft            *int                   `json:"seats_left"`
	RegistrationOpensAt  *time.Time             `json:"registration_opens_at"`
	RegistrationClosesAt *time.Time             `json:"registration_closes_at"`
	Eligibility          *community.Eligibility `json:"eligibility"`
	FeeJPY               int                    `json:"fee_jpy"`
	Speakers             []string               `json:"speakers"`
	Notes                string                 `json:"notes"`
	Status               community.EventStatus  `json:"status"`
	CancelReason         string                 `json:"cancel_reason,omitempty"`
	SeriesID             *string                `json:"series_id"`
	ReminderOffsets      []string               `json:"reminder_offsets"`
	Restricted           bool                   `json:"restricted"`
	Display              Display                `json:"display"`
	// Questions are the event's application form, [] when it asks none:
	// not secret, so that any page can render the form.
	Questions []community.Question `json:"questions"`
	// issue 10 — apply: how places are handed out; the lottery's public
	// settings and commitment (the seed is never here).
	Mode    community.RegistrationMode `json:"mode"`
	Lottery *Lottery                   `json:"lottery"`
	// issue 10 — nominate: how many people one organization may hold
	// nominated; 0 is no cap.
	NominationCap int `json:"nomination_cap,omitempty"`
	// Frames are the event's 参加枠, absent for an event without frames.
	// A frame's join URL is never here (AdminFrame has it): a registrant
	// gets their own frame's in join_url above.
	Frames         []Frame `json:"frames,omitempty"`
	MultipleFrames bool    `json:"multiple_frames,omitempty"`
}

// Lottery is the public side of a lottery event (docs/lottery.md).
type Lottery struct {
	DrawAt          time.Time  `json:"draw_at"`
	Reserves        int        `json:"reserves"`
	FirstTimeWeight int        `json:"first_time_weight"`
	FillRemaining   bool       `json:"fill_remaining"`
	Commitment      *string    `json:"commitment"`
	DrawnAt         *time.Time `json:"drawn_at"`
}

// LotteryJSON presents e's lottery, or nil when e draws none.
func LotteryJSON(e *community.Event) *Lottery {
	l := e.Lottery
	if !e.UsesMode(community.ModeLottery) || l == nil {
		return nil
	}
	out := &Lottery{DrawAt: l.DrawAt.In(community.Tokyo), Reserves: l.Reserves, FirstTimeWeight: max(l.FirstTimeWeight, 1),
		FillRemaining: l.FillRemaining, DrawnAt: tokyo(l.DrawnAt)}
	if l.Commitment != "" {
		c := l.Commitment
		out.Commitment = &c
	}
	return out
}

// Frame is the contract's public shape of a 参加枠.
type Frame struct {
	ID             string                     `json:"id"`
	Name           string                     `json:"name"`
	Capacity       int                        `json:"capacity"`
	SeatsLeft      *int                       `json:"seats_left"`
	Waitlist       bool                       `json:"waitlist"`
	Mode           community.RegistrationMode `json:"mode"`
	Online         bool                       `json:"online"`
	OnlinePlatform *string                    `json:"online_platform"`
	Venue          *community.Venue           `json:"venue"`
	Eligibility    *community.Eligibility     `json:"eligibility"`
}

// FrameJSON presents frame f of e without its join URL; its mode is the
// one it goes by (a frame naming none goes by the event's).
func FrameJSON(e *community.Event, f community.Frame) Frame {
	out := Frame{
		ID: f.ID, Name: f.Name, Capacity: f.Capacity, SeatsLeft: f.SeatsLeft(), Waitlist: f.Waitlist,
		Mode: e.FrameMode(f.ID).Normal(), Online: f.JoinURL != "" || strings.TrimSpace(f.OnlinePlatform) != "", Eligibility: f.Eligibility,
	}
	if p := strings.TrimSpace(f.OnlinePlatform); p != "" {
		out.OnlinePlatform = &p
	}
	if f.Venue != nil {
		v := *f.Venue
		out.Venue = &v
	}
	return out
}

// Display is an event's start and end written for people, in Asia/Tokyo,
// as the pages and mails write them (jadate). date and wareki are the same
// 令和 day: date once carried the Western form, and the contract renames no
// field; a client that wants another calendar formats starts_at itself.
type Display struct {
	Date     string `json:"date"`     // "令和7年5月14日(水)"
	Wareki   string `json:"wareki"`   // "令和7年5月14日(水)"
	Time     string `json:"time"`     // "19:00〜20:30"
	DateTime string `json:"datetime"` // "令和7年5月14日(水) 19:00〜20:30"
}

// List is the contract's JSON shape of a page of events.
type List struct {
	Events     []Event `json:"events"`
	NextCursor *string `json:"next_cursor"`
}

// EventJSON returns v in the contract's shape. The join URL appears only
// when the view allows it (v.ShowJoinURL); otherwise it is also cut out of
// the free text, where an organizer may have pasted it.
func EventJSON(v community.EventView) Event {
	e := v.Event
	secret := ""
	if !v.ShowJoinURL {
		secret = e.JoinURL
	}
	out := Event{
		ID:                   e.ID,
		Title:                redact(e.Title, secret),
		Kind:                 e.Kind,
		KindLabel:            e.Kind.Label(),
		Audience:             e.Audience,
		AudienceLabel:        e.AudienceLabel(),
		Description:          redact(e.Description, secret),
		StartsAt:             e.StartsAt.In(community.Tokyo),
		EndsAt:               e.EndsAt.In(community.Tokyo),
		Capacity:             e.Capacity,
		Waitlist:             e.Waitlist,
		SeatsLeft:            e.SeatsLeft(),
		RegistrationOpensAt:  tokyo(e.RegistrationOpensAt),
		RegistrationClosesAt: tokyo(e.RegistrationClosesAt),
		Eligibility:          e.Eligibility,
		FeeJPY:               e.FeeJPY,
		Speakers:             append([]string{}, e.Speakers...),
		Notes:                redact(e.Notes, secret),
		Status:               e.Status,
		CancelReason:         redact(e.CancelReason, secret),
		ReminderOffsets:      make([]string, 0, len(e.ReminderOffsets)),
		Restricted:           v.Restricted,
		Mode:                 e.Mode.Normal(),
		Lottery:              LotteryJSON(e),
		NominationCap:        e.NominationCap,
		Display: Display{
			Date:     jadate.Date(e.StartsAt),
			Wareki:   jadate.Date(e.StartsAt),
			Time:     jadate.TimeRange(e.StartsAt, e.EndsAt),
			DateTime: jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		},
	}
	if e.Venue != nil {
		venue := *e.Venue
		out.Venue = &venue
	}
	if p := strings.TrimSpace(e.OnlinePlatform); p != "" {
		out.OnlinePlatform = &p
	}
	if v.ShowJoinURL {
		out.JoinURL = e.JoinURL
	}
	if e.SeriesID != "" {
		sid := e.SeriesID
		out.SeriesID = &sid
	}
	for _, d := range e.ReminderOffsets {
		out.ReminderOffsets = append(out.ReminderOffsets, FormatOffset(d))
	}
	out.Questions = make([]community.Question, 0, len(e.Questions))
	for _, q := range e.Questions {
		q.Label, q.Help = redact(q.Label, secret), redact(q.Help, secret)
		q.Options = append([]string(nil), q.Options...)
		out.Questions = append(out.Questions, q)
	}
	for _, f := range e.Frames {
		out.Frames = append(out.Frames, FrameJSON(e, f))
	}
	out.MultipleFrames = e.MultipleFrames
	return out
}

// ListJSON returns a page of views and the cursor of the next page ("" at
// the end) in the contract's shape.
func ListJSON(views []community.EventView, next string) List {
	out := List{Events: make([]Event, 0, len(views))}
	for _, v := range views {
		out.Events = append(out.Events, EventJSON(v))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return out
}

// FormatOffset writes a reminder offset as the API does: whole hours as
// "24h", else whole minutes as "30m", else seconds ("90s").
func FormatOffset(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

func tokyo(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	x := t.In(community.Tokyo)
	return &x
}

// redact cuts secret out of s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "（参加URLは参加が確定した方にお知らせします）")
}
