package community

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// CalendarFeed is a member's personal calendar feed: a secret URL that
// calendar apps poll for the events the member holds a confirmed place in.
//
// Neither the URL's token nor anything that yields it without the keys is
// stored. The token is the keyed digest (Secrets.Hash, the keyring's
// digest key) of the member id and Nonce, a fresh random value per issue;
// the feed is found by TokenDigest, the keyed digest of the token. So a
// table dump yields no usable URL, while my page can show the URL again
// (it is computed, not kept), and a new Nonce — renewing — makes the old
// URL unknown at once. The digest key is the one rotation leaves alone
// (docs/keys.md), so rotating the signing keys keeps every URL working.
type CalendarFeed struct {
	Nonce       string
	TokenDigest string
	IssuedAt    time.Time
}

// CalendarStore is what Calendars needs from storage.
type CalendarStore interface {
	// Member returns a member by id (consistent). NotFound when unknown.
	Member(ctx context.Context, id string) (*Member, error)
	// CalendarMember returns the id of the member whose current feed has
	// this token digest. NotFound (reason "calendar_not_found") when none.
	CalendarMember(ctx context.Context, tokenDigest string) (string, error)
	// SetCalendar replaces m's feed (m.Calendar, as read) with next (nil:
	// none) in one transaction: the member item, the old feed's lookup item
	// deleted, the new one's put. Conflict (reason "member_changed") when
	// the member was written since m was read (m.Version). On success
	// m.Calendar is next and m.Version advances.
	SetCalendar(ctx context.Context, m *Member, next *CalendarFeed) error
	// MemberRegistrationsBetween lists the member's registrations for
	// events starting in [from, to], any status, soonest first.
	MemberRegistrationsBetween(ctx context.Context, memberID string, from, to time.Time) ([]*Registration, error)
	// EventsByID reads events by id; unknown ids are absent from the map.
	EventsByID(ctx context.Context, ids []string) (map[string]*Event, error)
}

// Calendars runs members' personal calendar feeds: issuing, renewing and
// stopping the URL, and what the feed holds.
type Calendars struct {
	Store   CalendarStore
	Clock   Clock
	Secrets Secrets
}

// How far the feed reaches. Past events stay a year so that a calendar
// keeps what the member attended (a feed drops what it no longer lists);
// the index is sorted by start, so the window also bounds the Query.
const (
	CalendarPast  = 366 * 24 * time.Hour
	CalendarAhead = 3 * 366 * 24 * time.Hour
)

// calendarTokenRE is what Token makes: a hex digest, 256 bits.
var calendarTokenRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// token is the feed URL's secret for member id and nonce.
func (c *Calendars) token(memberID, nonce string) string {
	return c.Secrets.Hash("calendar-feed-token\x00" + memberID + "\x00" + nonce)
}

// digest is what the store finds a token by.
func (c *Calendars) digest(token string) string {
	return c.Secrets.Hash("calendar-feed\x00" + token)
}

// CalendarFeedURL is the address of a member's feed with token under
// baseURL (the API's GET /api/me/calendar.ics): a secret, shown only to
// its member.
func CalendarFeedURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/api/me/calendar.ics?token=" + url.QueryEscape(token)
}

// Token returns the secret of m's feed URL, false when m has no feed.
func (c *Calendars) Token(m *Member) (string, bool) {
	if m == nil || m.Calendar == nil || m.Calendar.Nonce == "" {
		return "", false
	}
	return c.token(m.ID, m.Calendar.Nonce), true
}

// Issue gives the signed-in member a feed, or a new one in place of the
// one they have (the old URL stops working in the same write), and
// returns its token. Unauthorized without a member.
func (c *Calendars) Issue(ctx context.Context, v Viewer) (string, error) {
	var token string
	err := c.replace(ctx, v, func(m *Member) *CalendarFeed {
		nonce := c.Secrets.NewSecret()
		token = c.token(m.ID, nonce)
		return &CalendarFeed{Nonce: nonce, TokenDigest: c.digest(token), IssuedAt: c.Clock.Now()}
	})
	return token, err
}

