// Command admin is the AdminFunction Lambda: organizer administration
// (/api/admin/*). Wiring only; the handler lives in pkg/adminapi.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "AdminFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
