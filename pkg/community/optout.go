package community

import (
	"context"
	"errors"
)

// ListMessages is the organizers' messages about one event, which a
// registrant can stop for that registration by the link in each message.
const ListMessages = "messages"

// OptOut is what one signed opt-out link stops: a member's list
// (MemberID: reminders or announcements, for everything), or one
// registration's (EventID and RegistrationID: its reminders, which is how
// a guest opts out, or the organizers' messages about its event).
type OptOut struct {
	MemberID       string
	EventID        string
	RegistrationID string
	List           string
}

// ForRegistration reports whether o stops a list of one registration only.
func (o OptOut) ForRegistration() bool { return o.MemberID == "" }

// Label is what o stops, in Japanese, for the page that confirms it.
func (o OptOut) Label() string {
	if !o.ForRegistration() {
		return ListLabel(o.List)
	}
	switch o.List {
	case ListReminders:
		return "このお申し込みのイベント前のリマインダーメール"
	case ListMessages:
		return "このお申し込みのイベントについての運営からのメッセージ"
	}
	return o.List
}

// OptOutLinks makes the one-click opt-out links (RFC 8058) mails carry.
// auth.Links implements it.
type OptOutLinks interface {
	// UnsubscribeLink stops one of a member's lists.
	UnsubscribeLink(memberID, list string) string
	// RegistrationOptOutLink stops list (ListReminders, ListMessages) for
	// one registration.
	RegistrationOptOutLink(eventID, regID, list string) string
}

// OptOutStore records a registration's opt-outs.
type OptOutStore interface {
	// OptOutRegistration adds list to the registration's opt-outs
	// (Registration.OptOuts); doing it twice is harmless. NotFound (reason
	// "registration_not_found") when there is no such registration.
	OptOutRegistration(ctx context.Context, eventID, regID, list string) error
}

// OptOuts stops what a signed opt-out link names: the unsubscribe page,
// the one-click POST a mail provider makes, and POST /api/unsubscribe.
type OptOuts struct {
	// Members stops a member's lists (Members.Unsubscribe).
	Members *Members
	// Store records registrations' opt-outs; nil refuses them.
	Store OptOutStore
}

// Stop stops what o names. Doing it twice is harmless. Invalid (reason
// "invalid_token") for a list that cannot be stopped that way or a
// registration or member that does not exist.
func (s *OptOuts) Stop(ctx context.Context, o OptOut) error {
	if !o.ForRegistration() {
		if s.Members == nil {
			return ErrInvalidToken
		}
		_, err := s.Members.Unsubscribe(ctx, o.MemberID, o.List)
		return err
	}
	if s.Store == nil || (o.List != ListReminders && o.List != ListMessages) || o.EventID == "" || o.RegistrationID == "" {
		return ErrInvalidToken
	}
	err := s.Store.OptOutRegistration(ctx, o.EventID, o.RegistrationID, o.List)
	if errors.Is(err, ErrRegistrationNotFound) {
		return ErrInvalidToken
	}
	return err
}
