package web

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds WebFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	members, err := m.Members()
	if err != nil {
		return nil, err
	}
	regs, err := m.Registrations()
	if err != nil {
		return nil, err
	}
	return New(Options{
		Events: d.Events(), Members: members, Registrations: regs, Sessions: d.Sessions(),
		Config: d.Config, Log: d.Log, Clock: d.Clock,
	}), nil
}
