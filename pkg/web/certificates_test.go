package web

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/certpdf/certpdftest"
	"github.com/sorae/tabane/pkg/certwords"
	"github.com/sorae/tabane/pkg/community"
)

// pdfBody is a download's bytes, checked to be a PDF.
func pdfBody(t *testing.T, resp events.APIGatewayV2HTTPResponse) []byte {
	t.Helper()
	if ct := resp.Headers["Content-Type"]; ct != "application/pdf" || !resp.IsBase64Encoded {
		t.Fatalf("Content-Type = %q, base64 %v", ct, resp.IsBase64Encoded)
	}
	if d := resp.Headers["Content-Disposition"]; !strings.HasPrefix(d, "attachment;") || !strings.Contains(d, ".pdf") {
		t.Errorf("Content-Disposition = %q", d)
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("not a PDF (%v): %.40q", err, b)
	}
	return b
}

// A checked-in attendee downloads their certificate from my page; its
// name and 令和 date are text; its printed URL confirms it, with nothing
// personal beyond the name; an altered id is refused alike and changes
// nothing; someone not checked in gets none; cancelling the check-in
// voids the certificate; the organizer's PDF has a page per attendee.
func TestCertificates(t *testing.T) {
	e := newEnv(t)
	f := newConsoleFixture(t, e)
	ctx := context.Background()
	// A second attendee who came, and a third who did not.
	second, secondSession := e.member(t, "前橋 太郎", community.MembershipSupporting)
	absent, absentSession := e.member(t, "高崎 次郎", community.MembershipSupporting)
	for _, s := range []string{secondSession, absentSession} {
		csrf := e.pageCSRF(t, "/events/"+f.ev.ID, s)
		wantStatus(t, e.do(t, post(t, registerPath(f.ev), url.Values{"csrf": {csrf}}, s)), 200)
	}
	regOf := func(m *community.Member) *community.Registration {
		r, err := e.store.MemberRegistration(ctx, f.ev.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	arrived := f.ev.StartsAt.Add(-10 * time.Minute)
	for _, id := range []string{f.regID, regOf(second).ID} {
		if _, err := e.store.SetCheckIn(ctx, f.ev.ID, id, &arrived); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Set(f.ev.EndsAt.Add(24 * time.Hour))
	mine := "/me/certificates/" + f.ev.ID

	t.Run("MyPage", func(t *testing.T) {
		resp := e.do(t, get(t, "/me", f.visitor))
		wantStatus(t, resp, 200)
		if !strings.Contains(resp.Body, `href="`+mine+`"`) || !strings.Contains(resp.Body, "参加証明書（PDF）") {
			t.Errorf("my page of a checked-in attendee has no certificate link:\n%s", resp.Body)
		}
		resp = e.do(t, get(t, "/me", absentSession))
		if strings.Contains(resp.Body, "参加証明書") {
			t.Error("my page offers a certificate to someone not checked in")
		}
	})

	resp := e.do(t, get(t, mine, f.visitor))
	wantStatus(t, resp, 200)
	pdf := pdfBody(t, resp)
	text := certpdftest.Text(t, pdf)
	when := certwords.When(f.ev.StartsAt, f.ev.EndsAt)
	if !strings.HasPrefix(when, "令和7年5月20日(火) 14:00〜") {
		t.Fatalf("When = %q", when)
	}
	for _, want := range []string{f.attendee.Name, when, f.ev.Title, "参加証明書", e.cfg.CommunityName} {
		if !strings.Contains(text, want) && !strings.Contains(certpdftest.Compact(text), certpdftest.Compact(want)) {
			t.Errorf("the certificate's text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, f.attendee.Email) {
		t.Error("the certificate shows the attendee's email")
	}
	links := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}
	link := links.CertificateLink(f.ev.ID, f.regID)
	if !strings.Contains(certpdftest.Compact(text), link) {
		t.Fatalf("the certificate does not print its verification URL %s:\n%s", link, text)
	}
	id := strings.TrimPrefix(link, e.cfg.BaseURL+"/certificates/")

	t.Run("Verified", func(t *testing.T) {
		resp := e.do(t, get(t, "/certificates/"+id, ""))
		wantStatus(t, resp, 200)
		for _, want := range []string{"真正なもの", f.attendee.Name, f.ev.Title, when, community.CertificateNumber(f.regID)} {
			if !strings.Contains(resp.Body, want) {
				t.Errorf("the verification page lacks %q", want)
			}
		}
		for _, leak := range []string{f.attendee.Email, f.attendee.Affiliation, f.attendee.NameKana} {
			// (The affiliation may be a city the venue is in too.)
			if leak != "" && strings.Contains(resp.Body, leak) && !strings.Contains(f.ev.Venue.Name+f.ev.Venue.Address, leak) {
				t.Errorf("the verification page shows %q", leak)
			}
		}
		if resp.Headers["X-Robots-Tag"] == "" {
			t.Error("the verification page may be indexed")
		}
		checkLabelsAndHeadings(t, "/certificates/", resp.Body)
	})

	other := auth.Links{BaseURL: e.cfg.BaseURL, Keys: auth.MustParseKeyring("another-secret-another-secret-another")}
	i := strings.LastIndexByte(id, '.')
	flip := map[byte]byte{'A': 'B'}
	sig := []byte(id[i+1:])
	if b, ok := flip[sig[0]]; ok {
		sig[0] = b
	} else {
		sig[0] = 'A'
	}
	for name, bad := range map[string]string{
		"AlteredRegistration": strings.Replace(id, f.regID, regOf(absent).ID, 1),
		"AlteredSignature":    id[:i+1] + string(sig),
		"OtherKey":            strings.TrimPrefix(other.CertificateLink(f.ev.ID, f.regID), e.cfg.BaseURL+"/certificates/"),
		"CancelToken":         links.CancelToken(f.ev.ID, f.regID),
		"NotCheckedIn":        links.CertificateID(f.ev.ID, regOf(absent).ID),
		"Nonsense":            "abc",
	} {
		t.Run("Refused"+name, func(t *testing.T) {
			resp := e.do(t, get(t, "/certificates/"+url.PathEscape(bad), ""))
			wantStatus(t, resp, 404)
			if !strings.Contains(resp.Body, "この参加証明書は確認できませんでした") {
				t.Errorf("the page does not say the certificate cannot be verified:\n%s", resp.Body)
			}
			if strings.Contains(resp.Body, f.attendee.Name) || strings.Contains(resp.Body, absent.Name) {
				t.Error("a refused id shows a name")
			}
		})
	}
	if r, err := e.store.Registration(ctx, f.ev.ID, f.regID); err != nil || r.Status != community.RegistrationConfirmed || r.CheckedInAt == nil {
		t.Errorf("verification changed the registration: %+v %v", r, err)
	}

	t.Run("NotCheckedIn", func(t *testing.T) {
		wantStatus(t, e.do(t, get(t, mine, absentSession)), 409)
		_, stranger := e.member(t, "桐生 三郎", community.MembershipSupporting)
		wantStatus(t, e.do(t, get(t, mine, stranger)), 404)
		resp := e.do(t, get(t, mine, ""))
		wantStatus(t, resp, 303)
		if !strings.HasPrefix(resp.Headers["Location"], "/signin") {
			t.Errorf("signed out: Location = %q", resp.Headers["Location"])
		}
	})

	t.Run("Console", func(t *testing.T) {
		p := "/admin/events/" + f.ev.ID + "/certificates"
		wantStatus(t, e.do(t, get(t, p, f.visitor)), 403)
		page := e.do(t, get(t, "/admin/events/"+f.ev.ID+"/attendees", f.organizer))
		if !strings.Contains(page.Body, `href="`+p+`"`) {
			t.Error("the attendees page has no link to the certificates")
		}
		resp := e.do(t, get(t, p, f.organizer))
		wantStatus(t, resp, 200)
		all := pdfBody(t, resp)
		if n := certpdftest.Pages(t, all); n != 2 {
			t.Errorf("the event's PDF has %d pages, want one per checked-in attendee (2)", n)
		}
		pages := strings.Split(certpdftest.Text(t, all), "\f")
		// One attendee a page (in arrival order; the two here arrived in the same millisecond).
		one := func(p, a, b string) bool { return strings.Contains(p, a) && !strings.Contains(p, b) }
		if len(pages) < 2 || !(one(pages[0], f.attendee.Name, second.Name) && one(pages[1], second.Name, f.attendee.Name) ||
			one(pages[0], second.Name, f.attendee.Name) && one(pages[1], f.attendee.Name, second.Name)) ||
			strings.Contains(strings.Join(pages, ""), absent.Name) {
			t.Errorf("the pages do not hold one checked-in attendee each:\n%q", pages)
		}
	})

	t.Run("VoidedByUndoingTheCheckIn", func(t *testing.T) {
		if _, err := e.store.SetCheckIn(ctx, f.ev.ID, f.regID, nil); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.do(t, get(t, "/certificates/"+id, "")), 404)
		wantStatus(t, e.do(t, get(t, mine, f.visitor)), 409)
	})
}
