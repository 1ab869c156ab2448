package mail

import (
	"errors"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// NominationConfirmation asks whoever holds the address to to confirm that
// organization nominated them for e (団体推薦), by link. Its text is fixed
// but for the organization's registered name (approved by organizers) and
// the event: it greets no one by name and quotes nothing the nominating
// contact typed, and it carries no join URL.
func (c *Composer) NominationConfirmation(to, organization string, e *community.Event, link string, expires time.Time) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	if err := checkLink("確認リンク", link); err != nil {
		return nil, err
	}
	if organization == "" {
		return nil, errors.New("mail: nomination confirmation without the organization's name")
	}
	d := data{Event: c.event(e), Link: link, Organization: organization, Lottery: e.Mode == community.ModeLottery}
	if !expires.IsZero() {
		d.Expires = jadate.DateTime(expires)
	}
	return c.compose(mailSpec{template: "nomination_confirmation", to: to,
		subject: "団体推薦の確認のお願い：" + e.Title, data: d})
}
