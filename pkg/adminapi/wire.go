package adminapi

import (
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/certpdf"
)

// Wire builds AdminFunction's handler. Nothing it does sends mail itself:
// every mail an organizer's action owes goes into the outbox with the
// write, so the function carries neither SES nor the mail templates.
func Wire(d *app.Deps) (*Handler, error) {
	return New(Services{
		Events: d.EventAdmin(), Series: d.SeriesAdmin(), Members: d.MemberAdmin(),
		Attendance: d.Attendance(), Messages: d.Messages(), Audit: d.AuditLog(),
		Applications: d.Applications(),
		Certificates: d.Certificates(), Issuer: certpdf.Issuer{Name: d.Config.CommunityName, Contact: d.Config.ContactEmail},
	}, d.Sessions(), d.Keeper(), d.Log), nil
}
