package adminapi

import "github.com/sorae/tabane/pkg/app"

// Wire builds AdminFunction's handler.
func Wire(d *app.Deps) (*Handler, error) {
	events, err := d.EventAdmin()
	if err != nil {
		return nil, err
	}
	members, err := d.MemberAdmin()
	if err != nil {
		return nil, err
	}
	attendance, err := d.Attendance()
	if err != nil {
		return nil, err
	}
	messages, err := d.Messages()
	if err != nil {
		return nil, err
	}
	return New(Services{
		Events: events, Series: d.SeriesAdmin(), Members: members,
		Attendance: attendance, Messages: messages, Audit: d.AuditLog(),
	}, d.Sessions(), d.Keeper(), d.Log), nil
}
