package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sorae/tabane/pkg/community"
)

var testDate = time.Date(2025, 5, 14, 10, 0, 0, 0, time.UTC)

// part is one leaf of a parsed message, its body decoded.
type part struct {
	mediaType string
	params    map[string]string
	filename  string
	body      []byte
}

// parsed is a message read back with the standard library only, the way a
// mail reader would.
type parsed struct {
	raw    string // header block as written
	header mail.Header
	leaves []part
	tree   []string // media types in reading order, "multipart/*" included
}

func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		t.Fatal("no end of header")
	}
	p := parsed{raw: string(raw[:end+2]), header: msg.Header}
	p.walk(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return p
}

func (p *parsed) walk(t *testing.T, contentType, cte, disposition string, body io.Reader) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	p.tree = append(p.tree, mt)
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			pt, err := r.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("next part: %v", err)
			}
			p.walk(t, pt.Header.Get("Content-Type"), pt.Header.Get("Content-Transfer-Encoding"), pt.Header.Get("Content-Disposition"), pt)
		}
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	switch strings.ToLower(cte) {
	case "base64":
		data, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(data)))
	case "quoted-printable":
		data, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected transfer encoding %q", cte)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", cte, err)
	}
	leaf := part{mediaType: mt, params: params, body: data}
	if disposition != "" {
		_, dp, err := mime.ParseMediaType(disposition)
		if err != nil {
			t.Fatalf("disposition %q: %v", disposition, err)
		}
		leaf.filename = dp["filename"]
	}
	p.leaves = append(p.leaves, leaf)
}

func (p parsed) leaf(t *testing.T, mediaType string) part {
	t.Helper()
	for _, l := range p.leaves {
		if l.mediaType == mediaType {
			return l
		}
	}
	t.Fatalf("no %s part in %v", mediaType, p.tree)
	return part{}
}

// headerLines returns the names of every header field, in order.
func (p parsed) headerNames() []string {
	var names []string
	for _, line := range strings.Split(strings.TrimSuffix(p.raw, "\r\n"), "\r\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		names = append(names, name)
	}
	return names
}

func decodeSubject(t *testing.T, h mail.Header) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	return s
}

func testMessage() *Message {
	return &Message{
		From:    Address{Name: "そらゑ（行政エンジニア支援機構）", Email: "no-reply@sorae.example.jp"},
		ReplyTo: "info@sorae.example.jp",
		To:      Address{Name: "髙橋 﨑子 🌸", Email: "takahashi@example.jp"},
		Subject: "【そらゑ】参加登録が完了しました",
		Text:    "髙橋 﨑子 🌸 様\n\n本文です。\nhttps://example.jp/cancel?token=abc\n",
		HTML:    "<p>髙橋 﨑子 🌸 様</p>",
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	long := strings.Repeat("井戸端会議（正会員限定・録画なし）のご案内🌸", 6)
	tests := []struct {
		name        string
		displayName string
		wantName    string
		subject     string
		wantSubject string
	}{
		{"Japanese", "髙橋 﨑子 🌸", "髙橋 﨑子 🌸", "【そらゑ】参加登録が完了しました", "【そらゑ】参加登録が完了しました"},
		{"LongSubject", "髙橋 﨑子", "髙橋 﨑子", long, long},
		{"ASCII", "Taro Yamada", "Taro Yamada", "Hello from tabane", "Hello from tabane"},
		{"ASCIISpecials", `"Boss" <boss@example.jp>, Inc.`, `"Boss" <boss@example.jp>, Inc.`, "Re: [tabane] 5/14 (Wed)", "Re: [tabane] 5/14 (Wed)"},
		{"LongASCII", strings.Repeat("Name ", 30), strings.TrimSpace(strings.Repeat("Name ", 30)), strings.Repeat("word ", 40), strings.TrimSpace(strings.Repeat("word ", 40))},
		{"LiteralEncodedWord", "=?UTF-8?B?5pys?=", "=?UTF-8?B?5pys?=", "=?UTF-8?B?5pys?= literal", "=?UTF-8?B?5pys?= literal"},
		{"IdeographicSpace", "山田　太郎", "山田　太郎", "全角　スペース", "全角　スペース"},
		{"EmojiSequences", "👨‍👩‍👧‍👦🇯🇵👍🏽", "👨‍👩‍👧‍👦🇯🇵👍🏽", strings.Repeat("家族👨‍👩‍👧‍👦と旗🇯🇵🇺🇸", 8), strings.Repeat("家族👨‍👩‍👧‍👦と旗🇯🇵🇺🇸", 8)},
		{"VariationSelector", "葛\U000E0100城 辻\U000E0101", "葛\U000E0100城 辻\U000E0101", strings.Repeat("葛\U000E0100", 30), strings.Repeat("葛\U000E0100", 30)},
		{"EmptyName", "", "", "件名", "件名"},
		{"NameWithControls", "山田\t太郎\x00", "山田 太郎", "件名", "件名"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.To.Name, m.Subject = tt.displayName, tt.subject
			raw, err := m.Encode(testDate)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			to, err := p.header.AddressList("To")
			if err != nil || len(to) != 1 {
				t.Fatalf("To %q: %v %v", p.header.Get("To"), to, err)
			}
			if to[0].Name != tt.wantName || to[0].Address != m.To.Email {
				t.Errorf("To = %q <%s>, want %q <%s>", to[0].Name, to[0].Address, tt.wantName, m.To.Email)
			}
			if got := decodeSubject(t, p.header); got != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", got, tt.wantSubject)
			}
			from, err := p.header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != m.From.Name || from[0].Address != m.From.Email {
				t.Errorf("From = %v (%v), want %q <%s>", from, err, m.From.Name, m.From.Email)
			}
			for _, line := range strings.Split(p.raw, "\r\n") {
				if len(line) > 78 {
					t.Errorf("header line of %d characters: %q", len(line), line)
				}
			}
			checkWordBoundaries(t, p.raw, tt.subject)
		})
	}
}

