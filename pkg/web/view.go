package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

var funcs = template.FuncMap{
	"fieldErr": fieldErr,
}

// fieldError is one form field's message and the id that links it to its input.
type fieldError struct {
	ID  string
	Msg string
}

// fieldErr picks field's message out of a form's errors.
func fieldErr(errs map[string]string, field string) fieldError {
	return fieldError{ID: "error-" + field, Msg: errs[field]}
}

// eventCard is an event as the list shows it.
type eventCard struct {
	ID            string
	Title         string
	Kind          string
	KindLabel     string
	When          string // 令和7年5月14日(水) 19:00〜20:30
	AudienceLabel string
	Restricted    bool
	Cancelled     bool
	Full          bool
	Waitlist      bool // full, but the waitlist takes people
	SeatsLeft     string
	Closed        bool // the application deadline has passed
	NotYetOpen    bool
}

func newEventCard(v community.EventView, now time.Time) eventCard {
	e := v.Event
	c := eventCard{
		ID:            e.ID,
		Title:         e.Title,
		Kind:          string(e.Kind),
		KindLabel:     e.Kind.Label(),
		When:          jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		AudienceLabel: e.AudienceLabel(),
		Restricted:    v.Restricted,
		Cancelled:     e.Status == community.EventCancelled,
	}
	if left := e.SeatsLeft(); left != nil {
		if *left == 0 {
			c.Full, c.Waitlist = true, e.Waitlist
		} else {
			c.SeatsLeft = fmt.Sprintf("残り%d席", *left)
		}
	}
	switch {
	case e.RegistrationClosesAt != nil && !now.Before(*e.RegistrationClosesAt), !e.StartsAt.After(now):
		c.Closed = true
	case e.RegistrationOpensAt != nil && now.Before(*e.RegistrationOpensAt):
		c.NotYetOpen = true
	}
	return c
}

// monthGroup is the events of one Tokyo calendar month.
type monthGroup struct {
	Label  string // 令和7年5月
	Events []eventCard
}

func groupByMonth(views []community.EventView, now time.Time) []monthGroup {
	var out []monthGroup
	for _, v := range views {
		label := jadate.Month(v.StartsAt)
		if len(out) == 0 || out[len(out)-1].Label != label {
			out = append(out, monthGroup{Label: label})
		}
		g := &out[len(out)-1]
		g.Events = append(g.Events, newEventCard(v, now))
	}
	return out
}

// eventDetail is everything the detail page shows.
type eventDetail struct {
	eventCard
	Description    string
	Date           string // 令和7年5月14日(水) 19:00〜20:30
	VenueName      string
	VenueAddress   string
	OnlinePlatform string
	JoinURL        string // only when the viewer may have it
	Capacity       string
	Eligibility    []string
	Fee            string
	OpensAt        string
	Deadline       string
	Speakers       []string
	Notes          string
	CancelReason   string
	Apply          applyPanel
	// issue 10 — apply: 選考 or 抽選, and the lottery's public side.
	ModeLabel string // "" for first come
	// Framed: the event's places are its frames' (the panel lists their
	// seats), so the capacity line carries no seats of its own.
	Framed     bool
	DrawAt     string
	Commitment string
	LotteryURL string // the published result, once drawn
	// Reconfirm says when registrants are asked 「参加予定ですか？」 and
	// what happens without an answer; "" when the event asks none.
	Reconfirm string
	// Preview is the console page to go back to when an organizer previews
	// the page; "" for everyone else.
	Preview string
	// Share is the page's link-preview card (share.go).
	Share *shareCard
	// PreviewSections shows the organizer, in the preview only, what the
	// page itself shows only in the forms (console_event_sections.go).
	PreviewSections *previewSections
}

func (d eventDetail) share() *shareCard { return d.Share }

func newEventDetail(v community.EventView, now time.Time) eventDetail {
	e := v.Event
	d := eventDetail{
		eventCard:      newEventCard(v, now),
		Description:    e.Description,
		Date:           jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		OnlinePlatform: e.OnlinePlatform,
		Capacity:       "定員なし",
		Eligibility:    eligibility(e.Eligibility),
		Fee:            fee(e.FeeJPY),
		Speakers:       e.Speakers,
		Notes:          e.Notes,
		CancelReason:   e.CancelReason,
		Reconfirm:      reconfirmWords(e),
	}
	if v.ShowJoinURL {
		d.JoinURL = e.JoinURL
	}
	if e.Venue != nil {
		d.VenueName, d.VenueAddress = e.Venue.Name, e.Venue.Address
	}
	if e.Capacity > 0 {
		d.Capacity = fmt.Sprintf("%d名", e.Capacity)
	}
	if e.HasFrames() {
		// Each frame has its own places: the event's own capacity is not one.
		parts := make([]string, 0, len(e.Frames))
		for _, f := range e.Frames {
			n := "定員なし"
			if f.Capacity > 0 {
				n = fmt.Sprintf("%d名", f.Capacity)
			}
			parts = append(parts, f.Name+" "+n)
		}
		d.Capacity, d.Framed = "参加枠ごと（"+strings.Join(parts, "・")+"）", true
	}
	if e.RegistrationOpensAt != nil {
		d.OpensAt = jadate.DateTime(*e.RegistrationOpensAt)
	}
	if e.RegistrationClosesAt != nil {
		d.Deadline = jadate.DateTime(*e.RegistrationClosesAt)
	}
	if !e.HasFrames() && (e.Mode == community.ModeSelection || e.Mode == community.ModeLottery) {
		d.ModeLabel = e.Mode.Label()
	} else if e.UsesMode(community.ModeSelection) || e.UsesMode(community.ModeLottery) {
		var parts []string
		for _, f := range e.Frames {
			parts = append(parts, f.Name+" "+e.FrameMode(f.ID).Label())
		}
		d.ModeLabel = "参加枠ごと（" + strings.Join(parts, "・") + "）"
	}
	if l := e.Lottery; e.UsesMode(community.ModeLottery) && l != nil {
		d.DrawAt, d.Commitment = jadate.DateTime(l.DrawAt), l.Commitment
		if l.DrawnAt != nil {
			d.LotteryURL = "/api/events/" + e.ID + "/lottery"
		}
	}
	return d
}

// eligibility writes the conditions beyond the audience, e.g. 公務員限定 and
// 開始日時点で25歳以上39歳以下.
func eligibility(el *community.Eligibility) []string {
	if el == nil {
		return nil
	}
	var out []string
	if el.PublicServantOnly {
		out = append(out, "公務員限定")
	}
	switch {
	case el.MinAge != nil && el.MaxAge != nil:
		out = append(out, fmt.Sprintf("開始日時点で%d歳以上%d歳以下", *el.MinAge, *el.MaxAge))
	case el.MinAge != nil:
		out = append(out, fmt.Sprintf("開始日時点で%d歳以上", *el.MinAge))
	case el.MaxAge != nil:
		out = append(out, fmt.Sprintf("開始日時点で%d歳以下", *el.MaxAge))
	}
	return out
}

// fee writes 35,000円, or 無料.
func fee(jpy int) string {
	if jpy <= 0 {
		return "無料"
	}
	return formatInt(jpy) + "円"
}

// statusLabel is a member's status as my page shows it.
func statusLabel(s community.MemberStatus) string {
	switch s {
	case community.MemberUnverified:
		return "メールアドレス確認待ち"
	case community.MemberPendingApproval:
		return "審査中"
	case community.MemberActive:
		return "有効"
	case community.MemberSuspended:
		return "利用停止中"
	case community.MemberWithdrawn:
		return "退会済み"
	}
	return string(s)
}
