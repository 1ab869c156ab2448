package community

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Attendance certificates (参加証明書, issue 12). Public servants need proof
// of attendance to attend on work time (職免) or to report a 自主研 group's
// activity; the certificate is a PDF whose verification URL carries a signed
// id, so whoever receives it (an employer) can confirm online that it is
// genuine. Nothing is stored when a certificate is issued: the signed id
// names the registration, and verification reads the registration as it is
// now. So a certificate stops verifying the moment what it attests stops
// being true — the registration cancelled, the check-in undone, the event
// cancelled, the member withdrawn or the guest anonymized — and issuing one
// twice yields the same certificate number.

// TokenCertificate is the purpose of certificate ids' signatures: no
// cancel, check-in or session token ever verifies as a certificate.
const TokenCertificate = "certificate"

// CertificateLinks makes and reads the signed verification links printed
// on certificates.
type CertificateLinks interface {
	// CertificateLink is the public verification page of one attendance.
	CertificateLink(eventID, regID string) string
	// ParseCertificateID checks a certificate id (the last segment of the
	// link) and returns what it names; anything not signed for a
	// certificate by a key of the ring in use is refused alike.
	ParseCertificateID(id string) (eventID, regID string, ok bool)
}

// Certificate is one person's attested attendance at one event.
type Certificate struct {
	// Event is the event as the registrant's frame has it (its venue or
	// online platform).
	Event        *Event
	Registration *Registration
	// Name is the attendee's name as it is printed and verified: the
	// member's name, or the guest's.
	Name string
	// Number is the certificate number printed on it (CertificateNumber).
	Number string
	// Link is the verification URL printed on it.
	Link string
}

// CertificateNumber is the number a registration's certificate bears,
// "XXXX-XXXX-XXXX": the last 12 characters of the registration id, which
// are random (NewID), upper-cased and grouped so they read out over the
// phone. It is the same however often the certificate is issued.
func CertificateNumber(regID string) string {
	s := strings.ToUpper(regID)
	if len(s) > 12 {
		s = s[len(s)-12:]
	}
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// CertificateStore is what certificates read.
type CertificateStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Registration returns one registration of an event. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// Member returns a member by id. NotFound when unknown.
	Member(ctx context.Context, id string) (*Member, error)
	// MemberEventRegistrations lists the registrations the member holds at
	// the event and has not cancelled, earliest first.
	MemberEventRegistrations(ctx context.Context, eventID, memberID string) ([]*Registration, error)
	// EventRegistrations returns a page of an event's registrations with
	// status, in arrival order.
	EventRegistrations(ctx context.Context, eventID string, status RegistrationStatus, limit int, cursor string) ([]*Registration, string, error)
	MemberLookup
	AuditAppender
}

// Certificates issues and verifies attendance certificates.
type Certificates struct {
	Store CertificateStore
	Links CertificateLinks
	Clock Clock
	// Log reports an audit entry that failed after the certificates were made.
	Log *slog.Logger
}

// attested reports whether r at e is an attendance a certificate may
// attest: a confirmed seat, checked in, at an event that took place.
func attested(e *Event, r *Registration) bool {
	return e.Status == EventPublished && r.Status == RegistrationConfirmed && r.CheckedInAt != nil
}

// guestName is a guest's name for a certificate, "" once anonymized.
func guestName(r *Registration) string {
	if r.Guest == nil || r.Guest.Name == AnonymizedGuestName {
		return ""
	}
	return r.Guest.Name
}

// memberName is a member's name for a certificate, "" once withdrawn.
func memberName(m *Member) string {
	if m == nil || m.Status == MemberWithdrawn {
		return ""
	}
	return m.Name
}

func (c *Certificates) certificate(e *Event, r *Registration, name string) Certificate {
	return Certificate{
		Event:        e.ForFrame(r.FrameID),
		Registration: r,
		Name:         name,
		Number:       CertificateNumber(r.ID),
		Link:         c.Links.CertificateLink(e.ID, r.ID),
	}
}

