package community

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"
)

// Guests confirm before anything is held. A guest's registration is first
// a pending request — a single-use token (purpose TokenGuestConfirm) that
// names the event and the guest — stored with the mail that carries its
// confirmation link, in one transaction. The mail's text is fixed: nothing
// the requester typed is in it, and no join URL. Only following the link
// takes a seat or a waitlist place; a request nobody confirms expires with
// its token. Requests are limited per source IP (a flood gets 429) and
// confirmation mails per address (a victim gets at most a few an hour).

// TokenGuestConfirm is the purpose of a pending guest request.
const TokenGuestConfirm = "guest_confirm"

// Limits of guest requests (README and docs/organizer.md say them to people).
const (
	// GuestConfirmTTL is how long a guest's confirmation link works.
	GuestConfirmTTL = 24 * time.Hour
	// GuestRequestsPerIP is how many guest registration requests one source
	// IP may make in an hour; past it the answer is 429 too_many_requests.
	GuestRequestsPerIP = 20
	// GuestMailsPerAddress is how many confirmation mails one address may
	// receive in an hour; past it requests are answered the same (202) but
	// nothing is stored or sent.
	GuestMailsPerAddress = 5
)

// GuestLinks signs and reads the confirmation links mailed to guests. A
// link names the event and the registration id the request reserved, so a
// second click finds the registration the first one made.
type GuestLinks interface {
	GuestConfirmLink(eventID, regID string) string
	GuestConfirmToken(eventID, regID string) string
	ParseGuestConfirmToken(token string) (eventID, regID string, ok bool)
}

