package community

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidEmail(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Plain", "a@example.jp", true},
		{"DotsAndTag", "first.last+tag@sub.example.co.jp", true},
		{"Atext", "o'brien_#1!$&*=?^`{|}~@example.jp", true},
		{"Punycode", "a@xn--eckwd4c7c.xn--zckzah", true},
		{"UpperCase", "Hanako@Example.JP", true},
		{"LocalAt64", strings.Repeat("a", 64) + "@example.jp", true},
		{"TotalAt254", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".jp", true},
		{"Empty", "", false},
		{"NoAt", "a", false},
		{"NoDomain", "a@", false},
		{"NoLocal", "@example.jp", false},
		{"NoDot", "a@localhost", false},
		{"DisplayName", "A <a@example.jp>", false},
		{"Angle", "<a@example.jp>", false},
		{"LeadingSpace", " a@example.jp", false},
		{"CRLF", "a@example.jp\r\n", false},
		{"Two", "a@example.jp,b@example.jp", false},
		{"Comment", "(comment)a@example.jp", false},
		{"Quoted", `"a b"@example.jp`, false},
		{"DoubleAt", "a@b@example.jp", false},
		{"LeadingDot", ".a@example.jp", false},
		{"DoubleDot", "a..b@example.jp", false},
		{"NonASCIILocal", "髙橋@example.jp", false},
		{"IDNDomain", "a@例え.jp", false},
		{"FullwidthAt", "a＠example.jp", false},
		{"LocalOver64", strings.Repeat("a", 65) + "@example.jp", false},
		{"TotalOver254", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 59) + ".jp", false},
		{"IPLiteral", "x@[127.0.0.1]", false},
		{"IPv6Literal", "x@[IPv6:::1]", false},
		{"BareIP", "x@127.0.0.1", false},
		{"Underscore", "a@ex_ample.jp", false},
		{"HyphenEdge", "a@-example.jp", false},
		{"TrailingDot", "a@example.jp.", false},
		{"LabelOver63", "a@" + strings.Repeat("b", 64) + ".jp", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidEmail(tt.in); got != tt.want {
				t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// An address the mailer would refuse is a field error on email before
// anything is stored.
func TestSignupValidateEmail(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, Tokyo)
	for _, addr := range []string{"髙橋@example.jp", strings.Repeat("a", 65) + "@example.jp", "a@例え.jp", "x@[127.0.0.1]"} {
		t.Run(addr, func(t *testing.T) {
			in := SignupInput{Email: addr, Name: "髙橋 﨑子", NameKana: "たかはし さきこ", Membership: MembershipSupporting, Affiliation: "伊勢崎市", Terms: true}
			_, _, err := in.Validate(now)
			var e *Error
			if !errors.As(err, &e) || e.Reason != ErrValidation || e.Fields["email"] == "" {
				t.Fatalf("Validate = %v, want a field error on email", err)
			}
			if len(e.Fields) != 1 {
				t.Errorf("fields = %v, want only email", e.Fields)
			}
		})
	}
}
