// Command rsvp is the RsvpFunction Lambda: registrations (register, cancel,
// my registrations). Wiring only; the handler lives in pkg/rsvpapi.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "RsvpFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
