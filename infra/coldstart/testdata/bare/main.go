// Command bare is the floor of the cold-start benchmark: an aws-lambda-go
// function that does nothing before lambda.Start, so its start is the
// runtime's and the Lambda library's alone.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, e json.RawMessage) (string, error) {
		return "ok", nil
	})
}
