package devserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/samtemplate"
)

// SES's mailbox simulator: in AWS, mail to these addresses bounces or draws
// a complaint, and SES publishes the notification through the configuration
// set's event destination. The SES stand-in delivers everything, so the dev
// server plays that part: it watches the stand-in's store and hands the
// function subscribed to the event destination's SNS topic the notification
// SES would publish, wrapped in the SNS event Lambda would get. A label
// (bounce+anything@…) is allowed, as in AWS.
const (
	SimulatorDomain    = "simulator.amazonses.com"
	SimulatorBounce    = "bounce@" + SimulatorDomain
	SimulatorComplaint = "complaint@" + SimulatorDomain
)

// MailboxOptions configures a MailboxSimulator.
type MailboxOptions struct {
	SESURL string        // the SES stand-in (its GET /store)
	Poll   time.Duration // how often to look; default 1 s
	Log    *slog.Logger  // nil discards
	// Since is where watching starts: mail stored before it is never
	// answered. Zero means when the simulator is made.
	Since time.Time
	HTTP  *http.Client // default http.DefaultClient
}

// MailboxSimulator delivers bounce and complaint notifications for mail
// sent to SES's simulator addresses.
type MailboxSimulator struct {
	srv      *Server
	o        MailboxOptions
	function string // LogicalId subscribed to the event destination's topic
	topic    string // the topic's LogicalId
	types    map[string]bool

	mu    sync.Mutex
	since int64           // epoch seconds: the next GET /store?since=
	seen  map[string]bool // message ids answered at since or later
}

