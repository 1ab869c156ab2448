package community

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"
)

// Every mail tabane sends is first an outbox item (a Mail), written in the
// same transaction as the change that owes it: a registration and its
// confirmation commit together or not at all, and no request waits for SES.
// The mailer (MailerFunction, on the table's stream) hands each item to
// Mailroom.Deliver, which claims it, reads what the mail says as things
// stand when it is sent, and sends it once.

// MailKind names what an outbox item is to become.
type MailKind string

// The kinds of outbox mail.
const (
	MailRegistrationConfirmed MailKind = "registration_confirmed"
	MailWaitlisted            MailKind = "waitlisted"
	MailPromoted              MailKind = "promoted"
	MailRegistrationCancelled MailKind = "registration_cancelled"
)

// Mail is one outbox item: which mail, and the references composing it
// needs. The recipient is a reference (a registration names its member or
// guest), resolved when the mail is sent, so the item never holds more
// personal data than the mail itself, and a withdrawn member is mailed
// nothing.
type Mail struct {
	ID             string // unique per mail owed: the same change never owes it twice
	Kind           MailKind
	EventID        string
	RegistrationID string
	// MemberID names the member a membership mail goes to.
	MemberID string
	// Link is the one-time link a verification or sign-in mail carries:
	// the mail's own content, kept only until the item expires.
	Link string
	// To is the recipient of a mail to someone the change erased (a
	// rejected applicant), whom no reference can name any more.
	To *Recipient
	// Note is free text the mail quotes: a rejection's reason.
	Note string
	// MessageID names the stored organizer message an organizer_message
	// mail sends.
	MessageID string
	// Offset and StartsAt name which reminder a reminder mail is: the
	// offset before the start it was due for (outbox_reminders.go).
	Offset    time.Duration
	StartsAt  time.Time
	CreatedAt time.Time
	// Attempts counts the claims taken on it, this one included.
	Attempts int
}

// MaxMailAttempts bounds the deliveries of one item: a mail SES keeps
// failing for reasons that are not the moment's (throttling, an outage)
// is given up and logged rather than retried for ever.
const MaxMailAttempts = 8

// RegistrationMail is the mail a stored registration owes its registrant:
// the confirmation with the join link, or the waitlist place. Store.Register
// writes it in the registering transaction.
func RegistrationMail(r *Registration, now time.Time) Mail {
	kind := MailRegistrationConfirmed
	if r.Status == RegistrationWaitlisted {
		kind = MailWaitlisted
	}
	return registrationMail(kind, r, now)
}

// PromotedMail is the mail a promotion from the waitlist owes.
func PromotedMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailPromoted, r, now)
}

// CancelledMail is the mail a cancellation owes its registrant.
func CancelledMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailRegistrationCancelled, r, now)
}

// registrationMail names the mail by its registration and kind, so retrying
// the change that owes it can never owe it twice.
func registrationMail(kind MailKind, r *Registration, now time.Time) Mail {
	return Mail{ID: r.ID + "." + string(kind), Kind: kind, EventID: r.EventID, RegistrationID: r.ID, CreatedAt: now}
}

// MailClaim is what an attempt to claim an outbox item found.
type MailClaim int

// Outcomes of OutboxStore.ClaimMail.
const (
	MailWon     MailClaim = iota + 1 // the caller holds the item until the claim expires
	MailDone                         // sent, or settled for good: never again
	MailBusy                         // another delivery holds an unexpired claim
	MailMissing                      // no such item
)

// MailOutcome is how a claimed delivery ended.
type MailOutcome string

// Outcomes recorded by OutboxStore.SettleMail.
const (
	MailSent    MailOutcome = "sent"
	MailSkipped MailOutcome = "skipped" // nobody to send it to any more, or it no longer holds
	MailRefused MailOutcome = "refused" // SES refused the message itself: sending again would not help
	// MailUncertain: the call was cut off after its request went out, so
	// SES may have taken it. Not a settlement: the item is held for SES's
	// Send event (UncertainHold), and sent again if none comes.
	MailUncertain MailOutcome = "uncertain"
)

