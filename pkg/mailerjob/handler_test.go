package mailerjob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"

	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/mailerjob"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "MailerFunction")) }

// flakySES is the SES stand-in behind a switch: while throttling, every
// call answers SES's throttling error, as SES does above the sending rate.
type flakySES struct {
	next mail.SESClient
	mu   sync.Mutex
	down bool
	sent int
}

func (f *flakySES) throttle(on bool) { f.mu.Lock(); f.down = on; f.mu.Unlock() }

func (f *flakySES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, opts ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}
	}
	out, err := f.next.SendRawEmail(ctx, in, opts...)
	if err == nil {
		f.mu.Lock()
		f.sent++
		f.mu.Unlock()
	}
	return out, err
}

type env struct {
	table string
	store *dynamo.Store
	regs  *community.Registrations
	h     *mailerjob.Handler
	ses   *flakySES
	clock *communitytest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	table := localtest.NewTable(t)
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"TABANE_SESSION_SECRET": strings.Repeat("k", 40), "TABANE_TABLE": table}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(localtest.DynamoDB(), table)
	clk := communitytest.NewClock(time.Now())
	composer, err := mail.NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakySES{next: localtest.SES()}
	sender := &mail.Sender{SES: flaky, Clock: clk, MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	links := auth.Links{BaseURL: cfg.BaseURL, Keys: cfg.Keys}
	room := &community.Mailroom{Store: store, Notifier: &mail.Notifier{Composer: composer, Sender: sender}, Links: links, Clock: clk,
		Log: communitytest.Logf(t)}
	return &env{
		table: table, store: store, ses: flaky, clock: clk,
		regs: &community.Registrations{Events: store, Regs: store, Clock: clk, Links: links},
		h:    mailerjob.New(room, app.NewLogger(testWriter{t}, "debug")),
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// event stores a published public event with capacity seats and a waitlist.
func (e *env) event(t *testing.T, capacity int) *community.Event {
	t.Helper()
	now := e.clock.Now()
	start := now.Add(72 * time.Hour).Truncate(time.Hour)
	ev := &community.Event{
		ID: community.NewID(now), Title: "私塾：橋梁点検の基礎", Kind: community.KindLecture, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(90 * time.Minute), OnlinePlatform: "Zoom", JoinURL: "https://zoom.example/j/secret",
		Capacity: capacity, Waitlist: true, Status: community.EventPublished, CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func (e *env) guest(t *testing.T, ev *community.Event) (string, *community.Registration) {
	t.Helper()
	addr := localtest.UniqueEmail("mailer")
	res, err := e.regs.Register(context.Background(), community.Viewer{}, ev.ID, &community.Guest{Name: "山田 太郎", Email: addr})
	if err != nil {
		t.Fatal(err)
	}
	return addr, res.Registration
}

// record is the stream record DynamoDB makes for an inserted outbox item.
func record(id string, seq int) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		EventID: fmt.Sprint(seq), EventName: "INSERT", EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			Keys:           map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("OUTBOX#" + id), "SK": events.NewStringAttribute("OUTBOX")},
			SequenceNumber: fmt.Sprintf("%021d", seq),
			StreamViewType: "NEW_IMAGE",
		},
	}
}

