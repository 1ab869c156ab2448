package community

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"
)

// The outbox mails of organizers' bulk actions: the event-cancelled notice
// (one per registration the cancellation ends, put in the transaction that
// ends it) and organizer messages (one per recipient, written in batches
// next to the stored message). However many there are, the request only
// writes them; the mailer sends them at the pace SES allows.

// Kinds of organizers' outbox mail.
const (
	MailEventCancelled   MailKind = "event_cancelled"
	MailOrganizerMessage MailKind = "organizer_message"
)

// EventCancelledMail is the notice a registration ended by its event's
// cancellation owes its registrant. Named <rid>.event_cancelled and put in
// the transaction that ends the registration: the end commits once, so the
// notice is owed once however often the cancel is repeated. The reason is
// read from the event when the notice is sent.
func EventCancelledMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailEventCancelled, r, now)
}

// OrganizerMessageMail is message m's mail to the registrant of r, named
// by the pair, so that writing the message again never owes anyone a
// second copy.
func OrganizerMessageMail(m *Message, r *Registration, now time.Time) Mail {
	return Mail{ID: m.ID + "." + r.ID, Kind: MailOrganizerMessage, EventID: m.EventID, RegistrationID: r.ID,
		MessageID: m.ID, CreatedAt: now}
}

// Message is an organizer's message to an event's attendees, stored once;
// its mails (one outbox item per recipient) refer to it.
type Message struct {
	ID                string // MessageID's: the same request names the same message
	EventID           string
	Subject           string
	Body              string
	IncludeWaitlisted bool
	ActorID           string // the organizer who sent it
	CreatedAt         time.Time
}

// MessageID names a message so that repeating the request that sends it
// names it again: from the organizer's Idempotency-Key when there is one,
// else from what the message says. Without a key, the same text to the same
// event is the same message (send a different text, or give a new key, to
// send again). The id has the shape of NewID's, so handlers check it alike.
func MessageID(organizerID, eventID, key, subject, body string, includeWaitlisted bool) string {
	parts := []string{"key", organizerID, eventID, key}
	if key == "" {
		w := "confirmed"
		if includeWaitlisted {
			w = "waitlisted"
		}
		parts = []string{"content", eventID, w, subject, body}
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return idEncoding.EncodeToString(sum[:16])
}

// MessageProgress counts the mails of one message by how their delivery
// stands. Recipients = Sent + Pending + Skipped + Failed.
type MessageProgress struct {
	Recipients int
	Sent       int
	Pending    int // not yet sent, or being sent now
	Skipped    int // nobody to send it to any more (cancelled, withdrawn, suppressed)
	Failed     int // refused by SES, or cut off and never retried
}

// MessageReader reads stored organizer messages.
type MessageReader interface {
	// Message returns a stored message. NotFound (reason
	// "message_not_found") when unknown.
	Message(ctx context.Context, id string) (*Message, error)
}

// sendAdminMail sends the mails of organizers' bulk actions.
func (m *Mailroom) sendAdminMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Admin == nil {
		return "", errors.New("community: mailroom has no admin notifier")
	}
	e, r, ok, err := m.placeOf(ctx, mail)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // the event or the place is gone
	}
	var msg *Message
	if mail.Kind == MailOrganizerMessage {
		// A message is for those still registered; whoever cancelled
		// since it was written is no longer told about the event.
		if r.Status == RegistrationCancelled || slices.Contains(r.OptOuts, ListMessages) {
			return MailSkipped, nil
		}
		msg, err = m.Store.Message(ctx, mail.MessageID)
		if errors.Is(err, ErrMessageNotFound) {
			return MailSkipped, nil
		}
		if err != nil {
			return "", err
		}
	}
	to, ok, err := m.mailableRecipient(ctx, r)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // a withdrawn member, or an address that bounced or complained
	}
	switch mail.Kind {
	case MailEventCancelled:
		err = m.Admin.EventCancelled(ctx, to, e, e.CancelReason)
	case MailOrganizerMessage:
		// It goes regardless of the announcement preference: it is about
		// an event the recipient registered for. Its one-click opt-out
		// stops the messages about this event, for this registration.
		unsub := ""
		if m.OptOuts != nil {
			unsub = m.OptOuts.RegistrationOptOutLink(e.ID, r.ID, ListMessages)
		}
		err = m.Admin.OrganizerMessage(ctx, to, e, msg.Subject, msg.Body, unsub)
	}
	return sendOutcome(ctx, err)
}
