package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/jadate"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// templates are parsed the first time a mail is composed, once per process:
// parsing them at package init cost every function's cold start, mail or not.
var templates = sync.OnceValues(func() (*mailTemplates, error) {
	text, err := texttemplate.New("").ParseFS(templateFS, "templates/text.tmpl")
	if err != nil {
		return nil, err
	}
	html, err := htmltemplate.New("").Funcs(htmltemplate.FuncMap{
		"lines":  lines,
		"button": func(label, u string) button { return button{Label: label, URL: u} },
	}).ParseFS(templateFS, "templates/html.tmpl")
	if err != nil {
		return nil, err
	}
	return &mailTemplates{text: text, html: html}, nil
})

// mailTemplates hold both parts of every mail, one template each.
type mailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// button is one call to action in the HTML part.
type button struct{ Label, URL string }

// lines escapes s and keeps its line breaks, for text people typed in several
// lines (an organizer's message, a reason).
func lines(s string) htmltemplate.HTML {
	parts := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, p := range parts {
		parts[i] = htmltemplate.HTMLEscapeString(p)
	}
	return htmltemplate.HTML(strings.Join(parts, "<br>\n"))
}

// ICSContentType is how Composer attaches invitations: PUBLISH asks the
// reader to add the event to a calendar, without the reply machinery (and
// ORGANIZER/ATTENDEE properties) that REQUEST would need.
const ICSContentType = "text/calendar; charset=UTF-8; method=PUBLISH"

// Composer builds every mail tabane sends, in Japanese, with the community
// named as sender and in the footer of each (特定電子メール法 requires the
// sender's name and a contact in every mail).
type Composer struct {
	Community string // full name, e.g. そらゑ（行政エンジニア支援機構）
	Short     string // subject prefix inside 【】, e.g. そらゑ
	Contact   string // footer contact and Reply-To
	From      Address
	BaseURL   string // web pages; no trailing slash
	// UnsubscribeMailto is offered in List-Unsubscribe next to the one-click
	// URL for readers that only do mailto; empty to offer the URL alone.
	UnsubscribeMailto string
}

// NewComposer takes the community's name, contact, sender address and base
// URL from c. The From display name is the community's name, whatever
// display name TABANE_SENDER carries, so every mail is signed the same.
func NewComposer(c config.Config) (*Composer, error) {
	from, err := mail.ParseAddress(c.Sender)
	if err != nil || !validEmail(from.Address) {
		return nil, fmt.Errorf("mail: sender %q is not a usable address", c.Sender)
	}
	if !validEmail(c.ContactEmail) {
		return nil, fmt.Errorf("mail: contact %q is not a usable address", c.ContactEmail)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mail: base URL %q is not an http(s) URL", c.BaseURL)
	}
	name := headerText(c.CommunityName)
	return &Composer{
		Community:         name,
		Short:             shortName(name),
		Contact:           c.ContactEmail,
		From:              Address{Name: name, Email: from.Address},
		BaseURL:           strings.TrimRight(c.BaseURL, "/"),
		UnsubscribeMailto: c.ContactEmail,
	}, nil
}

// shortName drops a parenthesized long form: "そらゑ（行政エンジニア支援機構）"
// is "そらゑ" in subjects, where space is short.
func shortName(name string) string {
	for _, sep := range []string{"（", "("} {
		if i := strings.Index(name, sep); i > 0 {
			return strings.TrimSpace(name[:i])
		}
	}
	return name
}

// Link returns the web page page ("/verify", "/signin", "/cancel",
// "/unsubscribe") carrying token, as docs/openapi.yaml fixes mail links.
func (c *Composer) Link(page, token string) string {
	return c.BaseURL + page + "?token=" + url.QueryEscape(token)
}

// EventURL returns the public page of an event.
func (c *Composer) EventURL(id string) string {
	return c.BaseURL + "/events/" + url.PathEscape(id)
}

// data is what every template sees. Event mails get an eventView, which
// has no join URL: only the JoinURL argument a caller passes can put one in
// a mail.
type data struct {
	Subject, Community, Contact, SiteURL string
	Name, Unsubscribe                    string
	Link, CancelLink, JoinURL            string
	// CheckInQR is the cid: URL of the inline check-in QR code, "" for none.
	CheckInQR                        htmltemplate.URL
	Membership, Reason, Offset, Body string
	Closes                           string   // when a survey stops taking answers
	Staff                            []string // the staff an organization's survey is about
	Position                         int
	Invite                           bool
	Event                            *eventView
	// ApplicationID is quoted in an application's receipt, so its owner
	// can find it in a published lottery result.
	ApplicationID string
	// Lottery says the event draws (抽選) rather than selects (選考).
	Lottery bool
	// Organization is the registered name of the organization that
	// nominated the recipient; Expires when their link stops working.
	Organization, Expires string
	// KeptDays is how long an unverified signup is kept
	// (community.UnverifiedRetentionDays), which no link outlives.
	KeptDays int
}

