package remindersjob_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/awscalls"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "RemindersFunction")) }

// recordingSES hands every message to the SES stand-in and keeps the raw
// MIME per recipient: the stand-in drops custom headers such as
// List-Unsubscribe, so they are read from here. fail, when set, answers a
// call instead of the stand-in (to throttle).
type recordingSES struct {
	next mail.SESClient
	mu   sync.Mutex
	raw  map[string][][]byte
	fail func(call int) error
	n    int
}

func (r *recordingSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, opts ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	r.mu.Lock()
	r.n++
	n := r.n
	r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(n); err != nil {
			return nil, err
		}
	}
	out, err := r.next.SendRawEmail(ctx, in, opts...)
	if err == nil {
		r.mu.Lock()
		for _, to := range in.Destinations {
			r.raw[strings.ToLower(to)] = append(r.raw[strings.ToLower(to)], in.RawMessage.Data)
		}
		r.mu.Unlock()
	}
	return out, err
}

func (r *recordingSES) rawTo(to string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw[strings.ToLower(to)]
}

// T is the sweep's "now" in most tests: 18:00 in Tokyo.
var T = time.Date(2030, 6, 11, 9, 0, 0, 0, time.UTC)

type env struct {
	t        testing.TB
	store    *dynamo.Store
	table    string
	clock    *communitytest.Clock // the sweep's "now", set without waiting for it
	links    auth.Links
	composer *mail.Composer
	ses      *recordingSES
	sender   *mail.Sender
	notifier *mail.Notifier
	// room is the mailer: in a package test no stream invokes it, so the
	// outbox is delivered before every mailbox read (localtest.MailTo).
	room     *community.Mailroom
	dbCalls  *awsmetrics.Counter
	sesCalls *awsmetrics.Counter
}