// invoke passes ev through Lambda's JSON path to the handler.
func (e *env) invoke(t *testing.T, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	t.Helper()
	in, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestMailer(t *testing.T) {
	e := newEnv(t)
	ev := e.event(t, 1)
	seatAddr, seat := e.guest(t, ev)
	waitAddr, wait := e.guest(t, ev)
	confirmed := community.RegistrationMail(seat, seat.CreatedAt)
	waitlisted := community.RegistrationMail(wait, wait.CreatedAt)

	t.Run("SendsEachOnce", func(t *testing.T) {
		batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(confirmed.ID, 1), record(waitlisted.ID, 2)}}
		if resp := e.invoke(t, batch); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v", resp.BatchItemFailures)
		}
		// Lambda delivers at least once: the same batch again sends nothing.
		if resp := e.invoke(t, batch); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("redelivery failures %+v", resp.BatchItemFailures)
		}
		// The item keeps SES's message id, to find the mail in SES's records.
		item, err := localtest.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(e.table),
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + confirmed.ID}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"}}})
		if err != nil {
			t.Fatal(err)
		}
		if id, ok := item.Item["message_id"].(*types.AttributeValueMemberS); !ok || id.Value == "" {
			t.Errorf("outbox item after sending: %v, want SES's message id", item.Item)
		}
		got := localtest.WaitMail(t, seatAddr, 1)
		if len(got) != 1 || !strings.Contains(got[0].Subject, "参加登録") || !strings.Contains(got[0].Body.Text, "https://zoom.example/j/secret") {
			t.Errorf("the confirmed guest got %d mails: %+v", len(got), got)
		}
		if got := localtest.WaitMail(t, waitAddr, 1); len(got) != 1 || !strings.Contains(got[0].Subject, "キャンセル待ち") ||
			strings.Contains(got[0].Body.Text, "zoom.example") {
			t.Errorf("the waitlisted guest got %d mails, or the join URL: %+v", len(got), got)
		}
	})

	t.Run("ThrottledIsRetriedNeverDoubled", func(t *testing.T) {
		// The seat's cancellation promotes the waitlist: two mails owed.
		if _, _, err := e.store.CancelRegistration(context.Background(), ev.ID, seat.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		cancelled := community.CancelledMail(seat, e.clock.Now())
		promoted := community.PromotedMail(wait, e.clock.Now())
		batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(cancelled.ID, 3), record(promoted.ID, 4)}}
		e.ses.throttle(true)
		resp := e.invoke(t, batch)
		if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != fmt.Sprintf("%021d", 3) {
			t.Fatalf("throttled batch: failures %+v, want both records", resp.BatchItemFailures)
		}
		e.ses.throttle(false)
		// Lambda retries from the first failed record.
		if resp := e.invoke(t, batch); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("retry failures %+v", resp.BatchItemFailures)
		}
		if resp := e.invoke(t, batch); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("second retry failures %+v", resp.BatchItemFailures)
		}
		if got := localtest.WaitMail(t, seatAddr, 2); len(got) != 2 || !strings.Contains(got[1].Subject, "取り消") {
			t.Errorf("the cancelled guest: %d mails, last %q", len(got), got[len(got)-1].Subject)
		}
		if got := localtest.WaitMail(t, waitAddr, 2); len(got) != 2 || !strings.Contains(got[1].Subject, "参加が確定") {
			t.Errorf("the promoted guest: %d mails, last %q", len(got), got[len(got)-1].Subject)
		}
	})

	t.Run("BadRecordsDoNotBlockTheBatch", func(t *testing.T) {
		other := community.Mail{ID: "no-such-mail", Kind: community.MailPromoted}
		bad := events.DynamoDBEventRecord{EventID: "x", EventName: "INSERT",
			Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("EVENT#1")}, SequenceNumber: "9"}}
		noKeys := events.DynamoDBEventRecord{EventID: "y", EventName: "INSERT"}
		resp := e.invoke(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{bad, noKeys, record(other.ID, 10)}})
		if len(resp.BatchItemFailures) != 0 {
			t.Errorf("failures %+v, want the bad records passed over", resp.BatchItemFailures)
		}
	})
}

// TestUnknownKindIsSettled: an item of a kind this mailer does not know is
// refused for good (logged), not retried for ever.
func TestUnknownKindIsSettled(t *testing.T) {
	e := newEnv(t)
	ev := e.event(t, 0)
	_, r := e.guest(t, ev)
	room := e.h.Mailroom.(*community.Mailroom)
	// A stored item of a kind from a newer mailer: claim it and hand its
	// delivery a kind this one does not know.
	m := community.RegistrationMail(r, r.CreatedAt)
	fake := &kindStore{MailroomStore: room.Store, kind: "from_the_future"}
	odd := *room
	odd.Store = fake
	outcome, err := odd.Deliver(context.Background(), m.ID, "test")
	if err != nil || outcome != community.MailRefused {
		t.Fatalf("Deliver = %q, %v; want refused", outcome, err)
	}
	if _, got, err := e.store.ClaimMail(context.Background(), m.ID, "again", e.clock.Now(), time.Minute); err != nil || got != community.MailDone {
		t.Errorf("after refusal the item is %v, %v; want done", got, err)
	}
	if e.ses.sent != 0 {
		t.Errorf("%d mails sent", e.ses.sent)
	}
}

// kindStore changes the kind of every item it hands out.
type kindStore struct {
	community.MailroomStore
	kind community.MailKind
}

func (s *kindStore) ClaimMail(ctx context.Context, id, owner string, now time.Time, ttl time.Duration) (*community.Mail, community.MailClaim, error) {
	m, got, err := s.MailroomStore.ClaimMail(ctx, id, owner, now, ttl)
	if m != nil {
		m.Kind = s.kind
	}
	return m, got, err
}

// cutOffSES passes each call on to the SES stand-in (or not), then answers
// as if the connection had been reset: the mailer cannot know whether SES
// took the mail.
type cutOffSES struct {
	next    mail.SESClient
	deliver bool // whether the stand-in gets the mail before the reset
	mu      sync.Mutex
	raw     [][]byte
}

