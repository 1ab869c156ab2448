package community

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// RegistrationStore keeps registrations and enforces capacity itself: every
// method that changes seats does so in one DynamoDB transaction, so the
// confirmed count never exceeds capacity and always equals the number of
// confirmed registrations.
type RegistrationStore interface {
	// Register stores r for e: confirmed while a seat is free, else waitlisted
	// when e has a waitlist, with the mail it owes (RegistrationMail) in the
	// outbox in the same transaction. It sets r.Status. Conflict "already_registered"
	// when the same member or guest email holds a live registration, Conflict
	// "event_full" when full without waitlist, Closed "event_cancelled" when
	// the event stopped being published meanwhile.
	Register(ctx context.Context, e *Event, r *Registration) error
	// Apply stores r as an application (status applied) for e with its
	// receipt (ApplicationMail) in the outbox, in one transaction that
	// touches no counter of the event: applying is a plain write. It sets
	// r.Status. Conflict "already_registered" when the same member or
	// guest email holds a live registration or application.
	Apply(ctx context.Context, e *Event, r *Registration) error
	// Registration returns one registration of an event. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// MemberRegistration returns the member's live registration for the
	// event (the earliest, when they hold places in several frames).
	// NotFound when none.
	MemberRegistration(ctx context.Context, eventID, memberID string) (*Registration, error)
	// MemberEventRegistrations lists the registrations the member holds at
	// the event and has not cancelled — one per frame in an event of
	// multiple_frames — earliest first; empty when none. A bounded number
	// of reads whatever the frames.
	MemberEventRegistrations(ctx context.Context, eventID, memberID string) ([]*Registration, error)
	// GuestEventRegistrations is MemberEventRegistrations for a guest's
	// address, compared case-insensitively.
	GuestEventRegistrations(ctx context.Context, eventID, email string) ([]*Registration, error)
	// CancelRegistration cancels a live registration; when it held a seat the
	// waitlist head is promoted in the same transaction, which also puts the
	// mails owed (CancelledMail, PromotedMail) in the outbox. It returns the
	// cancelled registration and the promoted one (nil if none). NotFound when
	// unknown, Conflict "already_cancelled" when already cancelled.
	CancelRegistration(ctx context.Context, eventID, regID string, now time.Time) (cancelled, promoted *Registration, err error)
	// WaitlistPosition returns the 1-based place of a waitlisted registration.
	WaitlistPosition(ctx context.Context, r *Registration) (int, error)
	// MemberRegistrations lists a member's registrations, soonest event first.
	MemberRegistrations(ctx context.Context, memberID string) ([]*Registration, error)
	// MemberRegistrationsBetween lists a member's registrations for events
	// starting in [from, to], soonest first.
	MemberRegistrationsBetween(ctx context.Context, memberID string, from, to time.Time) ([]*Registration, error)
}

// RegistrationNotifier sends the mails about a person's place at an event.
type RegistrationNotifier interface {
	// RegistrationConfirmed mails the confirmation; joinURL is "" unless the
	// person holds a seat (it always does here, but the mailer never decides).
	// checkInLink is the signed link of the registrant's check-in QR code,
	// "" when the event has none (HasCheckIn) or the mailer makes none.
	RegistrationConfirmed(ctx context.Context, to Recipient, e *Event, joinURL, cancelLink, checkInLink string) error
	Waitlisted(ctx context.Context, to Recipient, e *Event, position int, cancelLink string) error
	Promoted(ctx context.Context, to Recipient, e *Event, joinURL, cancelLink, checkInLink string) error
	RegistrationCancelled(ctx context.Context, to Recipient, e *Event) error
}

// CancelLinks makes and reads the signed cancel links in mails.
type CancelLinks interface {
	CancelLink(eventID, regID string) string
	// CancelToken is the token CancelLink carries.
	CancelToken(eventID, regID string) string
	ParseCancelToken(token string) (eventID, regID string, ok bool)
}

// Registrations runs RSVPs.
type Registrations struct {
	Events EventStore
	Regs   RegistrationStore
	Clock  Clock
	// Links reads the signed cancel links in mails.
	Links CancelLinks
	// Log reports what failed after the registration was stored: the seat
	// is kept (never lose a registration) and the failure is visible.
	Log *slog.Logger
}

// RegisterResult is the answer to a registration.
type RegisterResult struct {
	Registration     *Registration
	WaitlistPosition int
	// Event is the event as read for the registration (its frames name
	// the registration's), nil when not read.
	Event *Event
}

// Register takes a seat or a waitlist place at event id for v, or for guest
// when nobody is signed in, in the event's only frame, with the answers to
// the event's questions.
func (s *Registrations) Register(ctx context.Context, v Viewer, id string, guest *Guest, answers ...Answer) (RegisterResult, error) {
	return s.RegisterIn(ctx, v, id, DefaultFrameID, guest, answers...)
}

