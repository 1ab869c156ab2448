// Command events is the EventsFunction Lambda: event listing, detail and the
// public iCalendar feed. Wiring only; the handler lives in pkg/eventsapi.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "EventsFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
