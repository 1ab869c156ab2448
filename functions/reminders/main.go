// Command reminders is the RemindersFunction Lambda: EventBridge Scheduler
// runs it every few minutes to send the due reminders and keep series
// occurrences in the table. Wiring only; the handler lives in pkg/reminders.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "RemindersFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