// RegisterIn takes a seat or a waitlist place in frame frameID of event id
// ("" for an event with one frame, or none) — or, for an event that takes
// applications (selection, an undrawn lottery), stores an application —
// with the answers to the event's questions. Invalid (reason
// "frame_required") when the event has several frames and none is named,
// (reason "unknown_frame") for a frame the event does not have, (reason
// "invalid_answers") when the answers do not fit the form; Closed (reason
// "lottery_drawn") for a lottery frame already drawn. Nothing is written
// on a refusal.
func (s *Registrations) RegisterIn(ctx context.Context, v Viewer, id, frameID string, guest *Guest, answers ...Answer) (RegisterResult, error) {
	now := s.Clock.Now()
	if guest != nil {
		if v.Member != nil {
			return RegisterResult{}, ErrGuestWithSession
		}
		g, err := validGuest(*guest)
		if err != nil {
			return RegisterResult{}, err
		}
		guest = &g
	}
	r := &Registration{ID: NewID(now), Guest: guest, CreatedAt: now, UpdatedAt: now}
	if v.Member != nil {
		r.MemberID = v.Member.ID
	}
	var ev *Event
	// An organizer's edit of the form between the read and the write sends
	// the registration back to read the event and check the answers again.
	err := RetryOn(formAttempts, func() error {
		e, err := s.Events.Event(ctx, id)
		if err != nil {
			return err
		}
		// The frame's own eligibility and mode, when it has them, are the rule.
		f, check, err := e.Entry(frameID)
		if err != nil {
			return err
		}
		if err := check.CheckRegistration(v, guest, now); err != nil {
			return err
		}
		if r.Answers, err = e.Questions.CheckAnswers(answers); err != nil {
			return err
		}
		r.EventID, r.FrameID, r.EventStartsAt = e.ID, f.ID, e.StartsAt
		ev = e
		if check.TakesApplications() {
			return s.Regs.Apply(ctx, e, r)
		}
		return s.Regs.Register(ctx, e, r)
	}, ErrEventChanged)
	if err != nil {
		return RegisterResult{}, err
	}
	res := RegisterResult{Registration: r, Event: ev}
	if r.Status == RegistrationWaitlisted {
		// The place is stored; its number is only information, so a failed
		// count must not turn a kept registration into an error.
		pos, err := s.Regs.WaitlistPosition(ctx, r)
		if err != nil {
			logFailure(ctx, s.Log, "waitlist position", err)
		}
		res.WaitlistPosition = pos
	}
	return res, nil
}

// formAttempts bounds how often a registration reads the event again after
// an organizer edited it between the read and the write.
const formAttempts = 3

func validGuest(g Guest) (Guest, error) {
	f := FieldErrors{}
	g.Name = textField(f, "guest.name", "お名前", g.Name, true, 100)
	g.Email = strings.TrimSpace(g.Email)
	if !ValidEmail(g.Email) {
		f.Add("guest.email", "メールアドレスの形式が正しくありません。")
	}
	g.Email = NormalizeEmail(g.Email)
	return g, f.Err()
}

// CancelMine cancels the signed-in member's registration for event id:
// CancelMineIn with no frame named.
func (s *Registrations) CancelMine(ctx context.Context, v Viewer, eventID string) (*Registration, error) {
	res, err := s.CancelMineIn(ctx, v, eventID, DefaultFrameID)
	return res.Cancelled, err
}

// MyCancelResult is the answer to cancelling one's own registration.
type MyCancelResult struct {
	Cancelled *Registration
	// Kept are the registrations still held in other frames of the event
	// (multiple_frames), earliest first; empty for everyone else.
	Kept []*Registration
	// Event is the event as read for the cancellation; its frames name
	// the registrations'.
	Event *Event
}

// MineAt lists the registrations the signed-in member holds at event
// eventID and has not cancelled: one per frame in an event of
// multiple_frames, else at most one; empty when none.
func (s *Registrations) MineAt(ctx context.Context, v Viewer, eventID string) ([]*Registration, error) {
	if v.Member == nil {
		return nil, ErrUnauthorized
	}
	return s.Regs.MemberEventRegistrations(ctx, eventID, v.Member.ID)
}

