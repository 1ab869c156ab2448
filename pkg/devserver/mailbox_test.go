package devserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/bouncesjob"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/store/dynamo"
)

func TestSimulated(t *testing.T) {
	for addr, want := range map[string]string{
		"bounce@simulator.amazonses.com":          "bounce",
		"Bounce+label-1@Simulator.AmazonSES.com":  "bounce",
		"テスト <complaint@simulator.amazonses.com>": "complaint",
		"success@simulator.amazonses.com":         "",
		"bounce@example.jp":                       "",
		"not an address":                          "",
	} {
		if got := simulated(addr); got != want {
			t.Errorf("simulated(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestParseMessageTags(t *testing.T) {
	for v, want := range map[string]map[string]string{
		"outbox=abc_-9":                   {"outbox": "abc_-9"},
		"outbox=abc, campaign=winter":     {"outbox": "abc", "campaign": "winter"},
		" outbox = abc ;campaign=winter;": {"outbox": "abc", "campaign": "winter"},
		"a=1,\r\n b=2":                    {"a": "1", "b": "2"},
		"outbox=abc, junk, =nameless, k=": {"outbox": "abc", "k": ""},
		"":                                {},
	} {
		if diff := cmp.Diff(want, parseMessageTags(v)); diff != "" {
			t.Errorf("parseMessageTags(%q) (-want +got):\n%s", v, diff)
		}
	}
}

// loseAnswer sends every request, then reports the connection reset
// instead of the answer: a SendRawEmail call cut off after SES took it.
type loseAnswer struct{ next http.RoundTripper }

func (l loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, errors.New("read tcp: connection reset by peer")
}

// published is one SES event the simulator delivered, as the function got it.
type published struct {
	Type string
	Tags map[string][]string
}

// TestMailboxSimulatorSend sends mail through an SESTap to the SES
// stand-in, as the dev server's functions do, and sees the simulator
// publish SES's Send event for each, with its message tags, before the
// bounce of a simulator address; BouncesFunction's handler confirms the
// tagged outbox items sent in DynamoDB Local, one of them a send whose
// answer was lost on the way back (the uncertain send Send events are for).
func TestMailboxSimulatorSend(t *testing.T) {
	ctx := context.Background()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	table := localtest.NewTable(t)
	store := dynamo.New(localtest.DynamoDB(), table).WithDigest(func(s string) string {
		mac := hmac.New(sha256.New, []byte("test-key"))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	})
	h := bouncesjob.New(store, nil, nil)
	h.Outbox = store
	var (
		mu  sync.Mutex
		got = map[string][]published{} // by SES message id, in delivery order
	)
	record := func(ctx context.Context, ev events.SNSEvent) error {
		for _, r := range ev.Records {
			var n struct {
				EventType string `json:"eventType"`
				Mail      struct {
					MessageID string              `json:"messageId"`
					Tags      map[string][]string `json:"tags"`
				} `json:"mail"`
			}
			if err := json.Unmarshal([]byte(r.SNS.Message), &n); err != nil {
				t.Errorf("not JSON: %v", err)
			}
			mu.Lock()
			got[n.Mail.MessageID] = append(got[n.Mail.MessageID], published{n.EventType, n.Mail.Tags})
			mu.Unlock()
		}
		return h.Handle(ctx, ev)
	}
	srv, err := New(tpl, map[string]any{"BouncesFunction": record}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tap, err := NewSESTap(localtest.SESURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tap.Close() })
	sim, err := NewMailboxSimulator(tpl, srv, MailboxOptions{SESURL: localtest.SESURL(), Since: time.Now().Add(-time.Second), Tags: tap})
	if err != nil {
		t.Fatal(err)
	}
	if !sim.Sends() {
		t.Fatal("the simulator publishes no Send events: template.yaml's destination matches send, and a tap tells the tags")
	}

	// Two outbox items: one whose send is cut off (the mailer holds it for
	// SES's word), one sent to the bounce simulator.
	base := time.Now()
	msg := &community.Message{ID: community.NewID(base), EventID: community.NewID(base), Subject: "お知らせ", Body: "本文", ActorID: "org", CreatedAt: base}
	lost := community.OrganizerMessageMail(msg, &community.Registration{ID: community.NewID(base)}, base)
	bounced := community.OrganizerMessageMail(msg, &community.Registration{ID: community.NewID(base)}, base)
	if _, _, err := store.PostMessage(ctx, msg, []community.Mail{lost, bounced}); err != nil {
		t.Fatal(err)
	}
	if _, c, err := store.ClaimMail(ctx, lost.ID, "mailer", base, time.Minute); err != nil || c != community.MailWon {
		t.Fatalf("claim: %v %v", c, err)
	}
	if err := store.HoldMail(ctx, lost.ID, "mailer", base.Add(community.UncertainHold)); err != nil {
		t.Fatal(err)
	}

	label := localtest.UniqueID()
	const configSet = "tabane-MailEvents-local"
	sesVia := func(hc *http.Client) *mail.Sender {
		c := ses.NewFromConfig(localtest.AWSConfig(), func(o *ses.Options) {
			o.BaseEndpoint = aws.String(tap.URL())
			o.HTTPClient = hc
			o.Retryer = aws.NopRetryer{}
		})
		s := mail.NewSender(c, nil)
		s.ConfigurationSet = configSet
		return s
	}
	send := func(s *mail.Sender, mailID, to string) (string, error) {
		c := ctx
		if mailID != "" {
			c, _ = community.WithReceipt(ctx, mailID)
		}
		return s.Send(c, &mail.Message{
			From: mail.Address{Name: "そらゑ", Email: "no-reply@sorae.example.jp"}, To: mail.Address{Email: to},
			Subject: "お知らせ", Text: "本文",
		})
	}
	if _, err := send(sesVia(&http.Client{Transport: loseAnswer{http.DefaultTransport}}), lost.ID, "lost+"+label+"@example.jp"); err == nil {
		t.Fatal("a send whose answer was lost succeeded")
	}
	bounceID, err := send(sesVia(http.DefaultClient), bounced.ID, "bounce+"+label+"@simulator.amazonses.com")
	if err != nil {
		t.Fatal(err)
	}
	plainID, err := send(sesVia(http.DefaultClient), "", "plain+"+label+"@example.jp")
	if err != nil {
		t.Fatal(err)
	}

	// The lost send's message id only SES (the stand-in) knows: find its
	// Send event by its outbox tag.
	lostTag := community.MailTag(lost.ID)
	lostID := func() string {
		mu.Lock()
		defer mu.Unlock()
		for id, evs := range got {
			for _, e := range evs {
				if e.Type == "Send" && len(e.Tags[community.MailTagName]) == 1 && e.Tags[community.MailTagName][0] == lostTag {
					return id
				}
			}
		}
		return ""
	}
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got[bounceID]) >= 2 && len(got[plainID]) >= 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for (lostID() == "" || !done()) && time.Now().Before(deadline) {
		if _, err := sim.Step(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Looking again publishes nothing twice.
	if _, err := sim.Step(ctx); err != nil {
		t.Fatal(err)
	}
	lostSES := lostID()
	if lostSES == "" {
		t.Fatal("no Send event names the lost send's outbox item")
	}
	mu.Lock()
	wantTags := func(outbox string) map[string][]string {
		tags := map[string][]string{"ses:configuration-set": {configSet}}
		if outbox != "" {
			tags[community.MailTagName] = []string{outbox}
		}
		return tags
	}
	for id, want := range map[string][]published{
		lostSES:  {{"Send", wantTags(lostTag)}},
		bounceID: {{"Send", wantTags(community.MailTag(bounced.ID))}, {"Bounce", wantTags(community.MailTag(bounced.ID))}},
		plainID:  {{"Send", wantTags("")}},
	} {
		if diff := cmp.Diff(want, got[id]); diff != "" {
			t.Errorf("events of %s (-want +got):\n%s", id, diff)
		}
	}
	mu.Unlock()

	for id, wantSES := range map[string]string{lost.ID: lostSES, bounced.ID: bounceID} {
		if st, msgID := outboxState(t, table, id); st != "sent" || msgID != wantSES {
			t.Errorf("outbox item %s: %s, message id %q; want sent, %q", id, st, msgID, wantSES)
		}
		if _, c, err := store.ClaimMail(ctx, id, "redrive", base.Add(community.UncertainHold+time.Minute), time.Minute); err != nil || c != community.MailDone {
			t.Errorf("a re-drive's claim of %s: %v %v, want MailDone", id, c, err)
		}
	}
	if s, ok, err := store.Suppression(ctx, "bounce+"+label+"@simulator.amazonses.com"); err != nil || !ok || s.Reason != community.SuppressedBounce {
		t.Errorf("bounce: %+v %v %v", s, ok, err)
	}
}

// outboxState reads an outbox item's state and SES message id straight
// from the table: no store method returns a settled item.
func outboxState(t *testing.T, table, id string) (state, messageID string) {
	t.Helper()
	out, err := localtest.DynamoDB().GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + id}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var it struct {
		State     string `dynamodbav:"state"`
		MessageID string `dynamodbav:"message_id"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		t.Fatal(err)
	}
	return it.State, it.MessageID
}

// tagsFunc is a MailTags whose answers a test sets.
type tagsFunc struct {
	tags    func(id string) (map[string][]string, bool)
	sending bool
}

func (f tagsFunc) MailTags(id string) (map[string][]string, bool) { return f.tags(id) }
func (f tagsFunc) Sending() bool                                  { return f.sending }

// TestSendWaitsForTags: a mail whose tags are not known yet while a send
// is under way waits for the next look, not long; one the tap never saw
// is published untagged.
func TestSendWaitsForTags(t *testing.T) {
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	h := bouncesjob.New(nil, nil, nil)
	srv, err := New(tpl, map[string]any{"BouncesFunction": h.Handle}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	unknown := func(string) (map[string][]string, bool) { return nil, false }
	fresh := storedMail{MessageID: "m-1", From: "no-reply@sorae.example.jp", At: time.Now().Unix()}
	stale := storedMail{MessageID: "m-2", From: "no-reply@sorae.example.jp", At: time.Now().Add(-time.Minute).Unix()}
	for _, tt := range []struct {
		name  string
		tags  tagsFunc
		ml    storedMail
		ready bool
		send  string // the Send event's tags, as JSON
	}{
		{"InFlight", tagsFunc{unknown, true}, fresh, false, ""},
		{"NeverThroughTap", tagsFunc{unknown, false}, fresh, true, "null"},
		{"WaitedLongEnough", tagsFunc{unknown, true}, stale, true, "null"},
		{"Known", tagsFunc{func(string) (map[string][]string, bool) {
			return map[string][]string{"outbox": {"abc"}}, true
		}, true}, fresh, true, `{"outbox":["abc"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &MailboxSimulator{srv: srv, o: MailboxOptions{Tags: tt.tags}, types: map[string]bool{"send": true}}
			evs, ready := m.events(tt.ml)
			if ready != tt.ready {
				t.Fatalf("ready %v, want %v", ready, tt.ready)
			}
			if !ready {
				return
			}
			if len(evs) != 1 {
				t.Fatalf("%d events, want the Send event", len(evs))
			}
			var ev struct {
				EventType string `json:"eventType"`
				Mail      struct {
					MessageID string          `json:"messageId"`
					Tags      json.RawMessage `json:"tags"`
				} `json:"mail"`
				Send *struct{} `json:"send"`
			}
			if err := json.Unmarshal(evs[0], &ev); err != nil {
				t.Fatal(err)
			}
			tags := string(ev.Mail.Tags)
			if tags == "" {
				tags = "null"
			}
			if ev.EventType != "Send" || ev.Send == nil || ev.Mail.MessageID != tt.ml.MessageID || tags != tt.send {
				t.Errorf("event %s", evs[0])
			}
		})
	}
}

// TestMailboxSimulator sends mail through pkg/mail's Sender to SES's
// simulator addresses at the SES stand-in, lets the simulator find it, and
// sees BouncesFunction's handler — invoked through the Lambda JSON path
// with an SNS event, as in AWS — put the addresses on the suppression list
// in DynamoDB Local.
func TestMailboxSimulator(t *testing.T) {
	ctx := context.Background()
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(localtest.DynamoDB(), localtest.NewTable(t)).WithDigest(func(s string) string {
		mac := hmac.New(sha256.New, []byte("test-key"))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	})
	h := bouncesjob.New(store, nil, nil)
	srv, err := New(tpl, map[string]any{"BouncesFunction": h.Handle}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := NewMailboxSimulator(tpl, srv, MailboxOptions{SESURL: localtest.SESURL(), Since: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Function() != "BouncesFunction" {
		t.Fatalf("simulator invokes %s, want BouncesFunction", sim.Function())
	}

	label := localtest.UniqueID()
	bounce := "bounce+" + label + "@simulator.amazonses.com"
	complaint := "complaint+" + label + "@simulator.amazonses.com"
	success := "success+" + label + "@simulator.amazonses.com"
	sender := mail.NewSender(localtest.SES(), nil)
	for _, to := range []string{bounce, complaint, success} {
		m := &mail.Message{
			From: mail.Address{Name: "そらゑ", Email: "no-reply@sorae.example.jp"}, To: mail.Address{Email: to},
			Subject: "シミュレーター宛て", Text: "本文",
		}
		if _, err := sender.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	total := 0
	for total < 2 && time.Now().Before(deadline) {
		n, err := sim.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		time.Sleep(50 * time.Millisecond)
	}
	// Looking again answers nothing twice.
	if n, err := sim.Step(ctx); err != nil || n != 0 {
		t.Errorf("second look delivered %d (%v), want 0", n, err)
	}
	for addr, want := range map[string]community.SuppressionReason{
		bounce: community.SuppressedBounce, strings.ToUpper(complaint): community.SuppressedComplaint, success: "",
	} {
		got, ok, err := store.Suppression(ctx, addr)
		switch {
		case err != nil:
			t.Fatal(err)
		case want == "" && ok:
			t.Errorf("%s suppressed: %+v", addr, got)
		case want != "" && (!ok || got.Reason != want || got.MessageID == "" || got.At.IsZero()):
			t.Errorf("%s: %+v %v, want suppressed for %s", addr, got, ok, want)
		}
	}
}
