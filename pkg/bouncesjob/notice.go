package bouncesjob

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Notice is what one SES notification says, as far as this function
// cares: SES's event publishing JSON (eventType, through a configuration
// set) or the older identity notification JSON (notificationType); both
// carry the same mail, bounce and complaint objects. Only event publishing
// has Send events and message tags.
type Notice struct {
	Type       string    // "Send", "Bounce", "Complaint", or another SES type (ignored)
	MessageID  string    // SES's id of the mail the notice is about
	BounceType string    // Permanent, Transient or Undetermined (bounces only)
	SubType    string    // bounceSubType or complaintFeedbackType, for logs
	Recipients []string  // bouncedRecipients / complainedRecipients' emailAddress
	At         time.Time // the bounce's or complaint's timestamp, or a send's mail.timestamp; zero when absent
	// Tags are the mail's message tags (mail.tags): SES's own (ses:…) and
	// those the sender set, each name with its values.
	Tags map[string][]string
}

// The ways a message can fail to be an SES notification. They are logged
// with the SNS message id, never with the message itself.
var (
	errNotJSON = errors.New("message is not JSON")
	errNotSES  = errors.New("message is not an SES notification (no eventType/notificationType or mail.messageId)")
	errNoBody  = errors.New("bounce or complaint notification without its bounce/complaint object")
)

// sesNotification holds the documented fields read here; the rest
// (headers, destinations, diagnostic codes) is ignored.
type sesNotification struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
		Timestamp string `json:"timestamp"`
		// Tags is read leniently (tagsOf): a tag of an unexpected shape
		// must not cost the notice its bounce.
		Tags map[string]json.RawMessage `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         string      `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		Timestamp             string      `json:"timestamp"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// SES notification types that matter here.
const (
	TypeSend      = "Send"
	TypeBounce    = "Bounce"
	TypeComplaint = "Complaint"
)

// Bounce types.
const (
	BouncePermanent    = "Permanent"
	BounceTransient    = "Transient"
	BounceUndetermined = "Undetermined"
)

// Parse reads one SNS message as an SES notification.
func Parse(message string) (Notice, error) {
	var n sesNotification
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return Notice{}, errNotJSON
	}
	typ := n.EventType
	if typ == "" {
		typ = n.NotificationType
	}
	if typ == "" || n.Mail.MessageID == "" {
		return Notice{}, errNotSES
	}
	out := Notice{Type: typ, MessageID: n.Mail.MessageID, Tags: tagsOf(n.Mail.Tags)}
	var rs []recipient
	var stamp string
	switch typ {
	case TypeSend:
		// A Send event's own object is empty: the mail's timestamp is
		// when SES took it.
		stamp = n.Mail.Timestamp
	case TypeBounce:
		if n.Bounce == nil {
			return out, errNoBody
		}
		out.BounceType, out.SubType = n.Bounce.BounceType, n.Bounce.BounceSubType
		rs, stamp = n.Bounce.BouncedRecipients, n.Bounce.Timestamp
	case TypeComplaint:
		if n.Complaint == nil {
			return out, errNoBody
		}
		out.SubType = n.Complaint.ComplaintFeedbackType
		rs, stamp = n.Complaint.ComplainedRecipients, n.Complaint.Timestamp
	default:
		return out, nil
	}
	for _, r := range rs {
		if e := strings.TrimSpace(r.EmailAddress); e != "" {
			out.Recipients = append(out.Recipients, e)
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil {
		out.At = t.UTC()
	}
	return out, nil
}

// tagsOf reads mail.tags, whose values SES writes as arrays of strings;
// a tag of any other shape is kept without values, so that a garbled
// outbox tag is told apart from none.
func tagsOf(raw map[string]json.RawMessage) map[string][]string {
	if len(raw) == 0 {
		return nil
	}
	tags := make(map[string][]string, len(raw))
	for name, v := range raw {
		var vs []string
		if json.Unmarshal(v, &vs) != nil {
			vs = nil
		}
		tags[name] = vs
	}
	return tags
}

// OutboxTag returns the mail's outbox tag (community.MailTagName) and
// whether the mail has one. A tag with other than one value is not what
// the sender wrote: it comes back as "", which community.ParseMailTag
// refuses.
func (n Notice) OutboxTag() (string, bool) {
	vs, ok := n.Tags[community.MailTagName]
	if !ok || len(vs) != 1 {
		return "", ok
	}
	return vs[0], true
}

// Suppression says whether the notice stops mail to its recipients, and
// why: a permanent bounce or a complaint does; a transient or undetermined
// bounce (a full mailbox, a server down for the day) does not — the next
// mail may well arrive. at is the time used when the notice has none.
func (n Notice) Suppression(at time.Time) (community.Suppression, bool) {
	if !n.At.IsZero() {
		at = n.At
	}
	switch {
	case n.Type == TypeComplaint:
		return community.Suppression{Reason: community.SuppressedComplaint, At: at, MessageID: n.MessageID}, true
	case n.Type == TypeBounce && n.BounceType == BouncePermanent:
		return community.Suppression{Reason: community.SuppressedBounce, At: at, MessageID: n.MessageID}, true
	}
	return community.Suppression{}, false
}