// GuestRequestStore keeps pending guest requests and the counters that
// limit them.
type GuestRequestStore interface {
	// PutToken stores a token until its ExpiresAt, with mails in the outbox
	// in the same transaction. Conflict (reason "token_exists") when the id exists.
	PutToken(ctx context.Context, t *Token, mails ...Mail) error
	// Token returns an unexpired token without using it up. NotFound
	// (reason "token_not_found") when unknown, used, of another purpose or expired.
	Token(ctx context.Context, id, purpose string, now time.Time) (*Token, error)
	// ConsumeToken deletes and returns an unexpired token. NotFound
	// (reason "token_not_found") when unknown, used, of another purpose or expired.
	ConsumeToken(ctx context.Context, id, purpose string, now time.Time) (*Token, error)
	// Hit counts one attempt under key in the window containing now and
	// returns the attempts so far. The key is stored only as a digest.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// GuestRequests runs guests' registrations: the request that mails a
// confirmation link, and the confirmation that registers.
type GuestRequests struct {
	// Registrations reads events and registers the guest once confirmed.
	Registrations *Registrations
	Store         GuestRequestStore
	Links         GuestLinks
	Secrets       Secrets
	// Log reports what failed after a confirmed registration was stored.
	Log *slog.Logger
}

// guestRequest is what a pending request's token holds (Token.Data).
type guestRequest struct {
	EventID string   `json:"event_id"`
	FrameID string   `json:"frame_id,omitempty"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Answers []Answer `json:"answers,omitempty"`
}

// Request asks for guest's place at event id: after the rules a
// registration checks, it stores a pending request and the mail with its
// confirmation link, and holds nothing. It answers the same (nil) whether
// or not the address already holds a registration, and when the address's
// hourly mail budget is spent. Throttled (reason "too_many_requests") past
// GuestRequestsPerIP requests from ip in an hour.
func (s *GuestRequests) Request(ctx context.Context, v Viewer, id string, guest Guest, ip string, answers ...Answer) error {
	return s.RequestIn(ctx, v, id, DefaultFrameID, guest, ip, answers...)
}

// RequestIn is Request for a place in frame frameID of the event, with the
// frame refusals of Registrations.RegisterIn; the frame and the answers
// travel with the pending request to the confirmation.
func (s *GuestRequests) RequestIn(ctx context.Context, v Viewer, id, frameID string, guest Guest, ip string, answers ...Answer) error {
	if v.Member != nil {
		return ErrGuestWithSession
	}
	g, err := validGuest(guest)
	if err != nil {
		return err
	}
	now := s.Registrations.Clock.Now()
	e, err := s.Registrations.Events.Event(ctx, id)
	if err != nil {
		return err
	}
	f, fe, err := e.Entry(frameID)
	if err != nil {
		return err
	}
	if err := fe.CheckRegistration(v, &g, now); err != nil {
		return err
	}
	// The answers travel with the request and are stored when the guest
	// confirms; bad ones are refused now, before any mail.
	checked, err := e.Questions.CheckAnswers(answers)
	if err != nil {
		return err
	}
	if left := fe.SeatsLeft(); left != nil && *left == 0 && !fe.Waitlist {
		return ErrEventFull // a link that can only fail is not worth a mail
	}
	n, err := s.Store.Hit(ctx, "guest#ip#"+s.Secrets.Hash(ip), time.Hour, now)
	if err != nil {
		return err
	}
	if n > GuestRequestsPerIP {
		return ErrTooManyRequests
	}
	n, err = s.Store.Hit(ctx, "mail#guest#"+s.Secrets.Hash(g.Email), time.Hour, now)
	if err != nil {
		return err
	}
	if n > GuestMailsPerAddress {
		return nil // the same answer: the address's owner is not flooded
	}
	data, err := json.Marshal(guestRequest{EventID: e.ID, FrameID: f.ID, Name: g.Name, Email: g.Email, Answers: checked})
	if err != nil {
		return err
	}
	regID := NewID(now)
	token := s.Links.GuestConfirmToken(e.ID, regID)
	tok := &Token{ID: s.Secrets.Hash(token), Purpose: TokenGuestConfirm, Data: string(data), CreatedAt: now, ExpiresAt: now.Add(GuestConfirmTTL)}
	return s.Store.PutToken(ctx, tok, GuestConfirmationMail(e.ID, regID, g.Email, s.Links.GuestConfirmLink(e.ID, regID), now))
}

// errBadGuestLink is what a forged, mangled, expired or superseded
// confirmation link gets.
var errBadGuestLink = ErrInvalidToken.Messagef("確認用のリンクが正しくないか、有効期限（24時間）が切れています。お手数ですが、イベントのページからもう一度お申し込みください。")

// GuestConfirmation is what a confirmation link led to.
type GuestConfirmation struct {
	RegisterResult
	Event *Event
	// Created is false when the link had been followed before: the
	// registration is the one the first click made.
	Created bool
}

// Pending returns the event a confirmation link is for, without using the
// link up: what the page behind the link shows above its button. Invalid
// (reason "invalid_token") for a link that will not confirm anything and
// names no registration; a link followed before answers with that
// registration (GuestConfirmation.Created false).
func (s *GuestRequests) Pending(ctx context.Context, token string) (*GuestConfirmation, error) {
	eventID, regID, ok := s.Links.ParseGuestConfirmToken(token)
	if !ok {
		return nil, errBadGuestLink
	}
	now := s.Registrations.Clock.Now()
	tok, err := s.Store.Token(ctx, s.Secrets.Hash(token), TokenGuestConfirm, now)
	if ErrorCode(err) == NotFound {
		return s.confirmed(ctx, eventID, regID)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := decodeGuestRequest(tok, eventID); !ok {
		return nil, errBadGuestLink
	}
	e, err := s.Registrations.Events.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &GuestConfirmation{Event: e}, nil
}

// Confirm follows a confirmation link: it registers the guest exactly as a
// registration does (a seat, else a waitlist place, with the mail it owes)
// and uses the link up. Following it again answers with the registration it
// made. Invalid (reason "invalid_token") for a forged or expired link; the
// registration's own refusals (full, closed, already registered) otherwise,
// and the link keeps working until it expires.
func (s *GuestRequests) Confirm(ctx context.Context, token string) (*GuestConfirmation, error) {
	eventID, regID, ok := s.Links.ParseGuestConfirmToken(token)
	if !ok {
		return nil, errBadGuestLink
	}
	now := s.Registrations.Clock.Now()
	id := s.Secrets.Hash(token)
	tok, err := s.Store.Token(ctx, id, TokenGuestConfirm, now)
	if ErrorCode(err) == NotFound {
		return s.confirmed(ctx, eventID, regID)
	}
	if err != nil {
		return nil, err
	}
	req, ok := decodeGuestRequest(tok, eventID)
	if !ok {
		return nil, errBadGuestLink
	}
	guest := &Guest{Name: req.Name, Email: req.Email}
	var e *Event
	var r *Registration
	// An organizer's edit of the form between the read and the write sends
	// the confirmation back to read the event and check the answers again.
	err = RetryOn(formAttempts, func() error {
		var err error
		if e, err = s.Registrations.Events.Event(ctx, eventID); err != nil {
			return err
		}
		// The rules again: the window may have closed (or the frame gone)
		// since the request.
		f, fe, err := e.Entry(req.FrameID)
		if err != nil {
			return err
		}
		if err := fe.CheckRegistration(Viewer{}, guest, now); err != nil {
			return err
		}
		// The form may have changed since the request: the answers must fit
		// the form they are stored against.
		answers, err := e.Questions.CheckAnswers(req.Answers)
		if err != nil {
			return err
		}
		// The id reserved by the request: the registration is made once, however
		// often (and however concurrently) the link is followed.
		r = &Registration{ID: regID, EventID: e.ID, FrameID: f.ID, Guest: guest, CreatedAt: now, UpdatedAt: now, EventStartsAt: e.StartsAt, Answers: answers}
		if fe.TakesApplications() {
			return s.Registrations.Regs.Apply(ctx, e, r)
		}
		return s.Registrations.Regs.Register(ctx, e, r)
	}, ErrEventChanged)
	if errors.Is(err, ErrRegistrationExists) {
		return s.confirmed(ctx, eventID, regID)
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.ConsumeToken(ctx, id, TokenGuestConfirm, now); err != nil && ErrorCode(err) != NotFound {
		// The registration is stored and made once: a token left behind
		// only answers a later click with it, until it expires.
		logFailure(ctx, s.Log, "guest confirmation token not consumed", err)
	}
	return &GuestConfirmation{RegisterResult: s.result(ctx, r), Event: e, Created: true}, nil
}

// confirmed answers a link whose request is gone: with the registration
// it made, or as a bad link when it made none (expired unconfirmed).
func (s *GuestRequests) confirmed(ctx context.Context, eventID, regID string) (*GuestConfirmation, error) {
	r, err := s.Registrations.Regs.Registration(ctx, eventID, regID)
	if ErrorCode(err) == NotFound {
		return nil, errBadGuestLink
	}
	if err != nil {
		return nil, err
	}
	e, err := s.Registrations.Events.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &GuestConfirmation{RegisterResult: s.result(ctx, r), Event: e}, nil
}

// result adds a waitlisted registration's place; a failed count loses only
// the number, never the registration.
func (s *GuestRequests) result(ctx context.Context, r *Registration) RegisterResult {
	res := RegisterResult{Registration: r}
	if r.Status == RegistrationWaitlisted {
		pos, err := s.Registrations.Regs.WaitlistPosition(ctx, r)
		if err != nil {
			logFailure(ctx, s.Log, "waitlist position", err)
		}
		res.WaitlistPosition = pos
	}
	return res
}

func decodeGuestRequest(tok *Token, eventID string) (guestRequest, bool) {
	var req guestRequest
	if err := json.Unmarshal([]byte(tok.Data), &req); err != nil || req.EventID != eventID || req.Email == "" {
		return guestRequest{}, false
	}
	return req, true
}
