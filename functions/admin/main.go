// Command admin is the AdminFunction Lambda: organizer administration
// (/api/admin/*). Wiring only: adminapi.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/app"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := adminapi.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