type eventView struct {
	Title, When, Platform, Fee, Notes, URL string
	Venue                                  *community.Venue
}

func (c *Composer) event(e *community.Event) *eventView {
	v := &eventView{
		Title:    e.Title,
		When:     jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Platform: e.OnlinePlatform,
		Notes:    e.Notes,
		URL:      c.EventURL(e.ID),
		Venue:    e.Venue,
	}
	if e.FeeJPY > 0 {
		v.Fee = yen(e.FeeJPY)
	}
	return v
}

// yen writes 35000 as "35,000円".
func yen(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "円"
}

// checkURL checks a URL a caller passes for a mail: absolute http(s), so a mail
// never carries a relative or script link. required says whether "" is an error.
func checkURL(what, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(s, " \r\n\t") {
		return community.ErrInvalidLink.Messagef("%sのURLが正しくありません。", what)
	}
	return nil
}

// mailSpec is one mail to compose: which template, what subject, its data.
type mailSpec struct {
	template    string
	to, name    string
	subject     string
	data        data
	attachments []Attachment
	inline      []Inline
}

// compose runs both templates of s and returns the finished message.
func (c *Composer) compose(s mailSpec) (*Message, error) {
	to := strings.TrimSpace(s.to)
	if !validEmail(to) {
		return nil, community.ErrInvalidEmail.Messagef("宛先のメールアドレスが正しくありません。")
	}
	if s.data.Unsubscribe != "" && !headerURL(s.data.Unsubscribe) {
		return nil, community.ErrInvalidLink.Messagef("配信停止のURLが正しくありません。")
	}
	name := headerText(s.name)
	m := &Message{
		From:        c.From,
		ReplyTo:     c.Contact,
		To:          Address{Name: name, Email: to},
		Subject:     headerText("【" + c.Short + "】" + s.subject),
		Attachments: s.attachments,
		Inline:      s.inline,
		Unsubscribe: s.data.Unsubscribe,
	}
	if m.Unsubscribe != "" {
		m.UnsubscribeMailto = c.UnsubscribeMailto
	}
	d := s.data
	d.Subject, d.Community, d.Contact, d.SiteURL, d.Name = m.Subject, c.Community, c.Contact, c.BaseURL, name
	tmpl, err := templates()
	if err != nil {
		return nil, fmt.Errorf("mail: templates: %w", err)
	}
	var text, html bytes.Buffer
	if err := tmpl.text.ExecuteTemplate(&text, s.template, d); err != nil {
		return nil, fmt.Errorf("mail: %s text: %w", s.template, err)
	}
	if err := tmpl.html.ExecuteTemplate(&html, s.template, d); err != nil {
		return nil, fmt.Errorf("mail: %s html: %w", s.template, err)
	}
	m.Text, m.HTML = text.String(), html.String()
	return m, nil
}

func invite(ics []byte) []Attachment {
	if len(ics) == 0 {
		return nil
	}
	return []Attachment{{Filename: "invite.ics", ContentType: ICSContentType, Data: ics}}
}

func needEvent(e *community.Event) error {
	if e == nil {
		return community.ErrInvalidMessage.Messagef("イベントが指定されていません。")
	}
	return nil
}

// Every builder below returns Invalid ("invalid_email", "invalid_link",
// "invalid_message") for a bad address, URL or missing event; name may be
// empty; links are absolute URLs (see Link).

// Verification asks a new sign-up to confirm the address (link valid 24 h,
// and never past the signup's own retention, which it states).
func (c *Composer) Verification(to, name, link string) (*Message, error) {
	if err := checkLink("確認リンク", link); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "verification", to: to, name: name,
		subject: "メールアドレスの確認のお願い", data: data{Link: link, KeptDays: community.UnverifiedRetentionDays}})
}

// AlreadyRegistered answers a sign-up for an address that is already a
// member, with a sign-in link instead, so the form's answer stays the same
// for everyone and only the owner of the address learns anything.
func (c *Composer) AlreadyRegistered(to, name, signinLink string) (*Message, error) {
	if err := checkLink("ログインリンク", signinLink); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "already_registered", to: to, name: name,
		subject: "このメールアドレスは登録済みです", data: data{Link: signinLink}})
}

// SignInLink sends a single-use sign-in link (valid 15 minutes).
func (c *Composer) SignInLink(to, name, link string) (*Message, error) {
	if err := checkLink("ログインリンク", link); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "signin", to: to, name: name,
		subject: "ログイン用リンクのお知らせ", data: data{Link: link}})
}