// CancelMineIn cancels the signed-in member's registration in frame
// frameID of event eventID and returns it with the registrations they
// keep at the event. frameID "" names the only registration they hold
// there: Invalid (reason "frame_required") when they hold several, so
// that nobody loses a place they did not name. NotFound when they hold
// none (in that frame).
func (s *Registrations) CancelMineIn(ctx context.Context, v Viewer, eventID, frameID string) (MyCancelResult, error) {
	held, err := s.MineAt(ctx, v, eventID)
	if err != nil {
		return MyCancelResult{}, err
	}
	if frameID == DefaultFrameID && len(held) > 1 {
		return MyCancelResult{}, ErrFrameRequired
	}
	var target *Registration
	kept := []*Registration{}
	for _, r := range held {
		if target == nil && (frameID == DefaultFrameID || r.FrameID == frameID) {
			target = r
			continue
		}
		kept = append(kept, r)
	}
	if target == nil {
		return MyCancelResult{}, ErrRegistrationNotFound
	}
	c, e, err := s.cancelWith(ctx, target)
	if err != nil {
		return MyCancelResult{}, err
	}
	return MyCancelResult{Cancelled: c, Kept: kept, Event: e}, nil
}

// HeldWith lists what the registrant of r holds at r's event and has not
// cancelled, r included unless cancelled: the other frames of someone who
// registered in several, for the page behind one of their cancel links.
// Holding the mailed link proves the address, which is what every one of
// those registrations was made with.
func (s *Registrations) HeldWith(ctx context.Context, r *Registration) ([]*Registration, error) {
	if r.Guest != nil {
		return s.Regs.GuestEventRegistrations(ctx, r.EventID, r.Guest.Email)
	}
	return s.Regs.MemberEventRegistrations(ctx, r.EventID, r.MemberID)
}

// CancelByToken cancels the registration named by a signed cancel link.
func (s *Registrations) CancelByToken(ctx context.Context, token string) (*Registration, *Event, error) {
	eventID, regID, ok := s.Links.ParseCancelToken(token)
	if !ok {
		return nil, nil, errBadCancelToken
	}
	r, err := s.Regs.Registration(ctx, eventID, regID)
	if ErrorCode(err) == NotFound {
		return nil, nil, errBadCancelToken
	}
	if err != nil {
		return nil, nil, err
	}
	e, err := s.Events.Event(ctx, eventID)
	if err != nil {
		return nil, nil, err
	}
	if r.Status == RegistrationCancelled {
		return r, e, nil // a second click on the same link is harmless
	}
	c, err := s.cancel(ctx, r)
	return c, e, err
}

// errCancelStarted refuses to cancel a registration of an event that has
// started, whoever asks: the registrant or an organizer on their behalf.
var errCancelStarted = ErrEventStarted.Messagef("開始後のイベントはキャンセルできません。")

// errBadCancelToken is NotFound: a forged or mangled link names nothing
// the caller may see.
var errBadCancelToken = ErrRegistrationNotFound.Messagef("キャンセル用のリンクが正しくないか、申込が見つかりません。")

func (s *Registrations) cancel(ctx context.Context, r *Registration) (*Registration, error) {
	c, _, err := s.cancelWith(ctx, r)
	return c, err
}

// cancelWith is cancel, returning the event it read too.
func (s *Registrations) cancelWith(ctx context.Context, r *Registration) (*Registration, *Event, error) {
	e, err := s.Events.Event(ctx, r.EventID)
	if err != nil {
		return nil, nil, err
	}
	now := s.Clock.Now()
	if !now.Before(e.StartsAt) && e.Status != EventCancelled {
		return nil, nil, errCancelStarted
	}
	cancelled, _, err := s.Regs.CancelRegistration(ctx, r.EventID, r.ID, now)
	return cancelled, e, err
}

// Mine lists the signed-in member's registrations with their events.
func (s *Registrations) Mine(ctx context.Context, v Viewer) ([]*Registration, map[string]*Event, error) {
	if v.Member == nil {
		return nil, nil, ErrUnauthorized
	}
	regs, err := s.Regs.MemberRegistrations(ctx, v.Member.ID)
	if err != nil {
		return nil, nil, err
	}
	events := make(map[string]*Event, len(regs))
	for _, r := range regs {
		if _, ok := events[r.EventID]; ok {
			continue
		}
		e, err := s.Events.Event(ctx, r.EventID)
		if err != nil {
			return nil, nil, err
		}
		events[r.EventID] = e
	}
	return regs, events, nil
}

// CancelFutureFor cancels every future registration of a withdrawing member,
// promoting waitlists as usual. It is Members.BeforeWithdraw.
func (s *Registrations) CancelFutureFor(ctx context.Context, m *Member, now time.Time) error {
	regs, err := s.Regs.MemberRegistrations(ctx, m.ID)
	if err != nil {
		return err
	}
	for _, r := range regs {
		if r.Status == RegistrationCancelled || !r.EventStartsAt.After(now) {
			continue
		}
		if _, err := s.cancel(ctx, r); err != nil && !errors.Is(err, ErrAlreadyCancelled) {
			return err
		}
	}
	return nil
}
