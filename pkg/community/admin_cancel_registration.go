package community

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CancelRegistration cancels registration regID of event eventID for its
// registrant, as their own cancellation would: the seat is freed and the
// waitlist head promoted in the same transaction, the registrant gets the
// cancellation mail and the promoted person the promotion mail. reason is
// only for the audit log. NotFound (reasons "event_not_found",
// "registration_not_found"); Conflict "already_cancelled"; Closed
// "event_started" once the event has begun, the registrant's own rule.
func (a *Attendance) CancelRegistration(ctx context.Context, v Viewer, eventID, regID, reason string) (*Registration, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch _, ok := cleanText(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(reason)); {
	case !ok:
		return nil, FieldErrors{"reason": "理由に使えない文字が含まれています。"}.Err()
	case utf8.RuneCountInString(reason) > maxReasonRunes:
		return nil, FieldErrors{"reason": fmt.Sprintf("理由は%d文字以内で入力してください。", maxReasonRunes)}.Err()
	}
	e, err := a.Store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	cur, err := a.Store.Registration(ctx, eventID, regID)
	if err != nil {
		return nil, err
	}
	// Already cancelled answers before the time rule: that is the truer
	// answer, and the store would say the same.
	if cur.Status == RegistrationCancelled {
		return nil, ErrAlreadyCancelled
	}
	now := a.Clock.Now()
	if !now.Before(e.StartsAt) && e.Status != EventCancelled {
		return nil, errCancelStarted
	}
	cancelled, promoted, err := a.Store.CancelRegistration(ctx, eventID, regID, now)
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("「%s」の申込をキャンセルしました", e.Title)
	if promoted != nil {
		summary += "（キャンセル待ちの先頭 " + promoted.ID + " が参加確定）"
	}
	if reason != "" {
		summary += "。理由：" + reason
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationCancel, "registration", regID, summary)
	a.mailCancelled(ctx, e, cancelled, promoted)
	return cancelled, nil
}

// mailCancelled sends the mails of a cancellation. The cancellation stands
// whatever happens here, so failures are only logged; a withdrawn member
// has no address and gets nothing.
func (a *Attendance) mailCancelled(ctx context.Context, e *Event, cancelled, promoted *Registration) {
	if a.RegNotifier == nil {
		return
	}
	regs := []*Registration{cancelled}
	if promoted != nil {
		regs = append(regs, promoted)
	}
	to, _, err := recipients(ctx, a.Store, regs)
	if err != nil {
		logFailure(ctx, a.Log, "cancellation mails not sent", err)
		return
	}
	if rc, ok := to[cancelled.ID]; ok {
		logFailure(ctx, a.Log, "registration cancelled mail failed", a.RegNotifier.RegistrationCancelled(ctx, rc, e))
	}
	if promoted == nil {
		return
	}
	if rc, ok := to[promoted.ID]; ok {
		logFailure(ctx, a.Log, "promotion mail failed", a.RegNotifier.Promoted(ctx, rc, e, e.JoinURL, a.Links.CancelLink(e.ID, promoted.ID)))
	}
}