// checkWordBoundaries decodes the Subject's encoded-words one by one: each
// must be valid UTF-8 on its own and end on a character boundary of s.
func checkWordBoundaries(t *testing.T, rawHeader, s string) {
	t.Helper()
	_, after, _ := strings.Cut(rawHeader, "\r\nSubject:")
	var field []string
	for _, line := range strings.Split(after, "\r\n") {
		if len(field) > 0 && !strings.HasPrefix(line, " ") {
			break
		}
		field = append(field, strings.Fields(line)...)
	}
	if len(field) == 0 || !strings.HasPrefix(field[0], wordPrefix) {
		return // written plain
	}
	var all []byte
	for i, w := range field {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(w, wordPrefix), wordSuffix))
		if err != nil {
			t.Fatalf("word %q: %v", w, err)
		}
		all = append(all, b...)
		if !utf8.Valid(b) {
			t.Errorf("word %q is not valid UTF-8 alone", w)
		}
		if len(w) > maxWordLen {
			t.Errorf("word %q longer than %d", w, maxWordLen)
		}
		// Judged without clusters(), the function under test: a word must not
		// begin with a joiner, mark, variation selector or skin tone, nor end
		// with a joiner, nor hold half a flag.
		first, _ := utf8.DecodeRune(b)
		last, _ := utf8.DecodeLastRune(b)
		if i > 0 && (first == '\u200D' || unicode.In(first, unicode.Mn) || (first >= 0x1F3FB && first <= 0x1F3FF)) {
			t.Errorf("word %d %q starts inside a character", i, b)
		}
		if last == '\u200D' {
			t.Errorf("word %d %q ends with a joiner", i, b)
		}
		ri := 0
		for _, r := range string(b) {
			if r >= 0x1F1E6 && r <= 0x1F1FF {
				ri++
			}
		}
		if ri%2 != 0 {
			t.Errorf("word %d %q splits a flag", i, b)
		}
	}
	if string(all) != s {
		t.Errorf("words decode to %q, want %q", all, s)
	}
}

