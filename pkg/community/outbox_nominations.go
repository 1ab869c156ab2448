package community

import (
	"context"
	"errors"
	"time"
)

// MailNominationConfirmation is the mail that asks a nominee to confirm
// their organization's nomination by its link (Nominations.Nominate).
const MailNominationConfirmation MailKind = "nomination_confirmation"

// NominationNotifier sends nominees their confirmation links.
type NominationNotifier interface {
	// NominationConfirmation mails the link that makes the nominee an
	// applicant of e. Its text is fixed: it names the organization by its
	// registered name and the event by its title, and quotes nothing the
	// nominating contact typed (not even the nominee's name); it carries
	// no join URL.
	NominationConfirmation(ctx context.Context, to Recipient, organization string, e *Event, confirmLink string, expires time.Time) error
}

// NominationMail is the mail nominee nm of n is owed: the link, to the
// address the organization typed, named by the registration id reserved
// for them. MemberID names the organization, whose registered name the
// mail reads when it is sent; StartsAt carries when the link expires.
func NominationMail(n *Nomination, nm Nominee, link string, now time.Time) Mail {
	return Mail{
		ID: nm.RegistrationID + "." + string(MailNominationConfirmation), Kind: MailNominationConfirmation,
		EventID: n.EventID, RegistrationID: nm.RegistrationID, MemberID: n.OrganizationID,
		Link: link, To: &Recipient{Email: nm.Email}, StartsAt: n.ExpiresAt, CreatedAt: now,
	}
}

// sendNominationMail sends a nominee's confirmation request, unless its
// link has expired by now, the organization is gone, or the address is
// suppressed.
func (m *Mailroom) sendNominationMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Nominations == nil {
		return MailRefused, errors.New("community: no nomination notifier for " + string(mail.Kind))
	}
	if mail.To == nil || mail.To.Email == "" || mail.Link == "" {
		return MailRefused, errors.New("community: nomination confirmation without address or link")
	}
	if !mail.StartsAt.IsZero() && !m.Clock.Now().Before(mail.StartsAt) {
		return MailSkipped, nil
	}
	e, err := m.Store.Event(ctx, mail.EventID)
	if errors.Is(err, ErrEventNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	org, err := m.Store.Member(ctx, mail.MemberID)
	if errors.Is(err, ErrMemberNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if org.Status != MemberActive || org.Membership != MembershipOrganization {
		return MailSkipped, nil
	}
	if stop, err := m.suppressed(ctx, mail.To.Email); err != nil {
		return "", err
	} else if stop {
		return MailSkipped, nil
	}
	// The frame nominees apply in says how their places are decided.
	fid, _ := e.NominationFrame()
	return sendOutcome(ctx, m.Nominations.NominationConfirmation(ctx, Recipient{Email: mail.To.Email}, OrganizationName(org), e.ForFrame(fid), mail.Link, mail.StartsAt))
}

// OrganizationName is an organization member's registered name: its
// affiliation (e.g. 伊勢崎市), as it signed up and organizers approved it.
func OrganizationName(org *Member) string {
	if org.Affiliation != "" {
		return org.Affiliation
	}
	return org.Name
}