func (c *cutOffSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, opts ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	c.mu.Lock()
	c.raw = append(c.raw, in.RawMessage.Data)
	c.mu.Unlock()
	if c.deliver {
		if _, err := c.next.SendRawEmail(ctx, in, opts...); err != nil {
			return nil, err
		}
	}
	return nil, &smithy.OperationError{ServiceID: "SES", OperationName: "SendRawEmail",
		Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}
}

// TestUncertainSend: a send cut off mid-call is neither lost nor doubled.
// It is held; SES's Send event (ConfirmMailSent, from the tag the mail
// carries) settles it when SES took it, and the re-drive after the hold
// sends it again when no event came.
func TestUncertainSend(t *testing.T) {
	e := newEnv(t)
	ev := e.event(t, 5)
	room := e.h.Mailroom.(*community.Mailroom)
	notifier := room.Notifier.(*mail.Notifier)
	cut := &cutOffSES{next: localtest.SES()}
	notifier.Sender.SES = cut
	redrive := func(t *testing.T) mailerjob.RedriveResult {
		t.Helper()
		out, err := lambda.NewHandler(e.h.Handle).Invoke(context.Background(), []byte(`{"source":"tabane.mailer","scheduled_time":"2026-11-30T00:00:00Z"}`))
		if err != nil {
			t.Fatal(err)
		}
		var res mailerjob.RedriveResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("SESTookIt", func(t *testing.T) {
		cut.deliver = true
		addr, r := e.guest(t, ev)
		m := community.RegistrationMail(r, r.CreatedAt)
		if resp := e.invoke(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(m.ID, 20)}}); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("an uncertain send is no batch failure (retrying would double it): %+v", resp.BatchItemFailures)
		}
		// The stream's retry, or another record for it, does not send it again.
		if _, got, err := e.store.ClaimMail(context.Background(), m.ID, "other", e.clock.Now(), time.Minute); err != nil || got != community.MailBusy {
			t.Fatalf("held item claimed: %v, %v; want busy", got, err)
		}
		// The mail names its outbox item, as SES's Send event will.
		tag := "X-SES-MESSAGE-TAGS: outbox=" + community.MailTag(m.ID)
		if len(cut.raw) != 1 || !strings.Contains(string(cut.raw[0]), tag) {
			t.Fatalf("%d calls; the mail lacks %q", len(cut.raw), tag)
		}
		if ok, err := e.store.ConfirmMailSent(context.Background(), m.ID, "ses-message-id", e.clock.Now()); err != nil || !ok {
			t.Fatalf("ConfirmMailSent = %v, %v", ok, err)
		}
		if ok, err := e.store.ConfirmMailSent(context.Background(), m.ID, "ses-message-id", e.clock.Now()); err != nil || ok {
			t.Errorf("a second Send event = %v, %v; want no change", ok, err)
		}
		e.clock.Advance(community.UncertainHold + community.RedriveAfter + time.Minute)
		redrive(t)
		if got := localtest.WaitMail(t, addr, 1); len(got) != 1 {
			t.Errorf("%d mails, want exactly one", len(got))
		}
		if len(cut.raw) != 1 {
			t.Errorf("%d SES calls, want 1: a confirmed mail is never re-driven", len(cut.raw))
		}
	})

	t.Run("SESNeverGotIt", func(t *testing.T) {
		cut.deliver, cut.raw = false, nil
		addr, r := e.guest(t, ev)
		m := community.RegistrationMail(r, r.CreatedAt)
		e.invoke(t, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(m.ID, 30)}})
		// Inside the hold, no delivery takes it.
		inside := e.clock.Now().Add(community.UncertainHold - time.Minute)
		if _, got, err := e.store.ClaimMail(context.Background(), m.ID, "other", inside, time.Minute); err != nil || got != community.MailBusy {
			t.Fatalf("held item claimed: %v, %v; want busy", got, err)
		}
		// No Send event came: after the hold, the re-drive sends it again.
		notifier.Sender.SES = localtest.SES()
		e.clock.Advance(max(community.UncertainHold, community.RedriveAfter) + time.Minute)
		if res := redrive(t); res.Sent != 1 {
			t.Errorf("re-drive sent %d, want 1", res.Sent)
		}
		if got := localtest.WaitMail(t, addr, 1); len(got) != 1 {
			t.Errorf("%d mails, want exactly one", len(got))
		}
		if res := redrive(t); res.Sent != 0 {
			t.Errorf("a second re-drive sent %d", res.Sent)
		}
	})
}
