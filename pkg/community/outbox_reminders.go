package community

import (
	"context"
	"errors"
	"slices"
	"time"
)

// MailReminder is a reminder before an event: the sweep decides it is due
// and to whom (Reminders.Sweep) and hands it over as this outbox mail; the
// mailer sends it.
const MailReminder MailKind = "reminder"

// ReminderMail is reminder d's mail to the registrant of r. It is named by
// (registration, offset, start) — ReminderMark's pair — and put together
// with that mark on r, so the same reminder is never owed twice.
func ReminderMail(d DueReminder, r *Registration, now time.Time) Mail {
	return Mail{
		ID: r.ID + "." + string(MailReminder) + "." + ReminderMark(d.Offset, d.StartsAt), Kind: MailReminder,
		EventID: r.EventID, RegistrationID: r.ID, Offset: d.Offset, StartsAt: d.StartsAt.UTC(), CreatedAt: now,
	}
}

// sendReminder sends a handed-over reminder as things stand now. It goes
// to nobody whose place, membership or wish changed since the hand-over,
// and never announces a start that no longer holds: an event moved since is
// skipped (the reminders of its new start are due on their own), as is one
// cancelled, unpublished, already started, or no longer reminding at this
// offset. Whom the event no longer admits gets it without the join URL.
func (m *Mailroom) sendReminder(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Reminders == nil || m.OptOuts == nil || m.Links == nil {
		return MailRefused, errors.New("community: mailroom cannot send reminders")
	}
	now := m.Clock.Now()
	e, err := m.Store.Event(ctx, mail.EventID)
	if errors.Is(err, ErrEventNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if e.Status != EventPublished || !e.StartsAt.Equal(mail.StartsAt) || !now.Before(e.StartsAt) ||
		!slices.Contains(ReminderOffsetsOf(e), mail.Offset) {
		return MailSkipped, nil
	}
	r, err := m.Store.Registration(ctx, mail.EventID, mail.RegistrationID)
	if errors.Is(err, ErrRegistrationNotFound) {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	// The event as the registrant's frame has it: that frame's joining
	// details only, never another frame's join URL.
	e = e.ForFrame(r.FrameID)
	if r.Status != RegistrationConfirmed || slices.Contains(r.OptOuts, ListReminders) {
		return MailSkipped, nil
	}
	var to Recipient
	var mem *Member
	var unsub string
	if r.Guest != nil {
		if r.Guest.Email == "" {
			return MailSkipped, nil
		}
		to = Recipient{Name: r.Guest.Name, Email: r.Guest.Email}
		unsub = m.OptOuts.RegistrationOptOutLink(e.ID, r.ID, ListReminders)
	} else {
		mem, err = m.Store.Member(ctx, r.MemberID)
		if errors.Is(err, ErrMemberNotFound) {
			return MailSkipped, nil
		}
		if err != nil {
			return "", err
		}
		if mem.Status != MemberActive || mem.Email == "" || !mem.Preferences.Reminders {
			return MailSkipped, nil
		}
		to = Recipient{Name: mem.Name, Email: mem.Email}
		unsub = m.OptOuts.UnsubscribeLink(mem.ID, ListReminders)
	}
	if stop, err := m.suppressed(ctx, to.Email); err != nil {
		return "", err
	} else if stop {
		return MailSkipped, nil
	}
	join := ""
	if admits(e, r.Guest != nil, mem) {
		join = e.JoinURL
	}
	d := DueReminder{EventID: e.ID, Offset: mail.Offset, StartsAt: e.StartsAt, DueAt: e.StartsAt.Add(-mail.Offset)}
	err = m.Reminders.Reminder(ctx, to, e, startsIn(d, now), join, m.Links.CancelLink(e.ID, r.ID), unsub)
	return sendOutcome(ctx, err)
}
