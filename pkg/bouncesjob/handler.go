// Package bouncesjob is the BouncesFunction Lambda: SES publishes every
// bounce and complaint of a mail sent through the configuration set
// (template.yaml, MailEvents) to an SNS topic, which invokes this handler
// with the notification as the SNS message. A permanent bounce or a
// complaint puts each recipient on the suppression list (and marks the
// member who holds the address); a transient or undetermined bounce is only
// logged. The dev server plays SES's mailbox simulator and invokes it the
// same way (pkg/devserver, mailbox.go).
//
// A record that is not an SES notification is logged and skipped, never
// retried: retrying cannot make it one. Only a failed write returns an
// error, so Lambda retries the invocation (suppressing twice is harmless).
// Logs name SNS and SES message ids and counts, never an address.
package bouncesjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
)

// Handler handles one SNS delivery of SES notifications.
type Handler struct {
	Suppressor community.Suppressor
	Clock      community.Clock // dates a notice that carries no time
	Log        *slog.Logger
}

// New returns a Handler; a nil log discards.
func New(s community.Suppressor, clock community.Clock, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Suppressor: s, Clock: clock, Log: log}
}

// Handle records the suppressions of every record. It returns an error only
// when a write failed (the whole invocation is then retried); bad records
// are logged and skipped.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, r := range ev.Records {
		if err := h.record(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) record(ctx context.Context, r events.SNSEventRecord) error {
	log := h.Log.With("sns_message_id", r.SNS.MessageID)
	if r.SNS.Type != "" && r.SNS.Type != "Notification" {
		log.WarnContext(ctx, "bounces: not an SNS notification, skipped", "sns_type", r.SNS.Type)
		return nil
	}
	n, err := Parse(r.SNS.Message)
	if err != nil {
		// err names what was wrong, never what the message said.
		log.WarnContext(ctx, "bounces: unreadable message, skipped", "error", community.RedactEmails(err.Error()), "bytes", len(r.SNS.Message),
			"ses_message_id", n.MessageID, "ses_type", n.Type)
		return nil
	}
	log = log.With("ses_message_id", n.MessageID, "ses_type", n.Type)
	if n.Type != TypeBounce && n.Type != TypeComplaint {
		log.InfoContext(ctx, "bounces: notification type not handled, skipped")
		return nil
	}
	if n.BounceType != "" {
		log = log.With("bounce_type", n.BounceType)
	}
	if n.SubType != "" {
		log = log.With("sub_type", n.SubType)
	}
	s, ok := n.Suppression(h.now())
	if !ok {
		log.InfoContext(ctx, "bounces: not suppressed (the next mail may arrive)", "recipients", len(n.Recipients))
		return nil
	}
	var failed []error
	done, invalid := 0, 0
	for _, addr := range n.Recipients {
		if !community.ValidEmail(addr) {
			invalid++
			continue
		}
		if err := h.Suppressor.Suppress(ctx, addr, s); err != nil {
			failed = append(failed, err)
			continue
		}
		done++
	}
	attrs := []any{"reason", string(s.Reason), "recipients", len(n.Recipients), "suppressed", done}
	if invalid > 0 {
		attrs = append(attrs, "invalid_addresses", invalid)
	}
	if len(failed) > 0 {
		err := errors.Join(failed...)
		log.ErrorContext(ctx, "bounces: suppression failed; the invocation will be retried", append(attrs, "failed", len(failed), "error", community.RedactEmails(err.Error()))...)
		return fmt.Errorf("bounces: sns message %s: %w", r.SNS.MessageID, err)
	}
	log.InfoContext(ctx, "bounces: suppressed", attrs...)
	return nil
}

func (h *Handler) now() time.Time {
	if h.Clock == nil {
		return time.Now().UTC()
	}
	return h.Clock.Now().UTC()
}
