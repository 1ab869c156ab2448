package eventsapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/awsmetrics"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestMain(m *testing.M) { os.Exit(localtest.MainServing(m, "EventsFunction")) }

var jst = time.FixedZone("JST", 9*60*60)

// now is the fixed instant every test runs at: 2025-05-01 09:00 in Tokyo.
var now = time.Date(2025, 5, 1, 9, 0, 0, 0, jst)

const baseURL = "https://tabane.example.jp"

// viewers is the tests' ViewerResolver: a token names a viewer. The real
// sessions are pkg/auth's; here only what the handler does with a viewer matters.
type viewers map[string]community.Viewer

func (v viewers) Resolve(_ context.Context, token string) (community.Viewer, error) {
	if token == "" {
		return community.Viewer{}, nil
	}
	if vw, ok := v[token]; ok {
		return vw, nil
	}
	return community.Viewer{}, community.ErrInvalidSession.Messagef("ログインの有効期限が切れています。")
}

func member(membership community.Membership, status community.MemberStatus, role community.Role) community.Viewer {
	return community.Viewer{Member: &community.Member{
		ID: community.NewID(now), Email: "m@example.jp", Name: "テスト 会員",
		Membership: membership, Status: status, Role: role,
	}}
}

// Tokens of the test viewers, one per audience the rules tell apart.
const (
	tokSupporting = "tok-supporting"
	tokRegular    = "tok-regular"
	tokOrganizer  = "tok-organizer"
	tokPending    = "tok-pending"
)

var testViewers = viewers{
	tokSupporting: member(community.MembershipSupporting, community.MemberActive, community.RoleMember),
	tokRegular:    member(community.MembershipRegular, community.MemberActive, community.RoleMember),
	tokOrganizer:  member(community.MembershipSupporting, community.MemberActive, community.RoleOrganizer),
	tokPending:    member(community.MembershipRegular, community.MemberPendingApproval, community.RoleMember),
}

// env is a handler on a fresh table of DynamoDB Local, counting its calls.
type env struct {
	h       *Handler
	store   *dynamo.Store
	counter *awsmetrics.Counter
}

func newEnv(t testing.TB) *env {
	t.Helper()
	counter := awsmetrics.NewCounter()
	client := dynamodb.NewFromConfig(localtest.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBURL())
		o.DisableValidateResponseChecksum = true
		o.APIOptions = append(o.APIOptions, counter.Middleware())
	})
	store := dynamo.New(client, localtest.NewTable(t))
	events := &community.Events{Store: store, Clock: community.ClockFunc(func() time.Time { return now })}
	cfg := config.Config{CommunityName: config.DefaultCommunity, BaseURL: baseURL}
	log := slog.New(slog.DiscardHandler)
	return &env{h: New(events, testViewers, cfg, log), store: store, counter: counter}
}

// event returns a published event starting at start; the join URL is
// distinctive so tests can prove it never leaks.
func event(title string, kind community.Kind, aud community.Audience, start time.Time) *community.Event {
	id := community.NewID(now)
	return &community.Event{
		ID: id, Title: title, Kind: kind, Audience: aud,
		Description: title + "の説明です。",
		StartsAt:    start, EndsAt: start.Add(90 * time.Minute),
		OnlinePlatform: "Zoom", JoinURL: "https://zoom.example/j/JOIN-" + id,
		Status: community.EventPublished, ReminderOffsets: community.DefaultReminderOffsets,
		CreatedAt: now, UpdatedAt: now,
	}
}

func (e *env) seed(t testing.TB, events ...*community.Event) {
	t.Helper()
	for _, ev := range events {
		if err := e.store.CreateEvent(context.Background(), ev); err != nil {
			t.Fatalf("seed %s: %v", ev.Title, err)
		}
	}
	e.counter.Reset()
}

// fixture loads an API Gateway v2 event from testdata.
func fixture(t testing.TB, name string) httpapi.Request {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var req httpapi.Request
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return req
}

// withQuery sets the raw query string as API Gateway would give it.
func withQuery(req httpapi.Request, raw string) httpapi.Request {
	req.RawQueryString, req.QueryStringParameters = raw, nil
	return req
}

// invoke passes req through JSON both ways, as Lambda does, and Handle in between.
func invoke(t testing.TB, h *Handler, req httpapi.Request) httpapi.Response {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var decoded httpapi.Request
	if err := json.Unmarshal(in, &decoded); err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), decoded)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var got httpapi.Response
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("%s: no nosniff header", req.RouteKey)
	}
	apicontract.Check(t, decoded, got)
	return got
}

type listBody struct {
	Events     []map[string]any `json:"events"`
	NextCursor *string          `json:"next_cursor"`
}

func decodeList(t testing.TB, resp httpapi.Response) listBody {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var b listBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	if b.Events == nil {
		t.Fatalf("events is not an array: %s", resp.Body)
	}
	return b
}

func ids(events []map[string]any) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, e["id"].(string))
	}
	return out
}

// startOrder is the order the listing promises: by start, ties by id.
func startOrder(events ...*community.Event) []string {
	sorted := append([]*community.Event(nil), events...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.StartsAt.Equal(b.StartsAt) {
			return a.StartsAt.Before(b.StartsAt)
		}
		return a.ID < b.ID
	})
	out := make([]string, 0, len(sorted))
	for _, e := range sorted {
		out = append(out, e.ID)
	}
	return out
}
