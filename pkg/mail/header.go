package mail

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sorae/tabane/pkg/community"
)

// maxLine is the longest header line we write: RFC 2047 §2 limits lines that
// hold encoded-words to 76 characters, which also keeps us under RFC 5322's 78.
const maxLine = 76

// An encoded-word is "=?UTF-8?B?" + base64 + "?="; RFC 2047 caps it at 75
// characters, so on a continuation line (" " + word) it holds 45 bytes.
const (
	wordPrefix = "=?UTF-8?B?"
	wordSuffix = "?="
	maxWordLen = 75
)

// headerText makes a person's value safe for one header line. CR, LF and
// every other control character (C0, DEL, C1, and the Unicode line and
// paragraph separators) become a single space, so no input can start a new
// header line; bidirectional overrides are dropped because they let a name
// display as something else. Invalid UTF-8 becomes U+FFFD. Everything else,
// including U+3000 and emoji joiners, is kept so names round-trip intact.
func headerText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			if !strings.HasSuffix(b.String(), " ") {
				b.WriteByte(' ')
			}
		case bidiControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func bidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') || r == '\u200E' || r == '\u200F'
}

// validEmail is community.ValidEmail: one rule decides both what a signup may
// store and what the mailer sends to, so no stored address is unsendable.
func validEmail(s string) bool { return community.ValidEmail(s) }

// ValidEmail reports whether s is an address tabane can send to; it is
// community.ValidEmail.
func ValidEmail(s string) bool { return validEmail(s) }

// plainPhrase reports whether s may be written as-is in a header: printable
// ASCII words separated by single spaces, none of which could be read as an
// encoded-word or is too long to fold. allowed limits the characters.
func plainPhrase(s string, allowed func(byte) bool) bool {
	if s == "" || strings.Contains(s, "=?") || strings.Contains(s, "  ") {
		return false
	}
	for _, w := range strings.Split(s, " ") {
		if len(w) == 0 || len(w) > maxLine-10 {
			return false
		}
		for i := 0; i < len(w); i++ {
			if !allowed(w[i]) {
				return false
			}
		}
	}
	return true
}

// subjectByte is any printable ASCII character: an unstructured field takes them all.
func subjectByte(c byte) bool { return c > ' ' && c < 0x7f }

// nameByte is the part of atext a display name may use unencoded; anything
// else (dots, quotes, commas, brackets) is simpler and safer as an encoded-word
// than as a quoted-string.
func nameByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '\'' || c == '_'
}

// clusters splits s into user-perceived characters closely enough that an
// encoded-word boundary never falls inside an emoji sequence (ZWJ families,
// skin tones, flags, keycaps, tag sequences) or between a kanji and its
// variation selector (異体字セレクタ such as 葛󠄀). Splitting there would still
// be valid RFC 2047, but some readers show the halves apart.
func clusters(s string) []string {
	var out []string
	start, ri := 0, 0
	prev := rune(-1)
	for i, r := range s {
		if i > 0 && !joins(prev, r, ri) {
			out = append(out, s[start:i])
			start = i
		}
		if isRegionalIndicator(r) {
			ri++
		} else {
			ri = 0
		}
		prev = r
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// joins reports whether r continues the character that prev ends; ri counts
// the regional indicators just before r, which pair up into flags.
func joins(prev, r rune, ri int) bool {
	switch {
	case prev == '\u200D' || r == '\u200D': // zero-width joiner glues both sides
		return true
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc): // combining marks, variation selectors, dakuten U+3099
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // skin-tone modifiers
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tag sequences (subdivision flags)
		return true
	case isRegionalIndicator(r) && isRegionalIndicator(prev) && ri%2 == 1:
		return true
	}
	return false
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// wordBytes is how many bytes of text fit in an encoded-word that may be
// room characters long.
func wordBytes(room int) int {
	if room > maxWordLen {
		room = maxWordLen
	}
	return (room - len(wordPrefix) - len(wordSuffix)) / 4 * 3
}

// encodedWords writes s as B encoded-words in UTF-8 (RFC 2047), each short
// enough for its own continuation line; the first fits in firstRoom
// characters so it can share the line with the field name. Words break only
// between characters (see clusters), never inside a UTF-8 sequence.
func encodedWords(s string, firstRoom int) []string {
	var words []string
	var cur []byte
	limit := wordBytes(firstRoom)
	rest := wordBytes(maxLine - 1)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, wordPrefix+base64.StdEncoding.EncodeToString(cur)+wordSuffix)
			cur = cur[:0]
		}
		limit = rest
	}
	for _, c := range clusters(s) {
		if len(cur)+len(c) > limit {
			if len(cur) > 0 || len(c) <= rest {
				// Start a new word; a character too long for the short first word
				// moves to the next line whole.
				flush()
			}
		}
		if len(c) > limit {
			// Only a pathological sequence (dozens of combining marks) is longer
			// than a whole word: split it between runes.
			for _, r := range c {
				n := utf8.RuneLen(r)
				if len(cur)+n > limit {
					flush()
				}
				cur = utf8.AppendRune(cur, r)
			}
			continue
		}
		cur = append(cur, c...)
	}
	flush()
	return words
}

// writeField writes "Name: t1 t2 ..." folding between tokens so that no line
// exceeds maxLine where it can be helped. Folding is CRLF before the space
// that already separates tokens, so unfolding gives back the same value.
func writeField(b *bytes.Buffer, name string, tokens []string) {
	b.WriteString(name)
	b.WriteByte(':')
	col := len(name) + 1
	for i, t := range tokens {
		if i > 0 && col+1+len(t) > maxLine {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteByte(' ')
		b.WriteString(t)
		col += 1 + len(t)
	}
	b.WriteString("\r\n")
}

// textTokens returns the tokens of an unstructured value (Subject): plain
// words when the value is simple ASCII, encoded-words otherwise.
func textTokens(name, s string) []string {
	if plainPhrase(s, subjectByte) {
		return strings.Split(s, " ")
	}
	return encodedWords(s, maxLine-len(name)-2)
}

// addressTokens returns the tokens of one mailbox: the display name, plain or
// encoded, then the angle-bracketed address.
func addressTokens(name string, a Address) []string {
	display := headerText(a.Name)
	var tokens []string
	switch {
	case display == "":
	case plainPhrase(display, nameByte):
		tokens = strings.Split(display, " ")
	default:
		tokens = encodedWords(display, maxLine-len(name)-2)
	}
	return append(tokens, "<"+a.Email+">")
}
