package main

import (
	"fmt"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/bouncesjob"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/mailerjob"
	"github.com/sorae/tabane/pkg/remindersjob"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/signupapi"
	"github.com/sorae/tabane/pkg/web"
)

// constructors are the same typed constructors each functions/<name>/main.go
// calls, by template.yaml LogicalId: the dev server is the one place that
// links every handler, so that no Lambda has to. The coverage test fails
// when a template function has no entry here.
var constructors = map[string]func(*app.Deps) (any, error){
	"EventsFunction":    handle(eventsapi.Wire, func(h *eventsapi.Handler) any { return h.Handle }),
	"SignupFunction":    handle(signupapi.Wire, func(h *signupapi.Handler) any { return h.Handle }),
	"RsvpFunction":      handle(rsvpapi.Wire, func(h *rsvpapi.Handler) any { return h.Handle }),
	"AdminFunction":     handle(adminapi.Wire, func(h *adminapi.Handler) any { return h.Handle }),
	"RemindersFunction": handle(remindersjob.Wire, func(h *remindersjob.Handler) any { return h.Handle }),
	"WebFunction":       handle(web.Wire, func(h *web.Handler) any { return h.Handle }),
	"MailerFunction":    handle(mailerjob.Wire, func(h *mailerjob.Handler) any { return h.Handle }),
	"BouncesFunction":   handle(bouncesjob.Wire, func(h *bouncesjob.Handler) any { return h.Handle }),
}

// handle turns a typed constructor into one returning what main passes to
// lambda.Start (the handler's Handle method), which lambda.NewHandler takes.
func handle[H any](wire func(*app.Deps) (H, error), start func(H) any) func(*app.Deps) (any, error) {
	return func(d *app.Deps) (any, error) {
		h, err := wire(d)
		if err != nil {
			return nil, err
		}
		return start(h), nil
	}
}

// buildHandlers builds every function's handler on d.
func buildHandlers(d *app.Deps) (map[string]any, error) {
	out := make(map[string]any, len(constructors))
	for id, build := range constructors {
		h, err := build(d)
		if err != nil {
			return nil, fmt.Errorf("devserver: %s: %w", id, err)
		}
		out[id] = h
	}
	return out, nil
}
