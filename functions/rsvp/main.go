// Command rsvp is the RsvpFunction Lambda: registrations (register, cancel,
// my registrations). Wiring only: rsvpapi.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/rsvpapi"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := rsvpapi.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