// Mine returns the signed-in member's certificate for event eventID.
// Unauthorized without a member; NotFound (reasons "event_not_found",
// "registration_not_found") when the event is unknown or the member holds
// no place at it; Conflict "not_checked_in" when they hold one but were
// not checked in (or the event was cancelled).
func (c *Certificates) Mine(ctx context.Context, v Viewer, eventID string) (Certificate, error) {
	if v.Member == nil {
		return Certificate{}, ErrUnauthorized
	}
	e, err := c.Store.Event(ctx, eventID)
	if err != nil {
		return Certificate{}, err
	}
	if e.Status == EventDraft {
		// Drafts are the organizers'; to anyone else they do not exist.
		return Certificate{}, ErrEventNotFound
	}
	regs, err := c.Store.MemberEventRegistrations(ctx, eventID, v.Member.ID)
	if err != nil {
		return Certificate{}, err
	}
	if len(regs) == 0 {
		return Certificate{}, ErrRegistrationNotFound
	}
	for _, r := range regs {
		if attested(e, r) {
			return c.certificate(e, r, v.Member.Name), nil
		}
	}
	return Certificate{}, ErrNotCheckedIn
}

// ForEvent returns a certificate for every checked-in attendee of event
// id, in arrival order, for an organizer to print them all. It reads the
// confirmed registrations 100 at a time and the members behind each page
// in one batch. The issue is audited: the certificates carry names out.
// Forbidden for anyone but an organizer; NotFound "event_not_found";
// Conflict "not_checked_in" when nobody was checked in.
func (c *Certificates) ForEvent(ctx context.Context, v Viewer, id string) (*Event, []Certificate, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	e, err := c.Store.Event(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var out []Certificate
	cursor := ""
	for {
		regs, next, err := c.Store.EventRegistrations(ctx, id, RegistrationConfirmed, 100, cursor)
		if err != nil {
			return nil, nil, err
		}
		var in []*Registration
		for _, r := range regs {
			if attested(e, r) {
				in = append(in, r)
			}
		}
		_, members, err := recipients(ctx, c.Store, in)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range in {
			name := guestName(r)
			if r.Guest == nil {
				name = memberName(members[r.MemberID])
			}
			if name != "" {
				out = append(out, c.certificate(e, r, name))
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(out) == 0 {
		return nil, nil, ErrNotCheckedIn.Messagef("受付済みの参加者がいないため、参加証明書は発行できません。")
	}
	auditor{c.Store, c.Clock, c.Log}.record(ctx, actorOf(v), AuditRegistrationsExport, "event", id,
		fmt.Sprintf("「%s」の参加証明書を発行（%d件）", e.Title, len(out)))
	return e, out, nil
}

// Verify checks a certificate id and returns the attendance it attests,
// as it stands now. Every way an id can fail — not signed, altered, signed
// by a key no longer in use, naming an unknown registration, or one no
// longer attested (cancelled, check-in undone, event cancelled, member
// withdrawn, guest anonymized) — is NotFound "certificate_not_verified",
// the same answer. Only a failing store is another error. It writes
// nothing.
func (c *Certificates) Verify(ctx context.Context, id string) (Certificate, error) {
	eventID, regID, ok := c.Links.ParseCertificateID(id)
	if !ok {
		return Certificate{}, ErrCertificateNotVerified
	}
	e, err := c.Store.Event(ctx, eventID)
	if err != nil {
		return Certificate{}, notVerified(err)
	}
	r, err := c.Store.Registration(ctx, eventID, regID)
	if err != nil {
		return Certificate{}, notVerified(err)
	}
	if !attested(e, r) {
		return Certificate{}, ErrCertificateNotVerified
	}
	name := guestName(r)
	if r.Guest == nil {
		m, err := c.Store.Member(ctx, r.MemberID)
		if err != nil {
			return Certificate{}, notVerified(err)
		}
		name = memberName(m)
	}
	if name == "" {
		return Certificate{}, ErrCertificateNotVerified
	}
	return c.certificate(e, r, name), nil
}

// notVerified turns "not there" into the one answer of Verify and keeps
// every other failure (an outage is not a forgery).
func notVerified(err error) error {
	if ErrorCode(err) == NotFound {
		return ErrCertificateNotVerified
	}
	return err
}
