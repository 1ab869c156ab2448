// Command web is the WebFunction Lambda: the server-rendered Japanese pages.
// Wiring only; the handler lives in pkg/web.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "WebFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
