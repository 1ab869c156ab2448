package mail

import "github.com/sorae/tabane/pkg/community"

// GuestConfirmation asks whoever holds the address to to confirm a guest
// registration request for e by link (valid 24 hours). Its text is fixed:
// it greets no one by name and quotes nothing the requester typed (the
// event is the organizers' text), so nobody can make tabane mail their own
// words to a stranger; and it carries no join URL, which only a seat earns.
func (c *Composer) GuestConfirmation(to string, e *community.Event, link string) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	if err := checkLink("確認リンク", link); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "guest_confirmation", to: to,
		subject: "参加申込の確認のお願い：" + e.Title, data: data{Event: c.event(e), Link: link}})
}
