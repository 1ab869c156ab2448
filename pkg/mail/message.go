package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Address is one mailbox: a display name in any script (may be empty) and a
// bare ASCII address.
type Address struct {
	Name  string
	Email string
}

// Attachment is a file sent with a mail, e.g. an .ics invitation.
type Attachment struct {
	Filename    string // e.g. "invite.ics"; non-ASCII names are written per RFC 2231
	ContentType string // a media type with parameters, e.g. "text/calendar; charset=UTF-8; method=PUBLISH"
	Data        []byte
}

// Inline is an image the HTML part shows by its Content-ID
// (<img src="cid:…">), sent inside multipart/related so mail programs
// show it in place rather than as an attachment.
type Inline struct {
	ContentID   string // without angle brackets, e.g. "checkin-qr@tabane"
	ContentType string // e.g. "image/png"
	Data        []byte
}

// Message is one mail to one recipient, ready to encode. Non-transactional
// mail (announcements, organizer messages, reminders someone may turn off)
// sets Unsubscribe; transactional mail (verification, sign-in) leaves it empty.
type Message struct {
	From        Address
	ReplyTo     string // bare address; optional
	To          Address
	Subject     string
	Text        string   // the text/plain part; required
	HTML        string   // the text/html part; optional
	Inline      []Inline // images the HTML part shows; only with HTML
	Attachments []Attachment
	// Unsubscribe is the http(s) opt-out URL. When set, the mail carries
	// List-Unsubscribe with it (and UnsubscribeMailto, if set) and
	// List-Unsubscribe-Post for RFC 8058 one-click, as Gmail and Yahoo require
	// of bulk senders.
	Unsubscribe       string
	UnsubscribeMailto string // a bare address for mail-based opt-out; optional
	// Tags are SES message tags, written as the X-SES-MESSAGE-TAGS header
	// (SES reads it from a raw mail, publishes the tags with the mail's
	// events, and removes the header before delivery). Names and values
	// take only ASCII letters, digits, '_' and '-'.
	Tags map[string]string
}

// tagToken reports whether s is a valid SES message tag name or value.
func tagToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maxAttachmentName bounds file names so their header line stays far below
// RFC 5322's 998 characters even when percent-encoded.
const maxAttachmentName = 100

