package community

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Organizations nominate their staff (団体推薦). An active organization
// member (団体正会員; the member record is the body's contact person) names
// up to MaxNominees people for a selection or lottery event before its
// deadline. The nomination is stored as one item, and each nominee as one
// pending token (purpose TokenNominationConfirm) with the mail that carries
// its confirmation link — all in one transaction with the organization's
// per-event counter, which refuses a nomination past the event's
// NominationCap. A nominee who follows the link becomes an applicant: a
// guest-like registration with status applied, tied to the organization
// (Registration.OrganizationID), checked against the event's rules with the
// birth date the organization gave. Links expire after NominationTTL or at
// the deadline, whichever comes first; following one twice applies once.
//
// First-come events take no nominations: a nomination reserves nothing, so
// by the time staff confirmed, the places would have gone to whoever came
// first, and a seat held for an unconfirmed person would be one the public
// cannot take. Selection and lottery events decide after the deadline, when
// every confirmed nominee stands as any applicant does.
//
// A nominee is always a guest-like registrant identified by the address the
// organization gave, even when a member holds it: the organization vouches
// for the person's age and employment, not the member's profile, and a
// member who also applies on their own is told they already hold an
// application only if the addresses match (the attendee item is keyed by
// address for guests, by member id for members).

// TokenNominationConfirm is the purpose of a nominee's pending confirmation.
const TokenNominationConfirm = "nomination_confirm"

// Limits of nominations (docs/organizer.md says them to people).
const (
	// NominationTTL is how long a nominee's confirmation link works, at
	// most: never past the event's application deadline.
	NominationTTL = 7 * 24 * time.Hour
	// MaxNominees is how many people one nomination may name.
	MaxNominees = 20
)

// Nominee is one person an organization nominates, as it typed them.
type Nominee struct {
	// RegistrationID is the registration the nominee's confirmation makes,
	// reserved when the nomination is stored.
	RegistrationID string
	Name           string
	Email          string
	Department     string
	BirthDate      *time.Time // date only, Asia/Tokyo; required when the event has an age rule
	Reason         string
}

// NomineeInput is one nominee as the nominating contact typed them;
// BirthDate is "YYYY-MM-DD" or "".
type NomineeInput struct {
	Name, Email, Department, BirthDate, Reason string
}

// Nomination is one organization's nomination of its staff for one event.
type Nomination struct {
	ID             string
	EventID        string
	OrganizationID string
	Nominees       []Nominee
	CreatedAt      time.Time
	// ExpiresAt is when the nominees' links stop working.
	ExpiresAt time.Time
}

// NomineeState is where one nominee stands, as the nominating contact sees it.
type NomineeState string

// Nominee states: pending until confirmed (expired if never), then the
// registration's own status (selected for confirmed).
const (
	NomineePending    NomineeState = "pending"
	NomineeExpired    NomineeState = "expired"
	NomineeApplied    NomineeState = "applied"
	NomineeSelected   NomineeState = "selected"
	NomineeWaitlisted NomineeState = "waitlisted"
	NomineeDeclined   NomineeState = "declined"
	NomineeCancelled  NomineeState = "cancelled"
)

// NominationLinks signs and reads nominees' confirmation links. A link
// names the event and the registration id reserved for the nominee, so a
// second click finds the registration the first one made.
type NominationLinks interface {
	NominationConfirmLink(eventID, regID string) string
	NominationConfirmToken(eventID, regID string) string
	ParseNominationConfirmToken(token string) (eventID, regID string, ok bool)
}

// NominationCount is an organization's nominations for one event as the
// cap counter holds them: Version is what a write must find to replace it.
type NominationCount struct {
	NominationIDs []string
	Version       int64
}

