// Command signup is the SignupFunction Lambda: the membership API (signup,
// sign-in links, sessions, profile, unsubscribe). Wiring only; the handler
// lives in pkg/membersapi.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	h, err := app.Build(context.Background(), "SignupFunction", os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