// Stop removes the signed-in member's feed; its URL answers not found
// from then on. Stopping without a feed is harmless.
func (c *Calendars) Stop(ctx context.Context, v Viewer) error {
	return c.replace(ctx, v, func(*Member) *CalendarFeed { return nil })
}

// replace writes next(m) as v's feed on the member as stored, reading
// again when another write came in between (a double click, a profile
// save): each attempt is conditioned on the version it read.
func (c *Calendars) replace(ctx context.Context, v Viewer, next func(m *Member) *CalendarFeed) error {
	if v.Member == nil {
		return ErrUnauthorized
	}
	m := v.Member
	for attempt := 1; ; attempt++ {
		if m.Version == 0 || attempt > 1 {
			var err error
			if m, err = c.Store.Member(ctx, v.Member.ID); err != nil {
				return err
			}
		}
		n := next(m)
		if m.Calendar == nil && n == nil {
			return nil
		}
		cp := *m
		err := c.Store.SetCalendar(ctx, &cp, n)
		if err == nil {
			*v.Member = cp
			return nil
		}
		if !errors.Is(err, ErrMemberChanged) || attempt == 3 {
			return err
		}
	}
}

// Feed returns the events of the feed whose URL holds token: those the
// member holds a confirmed place in, published (not cancelled, not
// withdrawn to a draft), from CalendarPast ago to CalendarAhead on, each
// as the member's frame has it, soonest first; and every join URL those
// events hold anywhere, which the writer must keep out. NotFound (reason
// "calendar_not_found"), alike, for a malformed, unknown, stopped or
// renewed-away token and for a member who is not active or pending approval.
func (c *Calendars) Feed(ctx context.Context, token string) ([]*Event, []string, error) {
	if !calendarTokenRE.MatchString(token) {
		return nil, nil, ErrCalendarNotFound // never a key, and no read for garbage
	}
	digest := c.digest(token)
	id, err := c.Store.CalendarMember(ctx, digest)
	if err != nil {
		return nil, nil, err
	}
	m, err := c.Store.Member(ctx, id)
	if errors.Is(err, ErrMemberNotFound) {
		return nil, nil, ErrCalendarNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case m.Status != MemberActive && m.Status != MemberPendingApproval,
		m.Calendar == nil || m.Calendar.TokenDigest != digest:
		return nil, nil, ErrCalendarNotFound
	}
	now := c.Clock.Now()
	regs, err := c.Store.MemberRegistrationsBetween(ctx, m.ID, now.Add(-CalendarPast), now.Add(CalendarAhead))
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, r := range regs {
		if r.Status == RegistrationConfirmed && r.MemberID == m.ID {
			ids = append(ids, r.EventID)
		}
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	events, err := c.Store.EventsByID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var out []*Event
	var secrets []string
	for _, r := range regs {
		e := events[r.EventID]
		if r.Status != RegistrationConfirmed || r.MemberID != m.ID || e == nil {
			continue
		}
		secrets = append(secrets, e.JoinURLs()...)
		// A cancelled event leaves the feed rather than staying as
		// STATUS:CANCELLED: every calendar app drops what a subscribed feed
		// stops listing, while some (Outlook) show a cancelled one as if it
		// were on. The cancellation mail tells the member why.
		if e.Status != EventPublished {
			continue
		}
		out = append(out, e.ForFrame(r.FrameID))
	}
	return out, secrets, nil
}

// JoinURLs returns every join URL e holds: its own and its frames'.
func (e *Event) JoinURLs() []string {
	var out []string
	if e.JoinURL != "" {
		out = append(out, e.JoinURL)
	}
	for _, f := range e.Frames {
		if f.JoinURL != "" {
			out = append(out, f.JoinURL)
		}
	}
	return out
}
