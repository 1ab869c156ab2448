package community

import (
	"context"
	"errors"
	"time"
)

// The mails of applications (selection and lottery events): the receipt,
// and one result per applicant, each owed by the write that made it so.
const (
	MailApplicationReceived MailKind = "application_received"
	MailApplicationSelected MailKind = "application_selected"
	MailApplicationReserve  MailKind = "application_reserve"
	MailApplicationDeclined MailKind = "application_declined"
)

// ApplicationNotifier sends the mails of applications. Only Selected is
// given a join URL: a receipt, a reserve place or a decline never carries
// one.
type ApplicationNotifier interface {
	// ApplicationReceived confirms an application and quotes its id, which
	// the applicant can look for in a published lottery result.
	ApplicationReceived(ctx context.Context, to Recipient, e *Event, applicationID, cancelLink string) error
	// ApplicationSelected tells an applicant they won a place (当選・採用).
	ApplicationSelected(ctx context.Context, to Recipient, e *Event, joinURL, cancelLink string) error
	// ApplicationReserve tells an applicant they are position-th reserve (補欠).
	ApplicationReserve(ctx context.Context, to Recipient, e *Event, position int, cancelLink string) error
	// ApplicationDeclined tells an applicant they were not selected or drawn.
	ApplicationDeclined(ctx context.Context, to Recipient, e *Event) error
}

// ApplicationMail is the mail a stored application owes: its receipt.
func ApplicationMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailApplicationReceived, r, now)
}

// ResultMail is the result mail owed when an application becomes status
// `to` (confirmed, waitlisted or declined). It is named by the
// registration and the kind, and only the write that flips the status puts
// it, so each applicant is owed one result however often the step repeats.
func ResultMail(r *Registration, to RegistrationStatus, now time.Time) Mail {
	kind := MailApplicationDeclined
	switch to {
	case RegistrationConfirmed:
		kind = MailApplicationSelected
	case RegistrationWaitlisted:
		kind = MailApplicationReserve
	}
	return registrationMail(kind, r, now)
}

// sendApplicationMail sends an application mail as things stand: a result
// no longer true (a reserve promoted since, a winner who cancelled) is
// skipped, the later change's mail says what is.
func (m *Mailroom) sendApplicationMail(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Applications == nil {
		return MailRefused, errors.New("community: no application notifier for " + string(mail.Kind))
	}
	e, r, ok, err := m.placeOf(ctx, mail)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // the event or the place is gone
	}
	want := map[MailKind]RegistrationStatus{
		MailApplicationReceived: RegistrationApplied,
		MailApplicationSelected: RegistrationConfirmed,
		MailApplicationReserve:  RegistrationWaitlisted,
		MailApplicationDeclined: RegistrationDeclined,
	}[mail.Kind]
	if r.Status != want && !(mail.Kind == MailApplicationReceived && r.Status != RegistrationCancelled) {
		return MailSkipped, nil
	}
	to, ok, err := m.mailableRecipient(ctx, r)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // a withdrawn member, or an address that bounced or complained
	}
	cancel := m.Links.CancelLink(e.ID, r.ID)
	switch mail.Kind {
	case MailApplicationReceived:
		err = m.Applications.ApplicationReceived(ctx, to, e, r.ID, cancel)
	case MailApplicationSelected:
		err = m.Applications.ApplicationSelected(ctx, to, e, e.JoinURL, cancel)
	case MailApplicationReserve:
		pos, perr := m.Store.WaitlistPosition(ctx, r)
		if perr != nil {
			return "", perr
		}
		err = m.Applications.ApplicationReserve(ctx, to, e, pos, cancel)
	case MailApplicationDeclined:
		err = m.Applications.ApplicationDeclined(ctx, to, e)
	}
	return sendOutcome(ctx, err)
}
