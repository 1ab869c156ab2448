package remindersjob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// The sweep RemindersFunction runs erases what is past its retention: the
// guests of an event GuestRetentionDays after it ended, and consent IPs
// ConsentIPRetentionDays after the consent — each exactly once under
// three concurrent sweeps, and not a second early.
func TestRetentionSweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	d := app.New(config.Config{TableName: e.table}, app.LocalAWSConfig("ap-northeast-1"), app.Endpoints{DynamoDB: localtest.DynamoDBURL()}, nil)
	if d.Reminders().Retain == nil {
		t.Fatal("RemindersFunction's sweep is wired without the retention sweep")
	}
	svc := e.service()
	svc.Retain = (&community.Retention{Store: e.store, Clock: e.clock}).Sweep

	ev := e.event("私塾 過去回", T.Add(time.Hour), nil)
	m := e.member("会員 残子", true, community.MemberActive)
	e.register(ev, m, T.Add(-time.Hour))
	var guests []*community.Registration
	for range 3 {
		guests = append(guests, e.register(ev, nil, T.Add(-time.Hour)))
	}
	consenting := e.member("同意 記録", true, community.MemberActive)
	agreed := community.GuestsAnonymizedAt(ev.EndsAt).Add(-community.ConsentIPRetention)
	consenting.Consent = community.Consent{Terms: true, FormVersion: community.SignupFormVersion, AgreedAt: agreed, IP: "198.51.100.42"}
	if err := e.store.UpdateMember(ctx, consenting); err != nil {
		t.Fatal(err)
	}

	e.clock.Set(community.GuestsAnonymizedAt(ev.EndsAt).Add(-time.Second))
	if res := e.sweep(svc); res.Retention != (community.RetentionResult{}) {
		t.Fatalf("a second early the sweep did %+v", res.Retention)
	}
	e.clock.Advance(time.Second)
	var mu sync.Mutex
	var total community.RetentionResult
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			res := e.sweep(svc)
			mu.Lock()
			defer mu.Unlock()
			total.GuestsAnonymized += res.Retention.GuestsAnonymized
			total.ConsentIPsDropped += res.Retention.ConsentIPsDropped
		})
	}
	wg.Wait()
	if total.GuestsAnonymized != len(guests) || total.ConsentIPsDropped != 1 {
		t.Errorf("three sweeps did %+v, want %d guests and 1 consent IP", total, len(guests))
	}
	if res := e.sweep(svc); res.Retention.GuestEvents != 0 || res.Retention.GuestsAnonymized != 0 || res.Retention.ConsentIPsDropped != 0 {
		t.Errorf("a later sweep did %+v", res.Retention)
	}

	cur, err := e.store.Event(ctx, ev.ID)
	if err != nil || cur.ConfirmedCount != 4 {
		t.Errorf("event %+v, %v: the counts go with the people", cur, err)
	}
	for _, g := range guests {
		got, err := e.store.Registration(ctx, ev.ID, g.ID)
		if err != nil || got.Guest == nil || got.Guest.Name != community.AnonymizedGuestName || got.Guest.Email != "" ||
			got.Status != community.RegistrationConfirmed {
			t.Errorf("guest registration %+v, %v", got, err)
		}
	}
	out, err := localtest.DynamoDB().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprint(items)
	for _, g := range guests {
		sum := sha256.Sum256([]byte(strings.ToLower(g.Guest.Email)))
		for _, personal := range []string{strings.ToLower(g.Guest.Email), g.Guest.Name, hex.EncodeToString(sum[:])} {
			if strings.Contains(dump, personal) {
				t.Errorf("the table still holds %q", personal)
			}
		}
	}
	if strings.Contains(dump, "198.51.100.42") {
		t.Error("the table still holds the consent IP")
	}
	if !strings.Contains(dump, strings.ToLower(m.Email)) {
		t.Error("the member's address went too")
	}
}

// An event moved after its anonymization was scheduled waits for its new
// end: the sweep puts the schedule back in step and erases nothing yet.
func TestRetentionFollowsAMovedEvent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	svc := e.service()
	svc.Retain = (&community.Retention{Store: e.store, Clock: e.clock}).Sweep
	ev := e.event("体験 延期", T.Add(time.Hour), nil)
	g := e.register(ev, nil, T)
	// The move is written, but the schedule stays as it was (as a
	// failed sync would leave it): the sweep has to notice by itself.
	db := localtest.DynamoDB()
	schedule := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "EVENT#" + ev.ID}, "SK": &types.AttributeValueMemberS{Value: "PRIVACY"}}
	old, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.table), Key: schedule, ConsistentRead: aws.Bool(true)})
	if err != nil || old.Item == nil {
		t.Fatalf("no anonymization schedule: %v", err)
	}
	moved := *ev
	moved.StartsAt, moved.EndsAt = ev.StartsAt.Add(30*24*time.Hour), ev.EndsAt.Add(30*24*time.Hour)
	if _, err := e.store.UpdateEvent(ctx, community.EventUpdate{Event: &moved, ReadAt: ev.UpdatedAt, Status: community.EventPublished}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: old.Item}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(community.GuestsAnonymizedAt(ev.EndsAt))
	if res := e.sweep(svc); res.Retention.GuestEvents != 1 || res.Retention.GuestsAnonymized != 0 {
		t.Fatalf("at the old time the sweep did %+v", res.Retention)
	}
	if got, err := e.store.Registration(ctx, ev.ID, g.ID); err != nil || got.Guest.Email == "" {
		t.Fatalf("anonymized before its time: %+v, %v", got, err)
	}
	e.clock.Set(community.GuestsAnonymizedAt(ev.EndsAt.Add(30 * 24 * time.Hour)))
	if res := e.sweep(svc); res.Retention.GuestsAnonymized != 1 {
		t.Errorf("at the new time the sweep did %+v", res.Retention)
	}
}
