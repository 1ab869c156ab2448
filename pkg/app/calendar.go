package app

import (
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
)

// Calendars returns members' personal calendar feeds: their tokens are
// keyed digests made with the keyring's digest key, which rotating the
// signing keys leaves alone, so the URLs outlive a rotation.
func (d *Deps) Calendars() *community.Calendars {
	return &community.Calendars{Store: d.Store(), Clock: d.Clock, Secrets: auth.Secrets{Keys: d.Config.Keys}}
}
