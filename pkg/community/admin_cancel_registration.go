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
	return cancelled, nil
}
