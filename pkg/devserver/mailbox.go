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

// SES's event publishing, played locally. In AWS, SES publishes a mail's
// events through the configuration set's event destination: Send when it
// takes the mail, and for mail to its mailbox simulator's addresses a
// bounce or a complaint. The SES stand-in publishes nothing, so the dev
// server plays that part: it watches the stand-in's store and hands the
// function subscribed to the event destination's SNS topic each event SES
// would publish, wrapped in the SNS event Lambda would get, Send first. A
// simulator label (bounce+anything@…) is allowed, as in AWS.
//
// A Send event is only worth its message tags (the outbox tag names the
// item it confirms), and the stand-in keeps none: it drops a raw mail's
// headers, X-SES-MESSAGE-TAGS with them, and its regenerated .eml
// (GET /get-emlContent) has none either. So Send events need an SESTap
// between the functions and the stand-in, which remembers each mail's tags
// (MailboxOptions.Tags); without one the simulator publishes no Send
// event rather than one that misreports the mail as untagged.
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
	// Tags tells each mail's message tags (an SESTap the functions send
	// through). Without it no Send event is published.
	Tags MailTags
}

// MailTags tells the message tags of the mails sent through it; SESTap is one.
type MailTags interface {
	// MailTags returns the tags SES would publish with the events of the
	// mail the stand-in named messageID (ses:configuration-set among them
	// when the call named one), and whether the mail went through here.
	MailTags(messageID string) (map[string][]string, bool)
	// Sending reports whether a send is under way: the stand-in may hold
	// its mail already, and its tags be known a moment later.
	Sending() bool
}

// tagWait bounds how long a mail waits for its tags while sends are under
// way; after it, the mail did not go through the tap, and is published
// untagged. The stand-in stamps whole seconds.
const tagWait = 5 * time.Second

// simulatorWorkers bounds the mails whose events are delivered at once. A
// mail's own events go one after another, Send first, as SES publishes them.
const simulatorWorkers = 8

// MailboxSimulator delivers SES's Send events for every mail (with
// MailboxOptions.Tags), and bounce and complaint notifications for mail to
// SES's simulator addresses.
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
	if m.types["send"] && o.Tags == nil {
		o.Log.Info("mailbox simulator: no Send events: the SES stand-in keeps no message tags, and no SESTap tells them")
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

// Sends reports whether the simulator publishes Send events: the
// destination matches them, and MailboxOptions.Tags tells the tags.
func (m *MailboxSimulator) Sends() bool { return m.types["send"] && m.o.Tags != nil }

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

// Step looks at the mailbox once and delivers, for each new mail, its Send
// event (when Sends) and a notification for each of its simulator
// recipients; it returns how many it delivered. Steps do not overlap.
func (m *MailboxSimulator) Step(ctx context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mails, err := m.read(ctx)
	if err != nil {
		return 0, err
	}
	latest, waiting := m.since, int64(-1)
	var due [][][]byte // per mail, its events in order
	var ids []string
	for _, ml := range mails {
		if ml.At < m.since || m.seen[ml.MessageID] {
			continue
		}
		evs, ready := m.events(ml)
		if !ready {
			// Its send may still be on its way back through the tap: look
			// again next step, from no later than its second.
			if waiting < 0 || ml.At < waiting {
				waiting = ml.At
			}
			continue
		}
		latest = max(latest, ml.At)
		m.seen[ml.MessageID] = true
		if len(evs) > 0 {
			due, ids = append(due, evs), append(ids, ml.MessageID)
		}
	}
	delivered := m.deliverAll(ctx, due, ids)
	if waiting >= 0 && waiting < latest {
		latest = waiting
	}
	if latest > m.since {
		// The stand-in stamps whole seconds: keep asking from the latest
		// second seen, and forget ids older than it.
		m.since = latest
		m.pruneSeen(mails)
	}
	return delivered, nil
}

// deliverAll delivers each mail's events in order, simulatorWorkers mails
// at a time, and returns how many were delivered.
func (m *MailboxSimulator) deliverAll(ctx context.Context, due [][][]byte, ids []string) int {
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered int
		slots     = make(chan struct{}, simulatorWorkers)
	)
	for i, evs := range due {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			for _, ev := range evs {
				if err := m.deliver(ctx, ev); err != nil {
					m.o.Log.Error("mailbox simulator: "+m.function+" failed (AWS would retry it twice)", "ses_message_id", ids[i], "error", err.Error())
					continue
				}
				mu.Lock()
				delivered++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return delivered
}

// events returns the events SES would publish for ml, Send first; ready is
// false while its tags may yet become known (its send is under way).
func (m *MailboxSimulator) events(ml storedMail) (evs [][]byte, ready bool) {
	var tags map[string][]string
	if m.Sends() {
		var known bool
		tags, known = m.o.Tags.MailTags(ml.MessageID)
		// The wall clock, as the stand-in's stamps are.
		if !known && m.o.Tags.Sending() && time.Now().Before(time.Unix(ml.At, 0).Add(tagWait)) {
			return nil, false
		}
		if !known {
			// Sending may have ended since the first look.
			tags, _ = m.o.Tags.MailTags(ml.MessageID)
		}
	}
	mailObj := m.mailObject(ml, tags)
	if m.Sends() {
		if b, err := json.Marshal(map[string]any{"eventType": "Send", "mail": mailObj, "send": map[string]any{}}); err == nil {
			evs = append(evs, b)
		}
	}
	return append(evs, m.notifications(ml, mailObj)...), true
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

// recipients returns every recipient of ml, as the stand-in wrote them.
func (ml storedMail) recipients() []string {
	return append(append(append([]string(nil), ml.Destination.To...), ml.Destination.Cc...), ml.Destination.Bcc...)
}

// mailObject is the mail object of ml's events; tags, when known, are the
// mail's message tags as SES publishes them (each name with its values).
func (m *MailboxSimulator) mailObject(ml storedMail, tags map[string][]string) map[string]any {
	var dest []string
	for _, a := range ml.recipients() {
		dest = append(dest, bareAddress(a))
	}
	obj := map[string]any{
		"timestamp": time.Unix(ml.At, 0).UTC().Format(sesTime), "source": bareAddress(ml.From),
		"sourceArn":        fmt.Sprintf("arn:aws:ses:%s:%s:identity/%s", m.srv.region, AccountID, domainOf(bareAddress(ml.From))),
		"sendingAccountId": AccountID, "messageId": ml.MessageID, "destination": dest,
		"headersTruncated": false,
		"commonHeaders":    map[string]any{"from": []string{ml.From}, "to": ml.Destination.To, "messageId": ml.MessageID, "subject": ml.Subject},
	}
	if tags != nil {
		obj["tags"] = tags
	}
	return obj
}

// notifications returns the SES notification JSON of each simulator
// recipient of ml whose event type the destination publishes.
func (m *MailboxSimulator) notifications(ml storedMail, mailObj map[string]any) [][]byte {
	all := ml.recipients()
	dest := mailObj["destination"].([]string)
	sent := time.Unix(ml.At, 0).UTC()
	now := m.srv.now().UTC()
	if now.Before(sent) {
		now = sent
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
