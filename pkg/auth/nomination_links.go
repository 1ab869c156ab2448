package auth

import (
	"net/url"
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.NominationLinks = Links{}

// NominationConfirmToken signs "<event id>:<registration id>" for a
// nominee's confirmation link, under its own purpose so a guest's link can
// never stand in for it. The pending token stored under its digest is what
// makes it single-use and expire (community.NominationTTL, or the deadline).
func (l Links) NominationConfirmToken(eventID, regID string) string {
	p := eventID + ":" + regID
	return l.Keys.Sign(community.TokenNominationConfirm, p)
}

// NominationConfirmLink is the page where a nominee confirms.
func (l Links) NominationConfirmLink(eventID, regID string) string {
	return l.BaseURL + "/nominations/confirm?t=" + url.QueryEscape(l.NominationConfirmToken(eventID, regID))
}

// ParseNominationConfirmToken checks a nominee's token and returns what it names.
func (l Links) ParseNominationConfirmToken(token string) (string, string, bool) {
	if len(token) > 300 {
		return "", "", false
	}
	p, ok := l.Keys.Verify(community.TokenNominationConfirm, token)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok := strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}