// OutboxStore keeps outbox items and the claims that make each send single.
type OutboxStore interface {
	// ClaimMail claims item id for owner until now+ttl with one
	// conditional write, counting the attempt; an expired claim (a
	// delivery that died) is taken over. It returns the item when won.
	ClaimMail(ctx context.Context, id, owner string, now time.Time, ttl time.Duration) (*Mail, MailClaim, error)
	// SettleMail records how owner's delivery ended, and the SES message id
	// of a sent mail. Conflict (reason "claim_lost") when another owner
	// took the claim over meanwhile.
	SettleMail(ctx context.Context, id, owner string, outcome MailOutcome, messageID string, now time.Time) error
	// ReleaseMail gives owner's claim back, so the next delivery sends it.
	ReleaseMail(ctx context.Context, id, owner string) error
	// HoldMail keeps owner's claim until `until` after an uncertain send:
	// no delivery takes the item before then, SES's Send event may
	// confirm it meanwhile, and a re-drive after it sends it again.
	HoldMail(ctx context.Context, id, owner string, until time.Time) error
	// ConfirmMailSent records that SES took item id (its Send event), with
	// SES's message id, whoever holds the claim; false when the item is
	// unknown or already settled (the usual case: the sender's own record
	// came first).
	ConfirmMailSent(ctx context.Context, id, messageID string, at time.Time) (bool, error)
	// UnsentMail lists up to limit items created before `before` and not
	// yet settled, oldest first: the mailer's re-drive sends them once their stream
	// records may be gone.
	UnsentMail(ctx context.Context, before time.Time, limit int) ([]Mail, error)
}

// MailroomStore is what delivering needs to read.
type MailroomStore interface {
	OutboxStore
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Registration returns one registration. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// WaitlistPosition returns the 1-based place of a waitlisted registration.
	WaitlistPosition(ctx context.Context, r *Registration) (int, error)
	// Member returns a member. NotFound when unknown.
	Member(ctx context.Context, id string) (*Member, error)
	// OrgSurvey returns an organization's survey record. NotFound when
	// there is none.
	OrgSurvey(ctx context.Context, eventID, orgID string) (*OrgSurvey, error)
	MessageReader
}

// Mailroom delivers outbox items: each once, as things stand when it goes.
type Mailroom struct {
	Store MailroomStore
	// Notifier sends the mails about a person's place at an event.
	Notifier RegistrationNotifier
	// Members sends the membership mails (verification, sign-in links,
	// welcome); Admin the mails of organizers' actions. A test may leave
	// out what it does not deliver.
	Members Notifier
	Admin   AdminNotifier
	// Suppressions is asked before every send but of a one-time link:
	// an address that bounced for good or complained gets no more mail,
	// except the link whose following proves it works again. nil asks
	// nobody.
	Suppressions SuppressionList
	Links        CancelLinks
	Clock        Clock
	Log          *slog.Logger
	// ClaimTTL is how long a delivery holds its item; 0 means 2 minutes,
	// longer than one send with SES's retries.
	ClaimTTL time.Duration

	// Guests sends guests' confirmation requests (outbox_guest.go).
	Guests GuestNotifier
	// Reminders sends reminders; OptOuts makes the one-click opt-out links
	// of reminders and organizer messages (outbox_reminders.go).
	Reminders ReminderNotifier
	OptOuts   OptOutLinks

	// Applications sends the mails of selection and lottery events
	// (outbox_applications.go).
	Applications ApplicationNotifier

	// Nominations sends nominees their confirmation links
	// (outbox_nominations.go).
	Nominations NominationNotifier
	// Surveys sends after-event survey requests, with the personal links
	// SurveyLinks makes (surveys.go).
	Surveys     SurveyNotifier
	SurveyLinks SurveyLinks
	// OrgSurveys sends nominating organizations their survey about their
	// staff, with the links OrgSurveyLinks makes (orgsurveys.go).
	OrgSurveys     OrgSurveyNotifier
	OrgSurveyLinks OrgSurveyLinks
	// CheckInLinks makes the check-in links whose QR codes confirmation
	// mails carry (admin_checkin.go); nil sends no code.
	CheckInLinks CheckInLinks
	// Reconfirms sends reconfirmation requests, with the links
	// ReconfirmLinks makes, and release notices (reconfirm.go).
	Reconfirms     ReconfirmNotifier
	ReconfirmLinks ReconfirmLinks
	// ReconfirmMarks records each request SES took; without it nobody's
	// silence releases a seat.
	ReconfirmMarks ReconfirmMailStore
}

