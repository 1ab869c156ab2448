package auth

import (
	"net/url"
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

// Links builds the links mails carry and reads the signed ones back. Links
// point at the web pages and carry their token as ?token=, and the API takes
// the same token (docs/openapi.yaml).
type Links struct {
	BaseURL string // no trailing slash
	Keys    *Keyring
}

var (
	_ community.Links       = Links{}
	_ community.CancelLinks = Links{}
)

func (l Links) page(path, token string) string {
	return l.BaseURL + path + "?token=" + url.QueryEscape(token)
}

// Verify is the double opt-in link.
func (l Links) Verify(token string) string { return l.page("/verify", token) }

// SignIn is the one-time sign-in link.
func (l Links) SignIn(token string) string { return l.page("/signin", token) }

// CancelToken signs "<event id>:<registration id>"; it does not expire,
// because a person may cancel any time before the event, and holding the
// mail is what proves the right to cancel.
func (l Links) CancelToken(eventID, regID string) string {
	p := eventID + ":" + regID
	return l.Keys.Sign("cancel", p)
}

// CancelLink is the cancel page for one registration.
func (l Links) CancelLink(eventID, regID string) string {
	return l.page("/cancel", l.CancelToken(eventID, regID))
}

// ParseCancelToken checks a cancel token and returns what it names.
func (l Links) ParseCancelToken(token string) (string, string, bool) {
	p, ok := l.Keys.Verify("cancel", token)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok := strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}

// UnsubscribeToken signs "<member id>:<list>".
func (l Links) UnsubscribeToken(memberID, list string) string {
	p := memberID + ":" + list
	return l.Keys.Sign("unsubscribe", p)
}

// UnsubscribeLink is the opt-out page (and RFC 8058 one-click target) for one list.
func (l Links) UnsubscribeLink(memberID, list string) string {
	return l.page("/unsubscribe", l.UnsubscribeToken(memberID, list))
}

// ParseUnsubscribeToken checks an unsubscribe token; a tampered one is refused.
func (l Links) ParseUnsubscribeToken(token string) (memberID, list string, ok bool) {
	p, ok := l.Keys.Verify("unsubscribe", token)
	if !ok {
		return "", "", false
	}
	memberID, list, ok = strings.Cut(p, ":")
	return memberID, list, ok && community.ValidID(memberID) && (list == community.ListReminders || list == community.ListAnnouncements)
}

// Secrets makes mailed single-use secrets and the digests the store keeps.
// Digests are keyed with the keyring's digest key: what the store keys by
// a digest of an email address (the mail rate limit) cannot be confirmed
// by someone who holds a copy of the table and guesses addresses, without
// the key.
type Secrets struct {
	Keys *Keyring
}

var _ community.Secrets = Secrets{}

// NewSecret returns a fresh random secret.
func (Secrets) NewSecret() string { return NewSecret() }

// Hash returns the keyed digest stored for s (Keyring.Digest).
func (x Secrets) Hash(s string) string { return x.Keys.Digest(s) }

var _ community.SurveyLinks = Links{}

// SurveyToken signs "<event id>:<registration id>" for the after-event
// survey. Like the cancel token it does not expire: the survey's own
// closing time decides how long answers are taken.
func (l Links) SurveyToken(eventID, regID string) string {
	p := eventID + ":" + regID
	return l.Keys.Sign("survey", p)
}

// SurveyLink is the survey page for one registration.
func (l Links) SurveyLink(eventID, regID string) string {
	return l.page("/survey", l.SurveyToken(eventID, regID))
}

// ParseSurveyToken checks a survey token and returns what it names; a
// cancel token (another purpose) or a tampered one is refused.
func (l Links) ParseSurveyToken(token string) (string, string, bool) {
	p, ok := l.Keys.Verify("survey", token)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok := strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}

var _ community.OrgSurveyLinks = Links{}

// OrgSurveyToken signs "<event id>:<organization member id>" for an
// organization's survey about its staff. Its purpose is not the
// attendees', so a registrant's link never opens an organization's survey.
func (l Links) OrgSurveyToken(eventID, orgID string) string {
	p := eventID + ":" + orgID
	return l.Keys.Sign("org_survey", p)
}

// OrgSurveyLink is the survey page of one organization.
func (l Links) OrgSurveyLink(eventID, orgID string) string {
	return l.page("/org-survey", l.OrgSurveyToken(eventID, orgID))
}

// ParseOrgSurveyToken checks an organization survey token and returns what
// it names; another purpose's token or a tampered one is refused.
func (l Links) ParseOrgSurveyToken(token string) (string, string, bool) {
	p, ok := l.Keys.Verify("org_survey", token)
	if !ok {
		return "", "", false
	}
	eventID, orgID, ok := strings.Cut(p, ":")
	return eventID, orgID, ok && community.ValidID(eventID) && community.ValidID(orgID)
}

var _ community.ReconfirmLinks = Links{}

// ReconfirmToken signs "<event id>:<registration id>" for the
// reconfirmation's answers. The answer is not signed: both answers are the
// registrant's to give, and the page asks with a button either way.
func (l Links) ReconfirmToken(eventID, regID string) string {
	return l.Keys.Sign("reconfirm", eventID+":"+regID)
}

// ReconfirmLink is the page answering answer for one registration.
func (l Links) ReconfirmLink(eventID, regID, answer string) string {
	return l.page("/reconfirm", l.ReconfirmToken(eventID, regID)) + "&answer=" + url.QueryEscape(answer)
}

// ParseReconfirmToken checks a reconfirmation token; a cancel token
// (another purpose) or a tampered one is refused.
func (l Links) ParseReconfirmToken(token string) (string, string, bool) {
	p, ok := l.Keys.Verify("reconfirm", token)
	if !ok {
		return "", "", false
	}
	eventID, regID, ok := strings.Cut(p, ":")
	return eventID, regID, ok && community.ValidID(eventID) && community.ValidID(regID)
}
