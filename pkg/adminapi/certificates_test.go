package adminapi_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/certpdf/certpdftest"
	"github.com/sorae/tabane/pkg/community"
)

// GET /api/admin/events/{id}/certificates: 409 not_checked_in before
// anyone is checked in; then one PDF with a page per checked-in attendee
// (a member and a guest), none for the one who did not come; audited.
func TestCertificates(t *testing.T) {
	e := newEnv(t)
	ev := e.published(3, nil)
	c := call{route: adminapi.RouteCertificates, params: map[string]string{"id": ev.ID}}
	came := e.member(community.MemberActive, community.MembershipSupporting, "伊勢崎 花子")
	cameReg := e.seat(ev, came, community.RegistrationConfirmed)
	guest := e.guest(ev, "前橋 太郎", community.RegistrationConfirmed)
	absent := e.member(community.MemberActive, community.MembershipSupporting, "高崎 次郎")
	e.seat(ev, absent, community.RegistrationConfirmed)

	if r := e.as(c); r.status != 409 || r.code() != "not_checked_in" {
		t.Fatalf("nobody checked in: %d %v", r.status, r.body)
	}
	for _, id := range []string{cameReg.ID, guest.ID} {
		at := ev.StartsAt
		if _, err := e.store.SetCheckIn(context.Background(), ev.ID, id, &at); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.do(c); r.status != 401 {
		t.Errorf("without a token: %d", r.status)
	}
	r := e.as(c)
	if r.status != 200 || r.resp.Headers["Content-Type"] != "application/pdf" || !r.resp.IsBase64Encoded {
		t.Fatalf("status %d, headers %v", r.status, r.resp.Headers)
	}
	pdf, err := base64.StdEncoding.DecodeString(r.resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n := certpdftest.Pages(t, pdf); n != 2 {
		t.Errorf("pages = %d, want 2 (one per checked-in attendee)", n)
	}
	text := certpdftest.Text(t, pdf)
	if !strings.Contains(text, came.Name) || !strings.Contains(text, "前橋 太郎") || strings.Contains(text, absent.Name) {
		t.Errorf("the PDF's names are wrong:\n%s", text)
	}
	if !strings.Contains(text, "令和") {
		t.Errorf("no 令和 date:\n%s", text)
	}
	if a := e.audited(community.AuditRegistrationsExport, ev.ID, ""); a == nil {
		t.Error("the issue is not audited")
	}
}
