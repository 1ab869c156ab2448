package rsvpapi

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds RsvpFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	regs, err := m.Registrations()
	if err != nil {
		return nil, err
	}
	return New(regs, d.Sessions(), d.Keeper(), d.Log), nil
}