// ErrRetryLater is what Deliver returns when a mail could not go now (SES
// throttled or down): the item is released, and the caller retries it
// (the stream mapping, as a batch item failure).
var ErrRetryLater = errors.New("community: mail not sent now; retry")

// Deliver sends outbox item id once. A mail that is done, or held by
// another delivery, is not sent again. It returns ErrRetryLater (wrapped)
// when the send should be retried; any other error is the store's.
func (m *Mailroom) Deliver(ctx context.Context, id, owner string) (MailOutcome, error) {
	ttl := m.ClaimTTL
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	mail, got, err := m.Store.ClaimMail(ctx, id, owner, m.Clock.Now(), ttl)
	if err != nil {
		return "", err
	}
	switch got {
	case MailDone, MailMissing:
		return "", nil
	case MailBusy:
		// Another delivery holds it; if that one dies, its claim expires
		// and this retry (or the mailer's re-drive) takes it over.
		return "", ErrRetryLater
	}
	var outcome MailOutcome
	var sendErr error
	sctx, receipt := WithReceipt(ctx, id)
	if mail.Attempts > MaxMailAttempts {
		outcome, sendErr = MailRefused, errors.New("community: outbox mail failed every attempt")
	} else {
		outcome, sendErr = m.send(sctx, mail)
	}
	// The bookkeeping must land even when ctx is ending: a lost "sent"
	// means a second mail after the claim expires.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if outcome == "" {
		if err := m.Store.ReleaseMail(bctx, id, owner); err != nil {
			logFailure(ctx, m.Log, "outbox claim not released; the mail waits for the claim to expire", err, "mail_id", id)
		}
		return "", errors.Join(ErrRetryLater, sendErr)
	}
	if outcome == MailUncertain {
		// Not settled: SES's Send event settles it, or the re-drive after
		// the hold sends it again (see UncertainHold).
		logFailure(ctx, m.Log, "mail send uncertain; held for SES's Send event", sendErr, "mail_id", id, "kind", string(mail.Kind))
		if err := m.Store.HoldMail(bctx, id, owner, m.Clock.Now().Add(UncertainHold)); err != nil {
			return outcome, err
		}
		return outcome, nil
	}
	if sendErr != nil {
		logFailure(ctx, m.Log, "mail not sent: "+string(outcome), sendErr, "mail_id", id, "kind", string(mail.Kind))
	}
	if err := m.Store.SettleMail(bctx, id, owner, outcome, receipt.MessageID, m.Clock.Now()); err != nil {
		return outcome, err
	}
	return outcome, nil
}

// send composes and sends mail as things stand now. An empty outcome means
// "not now": the item goes back for a retry. Each family of kinds has its
// sender, next to the change that owes it.
func (m *Mailroom) send(ctx context.Context, mail *Mail) (MailOutcome, error) {
	switch mail.Kind {
	case MailRegistrationConfirmed, MailWaitlisted, MailPromoted, MailRegistrationCancelled:
		return m.sendRegistrationMail(ctx, mail)
	case MailVerification, MailSignIn, MailAlreadyRegistered, MailWelcome, MailPendingApproval, MailApproved, MailRejected:
		return m.sendMemberMail(ctx, mail)
	case MailEventCancelled, MailOrganizerMessage:
		return m.sendAdminMail(ctx, mail)
	case MailGuestConfirmation:
		return m.sendGuestMail(ctx, mail)
	case MailReminder:
		return m.sendReminder(ctx, mail)
	case MailApplicationReceived, MailApplicationSelected, MailApplicationReserve, MailApplicationDeclined:
		return m.sendApplicationMail(ctx, mail)
	case MailNominationConfirmation:
		return m.sendNominationMail(ctx, mail)
	case MailSurvey:
		return m.sendSurvey(ctx, mail)
	case MailOrgSurvey:
		return m.sendOrgSurvey(ctx, mail)
	case MailReconfirm, MailReconfirmReleased:
		return m.sendReconfirm(ctx, mail)
	}
	return MailRefused, errors.New("community: unknown outbox mail kind " + string(mail.Kind))
}

