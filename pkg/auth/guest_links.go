package auth

import (
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.GuestLinks = Links{}

// GuestConfirmToken signs "<event id>:<registration id>" for a guest's
// confirmation link. The signature keeps forged links from reaching the
// table; the pending request stored under the token's digest is what makes
// it single-use and expire (community.GuestConfirmTTL).
func (l Links) GuestConfirmToken(eventID, regID string) string {
	p := eventID + ":" + regID
	return l.Keys.Sign(community.TokenGuestConfirm, p)
}

// GuestConfirmLink is the page that confirms a guest's registration request.
func (l Links) GuestConfirmLink(eventID, regID string) string {
	return l.page("/registrations/confirm", l.GuestConfirmToken(eventID, regID))
}

// ParseGuestConfirmToken checks a confirmation token and returns what it names.
func (l Links) ParseGuestConfirmToken(token string) (string, string, bool) {
	if len(token) > 300 {
		return "", "", false
	}
	p, ok := l.Keys.Verify(community.TokenGuestConfirm, token)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok := strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}
