// Command retention-backfill gives the items written before retention
// (issue 14, docs/retention.md) what newer writes carry, so that the
// periods the privacy policy states apply to them too: expires_at on
// unverified members and their email claims, the consent-IP index on
// members, and an anonymization schedule on every published or cancelled
// event (dynamo.Store.BackfillRetention). Run it once after deploying;
// running it again is harmless. It reads the table name and AWS
// credentials as a function does (TABANE_TABLE, AWS_*; AWS_ENDPOINT_URL
// for DynamoDB Local) and prints what it did, counts only.
//
//	TABANE_TABLE=tabane-prod go run ./infra/retention-backfill
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/sorae/tabane/pkg/app"
)

func main() {
	ctx := context.Background()
	// The backfill signs nothing and keys nothing by the session secret,
	// so it runs without the production one.
	getenv := func(k string) string {
		if v := os.Getenv(k); v != "" || k != "TABANE_SESSION_SECRET" {
			return v
		}
		return "retention-backfill-needs-no-secret-0000"
	}
	d, err := app.Load(ctx, getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "retention-backfill:", err)
		os.Exit(1)
	}
	res, err := d.Store().BackfillRetention(ctx)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "retention-backfill:", err)
		os.Exit(1)
	}
}
