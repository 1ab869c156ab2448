package app

import (
	"context"
	"fmt"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// Services are the domain services on their real dependencies. Every
// function builds the same set, so a rule never differs between functions.
type Services struct {
	Store         *dynamo.Store
	Events        *community.Events
	Members       *community.Members
	Registrations *community.Registrations
	Admin         *community.Admin
	Sessions      *auth.Sessions
	Links         auth.Links
	Composer      *mail.Composer
	Mailer        *mail.Notifier
}

// NewServices wires the domain services on d's clients.
func NewServices(d Deps) (*Services, error) {
	store := dynamo.New(d.DynamoDB, d.Config.TableName)
	composer, err := mail.NewComposer(d.Config)
	if err != nil {
		return nil, fmt.Errorf("app: mail composer: %w", err)
	}
	notifier := &mail.Notifier{Composer: composer, Sender: mail.NewSender(d.SES, d.Clock)}
	links := auth.Links{BaseURL: d.Config.BaseURL, Secret: d.Config.SessionSecret}
	sess := &auth.Sessions{
		Store:      store,
		Secret:     d.Config.SessionSecret,
		TTL:        d.Config.SessionTTL,
		Clock:      d.Clock,
		Organizers: d.Config.IsOrganizer,
	}
	regs := &community.Registrations{
		Events: store, Regs: store, Members: store, Notifier: notifier, Clock: d.Clock, Links: links,
		Log: func(ctx context.Context, msg string, err error) { d.Log.ErrorContext(ctx, msg, "error", err) },
	}
	members := &community.Members{
		Store: store, Notifier: notifier, Clock: d.Clock, Links: links, Secrets: auth.Secrets{Key: d.Config.SessionSecret}, Sessions: sess,
		BeforeWithdraw: regs.CancelFutureFor,
	}
	admin := &community.Admin{
		Store: store, Notifier: notifier, RegNotifier: notifier, Links: links, Clock: d.Clock, SendRate: d.Config.SendRatePerSec,
		Log: func(ctx context.Context, msg string, err error) { d.Log.ErrorContext(ctx, msg, "error", err) },
		// Reminders follow every change of an event's time or status.
		EventChanged: store.SyncEventReminders,
	}
	return &Services{
		Admin:         admin,
		Store:         store,
		Events:        &community.Events{Store: store, Clock: d.Clock, Regs: store},
		Members:       members,
		Registrations: regs,
		Sessions:      sess,
		Links:         links,
		Composer:      composer,
		Mailer:        notifier,
	}, nil
}
