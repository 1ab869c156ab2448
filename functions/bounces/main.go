// Command bounces is the BouncesFunction Lambda: SNS invokes it with SES's
// send, bounce and complaint notifications; it confirms sends whose call was
// cut off, and keeps the mail suppression list. Wiring only: bouncesjob.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/bouncesjob"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := bouncesjob.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
