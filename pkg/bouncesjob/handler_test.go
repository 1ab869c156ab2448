package bouncesjob_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/bouncesjob"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

// The Send tests keep outbox items in DynamoDB Local.
func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "BouncesFunction")) }

// suppressFunc is a function-field Suppressor.
type suppressFunc func(ctx context.Context, email string, s community.Suppression) error

func (f suppressFunc) Suppress(ctx context.Context, email string, s community.Suppression) error {
	return f(ctx, email, s)
}

type call struct {
	Email string
	S     community.Suppression
}

var now = time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)

// recorder returns a handler that records every Suppress call, failing
// those for which fail says so, and the buffer its logs go to.
func recorder(fail func(email string) bool) (*bouncesjob.Handler, *[]call, *bytes.Buffer) {
	var calls []call
	var logs bytes.Buffer
	s := suppressFunc(func(_ context.Context, email string, s community.Suppression) error {
		calls = append(calls, call{email, s})
		if fail != nil && fail(email) {
			return errors.New("dynamo: suppress: connection refused")
		}
		return nil
	})
	clock := community.ClockFunc(func() time.Time { return now })
	return bouncesjob.New(s, clock, slog.New(slog.NewJSONHandler(&logs, nil))), &calls, &logs
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func snsEvent(messages ...string) events.SNSEvent {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{
			EventSource: "aws:sns",
			SNS:         events.SNSEntity{Type: "Notification", MessageID: "sns-" + string(rune('a'+i)), Message: m},
		})
	}
	return ev
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// noAddresses fails when the logs hold anything like an address.
func noAddresses(t *testing.T, logs *bytes.Buffer) {
	t.Helper()
	if strings.Contains(logs.String(), "@") {
		t.Errorf("the logs hold an address:\n%s", logs)
	}
}

func TestHandleFixtures(t *testing.T) {
	tests := []struct {
		name, file string
		want       []call
	}{
		{"PermanentBounce", "ses-bounce-permanent.json", []call{{"Gone.Member@Example.JP", community.Suppression{
			Reason: community.SuppressedBounce, At: at("2026-12-01T03:15:42.118Z"),
			MessageID: "0106018f2a1b2f10-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f-000000"}}}},
		{"TransientBounce", "ses-bounce-transient.json", nil},
		{"UndeterminedBounce", "ses-bounce-undetermined.json", nil},
		{"Complaint", "ses-complaint.json", []call{{"annoyed@example.jp", community.Suppression{
			Reason: community.SuppressedComplaint, At: at("2026-12-02T09:30:00Z"),
			MessageID: "0106018f2a1e0001-ccccdddd-eeee-ffff-0000-111122223333-000000"}}}},
		{"NotificationBounce", "notification-bounce-permanent.json", []call{
			{"old.a@example.jp", community.Suppression{Reason: community.SuppressedBounce, At: at("2026-12-03T00:00:10Z"),
				MessageID: "0106018f2a1f0001-ddddeeee-ffff-0000-1111-222233334444-000000"}},
			{"old.b@example.jp", community.Suppression{Reason: community.SuppressedBounce, At: at("2026-12-03T00:00:10Z"),
				MessageID: "0106018f2a1f0001-ddddeeee-ffff-0000-1111-222233334444-000000"}},
		}},
		{"NotificationComplaint", "notification-complaint.json", []call{{"spam.button@example.jp", community.Suppression{
			Reason: community.SuppressedComplaint, At: at("2026-12-04T10:00:03Z"),
			MessageID: "0106018f2a200001-eeeeffff-0000-1111-2222-333344445555-000000"}}}},
		{"Delivery", "ses-delivery.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls, logs := recorder(nil)
			if err := h.Handle(context.Background(), snsEvent(fixture(t, tt.file))); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if diff := cmp.Diff(tt.want, *calls); diff != "" {
				t.Errorf("Suppress calls (-want +got):\n%s", diff)
			}
			noAddresses(t, logs)
		})
	}
}