// NewMailboxSimulator finds in tpl the SES configuration set event
// destination that publishes to an SNS topic, and the function subscribed
// to that topic (an SNS event), whose handler srv invokes. It is an error
// when the template has none, or srv has no handler for it.
func NewMailboxSimulator(tpl *samtemplate.Template, srv *Server, o MailboxOptions) (*MailboxSimulator, error) {
	if o.SESURL == "" {
		return nil, fmt.Errorf("devserver: mailbox simulator: no SES stand-in URL")
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Since.IsZero() {
		o.Since = time.Now()
	}
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	m := &MailboxSimulator{srv: srv, o: o, since: o.Since.Unix(), seen: map[string]bool{}}
	for _, id := range sortedIDs(tpl) {
		r := tpl.Resources[id]
		if r.Type != "AWS::SES::ConfigurationSetEventDestination" {
			continue
		}
		dest := samtemplate.MapGet(&r.Properties, "EventDestination")
		topic := samtemplate.MapGet(dest, "SnsDestination", "TopicARN")
		if topic == nil || topic.Tag != "!Ref" {
			continue
		}
		if en := samtemplate.Scalar(samtemplate.MapGet(dest, "Enabled")); en == "false" {
			continue
		}
		types := map[string]bool{}
		if ts := samtemplate.MapGet(dest, "MatchingEventTypes"); ts != nil {
			for _, n := range ts.Content {
				types[strings.ToLower(n.Value)] = true
			}
		}
		if fn := subscriber(tpl, topic.Value); fn != "" {
			m.function, m.topic, m.types = fn, topic.Value, types
			break
		}
	}
	if m.function == "" {
		return nil, fmt.Errorf("devserver: mailbox simulator: template.yaml has no SES event destination whose SNS topic a function subscribes to")
	}
	if !srv.Served(m.function) {
		return nil, fmt.Errorf("devserver: mailbox simulator: %s has no handler (infra/devserver/functions.go)", m.function)
	}
	return m, nil
}

func sortedIDs(tpl *samtemplate.Template) []string {
	ids := make([]string, 0, len(tpl.Resources))
	for id := range tpl.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// subscriber returns the function with an SNS event on topic, or "".
func subscriber(tpl *samtemplate.Template, topic string) string {
	for _, id := range sortedIDs(tpl) {
		r := tpl.Resources[id]
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		evs := samtemplate.MapGet(&r.Properties, "Events")
		if evs == nil {
			continue
		}
		for i := 0; i+1 < len(evs.Content); i += 2 {
			ev := evs.Content[i+1]
			if samtemplate.Scalar(samtemplate.MapGet(ev, "Type")) != "SNS" {
				continue
			}
			if t := samtemplate.MapGet(ev, "Properties", "Topic"); t != nil && t.Tag == "!Ref" && t.Value == topic {
				return id
			}
		}
	}
	return ""
}

// Function is the LogicalId of the function the simulator invokes.
func (m *MailboxSimulator) Function() string { return m.function }

// Run looks at the mailbox every Poll until ctx ends. A failed look or
// invocation is logged; the next look goes on.
func (m *MailboxSimulator) Run(ctx context.Context) {
	t := time.NewTicker(m.o.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := m.Step(ctx); err != nil && ctx.Err() == nil {
				m.o.Log.Warn("mailbox simulator", "error", err.Error())
			}
		}
	}
}

// storedMail is the part of the SES stand-in's stored mail read here.
type storedMail struct {
	MessageID   string `json:"messageId"`
	From        string `json:"from"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	At      int64  `json:"at"`
}

// Step looks at the mailbox once and delivers a notification for each
// simulator recipient of each new mail; it returns how many it delivered.
// Steps do not overlap.
func (m *MailboxSimulator) Step(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mails, err := m.read(ctx)
	if err != nil {
		return 0, err
	}
	delivered := 0
	latest := m.since
	for _, ml := range mails {
		if ml.At < m.since || m.seen[ml.MessageID] {
			continue
		}
		latest = max(latest, ml.At)
		m.seen[ml.MessageID] = true
		for _, ev := range m.notifications(ml) {
			if err := m.deliver(ctx, ev); err != nil {
				m.o.Log.Error("mailbox simulator: "+m.function+" failed (AWS would retry it twice)", "ses_message_id", ml.MessageID, "error", err.Error())
				continue
			}
			delivered++
		}
	}
	if latest > m.since {
		// The stand-in stamps whole seconds: keep asking from the latest
		// second seen, and forget ids older than it.
		m.since = latest
		m.pruneSeen(mails)
	}
	return delivered, nil
}

func (m *MailboxSimulator) pruneSeen(mails []storedMail) {
	keep := map[string]bool{}
	for _, ml := range mails {
		if ml.At >= m.since && m.seen[ml.MessageID] {
			keep[ml.MessageID] = true
		}
	}
	m.seen = keep
}

func (m *MailboxSimulator) read(ctx context.Context) ([]storedMail, error) {
	u := strings.TrimRight(m.o.SESURL, "/") + "/store?since=" + url.QueryEscape(strconv.FormatInt(m.since, 10))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the SES stand-in's store: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the SES stand-in's store: %s", resp.Status)
	}
	var store struct {
		Emails []storedMail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, fmt.Errorf("decode the SES stand-in's store: %w", err)
	}
	return store.Emails, nil
}

// simulated returns "bounce" or "complaint" for a simulator address, else "".
func simulated(addr string) string {
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return ""
	}
	local, domain, ok := strings.Cut(strings.ToLower(a.Address), "@")
	if !ok || domain != SimulatorDomain {
		return ""
	}
	local, _, _ = strings.Cut(local, "+")
	if local == "bounce" || local == "complaint" {
		return local
	}
	return ""
}

func bareAddress(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		return a.Address
	}
	return addr
}

// notifications returns the SES notification JSON of each simulator
// recipient of ml whose event type the destination publishes.
func (m *MailboxSimulator) notifications(ml storedMail) [][]byte {
	all := append(append(append([]string(nil), ml.Destination.To...), ml.Destination.Cc...), ml.Destination.Bcc...)
	var dest []string
	for _, a := range all {
		dest = append(dest, bareAddress(a))
	}
	sent := time.Unix(ml.At, 0).UTC()
	now := m.srv.now().UTC()
	if now.Before(sent) {
		now = sent
	}
	mailObj := map[string]any{
		"timestamp": sent.Format(sesTime), "source": bareAddress(ml.From),
		"sourceArn":        fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", m.srv.region, AccountID, domainOf(bareAddress(ml.From))),
		"sendingAccountId": AccountID, "messageId": ml.MessageID, "destination": dest,
		"headersTruncated": false,
		"commonHeaders":    map[string]any{"from": []string{ml.From}, "to": ml.Destination.To, "messageId": ml.MessageID, "subject": ml.Subject},
	}
	var out [][]byte
	for i, a := range all {
		kind := simulated(a)
		if kind == "" || !m.types[kind] {
			continue
		}
		feedback := fmt.Sprintf("%s-%02d-local-%s", ml.MessageID, i, kind)
		n := map[string]any{"mail": mailObj}
		switch kind {
		case "bounce":
			n["eventType"] = "Bounce"
			n["bounce"] = map[string]any{
				"feedbackId": feedback, "bounceType": "Permanent", "bounceSubType": "General",
				"bouncedRecipients": []map[string]any{{
					"emailAddress": dest[i], "action": "failed", "status": "5.1.1",
					"diagnosticCode": "smtp; 550 5.1.1 user unknown (tabane dev server: SES mailbox simulator)",
				}},
				"timestamp": now.Format(sesTime), "reportingMTA": "dsn; localhost",
			}
		case "complaint":
			n["eventType"] = "Complaint"
			n["complaint"] = map[string]any{
				"feedbackId": feedback, "complainedRecipients": []map[string]any{{"emailAddress": dest[i]}},
				"timestamp": now.Format(sesTime), "userAgent": "tabane dev server (SES mailbox simulator)",
				"complaintFeedbackType": "abuse", "arrivalDate": sent.Format(sesTime),
			}
		}
		b, err := json.Marshal(n)
		if err != nil {
			continue // maps of strings always marshal
		}
		out = append(out, b)
	}
	return out
}

// sesTime is how SES writes times in notifications.
const sesTime = "2006-01-02T15:04:05.000Z"

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok {
		return d
	}
	return addr
}

// deliver invokes the subscribed function with message as SNS delivers it.
func (m *MailboxSimulator) deliver(ctx context.Context, message []byte) error {
	id := RequestID()
	topicARN := fmt.Sprintf("arn:aws:sns:%s:%s:%s", m.srv.region, AccountID, m.topic)
	ev := events.SNSEvent{Records: []events.SNSEventRecord{{
		EventVersion: "1.0", EventSource: "aws:sns",
		EventSubscriptionArn: topicARN + ":" + id,
		SNS: events.SNSEntity{
			Type: "Notification", MessageID: id, TopicArn: topicARN, Message: string(message),
			Timestamp: m.srv.now().UTC(), SignatureVersion: "1",
			MessageAttributes: map[string]any{},
		},
	}}}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	f := m.srv.functions[m.function]
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.def.Timeout)
	defer cancel()
	_, err = m.srv.invoke(ctx, f, payload, id)
	if err == nil {
		m.o.Log.Info("mailbox simulator: notified", "function", m.function, "request_id", id)
	}
	return err
}
