package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/certwords"
	"github.com/sorae/tabane/pkg/community"
)

// CertificateCheck is the answer of GET /api/certificates/{id}: the
// certificate is genuine, and what it attests. It holds what the printed
// certificate shows — the number, the attendee's name, the event, the
// issuer — and nothing else of the person.
type CertificateCheck struct {
	Verified  bool             `json:"verified"` // always true: a certificate that is not genuine is a 404
	Number    string           `json:"number"`
	Name      string           `json:"name"`
	Issuer    string           `json:"issuer"`
	Event     CertificateEvent `json:"event"`
	VerifyURL string           `json:"verify_url"`
}

// CertificateEvent is the event a certificate names.
type CertificateEvent struct {
	ID             string           `json:"id"`
	Title          string           `json:"title"`
	StartsAt       time.Time        `json:"starts_at"`
	EndsAt         time.Time        `json:"ends_at"`
	Venue          *community.Venue `json:"venue"`
	OnlinePlatform *string          `json:"online_platform"`
	// Display is the day and hours as the certificate prints them,
	// "令和7年5月14日(水) 19:00〜20:30".
	Display string `json:"display"`
}

// CertificateJSON returns c, issued by issuer, in the contract's shape.
func CertificateJSON(c community.Certificate, issuer string) CertificateCheck {
	e := c.Event
	out := CertificateCheck{
		Verified: true, Number: c.Number, Name: c.Name, Issuer: issuer, VerifyURL: c.Link,
		Event: CertificateEvent{
			ID: e.ID, Title: e.Title, StartsAt: e.StartsAt.In(community.Tokyo), EndsAt: e.EndsAt.In(community.Tokyo),
			Display: certwords.When(e.StartsAt, e.EndsAt),
		},
	}
	if e.Venue != nil {
		v := *e.Venue
		out.Event.Venue = &v
	}
	if e.OnlinePlatform != "" {
		p := e.OnlinePlatform
		out.Event.OnlinePlatform = &p
	}
	return out
}
