package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// MailSuppressed tells organizers why mail no longer reaches a member:
// SES reported a permanent bounce ("bounce") or a complaint ("complaint")
// at At. It clears when the member follows a mailed link again.
type MailSuppressed struct {
	Reason string    `json:"reason"`
	Label  string    `json:"label"`
	At     time.Time `json:"at"`
}

// MailSuppressedJSON presents a suppression mark, or nil for none.
func MailSuppressedJSON(s *community.Suppression) *MailSuppressed {
	if s == nil {
		return nil
	}
	label := "メールが届きません（宛先不明）"
	if s.Reason == community.SuppressedComplaint {
		label = "メール停止中（迷惑メール報告）"
	}
	return &MailSuppressed{Reason: string(s.Reason), Label: label, At: s.At.In(community.Tokyo)}
}