func TestClusters(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"Kanji", "髙橋", []string{"髙", "橋"}},
		{"Family", "a👨‍👩‍👧‍👦b", []string{"a", "👨‍👩‍👧‍👦", "b"}},
		{"Flags", "🇯🇵🇺🇸", []string{"🇯🇵", "🇺🇸"}},
		{"SkinTone", "👍🏽!", []string{"👍🏽", "!"}},
		{"IVS", "葛\U000E0100城", []string{"葛\U000E0100", "城"}},
		{"EmojiPresentation", "❤\uFE0F", []string{"❤\uFE0F"}},
		{"CombiningDakuten", "か\u3099", []string{"か\u3099"}},
		{"Keycap", "1\uFE0F\u20E3", []string{"1\uFE0F\u20E3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clusters(tt.in); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("clusters(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEncodeNoHeaderInjection(t *testing.T) {
	attacks := []string{
		"Evil\r\nBcc: victim@example.com",
		"Evil\nBcc: victim@example.com",
		"Evil\rBcc: victim@example.com",
		"Evil\r\n\r\n<html>body</html>",
		"Evil\u2028Bcc: victim@example.com",
		"Evil\u0085Bcc: victim@example.com",
		"山田\r\nBcc: victim@example.com",
	}
	want := []string{"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"}
	for i, attack := range attacks {
		for _, field := range []string{"name", "subject", "from"} {
			t.Run(field+"/"+string(rune('A'+i)), func(t *testing.T) {
				m := testMessage()
				switch field {
				case "name":
					m.To.Name = attack
				case "subject":
					m.Subject = attack
				case "from":
					m.From.Name = attack
				}
				raw, err := m.Encode(testDate)
				if err != nil {
					t.Fatal(err)
				}
				p := parseMessage(t, raw)
				if got := p.headerNames(); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("header fields = %v, want %v", got, want)
				}
				if p.header.Get("Bcc") != "" {
					t.Errorf("Bcc header appeared: %q", p.header.Get("Bcc"))
				}
				if len(p.leaves) != 2 {
					t.Errorf("parts = %v, want text and html", p.tree)
				}
			})
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Message)
		reason *community.Reason
	}{
		{"ToWithCRLF", func(m *Message) { m.To.Email = "a@example.jp\r\nBcc: b@example.jp" }, community.ErrInvalidEmail},
		{"ToWithName", func(m *Message) { m.To.Email = "A <a@example.jp>" }, community.ErrInvalidEmail},
		{"ToEmpty", func(m *Message) { m.To.Email = "" }, community.ErrInvalidEmail},
		{"ToNonASCII", func(m *Message) { m.To.Email = "髙橋@example.jp" }, community.ErrInvalidEmail},
		{"ToTwoAddresses", func(m *Message) { m.To.Email = "a@example.jp, b@example.jp" }, community.ErrInvalidEmail},
		{"FromBad", func(m *Message) { m.From.Email = "no-reply" }, community.ErrInvalidEmail},
		{"ReplyToBad", func(m *Message) { m.ReplyTo = "x\n@example.jp" }, community.ErrInvalidEmail},
		{"SubjectEmpty", func(m *Message) { m.Subject = " \r\n " }, community.ErrInvalidMessage},
		{"TextEmpty", func(m *Message) { m.Text = "" }, community.ErrInvalidMessage},
		{"UnsubscribeCRLF", func(m *Message) { m.Unsubscribe = "https://example.jp/u?t=1\r\nBcc: x@example.jp" }, community.ErrInvalidMessage},
		{"UnsubscribeScript", func(m *Message) { m.Unsubscribe = "javascript:alert(1)" }, community.ErrInvalidMessage},
		{"UnsubscribeBracket", func(m *Message) { m.Unsubscribe = "https://example.jp/u?t=1>,<https://evil.example" }, community.ErrInvalidMessage},
		{"MailtoWithoutURL", func(m *Message) { m.UnsubscribeMailto = "info@example.jp" }, community.ErrInvalidMessage},
		{"AttachmentType", func(m *Message) {
			m.Attachments = []Attachment{{Filename: "a.ics", ContentType: "text/calendar;;\r\nX: y", Data: []byte("x")}}
		}, community.ErrInvalidMessage},
		{"AttachmentName", func(m *Message) {
			m.Attachments = []Attachment{{Filename: "../../etc/passwd", ContentType: "text/plain", Data: []byte("x")}}
		}, community.ErrInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.change(m)
			_, err := m.Encode(testDate)
			if community.ErrorCode(err) != community.Invalid || !errors.Is(err, tt.reason) {
				t.Fatalf("err = %v, want invalid/%s", err, tt.reason.Name())
			}
		})
	}
}

func TestEncodeListUnsubscribe(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		mailto     string
		wantHeader string
	}{
		{"Transactional", "", "", ""},
		{"URLOnly", "https://tabane.example.jp/unsubscribe?token=abc.def", "", "<https://tabane.example.jp/unsubscribe?token=abc.def>"},
		{"URLAndMailto", "https://tabane.example.jp/unsubscribe?token=" + strings.Repeat("x", 120), "info@sorae.example.jp",
			"<https://tabane.example.jp/unsubscribe?token=" + strings.Repeat("x", 120) + ">, <mailto:info@sorae.example.jp?subject=unsubscribe>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.Unsubscribe, m.UnsubscribeMailto = tt.url, tt.mailto
			raw, err := m.Encode(testDate)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			if got := p.header.Get("List-Unsubscribe"); got != tt.wantHeader {
				t.Errorf("List-Unsubscribe = %q, want %q", got, tt.wantHeader)
			}
			wantPost := ""
			if tt.url != "" {
				wantPost = "List-Unsubscribe=One-Click"
			}
			if got := p.header.Get("List-Unsubscribe-Post"); got != wantPost {
				t.Errorf("List-Unsubscribe-Post = %q, want %q", got, wantPost)
			}
		})
	}
}

