// Command mailer is the MailerFunction Lambda: the table's stream invokes it
// with new outbox items to send. Wiring only: mailerjob.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/mailerjob"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := mailerjob.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
