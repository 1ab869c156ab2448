package rsvpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
	"github.com/sorae/tabane/pkg/web"
)

var nominationLinkRE = regexp.MustCompile(`/nominations/confirm\?t=([A-Za-z0-9_\-.%]+)`)

// workshop stores a selection event like キャリア開発塾: 16 places, an
// application deadline, ages 25 to 39 at the start.
func (e *env) workshop(mod func(*community.Event)) *community.Event {
	e.t.Helper()
	return e.event(func(ev *community.Event) {
		closes := e.clock.Now().Add(9 * 24 * time.Hour)
		ev.Title, ev.Kind, ev.Capacity, ev.Waitlist = "キャリア開発塾 2026", community.KindWorkshop, 16, false
		ev.StartsAt = e.clock.Now().Add(12 * 24 * time.Hour).Truncate(time.Hour)
		ev.EndsAt = ev.StartsAt.Add(4 * 24 * time.Hour)
		ev.Mode, ev.RegistrationClosesAt = community.ModeSelection, &closes
		ev.Eligibility = &community.Eligibility{MinAge: ptr(25), MaxAge: ptr(39)}
		if mod != nil {
			mod(ev)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// organization stores an active organization member (the contact person
// of 団体正会員 name) and returns a session for it.
func (e *env) organization(name string) (*community.Member, string) {
	e.t.Helper()
	return e.member(func(m *community.Member) {
		m.Membership, m.Affiliation, m.Name = community.MembershipOrganization, name, "担当 花子"
	})
}

type nomineeJSON struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Department string `json:"department,omitempty"`
	BirthDate  string `json:"birth_date,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

func nominationBody(ns ...nomineeJSON) string {
	b, _ := json.Marshal(map[string]any{"nominees": ns})
	return string(b)
}

func staff(tag string, n int) []nomineeJSON {
	out := make([]nomineeJSON, n)
	for i := range out {
		out[i] = nomineeJSON{Name: fmt.Sprintf("職員 %d号", i+1), Email: localtest.UniqueEmail(tag),
			Department: "建設部道路課", BirthDate: "1994-06-15", Reason: "<b>推薦理由</b> http://typed.example/"}
	}
	return out
}

func (e *env) nominate(eventID, session string, ns ...nomineeJSON) resp {
	return e.call(e.rsvp, rsvpapi.RouteNominate, eventID, nominationBody(ns...), session, nil)
}

func (e *env) confirmNominee(token string) resp {
	return e.call(e.rsvp, rsvpapi.RouteConfirmNominee, "", `{"token":"`+token+`"}`, "", nil)
}

func (e *env) myNominations(session string) []any {
	e.t.Helper()
	r := e.call(e.rsvp, rsvpapi.RouteMyNominations, "", "", session, nil)
	if r.code != 200 {
		e.t.Fatalf("my nominations = %d %s", r.code, r.raw)
	}
	list, _ := r.body["nominations"].([]any)
	return list
}

// nominationLink reads the confirmation link from the one mail to addr.
func nominationLink(t *testing.T, addr string) (string, localtest.Mail) {
	t.Helper()
	mails := localtest.WaitMail(t, addr, 1)
	if len(mails) != 1 {
		t.Fatalf("%d mails to %s, want 1", len(mails), addr)
	}
	sub := nominationLinkRE.FindStringSubmatch(mails[0].Body.Text)
	if sub == nil {
		t.Fatalf("no confirmation link in the mail to %s:\n%s", addr, mails[0].Body.Text)
	}
	tok, _ := url.QueryUnescape(sub[1])
	return tok, mails[0]
}

// webPage calls WebFunction, built as functions/web builds it, as API
// Gateway would; a body is a posted form.
func (e *env) webPage(t *testing.T, method, target, form string, session ...string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	h, err := web.Wire(e.svc)
	if err != nil {
		t.Fatal(err)
	}
	path, query, _ := strings.Cut(target, "?")
	for i := range session {
		session[i] = "tabane_session=" + session[i]
	}
	in := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: query, Body: form,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin"},
		Cookies: session,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: localtest.UniqueID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.1"}},
	}
	out, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// adminApplications calls the organizers' applications list as API
// Gateway would, with ?group=organization.
func (e *env) adminApplications(admin *adminapi.Handler, eventID, session string) resp {
	e.t.Helper()
	path := "/api/admin/events/" + eventID + "/applications"
	in := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: adminapi.RouteApplications, RawPath: path, RawQueryString: "group=organization",
		QueryStringParameters: map[string]string{"group": "organization"},
		Headers:               map[string]string{"authorization": "Bearer " + session},
		PathParameters:        map[string]string{"id": eventID},
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: localtest.UniqueID(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: path, SourceIP: "192.0.2.1"}},
	}
	out, err := admin.Handle(context.Background(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	apicontract.Check(e.t, in, out)
	var m map[string]any
	_ = json.Unmarshal([]byte(out.Body), &m)
	return resp{out.StatusCode, m, out.Body}
}

// A nomination of three people flows through the mailbox to three
// applicants under one organization: each mail carries only fixed text,
// the organization's registered name and the event; each link, followed
// (twice, concurrently), makes one application; the organizers see them
// grouped under the organization; the contact sees their states, and no
// other organization sees anything of it.
func TestNominationFlow(t *testing.T) {
	e := newEnv(t)
	ev := e.workshop(nil)
	org, orgSession := e.organization("伊勢崎市")
	people := staff("nominee", 3)

	r := e.nominate(ev.ID, orgSession, people...)
	if r.code != 201 {
		t.Fatalf("nominate = %d %s", r.code, r.raw)
	}
	for _, n := range r.body["nominees"].([]any) {
		if st := n.(map[string]any)["state"]; st != "pending" {
			t.Errorf("a fresh nominee is %v, want pending", st)
		}
	}
	if c, w, _ := e.counters(ev.ID); c != 0 || w != 0 {
		t.Errorf("a nomination took places: confirmed %d, waitlisted %d", c, w)
	}

	var regIDs []string
	for i, p := range people {
		tok, m := nominationLink(t, p.Email)
		text := m.Subject + m.Body.Text + m.Body.HTML
		if !strings.Contains(text, "伊勢崎市") || !strings.Contains(m.Subject, ev.Title) {
			t.Errorf("the mail names neither the organization nor the event: %s\n%s", m.Subject, m.Body.Text)
		}
		for _, typed := range []string{"推薦理由", "typed.example", p.Name, "建設部", "担当 花子", joinURL} {
			if strings.Contains(text, typed) {
				t.Errorf("the nominee's mail carries %q", typed)
			}
		}
		if i == 0 {
			// The same link followed by five at once: one application.
			var wg sync.WaitGroup
			codes := make([]int, 5)
			ids := make([]any, 5)
			for k := range codes {
				wg.Go(func() {
					c := e.confirmNominee(tok)
					codes[k], ids[k] = c.code, c.body["registration_id"]
				})
			}
			wg.Wait()
			created := 0
			for k, c := range codes {
				if c == 201 {
					created++
				} else if c != 200 {
					t.Errorf("concurrent confirmation = %d", c)
				}
				if ids[k] != ids[0] {
					t.Errorf("concurrent confirmations answered %v and %v", ids[0], ids[k])
				}
			}
			if created != 1 {
				t.Errorf("%d confirmations created an application, want 1", created)
			}
			regIDs = append(regIDs, ids[0].(string))
			continue
		}
		if i == 1 {
			// The second confirms as people do: the page behind the link,
			// then its button.
			page := e.webPage(t, "GET", "/nominations/confirm?t="+url.QueryEscape(tok), "")
			if page.StatusCode != 200 || !strings.Contains(page.Body, "お申し込みを確定する") || !strings.Contains(page.Body, ev.Title) {
				t.Fatalf("confirmation page = %d\n%s", page.StatusCode, page.Body)
			}
			done := e.webPage(t, "POST", "/nominations/confirm", "t="+url.QueryEscape(tok))
			if done.StatusCode != 200 || !strings.Contains(done.Body, "お申し込みを受け付けました") {
				t.Fatalf("confirming on the page = %d\n%s", done.StatusCode, done.Body)
			}
			// The API, after the page, answers the application it made.
			c := e.confirmNominee(tok)
			if c.code != 200 || c.body["status"] != "applied" {
				t.Fatalf("confirm after the page = %d %s", c.code, c.raw)
			}
			regIDs = append(regIDs, c.body["registration_id"].(string))
			continue
		}
		c := e.confirmNominee(tok)
		if c.code != 201 || c.body["status"] != "applied" {
			t.Fatalf("confirm = %d %s", c.code, c.raw)
		}
		again := e.confirmNominee(tok)
		if again.code != 200 || again.body["registration_id"] != c.body["registration_id"] {
			t.Errorf("second confirmation = %d %s", again.code, again.raw)
		}
		regIDs = append(regIDs, c.body["registration_id"].(string))
	}
	// Each applicant got the receipt, and one only.
	for _, p := range people {
		if got := localtest.WaitMail(t, p.Email, 2); len(got) != 2 {
			t.Errorf("%s received %d mails, want the link and one receipt", p.Email, len(got))
		}
	}

	// Organizers: three applications under the organization, eligible.
	// AdminFunction, built as functions/admin builds it, with one organizer.
	organizer, adminSession := e.member(nil)
	cfg := e.svc.Config
	cfg.Organizers = []string{community.NormalizeEmail(organizer.Email)}
	ad := app.New(cfg, localtest.AWSConfig(), app.Endpoints{DynamoDB: localtest.DynamoDBURL(), SES: localtest.SESURL()}, slog.New(slog.DiscardHandler))
	ad.Clock = e.clock
	admin, err := adminapi.Wire(ad)
	if err != nil {
		t.Fatal(err)
	}
	// An applicant on their own, listed after the organization's.
	self, selfSession := e.member(nil)
	if r := e.register(ev.ID, `{}`, selfSession); r.code != 201 || r.body["status"] != "applied" {
		t.Fatalf("a member's own application = %d %s", r.code, r.raw)
	}
	list := e.adminApplications(admin, ev.ID, adminSession)
	if list.code != 200 {
		t.Fatalf("applications = %d %s", list.code, list.raw)
	}
	apps := list.body["applications"].([]any)
	if len(apps) != 4 {
		t.Fatalf("%d applications, want 4: %s", len(apps), list.raw)
	}
	for i, a := range apps[:3] {
		app := a.(map[string]any)
		if !slices.Contains(regIDs, app["registration_id"].(string)) {
			t.Errorf("application %d is %v, not one the nominees' links made (%v)", i, app["registration_id"], regIDs)
		}
		o, _ := app["organization"].(map[string]any)
		if o["id"] != org.ID || o["name"] != "伊勢崎市" || app["eligible"] != true || app["department"] != "建設部道路課" {
			t.Errorf("application %d = %v, want under %s, eligible", i, app, org.ID)
		}
	}
	if last := apps[3].(map[string]any); last["organization"] != nil || last["name"] != self.Name {
		t.Errorf("the member's own application = %v, want last, without an organization", last)
	}
	groups := list.body["by_organization"].([]any)
	if len(groups) != 1 || groups[0].(map[string]any)["applications"] != float64(3) {
		t.Errorf("by_organization = %v, want one organization with 3", groups)
	}

	// The contact sees every nominee applied; another organization nothing.
	mine := e.myNominations(orgSession)
	if len(mine) != 1 {
		t.Fatalf("%d nominations listed, want 1", len(mine))
	}
	for _, n := range mine[0].(map[string]any)["nominees"].([]any) {
		if st := n.(map[string]any)["state"]; st != "applied" {
			t.Errorf("a confirmed nominee is %v, want applied", st)
		}
	}
	_, otherSession := e.organization("太田市")
	if other := e.myNominations(otherSession); len(other) != 0 {
		t.Errorf("another organization sees %d nominations", len(other))
	}
}

// Who may nominate, for what, and with what: every refusal is a 4xx in
// the contract's error shape and stores nothing (no nomination listed, no
// mail to anyone named).
func TestNominationRefusals(t *testing.T) {
	e := newEnv(t)
	ev := e.workshop(nil)
	firstCome := e.event(nil)
	_, orgSession := e.organization("伊勢崎市")
	_, memberSession := e.member(nil)
	_, pendingOrg := e.member(func(m *community.Member) {
		m.Membership, m.Status = community.MembershipOrganization, community.MemberPendingApproval
	})
	one := func(mod func(*nomineeJSON)) []nomineeJSON {
		ns := staff("refused", 2)
		mod(&ns[1])
		return ns
	}
	many := staff("refused", community.MaxNominees+1)
	dup := staff("refused", 2)
	dup[1].Email = strings.ToUpper(dup[0].Email)

	cases := []struct {
		name, event, session, body string
		code                       int
		errCode                    string
	}{
		{"NotSignedIn", ev.ID, "", nominationBody(staff("refused", 1)...), 401, "unauthorized"},
		{"NotOrganization", ev.ID, memberSession, nominationBody(staff("refused", 1)...), 403, "organization_members_only"},
		{"OrganizationNotApproved", ev.ID, pendingOrg, nominationBody(staff("refused", 1)...), 403, "organization_members_only"},
		{"FirstComeEvent", firstCome.ID, orgSession, nominationBody(staff("refused", 1)...), 422, "nominations_not_accepted"},
		{"UnknownEvent", community.NewID(e.clock.Now()), orgSession, nominationBody(staff("refused", 1)...), 404, "event_not_found"},
		{"NoNominees", ev.ID, orgSession, `{"nominees":[]}`, 400, "validation_failed"},
		{"TooMany", ev.ID, orgSession, nominationBody(many...), 400, "validation_failed"},
		{"BadEmail", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.Email = "not-an-address" })...), 400, "validation_failed"},
		{"DuplicateEmail", ev.ID, orgSession, nominationBody(dup...), 400, "validation_failed"},
		{"NoName", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.Name = " " })...), 400, "validation_failed"},
		{"LongDepartment", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.Department = strings.Repeat("課", 101) })...), 400, "validation_failed"},
		{"BirthDateMissing", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.BirthDate = "" })...), 400, "validation_failed"},
		{"BirthDateMalformed", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.BirthDate = "1994/06/15" })...), 400, "validation_failed"},
		{"BirthDateImplausible", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.BirthDate = "1850-01-01" })...), 400, "validation_failed"},
		{"TooOld", ev.ID, orgSession, nominationBody(one(func(n *nomineeJSON) { n.BirthDate = "1960-01-01" })...), 400, "validation_failed"},
		{"UnknownField", ev.ID, orgSession, `{"nominees":[{"name":"a","email":"a@example.jp","birth_date":"1994-06-15","age":30}]}`, 400, "unknown_field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(e.rsvp, rsvpapi.RouteNominate, c.event, c.body, c.session, nil)
			if r.code != c.code || r.errCode() != c.errCode {
				t.Errorf("= %d %s, want %d %s", r.code, r.raw, c.code, c.errCode)
			}
		})
	}
	if got := e.myNominations(orgSession); len(got) != 0 {
		t.Errorf("refused nominations stored: %d listed", len(got))
	}
	if got := localtest.MailTo(t, "refused-"); len(got) != 0 {
		t.Errorf("refused nominations mailed %d people", len(got))
	}
	// After the deadline: closed.
	e.clock.Advance(10 * 24 * time.Hour)
	if r := e.nominate(ev.ID, orgSession, staff("late", 1)...); r.code != 422 || r.errCode() != "registration_closed" {
		t.Errorf("after the deadline = %d %s", r.code, r.raw)
	}
}

// The per-organization cap holds under concurrency: with 3 of 5 places
// held, two nominations of 2 racing for the last places — one is stored,
// the other refused with 409 nomination_cap_exceeded; never 7.
func TestNominationCapRace(t *testing.T) {
	e := newEnv(t)
	for round := range 4 {
		ev := e.workshop(func(ev *community.Event) { ev.NominationCap = 5 })
		_, orgSession := e.organization(fmt.Sprintf("伊勢崎市%d", round))
		if r := e.nominate(ev.ID, orgSession, staff("cap", 3)...); r.code != 201 {
			t.Fatalf("first nomination = %d %s", r.code, r.raw)
		}
		var wg sync.WaitGroup
		answers := make([]resp, 2)
		for i := range answers {
			wg.Go(func() { answers[i] = e.nominate(ev.ID, orgSession, staff("cap", 2)...) })
		}
		wg.Wait()
		got := map[string]int{}
		for _, a := range answers {
			got[fmt.Sprintf("%d %s", a.code, a.errCode())]++
		}
		if got["201 "] != 1 || got["409 nomination_cap_exceeded"] != 1 {
			t.Errorf("round %d: answers %v, want one 201 and one 409 nomination_cap_exceeded", round, got)
		}
		held := 0
		for _, n := range e.myNominations(orgSession) {
			held += len(n.(map[string]any)["nominees"].([]any))
		}
		if held != 5 {
			t.Errorf("round %d: %d nominees held, want the cap, 5", round, held)
		}
		// Another organization has its own cap.
		_, otherSession := e.organization("太田市")
		if r := e.nominate(ev.ID, otherSession, staff("cap", 5)...); r.code != 201 {
			t.Errorf("round %d: another organization = %d %s", round, r.code, r.raw)
		}
	}
}

// A link nobody followed for 7 days expires: confirming it is 400
// invalid_token and makes no application; the contact sees it expired,
// and the expired place no longer counts toward the cap.
func TestNominationLinkExpires(t *testing.T) {
	e := newEnv(t)
	ev := e.workshop(func(ev *community.Event) { ev.NominationCap = 1 })
	_, orgSession := e.organization("伊勢崎市")
	p := staff("expiring", 1)
	if r := e.nominate(ev.ID, orgSession, p...); r.code != 201 {
		t.Fatalf("nominate = %d %s", r.code, r.raw)
	}
	tok, _ := nominationLink(t, p[0].Email)
	if r := e.nominate(ev.ID, orgSession, staff("expiring", 1)...); r.code != 409 || r.errCode() != "nomination_cap_exceeded" {
		t.Errorf("past the cap = %d %s", r.code, r.raw)
	}
	e.clock.Advance(community.NominationTTL + time.Minute)
	if r := e.confirmNominee(tok); r.code != 400 || r.errCode() != "invalid_token" {
		t.Errorf("expired link = %d %s, want 400 invalid_token", r.code, r.raw)
	}
	if r := e.confirmNominee(tok[:len(tok)-2] + "xx"); r.code != 400 || r.errCode() != "invalid_token" {
		t.Errorf("forged link = %d %s, want 400 invalid_token", r.code, r.raw)
	}
	mine := e.myNominations(orgSession)
	if st := mine[0].(map[string]any)["nominees"].([]any)[0].(map[string]any)["state"]; st != "expired" {
		t.Errorf("an unconfirmed nominee after 7 days is %v, want expired", st)
	}
	if r := e.nominate(ev.ID, orgSession, staff("expiring", 1)...); r.code != 201 {
		t.Errorf("an expired nominee still holds the cap: %d %s", r.code, r.raw)
	}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// The pages: an organization member finds the nomination form on the event
// page (others do not), a refused form comes back as typed with the
// reason at the field, a stored one lands on my page, which lists the
// nominees and their states.
func TestNominationPages(t *testing.T) {
	e := newEnv(t)
	ev := e.workshop(nil)
	_, orgSession := e.organization("伊勢崎市")
	_, memberSession := e.member(nil)

	if page := e.webPage(t, "GET", "/events/"+ev.ID, "", memberSession); page.StatusCode != 200 || strings.Contains(page.Body, "団体推薦") {
		t.Errorf("a member's event page = %d, shows the nomination form: %v", page.StatusCode, strings.Contains(page.Body, "団体推薦"))
	}
	page := e.webPage(t, "GET", "/events/"+ev.ID+"?rows=7", "", orgSession)
	if page.StatusCode != 200 || !strings.Contains(page.Body, "推薦する") || !strings.Contains(page.Body, "7人目") {
		t.Fatalf("the organization's event page = %d\n%s", page.StatusCode, page.Body)
	}
	sub := csrfRE.FindStringSubmatch(page.Body)
	if sub == nil {
		t.Fatal("no CSRF token on the page")
	}
	good, bad := localtest.UniqueEmail("page"), localtest.UniqueEmail("page")
	form := url.Values{"csrf": {sub[1]},
		"name": {"職員 一郎", "職員 二郎", ""}, "email": {good, "not-an-address", ""},
		"department": {"道路課", "", ""}, "birth_date": {"1994-06-15", "1995-01-01", ""}, "reason": {"", "", ""}}
	refused := e.webPage(t, "POST", "/events/"+ev.ID+"/nominate", form.Encode(), orgSession)
	if refused.StatusCode != 400 || !strings.Contains(refused.Body, "職員 二郎") || !strings.Contains(refused.Body, "メールアドレスの形式が正しくありません") {
		t.Errorf("a refused form = %d, want 400 with the rows as typed and the reason\n%s", refused.StatusCode, refused.Body)
	}
	if got := e.myNominations(orgSession); len(got) != 0 {
		t.Fatalf("a refused form stored %d nominations", len(got))
	}
	form["email"] = []string{good, bad, ""}
	done := e.webPage(t, "POST", "/events/"+ev.ID+"/nominate", form.Encode(), orgSession)
	if done.StatusCode != 303 || !strings.HasPrefix(done.Headers["Location"]+done.Headers["location"], "/me?saved=nominated") {
		t.Fatalf("a good form = %d %v", done.StatusCode, done.Headers)
	}
	me := e.webPage(t, "GET", "/me?saved=nominated", "", orgSession)
	for _, want := range []string{"推薦を受け付けました", "職員 一郎", "職員 二郎", "確認待ち", ev.Title} {
		if !strings.Contains(me.Body, want) {
			t.Errorf("my page lacks %q", want)
		}
	}
	if strings.Contains(me.Body, good) {
		t.Error("my page prints a nominee's address")
	}
}
