package signupapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds SignupFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	members, err := d.Members()
	if err != nil {
		return nil, err
	}
	return New(members, d.Sessions(), d.Links(), d.Log), nil
}