// Welcome greets a member who is active as soon as the address is verified.
func (c *Composer) Welcome(to, name string, membership community.Membership) (*Message, error) {
	return c.compose(mailSpec{template: "welcome", to: to, name: name,
		subject: "ご登録ありがとうございます", data: data{Membership: membership.Label()}})
}

// PendingApproval tells a verified member that an organizer must approve
// the membership first.
func (c *Composer) PendingApproval(to, name string, membership community.Membership) (*Message, error) {
	return c.compose(mailSpec{template: "pending_approval", to: to, name: name,
		subject: "メールアドレスの確認が完了しました（承認をお待ちください）", data: data{Membership: membership.Label()}})
}

// Approved tells a member that an organizer approved the membership.
func (c *Composer) Approved(to, name string, membership community.Membership) (*Message, error) {
	return c.compose(mailSpec{template: "approved", to: to, name: name,
		subject: membership.Label() + "のご登録が承認されました", data: data{Membership: membership.Label()}})
}

// Rejected tells an applicant the membership was not approved; reason may be empty.
func (c *Composer) Rejected(to, name, reason string) (*Message, error) {
	return c.compose(mailSpec{template: "rejected", to: to, name: name,
		subject: "会員登録についてのお知らせ", data: data{Reason: strings.TrimSpace(reason)}})
}

// RegistrationConfirmed confirms a seat at e. joinURL is the online join
// link, passed only when the recipient holds a confirmed seat (e.JoinURL is
// never read here); the venue comes from e. cancelLink may be empty (members
// cancel from their page); ics, when given, is attached as invite.ics.
// checkInLink, when given, is shown as a QR code in the HTML part (an
// inline PNG) for the door; the text part points to my page instead.
func (c *Composer) RegistrationConfirmed(to, name string, e *community.Event, joinURL, cancelLink, checkInLink string, ics []byte) (*Message, error) {
	if err := eventLinks(e, joinURL, cancelLink); err != nil {
		return nil, err
	}
	inline, qr, err := checkInInline(checkInLink)
	if err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "registration_confirmed", to: to, name: name,
		subject:     "参加登録が完了しました：" + e.Title,
		data:        data{Event: c.event(e), JoinURL: joinURL, CancelLink: cancelLink, Invite: len(ics) > 0, CheckInQR: qr},
		attachments: invite(ics), inline: inline})
}

// Waitlisted tells a registrant they are position-th on the waitlist of e.
func (c *Composer) Waitlisted(to, name string, e *community.Event, position int, cancelLink string) (*Message, error) {
	if err := eventLinks(e, "", cancelLink); err != nil {
		return nil, err
	}
	if position < 1 {
		return nil, community.ErrInvalidMessage.Messagef("キャンセル待ちの順番が正しくありません。")
	}
	return c.compose(mailSpec{template: "waitlisted", to: to, name: name,
		subject: fmt.Sprintf("キャンセル待ちで受け付けました（%d番目）：%s", position, e.Title),
		data:    data{Event: c.event(e), Position: position, CancelLink: cancelLink}})
}

// Promoted tells a waitlisted registrant that a seat opened and is now
// theirs; joinURL, cancelLink, checkInLink and ics as for
// RegistrationConfirmed.
func (c *Composer) Promoted(to, name string, e *community.Event, joinURL, cancelLink, checkInLink string, ics []byte) (*Message, error) {
	if err := eventLinks(e, joinURL, cancelLink); err != nil {
		return nil, err
	}
	inline, qr, err := checkInInline(checkInLink)
	if err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "promoted", to: to, name: name,
		subject:     "キャンセル待ちから参加が確定しました：" + e.Title,
		data:        data{Event: c.event(e), JoinURL: joinURL, CancelLink: cancelLink, Invite: len(ics) > 0, CheckInQR: qr},
		attachments: invite(ics), inline: inline})
}

// RegistrationCancelled confirms that a registration for e was cancelled.
func (c *Composer) RegistrationCancelled(to, name string, e *community.Event) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "registration_cancelled", to: to, name: name,
		subject: "参加登録を取り消しました：" + e.Title, data: data{Event: c.event(e)}})
}

// EventCancelled tells a registrant that the organizers cancelled e; reason may be empty.
func (c *Composer) EventCancelled(to, name string, e *community.Event, reason string) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "event_cancelled", to: to, name: name,
		subject: "開催中止のお知らせ：" + e.Title, data: data{Event: c.event(e), Reason: strings.TrimSpace(reason)}})
}

