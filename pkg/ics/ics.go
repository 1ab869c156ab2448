// Package ics writes events as iCalendar (RFC 5545): the public feed that
// calendar apps subscribe to, and single-event objects attached to mails.
// It builds on github.com/arran4/golang-ical for serialisation (escaping,
// CRLF, folding at 75 octets on UTF-8 boundaries) and adds what tabane
// promises: times in Asia/Tokyo with a VTIMEZONE, stable UIDs, and join URLs
// kept out unless a caller explicitly asks for one in a confirmed
// attendee's mail.
package ics

import (
	"net/url"
	"strings"
	"time"
	"unicode"

	ical "github.com/arran4/golang-ical"

	"github.com/sorae/tabane/pkg/community"
)

// TZID is the only time zone tabane writes; the community lives in it.
const TZID = "Asia/Tokyo"

// productID identifies the generator to calendar apps (RFC 5545 PRODID).
const productID = "-//tabane//tabane events//JA"

// Method is an iTIP method (RFC 5546) for a single-event object.
type Method string

// Methods a mail may carry. Publish is right for confirmations (the event is
// shown, no RSVP buttons); Cancel removes an event a calendar already holds;
// Request asks for a reply and wants an Organizer.
const (
	NoMethod Method = ""
	Publish  Method = "PUBLISH"
	Request  Method = "REQUEST"
	Cancel   Method = "CANCEL"
)

// ContentType is the MIME type of an object with method m, as a mail part
// needs it (the method parameter lets mail clients treat it as an invitation).
func ContentType(m Method) string {
	if m == NoMethod {
		return "text/calendar; charset=utf-8"
	}
	return "text/calendar; charset=utf-8; method=" + string(m)
}

// Option changes what Single writes.
type Option func(*options)

type options struct {
	joinURL        bool
	organizerName  string
	organizerEmail string
	secrets        []string // more text to keep out (Redact)
}

// WithJoinURL puts the event's join URL into the DESCRIPTION (and nowhere
// else). Pass it only when the mail goes to a confirmed attendee: without
// it no join URL is ever written.
func WithJoinURL() Option { return func(o *options) { o.joinURL = true } }

// Redact keeps each of secrets out of every text written, besides each
// event's own join URL: a personal feed gives events as the member's frame
// has them, and the other frames' join URLs, which an organizer may have
// pasted into the description, must not leak either.
func Redact(secrets ...string) Option {
	return func(o *options) { o.secrets = append(o.secrets, secrets...) }
}

// WithOrganizer sets ORGANIZER, which Request and Cancel objects should carry.
func WithOrganizer(name, email string) Option {
	return func(o *options) { o.organizerName, o.organizerEmail = name, email }
}

// Feed returns a calendar named name holding events (drafts are skipped,
// cancelled ones marked CANCELLED), each linking to its page under baseURL.
// No join URL is written, whatever the events hold: of the options only
// Redact applies (WithJoinURL is ignored).
func Feed(name string, events []*community.Event, baseURL string, opts ...Option) []byte {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o = options{secrets: o.secrets}
	cal := newCalendar()
	cal.SetXWRCalName(clean(name))
	cal.SetXWRTimezone(TZID)
	// Ask subscribers to refresh hourly; both spellings are read in the wild.
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	cal.AddVTimezone(tokyo())
	for _, e := range events {
		if e == nil || e.Status == community.EventDraft {
			continue
		}
		cal.AddVEvent(vevent(e, baseURL, o))
	}
	return serialize(cal)
}

// Single returns a calendar holding e alone, for a mail attachment. method
// Cancel marks the event CANCELLED even if it is still published, because
// that is what the recipient's copy must become.
func Single(e *community.Event, baseURL string, method Method, opts ...Option) []byte {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cal := newCalendar()
	if method != NoMethod {
		cal.SetMethod(ical.Method(method))
	}
	cal.AddVTimezone(tokyo())
	ev := vevent(e, baseURL, o)
	if method == Cancel {
		ev.SetStatus(ical.ObjectStatusCancelled)
	}
	cal.AddVEvent(ev)
	return serialize(cal)
}

// serialize writes cal with CRLF line ends (RFC 5545 §3.1); the library's
// default is a bare LF.
func serialize(cal *ical.Calendar) []byte {
	return []byte(cal.Serialize(ical.WithNewLine("\r\n"), ical.WithLineLength(75)))
}

// EventURL is the public page of an event.
func EventURL(baseURL, id string) string {
	return strings.TrimRight(baseURL, "/") + "/events/" + url.PathEscape(id)
}

func newCalendar() *ical.Calendar {
	cal := ical.NewCalendarFor("tabane")
	cal.SetProductId(productID)
	cal.SetCalscale("GREGORIAN")
	return cal
}

// tokyo is the VTIMEZONE for Asia/Tokyo: Japan has kept +09:00 without
// daylight saving since 1951, so one STANDARD rule is exact.
func tokyo() *ical.VTimezone {
	tz := ical.NewTimezone(TZID)
	std := tz.AddStandard()
	std.SetProperty(ical.ComponentPropertyDtStart, "19700101T000000")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetfrom), "+0900")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzoffsetto), "+0900")
	std.SetProperty(ical.ComponentProperty(ical.PropertyTzname), "JST")
	return tz
}

