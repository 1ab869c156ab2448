package mail

import (
	"fmt"

	"github.com/sorae/tabane/pkg/community"
)

// The mails of applications (selection and lottery events). Only the
// selected mail takes a join URL: the receipt, the reserve place and the
// decline are composed without one, whatever the event holds.

// ApplicationReceived confirms an application for e and quotes its id.
func (c *Composer) ApplicationReceived(to, name string, e *community.Event, applicationID, cancelLink string) (*Message, error) {
	if err := eventLinks(e, "", cancelLink); err != nil {
		return nil, err
	}
	if !community.ValidID(applicationID) {
		return nil, community.ErrInvalidMessage.Messagef("申込IDが正しくありません。")
	}
	return c.compose(mailSpec{template: "application_received", to: to, name: name,
		subject: "お申し込みを受け付けました：" + e.Title,
		data:    data{Event: c.event(e), ApplicationID: applicationID, CancelLink: cancelLink, Lottery: e.Mode == community.ModeLottery}})
}

// ApplicationSelected tells an applicant they have a place (当選・採用),
// with the joining details and the calendar file.
func (c *Composer) ApplicationSelected(to, name string, e *community.Event, joinURL, cancelLink string, ics []byte) (*Message, error) {
	if err := eventLinks(e, joinURL, cancelLink); err != nil {
		return nil, err
	}
	subject := "選考の結果、ご参加いただけることになりました：" + e.Title
	if e.Mode == community.ModeLottery {
		subject = "抽選の結果、当選しました：" + e.Title
	}
	return c.compose(mailSpec{template: "application_selected", to: to, name: name, subject: subject,
		data: data{Event: c.event(e), JoinURL: joinURL, CancelLink: cancelLink, Invite: len(ics) > 0,
			Lottery: e.Mode == community.ModeLottery},
		attachments: invite(ics)})
}

// ApplicationReserve tells an applicant they are position-th reserve (補欠).
func (c *Composer) ApplicationReserve(to, name string, e *community.Event, position int, cancelLink string) (*Message, error) {
	if err := eventLinks(e, "", cancelLink); err != nil {
		return nil, err
	}
	if position < 1 {
		return nil, community.ErrInvalidMessage.Messagef("補欠の順番が正しくありません。")
	}
	return c.compose(mailSpec{template: "application_reserve", to: to, name: name,
		subject: fmt.Sprintf("補欠（%d番目）となりました：%s", position, e.Title),
		data:    data{Event: c.event(e), Position: position, CancelLink: cancelLink, Lottery: e.Mode == community.ModeLottery}})
}

// ApplicationDeclined tells an applicant they have no place (落選・見送り).
func (c *Composer) ApplicationDeclined(to, name string, e *community.Event) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	subject := "選考結果のお知らせ：" + e.Title
	if e.Mode == community.ModeLottery {
		subject = "抽選結果のお知らせ：" + e.Title
	}
	return c.compose(mailSpec{template: "application_declined", to: to, name: name, subject: subject,
		data: data{Event: c.event(e), Lottery: e.Mode == community.ModeLottery}})
}