// TestHandleBadInput: nothing that is not a bounce or complaint fails the
// invocation (a retry cannot mend it) or reaches the logs.
func TestHandleBadInput(t *testing.T) {
	tests := []struct{ name, message string }{
		{"NotJSON", "Undeliverable: <someone@example.jp> said no"},
		{"Empty", ""},
		{"JSONNotSES", `{"hello":"someone@example.jp"}`},
		{"NoMessageID", `{"eventType":"Bounce","mail":{},"bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"someone@example.jp"}]}}`},
		{"UnknownType", `{"eventType":"Teleport","mail":{"messageId":"m-1","destination":["someone@example.jp"]}}`},
		{"BounceWithoutBounce", `{"eventType":"Bounce","mail":{"messageId":"m-2","destination":["someone@example.jp"]}}`},
		{"NotAnAddress", `{"eventType":"Complaint","mail":{"messageId":"m-3"},"complaint":{"complainedRecipients":[{"emailAddress":"not an address"},{"emailAddress":""}]}}`},
		{"WrongTypes", `{"eventType":"Bounce","mail":{"messageId":"m-4"},"bounce":{"bounceType":7}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls, logs := recorder(nil)
			if err := h.Handle(context.Background(), snsEvent(tt.message)); err != nil {
				t.Fatalf("Handle: %v, want nil (bad input is skipped)", err)
			}
			if len(*calls) != 0 {
				t.Errorf("Suppress called: %+v", *calls)
			}
			if logs.Len() == 0 {
				t.Error("nothing logged")
			}
			noAddresses(t, logs)
		})
	}
}

// TestHandleSNSEvent runs a whole SNS delivery through the JSON path
// lambda.Start uses: the bad record in the middle is skipped, the others
// are suppressed, and the logs name message ids, not addresses.
func TestHandleSNSEvent(t *testing.T) {
	h, calls, logs := recorder(nil)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(fixture(t, "sns-event.json")))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if string(out) != "null" {
		t.Errorf("Invoke answered %s, want null", out)
	}
	var got []string
	for _, c := range *calls {
		got = append(got, c.Email+" "+string(c.S.Reason))
	}
	if diff := cmp.Diff([]string{"Gone.Member@Example.JP bounce", "annoyed@example.jp complaint"}, got); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
	noAddresses(t, logs)
	var sawBad bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l["sns_message_id"] == "7d3c1f20-9a8b-5c6d-8e7f-000000000002" && l["level"] == "WARN" {
			sawBad = true
		}
	}
	if !sawBad {
		t.Errorf("no warning names the unreadable record's SNS message id:\n%s", logs)
	}
}

// TestHandleStoreFailure: a failed write fails the invocation, so Lambda
// retries it, after every other record had its turn.
func TestHandleStoreFailure(t *testing.T) {
	h, calls, logs := recorder(func(email string) bool { return email == "old.a@example.jp" })
	err := h.Handle(context.Background(), snsEvent(fixture(t, "notification-bounce-permanent.json"), fixture(t, "ses-complaint.json")))
	if err == nil {
		t.Fatal("Handle: nil error, want the store's")
	}
	if len(*calls) != 3 {
		t.Errorf("%d Suppress calls, want 3 (every recipient tried)", len(*calls))
	}
	noAddresses(t, logs)
}

// TestNoticeWithoutTime: a notice without its own time is dated by the clock.
func TestNoticeWithoutTime(t *testing.T) {
	h, calls, _ := recorder(nil)
	msg := `{"notificationType":"Complaint","mail":{"messageId":"m-5"},"complaint":{"complainedRecipients":[{"emailAddress":"a@example.jp"}]}}`
	if err := h.Handle(context.Background(), snsEvent(msg)); err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 1 || !(*calls)[0].S.At.Equal(now) {
		t.Errorf("calls %+v, want one dated %v", *calls, now)
	}
}

// The outbox item ses-send.json's tag names: an organizer message's mail.
const (
	sendFixtureMessage = "06h4h9kw00yvnd80hs7vvkz734"
	sendFixtureReg     = "06h4h9kw01p910zczzddgpeq1c"
	sendFixtureMail    = sendFixtureMessage + "." + sendFixtureReg
	sendFixtureSESID   = "0106018f2a220001-0000aaaa-bbbb-cccc-dddd-eeeeffff0000-000000"
)

// sendBase is a moment before ses-send.json's mail was taken.
var sendBase = at("2026-12-05T23:59:58Z")

// outboxEnv is a fresh table in DynamoDB Local and a handler writing to it.
type outboxEnv struct {
	table string
	store *dynamo.Store
	h     *bouncesjob.Handler
	logs  *bytes.Buffer
}

func newOutboxEnv(t *testing.T) *outboxEnv {
	t.Helper()
	table := localtest.NewTable(t)
	store := dynamo.New(localtest.DynamoDB(), table).WithDigest(func(s string) string {
		mac := hmac.New(sha256.New, []byte("test-key"))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	})
	var logs bytes.Buffer
	h := bouncesjob.New(store, community.ClockFunc(func() time.Time { return now }), slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h.Outbox = store
	return &outboxEnv{table: table, store: store, h: h, logs: &logs}
}

// mails puts one organizer message's mails, one per registration id, as
// pending outbox items, and returns their ids.
func (e *outboxEnv) mails(t *testing.T, msgID string, regIDs ...string) []string {
	t.Helper()
	m := &community.Message{ID: msgID, EventID: "06h4h9kw02event0000000000", Subject: "お知らせ", Body: "本文", ActorID: "org", CreatedAt: sendBase}
	var mails []community.Mail
	var ids []string
	for _, r := range regIDs {
		ml := community.OrganizerMessageMail(m, &community.Registration{ID: r, EventID: m.EventID}, sendBase)
		mails = append(mails, ml)
		ids = append(ids, ml.ID)
	}
	if _, put, err := e.store.PostMessage(context.Background(), m, mails); err != nil || put != len(mails) {
		t.Fatalf("PostMessage: put %d, %v", put, err)
	}
	return ids
}

// outboxRecord is what an outbox item says of its delivery, read straight
// from the table: no store method returns a settled item.
type outboxRecord struct {
	State     string    `dynamodbav:"state"`
	Owner     string    `dynamodbav:"owner"`
	MessageID string    `dynamodbav:"message_id"`
	SettledAt time.Time `dynamodbav:"settled_at"`
	GSI3PK    string    `dynamodbav:"GSI3PK"`
}

func (e *outboxEnv) record(t *testing.T, id string) outboxRecord {
	t.Helper()
	out, err := localtest.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + id}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var r outboxRecord
	if err := attributevalue.UnmarshalMap(out.Item, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// claimAfterHold is what a delivery after any claim or hold has expired
// finds: MailDone once the item is settled.
func (e *outboxEnv) claimAfterHold(t *testing.T, id string) community.MailClaim {
	t.Helper()
	_, got, err := e.store.ClaimMail(context.Background(), id, "redrive", sendBase.Add(community.UncertainHold+time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sendMessage is ses-send.json about another mail: SES message id sesID,
// and tags as given (nil for none).
func sendMessage(t *testing.T, sesID string, outbox []string) string {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal([]byte(fixture(t, "ses-send.json")), &ev); err != nil {
		t.Fatal(err)
	}
	mail := ev["mail"].(map[string]any)
	mail["messageId"] = sesID
	tags := mail["tags"].(map[string]any)
	delete(tags, community.MailTagName)
	if outbox != nil {
		tags[community.MailTagName] = outbox
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseSend(t *testing.T) {
	n, err := bouncesjob.Parse(fixture(t, "ses-send.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != bouncesjob.TypeSend || n.MessageID != sendFixtureSESID || !n.At.Equal(at("2026-12-06T00:00:00.412Z")) || len(n.Recipients) != 0 {
		t.Errorf("notice %+v", n)
	}
	tag, ok := n.OutboxTag()
	if id, parsed := community.ParseMailTag(tag); !ok || !parsed || id != sendFixtureMail {
		t.Errorf("outbox tag %q (%v) names %q (%v), want %q", tag, ok, id, parsed, sendFixtureMail)
	}
	if got := n.Tags["ses:configuration-set"]; len(got) != 1 || got[0] != "tabane-MailEvents-ABCDEF123456" {
		t.Errorf("ses:configuration-set %q", got)
	}
	if _, ok := n.Suppression(now); ok {
		t.Error("a send suppresses")
	}
}

// TestHandleSend runs ses-send.json against items in every state the
// mailer can leave one in: SES's word settles an open item as sent, with
// SES's message id, and leaves a settled one as it was.
func TestHandleSend(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, s *dynamo.Store)
		want  outboxRecord // State and MessageID
	}{
		{"Held", func(t *testing.T, s *dynamo.Store) {
			// The mailer's call was cut off: it holds its claim, waiting.
			claim(t, s, "mailer")
			if err := s.HoldMail(ctx, sendFixtureMail, "mailer", sendBase.Add(community.UncertainHold)); err != nil {
				t.Fatal(err)
			}
		}, outboxRecord{State: "sent", MessageID: sendFixtureSESID}},
		{"Claimed", func(t *testing.T, s *dynamo.Store) { claim(t, s, "mailer") },
			outboxRecord{State: "sent", MessageID: sendFixtureSESID}},
		{"Pending", func(t *testing.T, s *dynamo.Store) {},
			outboxRecord{State: "sent", MessageID: sendFixtureSESID}},
		{"AlreadySent", func(t *testing.T, s *dynamo.Store) {
			claim(t, s, "mailer")
			if err := s.SettleMail(ctx, sendFixtureMail, "mailer", community.MailSent, "ses-own-record", sendBase.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}, outboxRecord{State: "sent", MessageID: "ses-own-record"}},
		{"Skipped", func(t *testing.T, s *dynamo.Store) {
			claim(t, s, "mailer")
			if err := s.SettleMail(ctx, sendFixtureMail, "mailer", community.MailSkipped, "", sendBase.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}, outboxRecord{State: "skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOutboxEnv(t)
			e.mails(t, sendFixtureMessage, sendFixtureReg)
			tt.setup(t, e.store)
			before := e.record(t, sendFixtureMail)
			for range 2 { // SNS may deliver it twice
				if err := e.h.Handle(ctx, snsEvent(fixture(t, "ses-send.json"))); err != nil {
					t.Fatalf("Handle: %v", err)
				}
			}
			got := e.record(t, sendFixtureMail)
			if got.State != tt.want.State || got.MessageID != tt.want.MessageID {
				t.Errorf("item %+v, want state %s, message id %q", got, tt.want.State, tt.want.MessageID)
			}
			if got.GSI3PK != "" {
				t.Errorf("item %+v still in the unsent index", got)
			}
			switch before.State {
			case "sent", "skipped":
				if !got.SettledAt.Equal(before.SettledAt) {
					t.Errorf("settled at %v, was %v: a settled item changed", got.SettledAt, before.SettledAt)
				}
			default:
				if want := at("2026-12-06T00:00:00.412Z"); !got.SettledAt.Equal(want) || got.Owner != "" {
					t.Errorf("settled at %v by %q, want at the send's time %v, by nobody", got.SettledAt, got.Owner, want)
				}
			}
			if c := e.claimAfterHold(t, sendFixtureMail); c != community.MailDone {
				t.Errorf("a later delivery's claim: %v, want MailDone (never sent again)", c)
			}
			noAddresses(t, e.logs)
		})
	}
	t.Run("UnknownItem", func(t *testing.T) {
		e := newOutboxEnv(t)
		if err := e.h.Handle(ctx, snsEvent(fixture(t, "ses-send.json"))); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		if r := e.record(t, sendFixtureMail); r.State != "" {
			t.Errorf("an item appeared: %+v", r)
		}
	})
}

func claim(t *testing.T, s *dynamo.Store, owner string) {
	t.Helper()
	if _, got, err := s.ClaimMail(context.Background(), sendFixtureMail, owner, sendBase, time.Minute); err != nil || got != community.MailWon {
		t.Fatalf("claim: %v %v", got, err)
	}
}

// TestHandleSendBatch: in one SNS delivery, Send events without a tag or
// with one that is not an outbox id are skipped and logged, and the
// records around them still confirm and suppress.
func TestHandleSendBatch(t *testing.T) {
	ctx := context.Background()
	e := newOutboxEnv(t)
	ids := e.mails(t, community.NewID(sendBase), community.NewID(sendBase), community.NewID(sendBase), community.NewID(sendBase))
	ev := snsEvent(
		sendMessage(t, "ses-first", []string{community.MailTag(ids[0])}),
		sendMessage(t, "ses-untagged", nil),
		sendMessage(t, "ses-not-base64", []string{"not*base64@example.jp"}),
		sendMessage(t, "ses-two-values", []string{community.MailTag(ids[1]), community.MailTag(ids[2])}),
		sendMessage(t, "ses-empty", []string{""}),
		strings.Replace(sendMessage(t, "ses-not-a-list", nil), `"tags":{`, `"tags":{"outbox":"`+community.MailTag(ids[1])+`",`, 1),
		fixture(t, "ses-bounce-permanent.json"),
		sendMessage(t, "ses-last", []string{community.MailTag(ids[2])}),
	)
	if err := e.h.Handle(ctx, ev); err != nil {
		t.Fatalf("Handle: %v, want nil (bad tags are skipped)", err)
	}
	for id, want := range map[string]outboxRecord{
		ids[0]: {State: "sent", MessageID: "ses-first"},
		ids[1]: {State: "pending"},
		ids[2]: {State: "sent", MessageID: "ses-last"},
	} {
		if got := e.record(t, id); got.State != want.State || got.MessageID != want.MessageID {
			t.Errorf("%s: %+v, want %+v", id, got, want)
		}
	}
	if s, ok, err := e.store.Suppression(ctx, "gone.member@example.jp"); err != nil || !ok || s.Reason != community.SuppressedBounce {
		t.Errorf("the bounce after the bad sends: %+v %v %v", s, ok, err)
	}
	noAddresses(t, e.logs)
	warned := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l["level"] == "WARN" {
			warned[l["sns_message_id"].(string)] = true
		}
	}
	if want := map[string]bool{"sns-c": true, "sns-d": true, "sns-e": true, "sns-f": true}; !cmp.Equal(want, warned) {
		t.Errorf("warnings for %v, want the four unreadable tags %v:\n%s", warned, want, e.logs)
	}
}

// confirmFunc is a function-field MailConfirmer.
type confirmFunc func(ctx context.Context, id, messageID string, at time.Time) (bool, error)

func (f confirmFunc) ConfirmMailSent(ctx context.Context, id, messageID string, at time.Time) (bool, error) {
	return f(ctx, id, messageID, at)
}

// TestHandleSendStoreFailure: a confirmation that could not be written
// fails the invocation, so Lambda retries it, after the other records had
// their turn.
func TestHandleSendStoreFailure(t *testing.T) {
	h, calls, logs := recorder(nil)
	var confirmed []string
	h.Outbox = confirmFunc(func(_ context.Context, id, messageID string, _ time.Time) (bool, error) {
		confirmed = append(confirmed, id)
		if messageID == "ses-down" {
			return false, errors.New("dynamo: confirm mail sent: connection refused")
		}
		return true, nil
	})
	err := h.Handle(context.Background(), snsEvent(
		sendMessage(t, "ses-down", []string{community.MailTag("a.b")}),
		fixture(t, "ses-complaint.json"),
		sendMessage(t, "ses-up", []string{community.MailTag("c.d")}),
	))
	if err == nil {
		t.Fatal("Handle: nil error, want the store's")
	}
	if diff := cmp.Diff([]string{"a.b", "c.d"}, confirmed); diff != "" {
		t.Errorf("confirmed (-want +got):\n%s", diff)
	}
	if len(*calls) != 1 {
		t.Errorf("%d Suppress calls, want 1", len(*calls))
	}
	noAddresses(t, logs)
}

// TestHandleSendWithoutOutbox: a handler given no outbox skips Send events
// rather than failing them.
func TestHandleSendWithoutOutbox(t *testing.T) {
	h, _, logs := recorder(nil)
	if err := h.Handle(context.Background(), snsEvent(fixture(t, "ses-send.json"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "no outbox") {
		t.Errorf("not logged:\n%s", logs)
	}
	noAddresses(t, logs)
}