// sequenceEpoch anchors SEQUENCE: seconds of UpdatedAt since then grow with
// every edit without a stored counter, and fit RFC 5545's 32-bit integer
// until 2088.
var sequenceEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func vevent(e *community.Event, baseURL string, o options) *ical.VEvent {
	ev := ical.NewEvent(e.ID + "@tabane")
	stamp := e.UpdatedAt
	if stamp.IsZero() {
		stamp = e.CreatedAt
	}
	if stamp.IsZero() {
		stamp = time.Now() // DTSTAMP is required; an event never saved has no better time
	}
	ev.SetDtStampTime(stamp)
	if !e.UpdatedAt.IsZero() && e.UpdatedAt.After(sequenceEpoch) {
		ev.SetSequence(int(e.UpdatedAt.Sub(sequenceEpoch) / time.Second))
	}
	if !e.CreatedAt.IsZero() {
		ev.SetCreatedTime(e.CreatedAt)
	}
	if !e.UpdatedAt.IsZero() {
		ev.SetModifiedAt(e.UpdatedAt)
	}
	ev.SetProperty(ical.ComponentPropertyDtStart, local(e.StartsAt), ical.WithTZID(TZID))
	if !e.EndsAt.IsZero() {
		ev.SetProperty(ical.ComponentPropertyDtEnd, local(e.EndsAt), ical.WithTZID(TZID))
	}
	summary := e.Title
	if e.Status == community.EventCancelled {
		summary = "【中止】" + summary
		ev.SetStatus(ical.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ical.ObjectStatusConfirmed)
	}
	page := EventURL(baseURL, e.ID)
	secrets := append(e.JoinURLs(), o.secrets...)
	ev.SetSummary(redact(clean(summary), secrets...))
	ev.SetDescription(description(e, page, o.joinURL, secrets))
	if loc := location(e); loc != "" {
		ev.SetLocation(redact(clean(loc), secrets...))
	}
	ev.SetURL(page)
	ev.AddCategory(clean(e.Kind.Label()))
	if o.organizerEmail != "" {
		var params []ical.PropertyParameter
		if cn := paramText(o.organizerName); cn != "" {
			params = append(params, ical.WithCN(cn))
		}
		ev.SetOrganizer("mailto:"+o.organizerEmail, params...)
	}
	return ev
}

// local writes t as Tokyo wall-clock time, for a TZID=Asia/Tokyo property.
func local(t time.Time) string {
	return t.In(community.Tokyo).Format("20060102T150405")
}

// location names where to go: the venue, and the platform for online
// events — never the join URL, which is a secret.
func location(e *community.Event) string {
	var parts []string
	if v := e.Venue; v != nil {
		if s := strings.TrimSpace(strings.Join([]string{strings.TrimSpace(v.Name), strings.TrimSpace(v.Address)}, " ")); s != "" {
			parts = append(parts, s)
		}
	}
	if p := strings.TrimSpace(e.OnlinePlatform); p != "" {
		parts = append(parts, "オンライン（"+p+"）")
	} else if e.JoinURL != "" {
		parts = append(parts, "オンライン")
	}
	return strings.Join(parts, "／")
}

func description(e *community.Event, page string, withJoinURL bool, secrets []string) string {
	var parts []string
	if e.Status == community.EventCancelled {
		p := "このイベントは中止になりました。"
		if r := strings.TrimSpace(e.CancelReason); r != "" {
			p += "理由: " + r
		}
		parts = append(parts, p)
	}
	if d := strings.TrimSpace(e.Description); d != "" {
		parts = append(parts, d)
	}
	var info []string
	if len(e.Speakers) > 0 {
		info = append(info, "登壇: "+strings.Join(e.Speakers, "、"))
	}
	if n := strings.TrimSpace(e.Notes); n != "" {
		info = append(info, "備考: "+n)
	}
	if len(info) > 0 {
		parts = append(parts, strings.Join(info, "\n"))
	}
	text := strings.Join(parts, "\n\n")
	if !withJoinURL {
		// An organizer may have pasted the link into the text; it must not leak.
		text = redact(text, secrets...)
	} else if e.JoinURL != "" {
		text += "\n\n参加URL: " + e.JoinURL
	}
	text += "\n\n詳細: " + page
	return clean(strings.TrimLeft(text, "\n"))
}

// redact removes each secret from s.
func redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "（参加URLは参加確定の方にお知らせします）")
		}
	}
	return s
}

// clean makes s safe as iCalendar TEXT: line breaks become LF (which the
// library escapes as \n) and other control characters, which would corrupt
// the content line, are dropped.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// paramText makes s safe as an unquoted parameter value (RFC 5545 paramtext
// forbids these characters, and the library does not quote CN).
func paramText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '"', ';', ':', ',', '\\':
			return -1
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