// placeOf reads what a mail about one registration speaks of: the
// registration, and the event as the registrant's frame has it — that
// frame's mode and joining details only, never another frame's join URL.
// Every mail about a place reads through here, so none can take the
// event's own details by mistake. ok is false when either is gone, and
// the mail is skipped.
func (m *Mailroom) placeOf(ctx context.Context, mail *Mail) (*Event, *Registration, bool, error) {
	e, err := m.Store.Event(ctx, mail.EventID)
	if errors.Is(err, ErrEventNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	r, err := m.Store.Registration(ctx, mail.EventID, mail.RegistrationID)
	if errors.Is(err, ErrRegistrationNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	return e.ForFrame(r.FrameID), r, true, nil
}

// sendRegistrationMail sends the mails about a person's place at an event.
func (m *Mailroom) sendRegistrationMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	e, r, ok, err := m.placeOf(ctx, mail)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // the event or the place is gone
	}
	// A mail about a place that has changed since says what is no longer
	// so: the mail of the later change follows instead.
	switch mail.Kind {
	case MailRegistrationConfirmed, MailPromoted:
		if r.Status != RegistrationConfirmed {
			return MailSkipped, nil
		}
	case MailWaitlisted:
		if r.Status != RegistrationWaitlisted {
			return MailSkipped, nil
		}
	}
	to, ok, err := m.mailableRecipient(ctx, r)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // a withdrawn member, or an address that bounced or complained
	}
	cancel := m.Links.CancelLink(e.ID, r.ID)
	checkIn := ""
	if m.CheckInLinks != nil && HasCheckIn(e) {
		checkIn = m.CheckInLinks.CheckInLink(e.ID, r.ID, CheckInUntil(e))
	}
	switch mail.Kind {
	case MailRegistrationConfirmed:
		err = m.Notifier.RegistrationConfirmed(ctx, to, e, e.JoinURL, cancel, checkIn)
	case MailPromoted:
		err = m.Notifier.Promoted(ctx, to, e, e.JoinURL, cancel, checkIn)
	case MailWaitlisted:
		pos, perr := m.Store.WaitlistPosition(ctx, r)
		if perr != nil {
			return "", perr
		}
		err = m.Notifier.Waitlisted(ctx, to, e, pos, cancel)
	case MailRegistrationCancelled:
		err = m.Notifier.RegistrationCancelled(ctx, to, e)
	}
	return sendOutcome(ctx, err)
}

// sendOutcome classifies what the notifier said: sent; not now (SES
// throttled or down, or this delivery's time ran out before the call);
// uncertain (the call itself was cut off, so SES may have taken it); or
// refused for good (the message cannot be sent as it is).
func sendOutcome(ctx context.Context, err error) (MailOutcome, error) {
	switch {
	case err == nil:
		return MailSent, nil
	case errors.Is(err, ErrMailTimeout):
		return MailUncertain, err
	case ErrorCode(err) == Unavailable, ctx.Err() != nil:
		return "", err
	case ErrorCode(err) == Invalid:
		return MailRefused, err
	}
	return "", err
}

// mailableRecipient is recipient, and false as well when the suppression
// list stops mail to the address: every mail about a registration asks both.
func (m *Mailroom) mailableRecipient(ctx context.Context, r *Registration) (Recipient, bool, error) {
	to, ok, err := m.recipient(ctx, r)
	if err != nil || !ok {
		return to, ok, err
	}
	stop, err := m.suppressed(ctx, to.Email)
	if err != nil || stop {
		return Recipient{}, false, err
	}
	return to, true, nil
}

