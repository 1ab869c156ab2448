package devserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SESTap stands between the functions and the SES stand-in, and remembers
// what SES would publish with each mail's events that the stand-in does
// not keep: the message tags of a SendRawEmail call (its raw mail's
// X-SES-MESSAGE-TAGS header and its Tags parameter) and the configuration
// set it named (the tag ses:configuration-set). Point the functions' SES
// endpoint at URL and give the tap to the mailbox simulator
// (MailboxOptions.Tags); every request and answer passes unchanged.
type SESTap struct {
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	client   *http.Client
	srv      *http.Server
	url      string

	mu      sync.Mutex
	tags    map[string]map[string][]string // by the stand-in's message id
	order   []string                       // those ids, oldest first
	sending int
}

// tapKeep bounds the mails whose tags a tap remembers; the simulator asks
// within seconds of a send.
const tapKeep = 10000

// maxSESRequest bounds a request the tap reads whole: SES takes a raw mail
// of up to 40 MB, which base64 and form encoding make larger.
const maxSESRequest = 64 << 20

// NewSESTap starts a tap in front of the SES stand-in at sesURL, listening
// on a free loopback port. Close stops it.
func NewSESTap(sesURL string) (*SESTap, error) {
	up, err := url.Parse(sesURL)
	if err != nil || up.Scheme == "" || up.Host == "" {
		return nil, fmt.Errorf("devserver: SES tap: bad stand-in URL %q", sesURL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("devserver: SES tap: %w", err)
	}
	// A fresh connection per call: the stand-in (Node) closes a kept-alive
	// connection idle for 5 s, and one closed just as a call is written on
	// it loses a mail SES itself would have taken.
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	t := &SESTap{
		upstream: up, proxy: httputil.NewSingleHostReverseProxy(up), client: client,
		url: "http://" + ln.Addr().String(), tags: map[string]map[string][]string{},
	}
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }() // Serve returns when Close closes it
	return t, nil
}

// URL is the tap's endpoint, for the functions' SES client.
func (t *SESTap) URL() string { return t.url }

// Close stops the tap.
func (t *SESTap) Close() error { return t.srv.Close() }

// ServeHTTP passes every request to the stand-in, reading a SendRawEmail
// call on its way.
func (t *SESTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSESRequest+1))
	if err != nil {
		http.Error(w, "devserver: SES tap: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxSESRequest {
		http.Error(w, "devserver: SES tap: request too large", http.StatusRequestEntityTooLarge)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "SendRawEmail" {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		t.proxy.ServeHTTP(w, r)
		return
	}
	t.sendRaw(w, r, body, requestTags(form))
}

// sendRaw forwards one SendRawEmail call and remembers its mail's tags
// under the message id the stand-in answers.
func (t *SESTap) sendRaw(w http.ResponseWriter, r *http.Request, body []byte, tags map[string][]string) {
	t.mu.Lock()
	t.sending++
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.sending--
		t.mu.Unlock()
	}()
	// SES keeps a mail it took whatever becomes of the call, and publishes
	// its events: the tap hears the answer out even when the caller has
	// gone (a send cut off mid-call is what Send events are for).
	ctx := context.WithoutCancel(r.Context())
	u := *t.upstream
	u.Path, u.RawQuery = strings.TrimRight(u.Path, "/")+"/", r.URL.RawQuery
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "devserver: SES tap: "+err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	// The transport negotiates compression itself and hands back the
	// plain answer, which is read here.
	req.Header.Del("Accept-Encoding")
	resp, err := t.client.Do(req)
	if err != nil {
		http.Error(w, "devserver: SES tap: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		http.Error(w, "devserver: SES tap: "+err.Error(), http.StatusBadGateway)
		return
	}
	if resp.StatusCode == http.StatusOK {
		if id := sendRawMessageID(answer); id != "" {
			t.remember(id, tags)
		}
	}
	for k, vs := range resp.Header {
		switch k {
		case "Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection":
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer) // the caller may have gone; the tags are kept
}

func (t *SESTap) remember(id string, tags map[string][]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.tags[id]; !ok {
		t.order = append(t.order, id)
	}
	t.tags[id] = tags
	if len(t.order) > tapKeep {
		for _, old := range t.order[:len(t.order)-tapKeep] {
			delete(t.tags, old)
		}
		t.order = append([]string(nil), t.order[len(t.order)-tapKeep:]...)
	}
}

// MailTags returns the tags of the mail the stand-in named messageID, and
// whether it was sent through the tap.
func (t *SESTap) MailTags(messageID string) (map[string][]string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tags, ok := t.tags[messageID]
	if !ok {
		return nil, false
	}
	out := make(map[string][]string, len(tags))
	for k, vs := range tags {
		out[k] = append([]string(nil), vs...)
	}
	return out, true
}

// Sending reports whether a SendRawEmail call is passing through.
func (t *SESTap) Sending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sending > 0
}

// sendRawMessageID reads the message id of SES's SendRawEmail answer.
func sendRawMessageID(answer []byte) string {
	var a struct {
		MessageID string `xml:"SendRawEmailResult>MessageId"`
	}
	if xml.Unmarshal(answer, &a) != nil {
		return ""
	}
	return strings.TrimSpace(a.MessageID)
}

// requestTags returns the tags SES would publish for a SendRawEmail call:
// the configuration set it names, its Tags parameter, and its raw mail's
// X-SES-MESSAGE-TAGS header (SES reads both; a name in both keeps the
// header's value here).
func requestTags(form url.Values) map[string][]string {
	tags := map[string][]string{}
	if cs := form.Get("ConfigurationSetName"); cs != "" {
		tags["ses:configuration-set"] = []string{cs}
	}
	for i := 1; ; i++ {
		name := form.Get(fmt.Sprintf("Tags.member.%d.Name", i))
		if name == "" {
			break
		}
		tags[name] = []string{form.Get(fmt.Sprintf("Tags.member.%d.Value", i))}
	}
	raw, err := base64.StdEncoding.DecodeString(form.Get("RawMessage.Data"))
	if err != nil {
		return tags
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return tags
	}
	for _, v := range msg.Header[textproto.CanonicalMIMEHeaderKey("X-SES-MESSAGE-TAGS")] {
		for name, value := range parseMessageTags(v) {
			tags[name] = []string{value}
		}
	}
	return tags
}

// parseMessageTags reads an X-SES-MESSAGE-TAGS value: name=value pairs
// separated by ',' or ';', spaces around them ignored (a folded header
// comes unfolded with them). A pair without a name or '=' is left out.
func parseMessageTags(v string) map[string]string {
	tags := map[string]string{}
	for _, pair := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		name, value, ok := strings.Cut(pair, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			continue
		}
		tags[name] = value
	}
	return tags
}
