package community

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeEmail trims and lower-cases an address for comparison and keys.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a plain address (no display name) of sane length.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, "\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// cleanText trims s and reports whether it is free of control characters
// (CR/LF among them, so a name can never split a mail header).
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if unicode.IsControl(r) {
			return s, false
		}
	}
	return s, utf8.ValidString(s)
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
