// Package bouncesjob is the BouncesFunction Lambda: SES publishes the
// send, bounce and complaint events of every mail sent through the
// configuration set (template.yaml, MailEvents) to an SNS topic, which
// invokes this handler with the event as the SNS message.
//
// A Send event is SES's word that it took a mail: it confirms the outbox
// item the mail is tagged with (community.MailTagName) as sent, which
// settles a send whose SendRawEmail call was cut off and is held until SES
// speaks (community.UncertainHold). Usually the mailer's own record came
// first, and the event changes nothing. A permanent bounce or a complaint
// puts each recipient on the suppression list (and marks the member who
// holds the address); a transient or undetermined bounce is only logged.
// The dev server plays SES's event publishing and mailbox simulator and
// invokes it the same way (pkg/devserver, mailbox.go).
//
// A record that is not an SES notification, or a Send event without a
// readable outbox tag, is logged and skipped, never retried: retrying
// cannot mend it. Only a failed write returns an error, so Lambda retries
// the invocation (suppressing or confirming twice is harmless). Logs name
// SNS and SES message ids, outbox ids and counts, never an address.
package bouncesjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/community"
)

// function is the template.yaml resource this handler serves: its calls
// are recorded, and checked against that policy, under this name.
const function = "BouncesFunction"

// MailConfirmer settles outbox items on SES's word:
// community.OutboxStore.ConfirmMailSent, which *dynamo.Store implements.
type MailConfirmer interface {
	ConfirmMailSent(ctx context.Context, id, messageID string, at time.Time) (bool, error)
}

// Handler handles one SNS delivery of SES notifications.
type Handler struct {
	Suppressor community.Suppressor
	// Outbox confirms the sends SES's Send events report; with none they
	// are logged and skipped.
	Outbox MailConfirmer
	Clock  community.Clock // dates a notice that carries no time
	Log    *slog.Logger
}

// New returns a Handler without an Outbox; a nil log discards.
func New(s community.Suppressor, clock community.Clock, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Suppressor: s, Clock: clock, Log: log}
}

// Handle confirms the sends and records the suppressions of every record.
// It returns an error only when a write failed (the whole invocation is
// then retried); bad records are logged and skipped.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	ctx = awscalls.WithFunction(ctx, function)
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
	switch n.Type {
	case TypeSend:
		return h.confirm(ctx, log, r.SNS.MessageID, n)
	case TypeBounce, TypeComplaint:
	default:
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

// confirm settles the outbox item a Send event names as sent. The event
// names it by the mail's tag, never by address: a mail without one (not an
// outbox mail) has nothing to confirm.
func (h *Handler) confirm(ctx context.Context, log *slog.Logger, snsID string, n Notice) error {
	tag, tagged := n.OutboxTag()
	if !tagged {
		log.InfoContext(ctx, "bounces: send without an outbox tag, skipped")
		return nil
	}
	id, ok := community.ParseMailTag(tag)
	if !ok {
		// Only its size: a value that is not ours is not for the logs.
		log.WarnContext(ctx, "bounces: send with an unreadable outbox tag, skipped", "tag_bytes", len(tag))
		return nil
	}
	// The id comes from a tag SES relayed: redacted all the same, should
	// anything but our id ever decode from one.
	log = log.With("mail_id", community.RedactEmails(id))
	if h.Outbox == nil {
		log.WarnContext(ctx, "bounces: no outbox to confirm the send in, skipped")
		return nil
	}
	at := n.At
	if at.IsZero() {
		at = h.now()
	}
	confirmed, err := h.Outbox.ConfirmMailSent(ctx, id, n.MessageID, at)
	if err != nil {
		log.ErrorContext(ctx, "bounces: confirming the send failed; the invocation will be retried", "error", community.RedactEmails(err.Error()))
		return fmt.Errorf("bounces: sns message %s: %w", snsID, err)
	}
	if !confirmed {
		// The usual case: the mailer recorded the send itself first.
		log.DebugContext(ctx, "bounces: send already settled, or no such outbox item")
		return nil
	}
	log.InfoContext(ctx, "bounces: send confirmed by SES")
	return nil
}

func (h *Handler) now() time.Time {
	if h.Clock == nil {
		return time.Now().UTC()
	}
	return h.Clock.Now().UTC()
}
