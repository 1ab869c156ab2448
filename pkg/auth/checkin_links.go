package auth

import (
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

var _ community.CheckInLinks = Links{}

// CheckInToken signs "<event id>:<registration id>:<expiry, unix seconds>"
// for the QR code a confirmed registrant shows at the door. Its purpose is
// its own, so no cancel or survey token ever opens the check-in page, and
// it expires: a screenshot of the code is no use after the event.
func (l Links) CheckInToken(eventID, regID string, until time.Time) string {
	p := eventID + ":" + regID + ":" + strconv.FormatInt(until.Unix(), 10)
	return l.Keys.Sign(community.TokenCheckIn, p)
}

// CheckInLink is the console's check-in page for one registration, the
// text of the QR code. It uses ?t= rather than ?token= so that it stays
// short enough for a small, easily scanned code.
func (l Links) CheckInLink(eventID, regID string, until time.Time) string {
	return l.BaseURL + "/admin/checkin?t=" + l.CheckInToken(eventID, regID, until)
}

// ParseCheckInToken checks a check-in token at now and returns what it
// names; a forged, altered, expired or other-purpose token is refused
// alike.
func (l Links) ParseCheckInToken(token string, now time.Time) (eventID, regID string, ok bool) {
	if len(token) > 300 {
		return "", "", false
	}
	p, ok := l.Keys.Verify(community.TokenCheckIn, token)
	if !ok {
		return "", "", false
	}
	parts := strings.Split(p, ":")
	if len(parts) != 3 {
		return "", "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return "", "", false
	}
	return parts[0], parts[1], community.ValidID(parts[0]) && community.ValidID(parts[1])
}
