// Command web is the WebFunction Lambda: the server-rendered Japanese pages.
// Wiring only; the handler lives in pkg/web.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/config"
)

func main() {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	deps, err := app.LoadDeps(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	build, ok := app.Functions["WebFunction"]
	if !ok {
		log.Fatal("pkg/app.Functions has no WebFunction")
	}
	h, err := build(deps)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
