package app

import "github.com/sorae/tabane/pkg/community"

// OptOuts stops what the opt-out links in mails name: a member's lists,
// or one registration's reminders or organizer messages.
func (d *Deps) OptOuts() *community.OptOuts {
	return &community.OptOuts{Members: d.Members(), Store: d.Store()}
}
