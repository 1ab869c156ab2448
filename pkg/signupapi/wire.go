package signupapi

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/app/mailing"
)

// Wire builds SignupFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	m := mailing.New(d)
	members, err := m.Members()
	if err != nil {
		return nil, err
	}
	return New(members, d.Sessions(), d.Links(), d.Log), nil
}
