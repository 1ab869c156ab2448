package auth

import (
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.OptOutLinks = Links{}

// optOutPurpose signs registration opt-out tokens apart from members'
// unsubscribe tokens, so neither can be read as the other.
const optOutPurpose = "optout"

// RegistrationOptOutToken signs "<event id>:<registration id>:<list>": the
// opt-out of one list (community.ListReminders, community.ListMessages)
// for one registration. Like a cancel token it does not expire: holding
// the mail is the right to stop what it is part of.
func (l Links) RegistrationOptOutToken(eventID, regID, list string) string {
	p := eventID + ":" + regID + ":" + list
	return l.Keys.Sign(optOutPurpose, p)
}

// RegistrationOptOutLink is the opt-out page (and RFC 8058 one-click
// target) for one list of one registration: the same /unsubscribe page as
// a member's lists.
func (l Links) RegistrationOptOutLink(eventID, regID, list string) string {
	return l.page("/unsubscribe", l.RegistrationOptOutToken(eventID, regID, list))
}

// ParseOptOutToken reads any token of the /unsubscribe page: a member's
// list (UnsubscribeToken) or one registration's (RegistrationOptOutToken).
// A tampered or unknown one is refused.
func (l Links) ParseOptOutToken(token string) (community.OptOut, bool) {
	if len(token) > 400 {
		return community.OptOut{}, false
	}
	if memberID, list, ok := l.ParseUnsubscribeToken(token); ok {
		return community.OptOut{MemberID: memberID, List: list}, true
	}
	p, ok := l.Keys.Verify(optOutPurpose, token)
	if !ok {
		return community.OptOut{}, false
	}
	parts := strings.Split(p, ":")
	if len(parts) != 3 || !community.ValidID(parts[0]) || !community.ValidID(parts[1]) ||
		(parts[2] != community.ListReminders && parts[2] != community.ListMessages) {
		return community.OptOut{}, false
	}
	return community.OptOut{EventID: parts[0], RegistrationID: parts[1], List: parts[2]}, true
}
