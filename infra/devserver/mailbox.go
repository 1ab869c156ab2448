package main

import (
	"context"
	"log/slog"

	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/samtemplate"
)

// startMailbox plays SES's event publishing: every mail's Send event (with
// the message tags tap kept), and SES's mailbox simulator — mail sent to
// bounce@simulator.amazonses.com or complaint@simulator.amazonses.com
// (labels allowed: bounce+x@…) comes back, about a second later, as the
// bounce or complaint notification SES would publish — each delivered to the
// function subscribed to the configuration set's SNS topic. It returns
// what stops it (and waits for it), and the banner's line about it.
func startMailbox(ctx context.Context, tpl *samtemplate.Template, srv *devserver.Server, sesURL string, tap *devserver.SESTap, log *slog.Logger) (stop func(), note string) {
	sim, err := devserver.NewMailboxSimulator(tpl, srv, devserver.MailboxOptions{SESURL: sesURL, Tags: tap, Log: log})
	if err != nil {
		return func() {}, "off: " + err.Error()
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sim.Run(ctx); close(done) }()
	note = "mail to " + devserver.SimulatorBounce + " or " + devserver.SimulatorComplaint + " → " + sim.Function() + " (SNS), as SES's mailbox simulator"
	if sim.Sends() {
		note = "every mail's Send event, and " + note
	}
	return func() { cancel(); <-done }, note
}
