package community

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode/utf8"
)

// MessageResult is what one request to message attendees did.
type MessageResult struct {
	Message *Message
	// Recipients counts the people the message goes to, one mail each.
	Recipients int
	// Queued counts the mails this call wrote to the outbox; a repeat
	// writes only those still missing (none, usually).
	Queued int
}

// Messages mails organizers' messages to an event's attendees: it stores
// the message and writes one outbox mail per recipient; the mailer sends
// them at the pace SES allows, however many there are.
type Messages struct {
	Store MessageStore
	Clock Clock
	// Log reports an audit entry that failed.
	Log *slog.Logger
}

// MessageStore is what messaging attendees reads and writes, and the
// audit log.
type MessageStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// AllRegistrations is as EventAdminStore says.
	AllRegistrations(ctx context.Context, eventID string) ([]*Registration, error)
	// PostMessage stores m unless a message with its id is stored already,
	// and puts each of mails in the outbox unless it is there already (so
	// a repeat mails nobody twice); it returns the message as stored (the
	// first one, on a repeat) and how many mails it put. Closed (reason
	// "idempotency_key_reused") when the stored message says something
	// else; then nothing is put.
	PostMessage(ctx context.Context, m *Message, mails []Mail) (stored *Message, put int, err error)
	// MessageProgress counts the outbox mails of message id by state.
	MessageProgress(ctx context.Context, id string) (MessageProgress, error)
	MessageReader
	MemberLookup
	AuditAppender
}

// MessageAttendees sends subject and body to everyone confirmed for event
// id, and to the waitlisted too when includeWaitlisted: each address once,
// whoever has none any more (a withdrawn member) or stopped this event's
// messages by the link in one (ListMessages) left out. It goes
// regardless of the announcement preference: the message is about an event
// each recipient registered for. key is the organizer's Idempotency-Key
// ("" for none), which names the message (MessageID): repeating the
// request, with the key or with the same text, writes only what a cut-off
// first attempt left unwritten and mails nobody twice. A key reused for a
// different message is Closed (reason "idempotency_key_reused").
func (a *Messages) MessageAttendees(ctx context.Context, v Viewer, id, key, subject, body string, includeWaitlisted bool) (*MessageResult, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	subject, body = strings.TrimSpace(subject), strings.TrimSpace(body)
	f := FieldErrors{}
	if _, ok := cleanText(subject); !ok {
		f.Add("subject", "件名に使えない文字（改行など）が含まれています。")
	}
	if subject == "" {
		f.Add("subject", "件名を入力してください。")
	} else if utf8.RuneCountInString(subject) > maxSubjectRunes {
		f.Add("subject", fmt.Sprintf("件名は%d文字以内で入力してください。", maxSubjectRunes))
	}
	if _, ok := cleanText(strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(body)); !ok {
		f.Add("body", "本文に使えない文字が含まれています。")
	}
	if body == "" {
		f.Add("body", "本文を入力してください。")
	} else if utf8.RuneCountInString(body) > maxBodyRunes {
		f.Add("body", fmt.Sprintf("本文は%d文字以内で入力してください。", maxBodyRunes))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	regs, err := a.Store.AllRegistrations(ctx, id)
	if err != nil {
		return nil, err
	}
	var chosen []*Registration
	for _, r := range regs {
		if slices.Contains(r.OptOuts, ListMessages) {
			continue // stopped by the link in an earlier message
		}
		if r.Status == RegistrationConfirmed || (includeWaitlisted && r.Status == RegistrationWaitlisted) {
			chosen = append(chosen, r)
		}
	}
	to, _, err := recipients(ctx, a.Store, chosen)
	if err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	msg := &Message{
		ID: MessageID(actorOf(v), id, key, subject, body, includeWaitlisted), EventID: id,
		Subject: subject, Body: body, IncludeWaitlisted: includeWaitlisted, ActorID: actorOf(v), CreatedAt: now,
	}
	// One mail per address, to the first registration holding it (in
	// arrival order, so a repeat chooses the same one).
	var mails []Mail
	seen := map[string]bool{}
	for _, r := range chosen {
		rc, ok := to[r.ID]
		if !ok || seen[NormalizeEmail(rc.Email)] {
			continue
		}
		seen[NormalizeEmail(rc.Email)] = true
		mails = append(mails, OrganizerMessageMail(msg, r, now))
	}
	// Only a key can name two different messages alike (reused after its
	// idempotency record expired): the store refuses it, and the first
	// message stands.
	stored, put, err := a.Store.PostMessage(ctx, msg, mails)
	if err != nil {
		return nil, err
	}
	who := "参加確定者"
	if includeWaitlisted {
		who = "参加確定者とキャンセル待ちの方"
	}
	summary := fmt.Sprintf("「%s」の%s%d人へメッセージ「%s」を送信受付（メッセージ %s、新たに送信待ち%d件）", e.Title, who, len(mails), subject, stored.ID, put)
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditEventMessage, "event", id, summary)
	return &MessageResult{Message: stored, Recipients: len(mails), Queued: put}, nil
}

// Progress returns message mid of event id and how its mails stand.
// NotFound (reason "message_not_found") when unknown or about another
// event.
func (a *Messages) Progress(ctx context.Context, v Viewer, id, mid string) (*Message, MessageProgress, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, MessageProgress{}, err
	}
	m, err := a.Store.Message(ctx, mid)
	if err != nil {
		return nil, MessageProgress{}, err
	}
	if m.EventID != id {
		return nil, MessageProgress{}, ErrMessageNotFound
	}
	p, err := a.Store.MessageProgress(ctx, mid)
	if err != nil {
		return nil, MessageProgress{}, err
	}
	return m, p, nil
}
