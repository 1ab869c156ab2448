package community

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeEmail trims and lower-cases an address for comparison and keys.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Limits of an address (RFC 5321 §4.5.3.1); SES refuses longer ones anyway.
const (
	maxEmailLen = 254
	maxLocalLen = 64
	maxLabelLen = 63
)

// ValidEmail is the one rule for an address tabane stores or sends to, so a
// signup can never store an address the mailer would refuse: a bare ASCII
// address (SES v1 takes no SMTPUTF8), a dot-atom local part of at most 64
// characters, and a host name with at least one dot whose labels are letters,
// digits and inner hyphens. IP literals ("x@[127.0.0.1]" or a numeric
// top-level label), display names, comments, quotes and whitespace are refused.
func ValidEmail(s string) bool {
	if len(s) > maxEmailLen {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false
	}
	return validLocal(s[:at]) && validDomain(s[at+1:])
}

// validLocal accepts RFC 5322's dot-atom: atext separated by single dots.
func validLocal(s string) bool {
	if s == "" || len(s) > maxLocalLen || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	// No top-level domain is numeric, so "x@127.0.0.1" is an IP in disguise.
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// cleanText trims s and reports whether it is free of control characters
// (CR/LF among them, so a name can never split a mail header) and of
// U+FFFD: the replacement character is what a transport leaves where it
// met bytes that were not UTF-8, so a name holding one ("名�") was damaged
// on the way, whatever carried it, and is refused rather than stored.
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return s, false
		}
	}
	return s, true
}

func textField(f FieldErrors, field, label, v string, required bool, max int) string {
	v, ok := cleanText(v)
	switch {
	case !ok:
		f.Add(field, label+"に使えない文字が含まれています。")
	case required && v == "":
		f.Add(field, label+"を入力してください。")
	case utf8.RuneCountInString(v) > max:
		f.Add(field, label+"は"+itoa(max)+"文字以内で入力してください。")
	}
	return v
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
