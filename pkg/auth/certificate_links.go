package auth

import (
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.CertificateLinks = Links{}

// CertificateID signs "<event id>:<registration id>" for the verification
// link printed on an attendance certificate. Its purpose is its own, so
// no other token of tabane verifies as a certificate, and like every
// token it carries its key id: a certificate printed before a rotation
// still verifies while its key is in the ring and not retired. It does
// not expire — a certificate is kept for years — and it is no secret: it
// shows only what the certificate itself shows.
func (l Links) CertificateID(eventID, regID string) string {
	return l.Keys.Sign(community.TokenCertificate, eventID+":"+regID)
}

// CertificateLink is the public page that confirms a certificate.
func (l Links) CertificateLink(eventID, regID string) string {
	return l.BaseURL + "/certificates/" + l.CertificateID(eventID, regID)
}

// ParseCertificateID checks a certificate id and returns what it names;
// forged, altered, other-purpose and retired-key ids are refused alike.
func (l Links) ParseCertificateID(id string) (eventID, regID string, ok bool) {
	if len(id) > 200 {
		return "", "", false
	}
	p, ok := l.Keys.Verify(community.TokenCertificate, id)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok = strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}