// NominationStore keeps nominations and the counters that cap them.
type NominationStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// NominationCount reads (consistently) the counter of org's
	// nominations for event; the zero value when there is none.
	NominationCount(ctx context.Context, eventID, orgID string) (NominationCount, error)
	// Nomination returns one nomination, read consistently. NotFound
	// (reason "nomination_not_found") when unknown.
	Nomination(ctx context.Context, id string) (*Nomination, error)
	// PutNomination stores n, its pending tokens and their mails in one
	// transaction with the counter, which it replaces (adding n's id) IF
	// its version is still read.Version. Conflict (reason
	// "nomination_changed") when another write came in between.
	PutNomination(ctx context.Context, n *Nomination, read NominationCount, tokens []*Token, mails []Mail) error
	// OrganizationNominations lists org's nominations, newest first.
	OrganizationNominations(ctx context.Context, orgID string) ([]*Nomination, error)
	// Token returns an unexpired token without using it up; ConsumeToken
	// deletes it. NotFound (reason "token_not_found") when unknown, used,
	// of another purpose or expired.
	Token(ctx context.Context, id, purpose string, now time.Time) (*Token, error)
	ConsumeToken(ctx context.Context, id, purpose string, now time.Time) (*Token, error)
	// Registration returns one registration. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// Apply stores an application with its receipt mail. Conflict
	// (reason "already_registered", "registration_exists").
	Apply(ctx context.Context, e *Event, r *Registration) error
}

// Nominations runs organizations' nominations and their nominees'
// confirmations.
type Nominations struct {
	Store   NominationStore
	Links   NominationLinks
	Secrets Secrets
	Clock   Clock
	Log     *slog.Logger
}