// validate checks every value that will reach a header. Invalid, reason
// "invalid_email" for a bad address and "invalid_message" for the rest.
func (m *Message) validate() error {
	if !validEmail(m.From.Email) {
		return community.ErrInvalidEmail.Messagef("送信元のメールアドレスが正しくありません。")
	}
	if !validEmail(m.To.Email) {
		return community.ErrInvalidEmail.Messagef("宛先のメールアドレスが正しくありません。")
	}
	if m.ReplyTo != "" && !validEmail(m.ReplyTo) {
		return community.ErrInvalidEmail.Messagef("返信先のメールアドレスが正しくありません。")
	}
	if m.UnsubscribeMailto != "" && !validEmail(m.UnsubscribeMailto) {
		return community.ErrInvalidEmail.Messagef("配信停止用のメールアドレスが正しくありません。")
	}
	if headerText(m.Subject) == "" {
		return community.ErrInvalidMessage.Messagef("件名がありません。")
	}
	if strings.TrimSpace(m.Text) == "" {
		return community.ErrInvalidMessage.Messagef("本文がありません。")
	}
	for k, v := range m.Tags {
		if !tagToken(k) || !tagToken(v) {
			return community.ErrInvalidMessage.Messagef("メッセージタグが正しくありません。")
		}
	}
	if m.Unsubscribe != "" && !headerURL(m.Unsubscribe) {
		return community.ErrInvalidMessage.Messagef("配信停止URLが正しくありません。")
	}
	if m.Unsubscribe == "" && m.UnsubscribeMailto != "" {
		return community.ErrInvalidMessage.Messagef("配信停止URLがありません。")
	}
	for _, in := range m.Inline {
		if m.HTML == "" || !contentID(in.ContentID) || !strings.HasPrefix(in.ContentType, "image/") {
			return community.ErrInvalidMessage.Messagef("埋め込み画像が正しくありません。")
		}
	}
	for _, a := range m.Attachments {
		name := headerText(a.Filename)
		if name == "" || len(name) > maxAttachmentName || strings.ContainsAny(name, `/\`) {
			return community.ErrInvalidMessage.Messagef("添付ファイル名が正しくありません。")
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return community.ErrInvalidMessage.Messagef("添付ファイルの種類が正しくありません。")
		}
	}
	return nil
}

// headerURL reports whether s is an absolute http(s) URL that can stand
// between angle brackets in List-Unsubscribe: ASCII, no spaces, no brackets,
// and no literal commas (RFC 2369 §2 says they must be encoded).
func headerURL(s string) bool {
	if len(s) > 900 || strings.ContainsAny(s, " <>,\"\\") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Encode returns the message as RFC 5322 bytes for SendRawEmail, dated date:
// multipart/mixed { multipart/alternative { text/plain, text/html },
// attachments... }, all text UTF-8. Invalid when an address, the subject, the
// body or an attachment is unusable.
func (m *Message) Encode(date time.Time) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeField(&b, "From", addressTokens("From", m.From))
	writeField(&b, "To", addressTokens("To", m.To))
	if m.ReplyTo != "" {
		writeField(&b, "Reply-To", []string{m.ReplyTo})
	}
	writeField(&b, "Subject", textTokens("Subject", headerText(m.Subject)))
	writeField(&b, "Date", []string{date.In(community.Tokyo).Format(time.RFC1123Z)})
	domain := m.From.Email[strings.LastIndexByte(m.From.Email, '@')+1:]
	writeField(&b, "Message-ID", []string{"<" + community.NewID(date) + "@" + domain + ">"})
	if m.Unsubscribe != "" {
		targets := []string{"<" + m.Unsubscribe + ">"}
		if m.UnsubscribeMailto != "" {
			targets[0] += ","
			targets = append(targets, "<mailto:"+m.UnsubscribeMailto+"?subject=unsubscribe>")
		}
		writeField(&b, "List-Unsubscribe", targets)
		writeField(&b, "List-Unsubscribe-Post", []string{"List-Unsubscribe=One-Click"})
	}
	if len(m.Tags) > 0 {
		names := slices.Sorted(maps.Keys(m.Tags))
		pairs := make([]string, len(names))
		for i, k := range names {
			pairs[i] = k + "=" + m.Tags[k]
			if i < len(names)-1 {
				pairs[i] += ","
			}
		}
		writeField(&b, "X-SES-MESSAGE-TAGS", pairs)
	}
	writeField(&b, "MIME-Version", []string{"1.0"})

	mixed := multipart.NewWriter(&b)
	if err := mixed.SetBoundary(boundary()); err != nil {
		return nil, fmt.Errorf("mail: boundary: %w", err)
	}
	writeField(&b, "Content-Type", []string{"multipart/mixed;", "boundary=\"" + mixed.Boundary() + "\""})
	b.WriteString("\r\n")

	var alt bytes.Buffer
	altw := multipart.NewWriter(&alt)
	if err := altw.SetBoundary(boundary()); err != nil {
		return nil, fmt.Errorf("mail: boundary: %w", err)
	}
	if err := writeTextPart(altw, "text/plain", m.Text); err != nil {
		return nil, err
	}
	if m.HTML != "" {
		if err := writeTextPart(altw, "text/html", m.HTML); err != nil {
			return nil, err
		}
	}
	err := altw.Close()
	if err != nil {
		return nil, fmt.Errorf("mail: alternative: %w", err)
	}
	body, bodyType := alt.Bytes(), mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": altw.Boundary()})
	if len(m.Inline) > 0 {
		if body, bodyType, err = related(body, bodyType, m.Inline); err != nil {
			return nil, err
		}
	}
	w, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {bodyType}})
	if err != nil {
		return nil, fmt.Errorf("mail: alternative part: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("mail: alternative part: %w", err)
	}

	for _, a := range m.Attachments {
		if err := writeAttachment(mixed, a); err != nil {
			return nil, err
		}
	}
	if err := mixed.Close(); err != nil {
		return nil, fmt.Errorf("mail: close: %w", err)
	}
	return b.Bytes(), nil
}

// related wraps the alternative body (of type altType) with the inline
// images in multipart/related (RFC 2387), whose root is the first part.
func related(alt []byte, altType string, inline []Inline) ([]byte, string, error) {
	var b bytes.Buffer
	rw := multipart.NewWriter(&b)
	if err := rw.SetBoundary(boundary()); err != nil {
		return nil, "", fmt.Errorf("mail: boundary: %w", err)
	}
	w, err := rw.CreatePart(textproto.MIMEHeader{"Content-Type": {altType}})
	if err != nil {
		return nil, "", fmt.Errorf("mail: related part: %w", err)
	}
	if _, err := w.Write(alt); err != nil {
		return nil, "", fmt.Errorf("mail: related part: %w", err)
	}
	for _, in := range inline {
		w, err := rw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {in.ContentType},
			"Content-Id":                {"<" + in.ContentID + ">"},
			"Content-Disposition":       {"inline"},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, "", fmt.Errorf("mail: inline part: %w", err)
		}
		if err := writeBase64(w, in.Data); err != nil {
			return nil, "", err
		}
	}
	if err := rw.Close(); err != nil {
		return nil, "", fmt.Errorf("mail: related: %w", err)
	}
	return b.Bytes(), mime.FormatMediaType("multipart/related", map[string]string{"boundary": rw.Boundary(), "type": "multipart/alternative"}), nil
}

// contentID admits a Content-ID of the form local@domain in plain ASCII.
func contentID(s string) bool {
	if len(s) == 0 || len(s) > 100 || strings.Count(s, "@") != 1 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@.-_", c)) {
			return false
		}
	}
	return true
}

// boundary returns a fresh multipart boundary. It starts with "=_", which
// neither base64 nor quoted-printable output can contain, so no body can
// collide with it whatever it says.
func boundary() string {
	var r [10]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never returns an error on supported platforms
	return "=_" + hex.EncodeToString(r[:])
}

// writeTextPart writes one UTF-8 text part. Mostly-Japanese text goes as
// base64 (a third larger, where quoted-printable would triple it); mostly
// ASCII as quoted-printable, which spam filters expect for such text.
func writeTextPart(mw *multipart.Writer, mediaType, s string) error {
	s = crlf(strings.ToValidUTF8(s, "\uFFFD"))
	cte := "quoted-printable"
	if nonASCII(s)*5 > len(s) {
		cte = "base64"
	}
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(mediaType, map[string]string{"charset": "UTF-8"})},
		"Content-Transfer-Encoding": {cte},
	})
	if err != nil {
		return fmt.Errorf("mail: %s part: %w", mediaType, err)
	}
	if cte == "base64" {
		return writeBase64(w, []byte(s))
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return fmt.Errorf("mail: %s part: %w", mediaType, err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("mail: %s part: %w", mediaType, err)
	}
	return nil
}

func writeAttachment(mw *multipart.Writer, a Attachment) error {
	name := headerText(a.Filename)
	mt, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil {
		return fmt.Errorf("mail: attachment type: %w", err)
	}
	params["name"] = name // for readers that ignore Content-Disposition
	ct := mime.FormatMediaType(mt, params)
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if ct == "" || cd == "" {
		return community.ErrInvalidMessage.Messagef("添付ファイルの種類が正しくありません。")
	}
	w, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ct},
		"Content-Disposition":       {cd},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return fmt.Errorf("mail: attachment part: %w", err)
	}
	return writeBase64(w, a.Data)
}

// writeBase64 writes data in base64 lines of 76 characters (RFC 2045 §6.8).
func writeBase64(w io.Writer, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("mail: base64: %w", err)
	}
	return nil
}

// crlf turns any line ending into CRLF, the canonical form of text in MIME.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func nonASCII(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n++
		}
	}
	return n
}
