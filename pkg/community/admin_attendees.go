package community

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Attendee is a registration with the person behind it, as organizers see it.
type Attendee struct {
	*Registration
	Name        string
	NameKana    string // members only
	Affiliation string // members only
	Email       string
	Guest       bool
	Withdrawn   bool // a member who left; their personal data is gone
	// WaitlistPosition is the 1-based place of a waitlisted registration, else 0.
	WaitlistPosition int
}

// AttendeeQuery selects a page of an event's registrations: the confirmed
// first, then the waitlisted (head first), then the cancelled, each in
// arrival order; or those of one Status.
type AttendeeQuery struct {
	Status RegistrationStatus // "" for all
	Limit  int                // 1–100; 0 means 50
	Cursor string
}

// AttendeePage is one page of attendees and the cursor of the next, "" at the end.
type AttendeePage struct {
	Event      *Event
	Attendees  []Attendee
	NextCursor string
}

var attendeeStatuses = []RegistrationStatus{RegistrationConfirmed, RegistrationWaitlisted, RegistrationCancelled}

// attendeeCursor is where a page of attendees ends: in which status, and
// the store's cursor inside it.
type attendeeCursor struct {
	Status RegistrationStatus `json:"s"`
	Inner  string             `json:"c,omitempty"`
}

func (c attendeeCursor) encode() string {
	b, _ := json.Marshal(c) // two strings always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

func errAttendeeCursor() error {
	return ErrInvalidCursor
}

// Attendees returns a page of event id's registrations with the people
// behind them, one Query per status the page spans.
func (a *Admin) Attendees(ctx context.Context, v Viewer, id string, q AttendeeQuery) (AttendeePage, error) {
	if err := RequireOrganizer(v); err != nil {
		return AttendeePage{}, err
	}
	statuses := attendeeStatuses
	if q.Status != "" {
		if !slices.Contains(attendeeStatuses, q.Status) {
			return AttendeePage{}, ErrInvalidStatus.Messagef("status は confirmed, waitlisted, cancelled のいずれかです。")
		}
		statuses = []RegistrationStatus{q.Status}
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 100 {
		return AttendeePage{}, ErrInvalidLimit
	}
	start, inner := 0, ""
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var c attendeeCursor
		if err != nil || json.Unmarshal(b, &c) != nil {
			return AttendeePage{}, errAttendeeCursor()
		}
		if start = slices.Index(statuses, c.Status); start < 0 {
			return AttendeePage{}, errAttendeeCursor()
		}
		inner = c.Inner
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return AttendeePage{}, err
	}
	page := AttendeePage{Event: e}
	var regs []*Registration
	for i := start; i < len(statuses) && len(regs) < q.Limit; i++ {
		got, next, err := a.Store.EventRegistrations(ctx, id, statuses[i], q.Limit-len(regs), inner)
		if err != nil {
			return AttendeePage{}, err
		}
		inner = ""
		regs = append(regs, got...)
		switch {
		case next != "":
			page.NextCursor = attendeeCursor{Status: statuses[i], Inner: next}.encode()
		case i+1 < len(statuses):
			page.NextCursor = attendeeCursor{Status: statuses[i+1]}.encode()
		default:
			page.NextCursor = ""
		}
		if next != "" {
			break
		}
	}
	page.Attendees, err = a.attendees(ctx, regs)
	return page, err
}

// attendees puts the people behind regs, and waitlist places, on them.
func (a *Admin) attendees(ctx context.Context, regs []*Registration) ([]Attendee, error) {
	_, members, err := a.recipients(ctx, regs)
	if err != nil {
		return nil, err
	}
	out := make([]Attendee, 0, len(regs))
	pos := 0
	for _, r := range regs {
		at := Attendee{Registration: r}
		switch m := members[r.MemberID]; {
		case r.Guest != nil:
			at.Guest, at.Name, at.Email = true, r.Guest.Name, r.Guest.Email
		case m != nil && m.Status != MemberWithdrawn:
			at.Name, at.NameKana, at.Affiliation, at.Email = m.Name, m.NameKana, m.Affiliation, m.Email
		default:
			at.Withdrawn = true
		}
		if r.Status == RegistrationWaitlisted {
			if pos == 0 {
				// The first waitlisted of the page asks the table its place;
				// the rest follow it in order.
				if pos, err = a.Store.WaitlistPosition(ctx, r); err != nil {
					return nil, err
				}
			} else {
				pos++
			}
			at.WaitlistPosition = pos
		}
		out = append(out, at)
	}
	return out, nil
}

// ExportAttendees returns every registration of event id with the people
// behind them, confirmed first, then waitlisted, then cancelled, for a
// spreadsheet. The export is audited: it carries personal data out.
func (a *Admin) ExportAttendees(ctx context.Context, v Viewer, id string) (*Event, []Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	var all []Attendee
	var e *Event
	q := AttendeeQuery{Limit: 100}
	for {
		page, err := a.Attendees(ctx, v, id, q)
		if err != nil {
			return nil, nil, err
		}
		e = page.Event
		all = append(all, page.Attendees...)
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	a.audit(ctx, actorOf(v), AuditRegistrationsExport, "event", id, fmt.Sprintf("「%s」の参加者一覧を出力（%d件）", e.Title, len(all)))
	return e, all, nil
}

// CheckIn marks a confirmed registration as arrived. Checking in twice
// keeps the first time. Closed (reason "not_confirmed") for a registration
// that holds no seat.
func (a *Admin) CheckIn(ctx context.Context, v Viewer, eventID, regID string) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	now := a.Clock.Now().UTC().Truncate(time.Millisecond)
	r, err := a.Store.SetCheckIn(ctx, eventID, regID, &now)
	if err != nil {
		return nil, err
	}
	if r.CheckedInAt != nil && r.CheckedInAt.Equal(now) {
		a.audit(ctx, actorOf(v), AuditCheckIn, "registration", regID, "受付済みにしました（イベント "+eventID+"）")
	}
	return r, nil
}

// UndoCheckIn clears a registration's check-in; undoing twice is harmless.
func (a *Admin) UndoCheckIn(ctx context.Context, v Viewer, eventID, regID string) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	cur, err := a.Store.Registration(ctx, eventID, regID)
	if err != nil {
		return nil, err
	}
	if cur.CheckedInAt == nil {
		return cur, nil
	}
	r, err := a.Store.SetCheckIn(ctx, eventID, regID, nil)
	if err != nil {
		return nil, err
	}
	a.audit(ctx, actorOf(v), AuditCheckInUndo, "registration", regID, "受付を取り消しました（イベント "+eventID+"）")
	return r, nil
}

