package bouncesjob

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Notice is what one SES notification says, as far as suppression cares:
// SES's event publishing JSON (eventType, through a configuration set) or
// the older identity notification JSON (notificationType); both carry the
// same mail, bounce and complaint objects.
type Notice struct {
	Type       string    // "Bounce", "Complaint", or another SES type (ignored)
	MessageID  string    // SES's id of the mail the notice is about
	BounceType string    // Permanent, Transient or Undetermined (bounces only)
	SubType    string    // bounceSubType or complaintFeedbackType, for logs
	Recipients []string  // bouncedRecipients / complainedRecipients' emailAddress
	At         time.Time // the bounce's or complaint's timestamp; zero when absent
}

// The ways a message can fail to be an SES notification. They are logged
// with the SNS message id, never with the message itself.
var (
	errNotJSON = errors.New("message is not JSON")
	errNotSES  = errors.New("message is not an SES notification (no eventType/notificationType or mail.messageId)")
	errNoBody  = errors.New("bounce or complaint notification without its bounce/complaint object")
)

// sesNotification holds the documented fields read here; the rest
// (headers, tags, diagnostic codes) is ignored.
type sesNotification struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID string `json:"messageId"`
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
	out := Notice{Type: typ, MessageID: n.Mail.MessageID}
	var rs []recipient
	var stamp string
	switch typ {
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
