package app

import (
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

// GuestRequests returns guests' registrations: the request that mails a
// confirmation link (through the outbox, like every mail) and the
// confirmation that registers. Its limits count in the table, so they hold
// across Lambda instances.
func (d *Deps) GuestRequests() *community.GuestRequests {
	return &community.GuestRequests{
		Registrations: d.Registrations(), Store: d.Store(), Links: d.Links(),
		Secrets: auth.Secrets{Keys: d.Config.Keys}, Log: d.Log,
	}
}

// Nominations returns organizations' nominations of their staff: the
// nomination that mails each nominee a confirmation link (through the
// outbox), and the confirmation that makes them applicants.
func (d *Deps) Nominations() *community.Nominations {
	return &community.Nominations{
		Store: d.Store(), Links: d.Links(), Secrets: auth.Secrets{Keys: d.Config.Keys},
		Clock: d.Clock, Log: d.Log,
	}
}