// Reminder reminds a confirmed registrant that e starts offset from now
// (one of e's reminder offsets). joinURL and cancelLink as for
// RegistrationConfirmed; unsubscribe is the opt-out URL for reminders (a
// member may turn them off), or "" where there is none.
func (c *Composer) Reminder(to, name string, e *community.Event, offset time.Duration, joinURL, cancelLink, unsubscribe string) (*Message, error) {
	if err := eventLinks(e, joinURL, cancelLink); err != nil {
		return nil, err
	}
	label := OffsetLabel(offset)
	return c.compose(mailSpec{template: "reminder", to: to, name: name,
		subject: "リマインダー（" + label + "に開始）：" + e.Title,
		data: data{Event: c.event(e), Offset: label, JoinURL: joinURL, CancelLink: cancelLink,
			Unsubscribe: unsubscribe}})
}

// OrganizerMessage sends an organizer's own subject and body, about e when
// e is not nil. unsubscribe is the opt-out URL; announcements must pass one
// (特定電子メール法), and messages about an event pass the link that stops
// further messages about it for the recipient's registration.
func (c *Composer) OrganizerMessage(to, name string, e *community.Event, subject, body, unsubscribe string) (*Message, error) {
	if headerText(subject) == "" || strings.TrimSpace(body) == "" {
		return nil, community.ErrInvalidMessage.Messagef("件名と本文を入力してください。")
	}
	d := data{Body: strings.TrimSpace(body), Unsubscribe: unsubscribe}
	if e != nil {
		d.Event = c.event(e)
	}
	return c.compose(mailSpec{template: "organizer_message", to: to, name: name, subject: subject, data: d})
}

// Survey asks a registrant of e to answer its after-event survey at link
// before closesAt. It carries no join URL: the event is over.
func (c *Composer) Survey(to, name string, e *community.Event, link string, closesAt time.Time) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	if err := checkLink("アンケート", link); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "survey", to: to, name: name,
		subject: "「" + e.Title + "」事後アンケートのお願い",
		data:    data{Event: c.event(e), Link: link, Closes: jadate.DateTime(closesAt)}})
}

// OrgSurvey asks a nominating organization's contact to answer e's survey
// about its staff (named) at link before closesAt.
func (c *Composer) OrgSurvey(to, name string, e *community.Event, staff []string, link string, closesAt time.Time) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	if err := checkLink("アンケート", link); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "org_survey", to: to, name: name,
		subject: "「" + e.Title + "」団体向け事後アンケートのお願い",
		data:    data{Event: c.event(e), Link: link, Closes: jadate.DateTime(closesAt), Staff: staff}})
}

// Reconfirm asks a confirmed registrant of e 「参加予定ですか？」 with the
// one-click links keep and cancel (each opens a page whose button
// answers), answerable until deadline. It carries no join URL.
func (c *Composer) Reconfirm(to, name string, e *community.Event, deadline time.Time, keep, cancel string) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	if err := checkLink("参加の回答", keep); err != nil {
		return nil, err
	}
	if err := checkLink("キャンセルの回答", cancel); err != nil {
		return nil, err
	}
	release := e.Reconfirm != nil && e.Reconfirm.Release
	return c.compose(mailSpec{template: "reconfirm", to: to, name: name,
		subject: "参加予定のご確認：" + e.Title,
		data:    data{Event: c.event(e), Link: keep, CancelLink: cancel, Closes: jadate.DateTime(deadline), Invite: release}})
}

// Released tells a registrant their seat at e went to the waitlist because
// the reconfirmation was not answered by deadline.
func (c *Composer) Released(to, name string, e *community.Event, deadline time.Time) (*Message, error) {
	if err := needEvent(e); err != nil {
		return nil, err
	}
	return c.compose(mailSpec{template: "reconfirm_released", to: to, name: name,
		subject: "お申し込みを取り消しました（参加予定の確認に回答がなかったため）：" + e.Title,
		data:    data{Event: c.event(e), Closes: jadate.DateTime(deadline)}})
}

func checkLink(what, s string) error { return checkURL(what, s, true) }

func eventLinks(e *community.Event, joinURL, cancelLink string) error {
	if err := needEvent(e); err != nil {
		return err
	}
	if err := checkURL("参加用", joinURL, false); err != nil {
		return err
	}
	return checkURL("取り消し", cancelLink, false)
}

// OffsetLabel writes a reminder offset as people say it: "24時間後",
// "1時間後", "2日後", "1時間30分後".
func OffsetLabel(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d <= 0:
		return "まもなく"
	case d%(24*time.Hour) == 0 && d > 24*time.Hour:
		return fmt.Sprintf("%d日後", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d時間後", d/time.Hour)
	case d < time.Hour:
		return fmt.Sprintf("%d分後", d/time.Minute)
	}
	return fmt.Sprintf("%d時間%d分後", d/time.Hour, (d%time.Hour)/time.Minute)
}
