package community

import (
	"context"
	"errors"
	"time"
)

// MailGuestConfirmation is the mail that asks a guest to confirm a
// registration request by its link (GuestRequests.Request).
const MailGuestConfirmation MailKind = "guest_confirmation"

// GuestNotifier sends the mail that asks a guest to confirm a request.
type GuestNotifier interface {
	// GuestConfirmation mails the confirmation link for a request at e. Its
	// text is fixed: it names no one (to carries only the address) and
	// quotes nothing the requester typed; it carries no join URL.
	GuestConfirmation(ctx context.Context, to Recipient, e *Event, confirmLink string) error
}

// GuestConfirmationMail is the mail a guest request owes: the link, to the
// address typed, named by the registration id the request reserved. It
// holds the address and the link, as the mail itself does, and nothing
// else the requester typed.
func GuestConfirmationMail(eventID, regID, email, link string, now time.Time) Mail {
	return Mail{
		ID: regID + "." + string(MailGuestConfirmation), Kind: MailGuestConfirmation,
		EventID: eventID, RegistrationID: regID, Link: link, To: &Recipient{Email: email}, CreatedAt: now,
	}
}

// sendGuestMail sends a guest's confirmation request, unless the request
// has expired by now (its link would not work) or the address is suppressed.
func (m *Mailroom) sendGuestMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Guests == nil {
		return MailRefused, errors.New("community: no guest notifier for " + string(mail.Kind))
	}
	if mail.To == nil || mail.To.Email == "" || mail.Link == "" {
		return MailRefused, errors.New("community: guest confirmation without address or link")
	}
	if !m.Clock.Now().Before(mail.CreatedAt.Add(GuestConfirmTTL)) {
		return MailSkipped, nil
	}
	e, err := m.Store.Event(ctx, mail.EventID)
	if errors.Is(err, ErrEventNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if stop, err := m.suppressed(ctx, mail.To.Email); err != nil {
		return "", err
	} else if stop {
		return MailSkipped, nil
	}
	// Only the address: a name the requester typed is never printed.
	return sendOutcome(ctx, m.Guests.GuestConfirmation(ctx, Recipient{Email: mail.To.Email}, e, mail.Link))
}