// MessageResult is how many people a message reached.
type MessageResult struct {
	Sent   int
	Failed int
	// NotSent counts those not attempted: the function's deadline came
	// first (or the request ended).
	NotSent int
}

// MessageAttendees mails subject and body to everyone confirmed for event
// id, and to the waitlisted too when includeWaitlisted. It goes regardless
// of the announcement preference: the message is about an event each
// recipient registered for. Each address gets it once, paced at SendRate;
// no new send starts near the context's deadline. Unavailable (reason
// "mail_unavailable") when nobody could be mailed.
func (a *Admin) MessageAttendees(ctx context.Context, v Viewer, id, subject, body string, includeWaitlisted bool) (*MessageResult, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	subject, body = strings.TrimSpace(subject), strings.TrimSpace(body)
	f := FieldErrors{}
	if _, ok := cleanText(subject); !ok {
		f.Add("subject", "件名に使えない文字（改行など）が含まれています。")
	}
	if subject == "" {
		f.Add("subject", "件名を入力してください。")
	} else if utf8.RuneCountInString(subject) > maxSubjectRunes {
		f.Add("subject", fmt.Sprintf("件名は%d文字以内で入力してください。", maxSubjectRunes))
	}
	if _, ok := cleanText(strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(body)); !ok {
		f.Add("body", "本文に使えない文字が含まれています。")
	}
	if body == "" {
		f.Add("body", "本文を入力してください。")
	} else if utf8.RuneCountInString(body) > maxBodyRunes {
		f.Add("body", fmt.Sprintf("本文は%d文字以内で入力してください。", maxBodyRunes))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	regs, err := a.Store.AllRegistrations(ctx, id)
	if err != nil {
		return nil, err
	}
	var chosen []*Registration
	for _, r := range regs {
		if r.Status == RegistrationConfirmed || (includeWaitlisted && r.Status == RegistrationWaitlisted) {
			chosen = append(chosen, r)
		}
	}
	to, _, err := a.recipients(ctx, chosen)
	if err != nil {
		return nil, err
	}
	var list []Recipient
	seen := map[string]bool{}
	for _, r := range chosen {
		rc, ok := to[r.ID]
		if !ok || seen[NormalizeEmail(rc.Email)] {
			continue
		}
		seen[NormalizeEmail(rc.Email)] = true
		list = append(list, rc)
	}
	res := &MessageResult{}
	var mu sync.Mutex
	g := a.gate(ctx)
	err = a.each(len(list), func(i int) error {
		if !g.open(ctx) {
			mu.Lock()
			defer mu.Unlock()
			res.NotSent++
			return nil
		}
		err := a.Notifier.OrganizerMessage(ctx, list[i], e, subject, body)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Failed++
			a.logf(ctx, "organizer message not sent", err)
		} else {
			res.Sent++
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	who := "参加確定者"
	if includeWaitlisted {
		who = "参加確定者とキャンセル待ちの方"
	}
	summary := fmt.Sprintf("「%s」の%sへメッセージ「%s」を送信（%d件", e.Title, who, subject, res.Sent)
	if res.Failed > 0 {
		summary += fmt.Sprintf("、失敗%d件", res.Failed)
	}
	if res.NotSent > 0 {
		summary += fmt.Sprintf("、時間切れで未送信%d件", res.NotSent)
	}
	a.audit(ctx, actorOf(v), AuditEventMessage, "event", id, summary+"）")
	if res.Sent == 0 && res.Failed+res.NotSent > 0 {
		return res, ErrMailUnavailable
	}
	return res, nil
}
