package community

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"
)

// MessageResult is how many people a message reached.
type MessageResult struct {
	Sent   int
	Failed int
	// NotSent counts those not attempted: the function's deadline came
	// first (or the request ended).
	NotSent int
}

// Messages mails organizers' messages to an event's attendees.
type Messages struct {
	Store    MessageStore
	Notifier AdminNotifier
	Clock    Clock
	// Log reports a mail or an audit entry that failed.
	Log *slog.Logger
	// MailWorkers bounds the mails sent at once; 0 means 4.
	MailWorkers int
	// Pacing gives each bulk action its pace: the SES sending rate and
	// when to stop starting sends before the function's deadline
	// (mail.Pacing); nil sends as fast as the workers go, without limit.
	Pacing func(ctx context.Context) Pace
}

// MessageStore is what messaging attendees reads, and the audit log.
type MessageStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// AllRegistrations is as EventAdminStore says.
	AllRegistrations(ctx context.Context, eventID string) ([]*Registration, error)
	MemberLookup
	AuditAppender
}

func (a *Messages) bulk() bulkMail {
	return bulkMail{workers: a.MailWorkers, pacing: a.Pacing}
}

// MessageAttendees mails subject and body to everyone confirmed for event
// id, and to the waitlisted too when includeWaitlisted. It goes regardless
// of the announcement preference: the message is about an event each
// recipient registered for. Each address gets it once, at the pace Pacing sets;
// no new send starts once it is spent. Unavailable (reason
// "mail_unavailable") when nobody could be mailed.
func (a *Messages) MessageAttendees(ctx context.Context, v Viewer, id, subject, body string, includeWaitlisted bool) (*MessageResult, error) {
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
		if r.Status == RegistrationConfirmed || (includeWaitlisted && r.Status == RegistrationWaitlisted) {
			chosen = append(chosen, r)
		}
	}
	to, _, err := recipients(ctx, a.Store, chosen)
	if err != nil {
		return nil, err
	}
	var list []Recipient
	seen := map[string]bool{}
	for _, r := range chosen {
		rc, ok := to[r.ID]
		if !ok || seen[NormalizeEmail(rc.Email)] {
			continue
		}
		seen[NormalizeEmail(rc.Email)] = true
		list = append(list, rc)
	}
	res := &MessageResult{}
	var mu sync.Mutex
	g := a.bulk().pace(ctx)
	err = a.bulk().each(len(list), func(i int) error {
		if !open(ctx, g) {
			mu.Lock()
			defer mu.Unlock()
			res.NotSent++
			return nil
		}
		err := a.Notifier.OrganizerMessage(ctx, list[i], e, subject, body)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Failed++
			logFailure(ctx, a.Log, "organizer message not sent", err)
		} else {
			res.Sent++
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	who := "参加確定者"
	if includeWaitlisted {
		who = "参加確定者とキャンセル待ちの方"
	}
	summary := fmt.Sprintf("「%s」の%sへメッセージ「%s」を送信（%d件", e.Title, who, subject, res.Sent)
	if res.Failed > 0 {
		summary += fmt.Sprintf("、失敗%d件", res.Failed)
	}
	if res.NotSent > 0 {
		summary += fmt.Sprintf("、時間切れで未送信%d件", res.NotSent)
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditEventMessage, "event", id, summary+"）")
	if res.Sent == 0 && res.Failed+res.NotSent > 0 {
		return res, ErrMailUnavailable
	}
	return res, nil
}