// recipient resolves who r's mails go to now: its guest, or its member
// while the member still has an address.
func (m *Mailroom) recipient(ctx context.Context, r *Registration) (Recipient, bool, error) {
	if r.Guest != nil {
		return Recipient{Name: r.Guest.Name, Email: r.Guest.Email}, r.Guest.Email != "", nil
	}
	mem, err := m.Store.Member(ctx, r.MemberID)
	if errors.Is(err, ErrMemberNotFound) {
		return Recipient{}, false, nil
	}
	if err != nil {
		return Recipient{}, false, err
	}
	if mem.Email == "" || mem.Status == MemberWithdrawn {
		return Recipient{}, false, nil
	}
	return Recipient{Name: mem.Name, Email: mem.Email}, true, nil
}

// RedriveAfter is how long an outbox item may stay unsettled before the
// sweep delivers it itself: its stream record failed every retry, or aged
// out of the stream (24 hours), or the mailer was down.
const RedriveAfter = 15 * time.Minute

// Redrive delivers the outbox items unsettled for longer than RedriveAfter,
// up to limit of them, oldest first, and returns how many it sent. A mail
// that cannot go now stays for the next sweep.
func (m *Mailroom) Redrive(ctx context.Context, owner string, limit int) (int, error) {
	return m.DeliverUnsent(ctx, owner, m.Clock.Now().Add(-RedriveAfter), limit)
}

// DeliverUnsent delivers up to limit outbox items created before `before`
// and not yet settled, oldest first, and returns how many it sent: the
// mailer's scheduled re-drive, and what a test runs where no stream invokes a mailer.
func (m *Mailroom) DeliverUnsent(ctx context.Context, owner string, before time.Time, limit int) (int, error) {
	unsent, err := m.Store.UnsentMail(ctx, before, limit)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, mail := range unsent {
		if ctx.Err() != nil {
			break
		}
		outcome, err := m.Deliver(ctx, mail.ID, owner)
		switch {
		case errors.Is(err, ErrRetryLater):
		case err != nil:
			errs = append(errs, err)
		case outcome == MailSent:
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// suppressed reports whether mail to email must not go (SES said it
// bounced for good, or its owner complained). A failed check is "not now".
func (m *Mailroom) suppressed(ctx context.Context, email string) (bool, error) {
	if m.Suppressions == nil {
		return false, nil
	}
	return m.Suppressions.Suppressed(ctx, email)
}

// Receipt is what the sender says of a mail it handed to SES: its message
// id, which the outbox item keeps so the mail can be found in SES's own
// records (a bounce notification names it).
type Receipt struct {
	MailID    string // the outbox item being sent: the sender tags the mail with it
	MessageID string
}

type receiptKey struct{}

// WithReceipt returns ctx carrying a Receipt for outbox item mailID, for
// the sender to fill in.
func WithReceipt(ctx context.Context, mailID string) (context.Context, *Receipt) {
	r := &Receipt{MailID: mailID}
	return context.WithValue(ctx, receiptKey{}, r), r
}

// ReceiptOf returns the Receipt ctx carries, or nil.
func ReceiptOf(ctx context.Context) *Receipt {
	r, _ := ctx.Value(receiptKey{}).(*Receipt)
	return r
}

// Uncertain sends. A SendRawEmail call cut off after its request went out
// may or may not have been taken by SES: sending again risks a second copy,
// not sending risks none at all. Neither is acceptable for a mail a member
// is owed, so every send carries its outbox id as an SES message tag, the
// configuration set publishes SES's Send event, and the event confirms the
// item sent (OutboxStore.ConfirmMailSent). A delivery whose call was cut
// off keeps its claim for UncertainHold; if no Send event has confirmed the
// item by then, SES never took it, and the mailer's re-drive sends it again.

// UncertainHold is how long an uncertain send waits for SES's Send event
// before it is sent again. SES publishes the event within seconds; the
// margin is for an SNS or Lambda hiccup, and a second copy after it is
// better than a mail never sent.
const UncertainHold = 15 * time.Minute

// MailTagName is the SES message tag that names a mail's outbox item.
const MailTagName = "outbox"

// MailTag encodes an outbox id as an SES message tag value, which allows
// only ASCII letters, digits, '_' and '-' (an id has '.' and '#'):
// unpadded base64url, whose alphabet is exactly that.
func MailTag(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// ParseMailTag decodes MailTag's value; false for anything else.
func ParseMailTag(v string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) == 0 || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}