func newEnv(t testing.TB) *env {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{
			"TABANE_SESSION_SECRET": "test-secret-test-secret-test-secret-0123",
			"TABANE_BASE_URL":       "https://tabane.example.jp",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	table := localtest.NewTable(t)
	dbCalls, sesCalls := awsmetrics.NewCounter(), awsmetrics.NewCounter()
	db := dynamodb.NewFromConfig(localtest.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
		o.DisableValidateResponseChecksum = true
		o.APIOptions = append(o.APIOptions, dbCalls.Middleware())
	})
	sesClient := ses.NewFromConfig(localtest.AWSConfig(), func(o *ses.Options) {
		o.BaseEndpoint = aws.String(localtest.SESURL())
		o.APIOptions = append(o.APIOptions, sesCalls.Middleware())
	})
	composer, err := mail.NewComposer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := communitytest.NewClock(T)
	rec := &recordingSES{next: sesClient, raw: map[string][][]byte{}}
	sender := &mail.Sender{SES: rec, Clock: clk, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	e := &env{
		t: t, store: dynamo.New(db, table), table: table, clock: clk,
		links:    auth.Links{BaseURL: cfg.BaseURL, Keys: cfg.Keys},
		composer: composer, ses: rec, sender: sender,
		notifier: &mail.Notifier{Composer: composer, Sender: sender},
		dbCalls:  dbCalls, sesCalls: sesCalls,
	}
	e.room = &community.Mailroom{Store: e.store, Notifier: unmailed{}, Reminders: e.notifier,
		Links: e.links, OptOuts: e.links, Clock: clk, Surveys: e.notifier, SurveyLinks: e.links,
		OrgSurveys: e.notifier, OrgSurveyLinks: e.links}
	localtest.DeliverOutbox(t, func(context.Context) error { communitytest.Deliver(t, e.room); return nil })
	return e
}

// unmailed is the Mailroom's RegistrationNotifier here: the mails that
// registering owes (rsvpapi's tests read them) are settled without a send,
// so each mailbox holds the reminders alone.
type unmailed struct{}

func (unmailed) RegistrationConfirmed(context.Context, community.Recipient, *community.Event, string, string, string) error {
	return nil
}
func (unmailed) Waitlisted(context.Context, community.Recipient, *community.Event, int, string) error {
	return nil
}
func (unmailed) Promoted(context.Context, community.Recipient, *community.Event, string, string, string) error {
	return nil
}
func (unmailed) RegistrationCancelled(context.Context, community.Recipient, *community.Event) error {
	return nil
}

// service is a sweep on the env's store and clock: it sends nothing, the
// env's Mailroom does.
func (e *env) service() *community.Reminders {
	return &community.Reminders{Store: e.store, Clock: e.clock}
}

// sweep runs one sweep without a time budget.
func (e *env) sweep(s *community.Reminders) community.SweepResult {
	e.t.Helper()
	// As the handler runs it: its calls are checked against the function's
	// policy (localtest.MainServing), the retention sweep's among them.
	res, err := s.Sweep(awscalls.WithFunction(context.Background(), "RemindersFunction"))
	if err != nil {
		e.t.Fatalf("sweep: %v", err)
	}
	return res
}

// deliverAll runs the mailer until no outbox mail is left unsettled (a
// mail SES would not take now is retried by the next round), at most n
// rounds, and returns how many rounds it took.
func (e *env) deliverAll(t *testing.T, n int) int {
	t.Helper()
	for round := 1; round <= n; round++ {
		communitytest.Deliver(t, e.room)
		left, err := e.store.UnsentMail(context.Background(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return round
		}
	}
	t.Fatalf("outbox mail still unsent after %d rounds", n)
	return n
}

// event stores a published event starting at start, lasting an hour.
func (e *env) event(title string, start time.Time, edit func(*community.Event)) *community.Event {
	e.t.Helper()
	ev := &community.Event{
		ID: community.NewID(start), Title: title, Kind: community.KindMeeting, Audience: community.AudiencePublic,
		StartsAt: start, EndsAt: start.Add(time.Hour), Status: community.EventPublished,
		CreatedAt: T.Add(-7 * 24 * time.Hour), UpdatedAt: T.Add(-7 * 24 * time.Hour),
	}
	if edit != nil {
		edit(ev)
	}
	if err := e.store.CreateEvent(context.Background(), ev); err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func online(url string) func(*community.Event) {
	return func(ev *community.Event) { ev.OnlinePlatform, ev.JoinURL = "Zoom", url }
}

// member stores an active member with a unique address.
func (e *env) member(name string, reminders bool, status community.MemberStatus) *community.Member {
	e.t.Helper()
	m := &community.Member{
		ID: community.NewID(T), Email: localtest.UniqueEmail("member"), Name: name, NameKana: "かいいん",
		Membership: community.MembershipSupporting, Affiliation: "伊勢崎市", Status: status, Role: community.RoleMember,
		Preferences: community.Preferences{Reminders: reminders}, CreatedAt: T.Add(-90 * 24 * time.Hour), UpdatedAt: T.Add(-90 * 24 * time.Hour),
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// register stores a registration made at at, of member m or, when m is
// nil, of a guest with a unique address.
func (e *env) register(ev *community.Event, m *community.Member, at time.Time) *community.Registration {
	e.t.Helper()
	r := &community.Registration{ID: community.NewID(at), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: at, UpdatedAt: at}
	if m != nil {
		r.MemberID = m.ID
	} else {
		r.Guest = &community.Guest{Name: "ゲスト 花子", Email: localtest.UniqueEmail("guest")}
	}
	if err := e.store.Register(context.Background(), ev, r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// behindSchedule runs write, an event write through the store, and then
// puts the event's reminder items back as they were before it: the store
// keeps reminders in step with every event write, so this is how a test
// makes the schedule miss a change (as a failed sync would) and checks that
// the sweep notices by itself.
func (e *env) behindSchedule(eventID string, write func()) {
	e.t.Helper()
	ctx := context.Background()
	db := localtest.DynamoDB()
	query := func() []map[string]types.AttributeValue {
		expr, err := expression.NewBuilder().WithKeyCondition(
			expression.Key("PK").Equal(expression.Value("EVENT#" + eventID)).
				And(expression.Key("SK").BeginsWith("REMINDER#"))).Build()
		if err != nil {
			e.t.Fatal(err)
		}
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		})
		if err != nil {
			e.t.Fatal(err)
		}
		return out.Items
	}
	before := query()
	write()
	for _, it := range query() {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.table),
			Key: map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]}}); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, it := range before {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: it}); err != nil {
			e.t.Fatal(err)
		}
	}
}
