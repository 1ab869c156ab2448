package rsvpapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds RsvpFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	regs, err := d.Registrations()
	if err != nil {
		return nil, err
	}
	return New(regs, d.Sessions(), d.Keeper(), d.Log), nil
}
