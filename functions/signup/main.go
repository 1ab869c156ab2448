// Command signup is the SignupFunction Lambda: the membership API (signup,
// sign-in links, sessions, profile, unsubscribe). Wiring only: membersapi.Wire builds the handler.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/membersapi"
)

func main() {
	d, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	h, err := membersapi.Wire(d)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h.Handle)
}
