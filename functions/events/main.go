// Command events is the EventsFunction Lambda: event listing, detail and the
// public iCalendar feed. Wiring only: eventsapi.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/eventsapi"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := eventsapi.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