// nomineeRequest is what a nominee's pending token holds (Token.Data).
type nomineeRequest struct {
	NominationID   string     `json:"nomination_id"`
	EventID        string     `json:"event_id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	Email          string     `json:"email"`
	Department     string     `json:"department,omitempty"`
	BirthDate      *time.Time `json:"birth_date,omitempty"`
}

// TakesNominations reports whether organizations may nominate staff for e:
// a selection, or a lottery not yet drawn (in a frame of it, for an event
// with frames: NominationFrame).
func (e *Event) TakesNominations() bool {
	_, ok := e.NominationFrame()
	return ok
}

// NominationFrame is where nominees apply: the event itself without frames;
// with frames, the first frame, in the organizer's order, whose places go
// by selection or an undrawn lottery (a venue frame, typically, beside a
// first-come online one). false when there is none.
func (e *Event) NominationFrame() (string, bool) {
	if !e.HasFrames() {
		return DefaultFrameID, (e.Mode == ModeSelection || e.Mode == ModeLottery) && !e.Drawn()
	}
	for _, f := range e.Frames {
		if fe := e.ForFrame(f.ID); (fe.Mode == ModeSelection || fe.Mode == ModeLottery) && !fe.Drawn() {
			return f.ID, true
		}
	}
	return "", false
}

// NomineeMember is how the rules see a nominee: an active person of a
// member organization (a public body, so a public servant), with the
// birth date the organization gave. It is the one reading of a nominee's
// eligibility, for the nomination, the confirmation, selection and the draw.
func NomineeMember(r *Registration) *Member {
	return &Member{Status: MemberActive, Membership: MembershipOrganization, PublicServant: true, BirthDate: r.BirthDate}
}

// Nominate stores the signed-in organization member's nomination of
// nominees for event id, and mails each nominee a confirmation link.
// Forbidden (reason "organization_members_only") unless v is an active
// organization member; Invalid (validation_failed) for bad nominees, which
// stores nothing; Closed (reason "nominations_not_accepted") for a
// first-come or drawn event, and the registration window's own reasons;
// Conflict (reason "nomination_cap_exceeded") past the event's cap.
func (s *Nominations) Nominate(ctx context.Context, v Viewer, id string, nominees []NomineeInput) (*Nomination, error) {
	org := v.Member
	if org == nil {
		return nil, ErrUnauthorized
	}
	if org.Membership != MembershipOrganization || org.Status != MemberActive {
		return nil, ErrOrganizationMembersOnly
	}
	e, err := s.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if !e.TakesNominations() {
		if e.Status == EventDraft {
			return nil, ErrEventNotFound
		}
		return nil, ErrNominationsNotAccepted
	}
	fid, _ := e.NominationFrame()
	// The window, with the nominating member as the viewer: the audience
	// must admit the organization itself.
	if err := e.ForFrame(fid).CheckRegistration(Viewer{Member: &Member{Status: MemberActive, Membership: MembershipOrganization, PublicServant: true, BirthDate: org.BirthDate}}, nil, now); err != nil &&
		!errors.Is(err, ErrBirthDateRequired) && !errors.Is(err, ErrAgeNotEligible) {
		return nil, err
	}
	list, err := validNominees(e.ForFrame(fid), nominees)
	if err != nil {
		return nil, err
	}
	expires := now.Add(NominationTTL)
	if c := e.RegistrationClosesAt; c != nil && c.Before(expires) {
		expires = *c
	}
	n := &Nomination{ID: NewID(now), EventID: e.ID, OrganizationID: org.ID, CreatedAt: now, ExpiresAt: expires}
	for i := range list {
		list[i].RegistrationID = NewID(now)
	}
	n.Nominees = list
	err = RetryOn(8, func() error {
		read, err := s.Store.NominationCount(ctx, e.ID, org.ID)
		if err != nil {
			return err
		}
		if e.NominationCap > 0 {
			held, err := s.held(ctx, read, now)
			if err != nil {
				return err
			}
			if held+len(list) > e.NominationCap {
				return ErrNominationCapExceeded.Messagef("この団体からの推薦は%d人までです（推薦済み・確認待ち%d人、今回%d人）。", e.NominationCap, held, len(list))
			}
		}
		tokens := make([]*Token, 0, len(list))
		mails := make([]Mail, 0, len(list))
		for _, nm := range list {
			data, err := json.Marshal(nomineeRequest{NominationID: n.ID, EventID: e.ID, OrganizationID: org.ID,
				Name: nm.Name, Email: nm.Email, Department: nm.Department, BirthDate: nm.BirthDate})
			if err != nil {
				return err
			}
			token := s.Links.NominationConfirmToken(e.ID, nm.RegistrationID)
			tokens = append(tokens, &Token{ID: s.Secrets.Hash(token), Purpose: TokenNominationConfirm, Data: string(data), CreatedAt: now, ExpiresAt: expires})
			mails = append(mails, NominationMail(n, nm, s.Links.NominationConfirmLink(e.ID, nm.RegistrationID), now))
		}
		return s.Store.PutNomination(ctx, n, read, tokens, mails)
	}, ErrNominationChanged)
	if errors.Is(err, ErrNominationChanged) {
		return nil, ErrBusy
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// held counts the nominees an organization holds toward the cap: pending
// (link not expired) or confirmed and still applying or placed. Expired
// links and cancelled or declined applications give their places back.
func (s *Nominations) held(ctx context.Context, c NominationCount, now time.Time) (int, error) {
	total := 0
	for _, nid := range c.NominationIDs {
		n, err := s.Store.Nomination(ctx, nid)
		if err != nil {
			return 0, err
		}
		for _, nm := range n.Nominees {
			st, err := s.state(ctx, n, nm, now)
			if err != nil {
				return 0, err
			}
			switch st {
			case NomineeExpired, NomineeDeclined, NomineeCancelled:
			default:
				total++
			}
		}
	}
	return total, nil
}

// state reads where nominee nm of n stands.
func (s *Nominations) state(ctx context.Context, n *Nomination, nm Nominee, now time.Time) (NomineeState, error) {
	r, err := s.Store.Registration(ctx, n.EventID, nm.RegistrationID)
	if errors.Is(err, ErrRegistrationNotFound) {
		if now.Before(n.ExpiresAt) {
			return NomineePending, nil
		}
		return NomineeExpired, nil
	}
	if err != nil {
		return "", err
	}
	switch r.Status {
	case RegistrationConfirmed:
		return NomineeSelected, nil
	case RegistrationWaitlisted:
		return NomineeWaitlisted, nil
	case RegistrationDeclined:
		return NomineeDeclined, nil
	case RegistrationCancelled:
		return NomineeCancelled, nil
	}
	return NomineeApplied, nil
}

// validNominees checks a nomination's people: 1–MaxNominees, names and
// addresses, no address twice, plausible birth dates (required when e has
// an age rule), and each one eligible for e as far as the organization's
// word tells.
func validNominees(e *Event, in []NomineeInput) ([]Nominee, error) {
	f := FieldErrors{}
	if len(in) == 0 || len(in) > MaxNominees {
		f.Add("nominees", fmt.Sprintf("推薦する方は1人から%d人までで指定してください。", MaxNominees))
		return nil, f.Err()
	}
	ageRule := e.Eligibility != nil && (e.Eligibility.MinAge != nil || e.Eligibility.MaxAge != nil)
	seen := map[string]int{}
	out := make([]Nominee, len(in))
	for i, x := range in {
		p := fmt.Sprintf("nominees[%d].", i)
		nm := Nominee{Name: x.Name, Email: x.Email, Department: x.Department, Reason: x.Reason}
		bd, ok := ParseBirthDate(strings.TrimSpace(x.BirthDate))
		if !ok {
			f.Add(p+"birth_date", "生年月日は 1990-04-01 の形式で入力してください。")
		}
		nm.BirthDate = bd
		nm.Name = textField(f, p+"name", "お名前", nm.Name, true, 100)
		nm.Department = textField(f, p+"department", "所属部署", nm.Department, false, 100)
		nm.Reason = textField(f, p+"reason", "推薦理由", nm.Reason, false, 1000)
		nm.Email = strings.TrimSpace(nm.Email)
		if !ValidEmail(nm.Email) {
			f.Add(p+"email", "メールアドレスの形式が正しくありません。")
		} else {
			nm.Email = NormalizeEmail(nm.Email)
			if j, dup := seen[nm.Email]; dup {
				f.Add(p+"email", fmt.Sprintf("同じメールアドレスが%d人目と重複しています。", j+1))
			}
			seen[nm.Email] = i
		}
		switch {
		case !ok:
		case nm.BirthDate == nil && ageRule:
			f.Add(p+"birth_date", "このイベントには年齢条件があるため、生年月日を入力してください。")
		case nm.BirthDate != nil:
			if age := AgeOn(*nm.BirthDate, e.StartsAt); age < 15 || age > 100 {
				f.Add(p+"birth_date", "生年月日が正しくありません。")
			} else if err := e.EligibleApplicant(NomineeMember(&Registration{BirthDate: nm.BirthDate}), nil); err != nil {
				f.Add(p+"birth_date", ReasonOf(err).Message())
			}
		}
		out[i] = nm
	}
	return out, f.Err()
}

// errBadNominationLink is what a forged, mangled or expired link gets.
var errBadNominationLink = ErrInvalidToken.Messagef("確認用のリンクが正しくないか、有効期限が切れています。推薦した団体のご担当者にお問い合わせください。")

// NominationConfirmation is what a nominee's link led to.
type NominationConfirmation struct {
	Registration *Registration
	Event        *Event
	// Created is false when the link had been followed before.
	Created bool
}

// Pending returns the event a nominee's link is for, without using it up:
// what the page behind the link shows above its button. Invalid (reason
// "invalid_token") for a link that will not confirm anything and names no
// registration.
func (s *Nominations) Pending(ctx context.Context, token string) (*NominationConfirmation, error) {
	eventID, regID, ok := s.Links.ParseNominationConfirmToken(token)
	if !ok {
		return nil, errBadNominationLink
	}
	tok, err := s.Store.Token(ctx, s.Secrets.Hash(token), TokenNominationConfirm, s.Clock.Now())
	if errors.Is(err, ErrTokenNotFound) {
		return s.confirmed(ctx, eventID, regID)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := decodeNominee(tok, eventID); !ok {
		return nil, errBadNominationLink
	}
	e, err := s.Store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &NominationConfirmation{Event: e}, nil
}

// Confirm follows a nominee's link: the nominee becomes an applicant of
// the event (status applied, tied to the organization, with the receipt
// mail), once however often the link is followed. Invalid (reason
// "invalid_token") for a forged or expired link; the event's own refusals
// (closed, drawn, not eligible) otherwise.
func (s *Nominations) Confirm(ctx context.Context, token string) (*NominationConfirmation, error) {
	eventID, regID, ok := s.Links.ParseNominationConfirmToken(token)
	if !ok {
		return nil, errBadNominationLink
	}
	now := s.Clock.Now()
	id := s.Secrets.Hash(token)
	tok, err := s.Store.Token(ctx, id, TokenNominationConfirm, now)
	if errors.Is(err, ErrTokenNotFound) {
		return s.confirmed(ctx, eventID, regID)
	}
	if err != nil {
		return nil, err
	}
	req, ok := decodeNominee(tok, eventID)
	if !ok {
		return nil, errBadNominationLink
	}
	e, err := s.Store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if !e.TakesNominations() {
		if e.Drawn() {
			return nil, ErrLotteryDrawn
		}
		return nil, ErrNominationsNotAccepted
	}
	fid, _ := e.NominationFrame()
	r := &Registration{ID: regID, EventID: e.ID, FrameID: fid, Guest: &Guest{Name: req.Name, Email: req.Email},
		OrganizationID: req.OrganizationID, Department: req.Department, BirthDate: req.BirthDate,
		CreatedAt: now, UpdatedAt: now, EventStartsAt: e.StartsAt}
	if err := e.ForFrame(fid).CheckRegistration(Viewer{Member: NomineeMember(r)}, nil, now); err != nil {
		return nil, err
	}
	err = s.Store.Apply(ctx, e, r)
	if errors.Is(err, ErrRegistrationExists) || errors.Is(err, ErrAlreadyRegistered) || errors.Is(err, ErrBusy) {
		// A click at the same time may have made it: that application is
		// the answer. Otherwise the address holds another one (or the
		// table was busy), which is the answer.
		if c, cerr := s.confirmed(ctx, eventID, regID); cerr == nil {
			return c, nil
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.ConsumeToken(ctx, id, TokenNominationConfirm, now); err != nil && !errors.Is(err, ErrTokenNotFound) {
		// The application is stored once: a token left behind only answers
		// a later click with it, until it expires.
		logFailure(ctx, s.Log, "nomination token not consumed", err)
	}
	return &NominationConfirmation{Registration: r, Event: e, Created: true}, nil
}

// confirmed answers a link whose token is gone: with the application it
// made, or as a bad link when it made none (expired unconfirmed).
func (s *Nominations) confirmed(ctx context.Context, eventID, regID string) (*NominationConfirmation, error) {
	r, err := s.Store.Registration(ctx, eventID, regID)
	if errors.Is(err, ErrRegistrationNotFound) || (err == nil && r.OrganizationID == "") {
		return nil, errBadNominationLink
	}
	if err != nil {
		return nil, err
	}
	e, err := s.Store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &NominationConfirmation{Registration: r, Event: e}, nil
}

func decodeNominee(tok *Token, eventID string) (nomineeRequest, bool) {
	var req nomineeRequest
	if err := json.Unmarshal([]byte(tok.Data), &req); err != nil || req.EventID != eventID || req.Email == "" || req.OrganizationID == "" {
		return nomineeRequest{}, false
	}
	return req, true
}

// NomineeStatus is one nominee of a nomination as its contact sees it.
type NomineeStatus struct {
	Nominee Nominee
	State   NomineeState
}

// NominationStatus is one nomination with where each nominee stands.
type NominationStatus struct {
	Nomination *Nomination
	Event      *Event // nil when the event is gone
	Nominees   []NomineeStatus
}

// Mine lists the signed-in organization member's nominations, newest
// first, with each nominee's state. Only their own: the store reads one
// organization's partition.
func (s *Nominations) Mine(ctx context.Context, v Viewer) ([]NominationStatus, error) {
	if v.Member == nil {
		return nil, ErrUnauthorized
	}
	if v.Member.Membership != MembershipOrganization {
		return nil, ErrOrganizationMembersOnly
	}
	ns, err := s.Store.OrganizationNominations(ctx, v.Member.ID)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	events := map[string]*Event{}
	out := make([]NominationStatus, 0, len(ns))
	for _, n := range ns {
		e, ok := events[n.EventID]
		if !ok {
			e, err = s.Store.Event(ctx, n.EventID)
			if err != nil && !errors.Is(err, ErrEventNotFound) {
				return nil, err
			}
			events[n.EventID] = e
		}
		st := NominationStatus{Nomination: n, Event: e}
		for _, nm := range n.Nominees {
			state, err := s.state(ctx, n, nm, now)
			if err != nil {
				return nil, err
			}
			st.Nominees = append(st.Nominees, NomineeStatus{Nominee: nm, State: state})
		}
		out = append(out, st)
	}
	return out, nil
}
