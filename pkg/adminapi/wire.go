package adminapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds AdminFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	admin, err := d.Admin()
	if err != nil {
		return nil, err
	}
	return New(admin, d.Sessions(), d.Log), nil
}