func TestEncodeParts(t *testing.T) {
	ics := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nSUMMARY:私塾\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	tests := []struct {
		name      string
		text      string
		html      string
		attach    []Attachment
		wantTree  []string
		wantText  string
		wantFiles []string
	}{
		{
			name: "JapaneseWithInvite", text: "本文です。\n2行目\n", html: "<p>本文です。</p>",
			attach:    []Attachment{{Filename: "invite.ics", ContentType: ICSContentType, Data: ics}},
			wantTree:  []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"},
			wantText:  "本文です。\r\n2行目\r\n",
			wantFiles: []string{"invite.ics"},
		},
		{
			name: "ASCIIQuotedPrintable", text: "Hello =?x?= " + strings.Repeat("long line ", 20) + "\r\nend  \n", html: "<p>hi</p>",
			wantTree: []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html"},
			wantText: "Hello =?x?= " + strings.Repeat("long line ", 20) + "\r\nend  \r\n",
		},
		{
			name: "TextOnlyJapaneseFilename", text: "本文",
			attach:    []Attachment{{Filename: "案内 資料.pdf", ContentType: "application/pdf", Data: []byte{0, 1, 2, 255}}},
			wantTree:  []string{"multipart/mixed", "multipart/alternative", "text/plain", "application/pdf"},
			wantText:  "本文",
			wantFiles: []string{"案内 資料.pdf"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.Text, m.HTML, m.Attachments = tt.text, tt.html, tt.attach
			raw, err := m.Encode(testDate)
			if err != nil {
				t.Fatal(err)
			}
			p := parseMessage(t, raw)
			if strings.Join(p.tree, ",") != strings.Join(tt.wantTree, ",") {
				t.Errorf("structure = %v, want %v", p.tree, tt.wantTree)
			}
			text := p.leaf(t, "text/plain")
			if string(text.body) != tt.wantText || text.params["charset"] != "UTF-8" {
				t.Errorf("text = %q charset %q, want %q UTF-8", text.body, text.params["charset"], tt.wantText)
			}
			if tt.html != "" {
				html := p.leaf(t, "text/html")
				if string(html.body) != tt.html || html.params["charset"] != "UTF-8" {
					t.Errorf("html = %q charset %q, want %q UTF-8", html.body, html.params["charset"], tt.html)
				}
			}
			var files []string
			for i, l := range p.leaves {
				if l.filename == "" {
					continue
				}
				files = append(files, l.filename)
				a := tt.attach[len(files)-1]
				if !bytes.Equal(l.body, a.Data) {
					t.Errorf("attachment %d = %q, want %q", i, l.body, a.Data)
				}
				if l.mediaType == "text/calendar" && (l.params["method"] != "PUBLISH" || l.params["charset"] != "UTF-8") {
					t.Errorf("calendar params = %v, want method=PUBLISH charset=UTF-8", l.params)
				}
			}
			if strings.Join(files, ",") != strings.Join(tt.wantFiles, ",") {
				t.Errorf("attachments = %v, want %v", files, tt.wantFiles)
			}
			if got := p.header.Get("MIME-Version"); got != "1.0" {
				t.Errorf("MIME-Version = %q", got)
			}
			if d, err := p.header.Date(); err != nil || !d.Equal(testDate) {
				t.Errorf("Date = %v (%v), want %v", d, err, testDate)
			}
			if id := p.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@sorae.example.jp>") {
				t.Errorf("Message-ID = %q", id)
			}
			if got := p.header.Get("Reply-To"); got != "info@sorae.example.jp" {
				t.Errorf("Reply-To = %q", got)
			}
		})
	}
}

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"a@example.jp", true},
		{"first.last+tag@sub.example.co.jp", true},
		{"", false},
		{"a", false},
		{"a@", false},
		{"@example.jp", false},
		{"A <a@example.jp>", false},
		{" a@example.jp", false},
		{"a@example.jp\r\n", false},
		{"a@example.jp,b@example.jp", false},
		{"(comment)a@example.jp", false},
		{"髙橋@example.jp", false},
		{strings.Repeat("a", 65) + "@example.jp", false},
		{"a@例え.jp", false},
		{"x@[127.0.0.1]", false},
		{"x@127.0.0.1", false},
		{"a@localhost", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidEmail(tt.in); got != tt.want {
				t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
			// One rule: what signup accepts is exactly what the mailer sends to.
			if got := community.ValidEmail(tt.in); got != tt.want {
				t.Errorf("community.ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestHeaderText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Kept", "髙橋 﨑子 🌸", "髙橋 﨑子 🌸"},
		{"CRLF", "a\r\nb", "a b"},
		{"ManyControls", "a\x00\x01\x7f\u0085b", "a b"},
		{"Trimmed", "\r\n a \t", "a"},
		{"BidiOverride", "abc\u202Egpj.exe", "abcgpj.exe"},
		{"InvalidUTF8", "a\xffb", "a\uFFFDb"},
		{"ZWJKept", "👩‍💻", "👩‍💻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := headerText(tt.in); got != tt.want {
				t.Errorf("headerText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
