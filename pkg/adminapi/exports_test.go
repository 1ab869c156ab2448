package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// organization stores an organization member (団体正会員) whose name, as
// exports show it, is affiliation.
func (e *env) organization(affiliation string) *community.Member {
	e.t.Helper()
	now := e.clock.Now()
	m := &community.Member{
		ID: community.NewID(now), Email: localtest.UniqueEmail("org"), Name: "窓口 担当", NameKana: "まどぐち",
		Membership: community.MembershipOrganization, Affiliation: affiliation, PublicServant: true,
		Status: community.MemberActive, Role: community.RoleMember,
		Consent:   community.Consent{Terms: true, FormVersion: community.SignupFormVersion, AgreedAt: now},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// exportCSV asks for route as CSV and returns its rows, read by
// encoding/csv after the BOM, and the file name it is offered as.
func (e *env) exportCSV(route, eventID string) (rows [][]string, filename string) {
	e.t.Helper()
	r := e.as(call{route: route, params: map[string]string{"id": eventID}, query: "format=csv"})
	if r.status != 200 || !r.resp.IsBase64Encoded || r.resp.Headers["Content-Type"] != "text/csv; charset=utf-8" {
		e.t.Fatalf("export = %d %v %q", r.status, r.resp.IsBase64Encoded, r.resp.Body)
	}
	_, enc, _ := strings.Cut(r.resp.Headers["Content-Disposition"], "filename*=UTF-8''")
	filename, _ = url.PathUnescape(enc)
	b, err := base64.StdEncoding.DecodeString(r.resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(b, []byte("\uFEFF"))
	if !ok || !bytes.HasSuffix(body, []byte("\r\n")) {
		e.t.Fatalf("not a BOM-led CRLF CSV: %q", b)
	}
	if rows, err = csv.NewReader(bytes.NewReader(body)).ReadAll(); err != nil {
		e.t.Fatalf("encoding/csv cannot read the export: %v\n%s", err, body)
	}
	return rows, filename
}

// column returns the cells of the column headed name, keyed by the cell
// in the column headed key.
func column(t *testing.T, rows [][]string, key, name string) map[string]string {
	t.Helper()
	k, c := slices.Index(rows[0], key), slices.Index(rows[0], name)
	if k < 0 || c < 0 {
		t.Fatalf("no %s or %s column in %q", key, name, rows[0])
	}
	out := map[string]string{}
	for _, row := range rows[1:] {
		out[row[k]] = row[c]
	}
	return out
}

// The attendee CSV of an event with a nominee gets a 推薦団体 column after
// 所属: the organization's name for the nominee, empty for the others; an
// event without nominees keeps its columns; formulas stay text.
func TestAttendeesCSVOrganization(t *testing.T) {
	e := newEnv(t)
	ev := e.published(10, map[string]any{"capacity": 5})
	org := e.organization("=前橋市 建設部")
	nominee := e.register(ev, &community.Registration{
		Guest:          &community.Guest{Name: "推薦 花子", Email: localtest.UniqueEmail("nominee")},
		OrganizationID: org.ID, Department: "道路維持課",
	}, community.RegistrationConfirmed)
	self := e.member(community.MemberActive, community.MembershipRegular, "自分 太郎")
	e.seat(ev, self, community.RegistrationConfirmed)
	e.guest(ev, "=HYPERLINK(\"http://evil.example\",\"x\")", community.RegistrationConfirmed)

	rows, _ := e.exportCSV(adminapi.RouteRegistrations, ev.ID)
	if want := []string{"ステータス", "氏名", "ふりがな", "所属", "推薦団体", "メールアドレス", "申込日時", "受付"}; !slices.Equal(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[0], want)
	}
	orgs := column(t, rows, "氏名", "推薦団体")
	if got := orgs["推薦 花子"]; got != "'=前橋市 建設部" {
		t.Errorf("the nominee's organization cell = %q, want the name, defused", got)
	}
	if got, ok := orgs["自分 太郎"]; !ok || got != "" {
		t.Errorf("an applicant on their own has organization %q (present %v)", got, ok)
	}
	if _, ok := orgs[`'=HYPERLINK("http://evil.example","x")`]; !ok {
		t.Errorf("the formula name is not neutralized: %q", rows)
	}
	if nominee.OrganizationID != org.ID {
		t.Fatal("the nominee lost its organization")
	}

	// Without nominees, the columns stay as they were.
	plain := e.published(11, map[string]any{"capacity": 5})
	e.guest(plain, "一般 次郎", community.RegistrationConfirmed)
	rows, _ = e.exportCSV(adminapi.RouteRegistrations, plain.ID)
	if slices.Contains(rows[0], "推薦団体") {
		t.Errorf("an event without nominees has %q", rows[0])
	}
}

// The applications list as CSV: the person, the organization of a nominee,
// the answers to the form, eligibility and decision, one row each; audited.
func TestApplicationsCSV(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := e.clock.Now().In(community.Tokyo).AddDate(0, 0, 10).Truncate(time.Hour)
	ev := e.published(10, map[string]any{"mode": "selection", "capacity": 2,
		"registration_closes_at": start.AddDate(0, 0, -3).Format(time.RFC3339),
		"eligibility":            map[string]any{"public_servant_only": true},
		"questions": []map[string]any{
			{"id": "motive", "label": "参加の動機", "kind": "short_text", "required": false, "max_length": 200},
		}})
	org := e.organization("伊勢崎市役所")
	now := e.clock.Now()
	nominee := &community.Registration{
		ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
		Guest:          &community.Guest{Name: "推薦 花子", Email: localtest.UniqueEmail("nominee")},
		OrganizationID: org.ID, Department: "道路維持課",
		Answers: []community.Answer{{QuestionID: "motive", Text: "=1+1 橋梁点検を学びたい"}},
	}
	if err := e.store.Apply(ctx, e.event(ev.ID), nominee); err != nil {
		t.Fatal(err)
	}
	self := e.member(community.MemberActive, community.MembershipRegular, "自分 太郎")
	mine := e.apply(ev, self)
	outsider := e.applyDirect(ev, e.outsider())
	want(t, e.as(call{route: adminapi.RouteDecision, params: map[string]string{"id": ev.ID, "rid": mine.ID},
		body: `{"decision":"selected"}`}), 200, "")

	rows, filename := e.exportCSV(adminapi.RouteApplications, ev.ID)
	if want := []string{"受付番号", "氏名", "所属", "推薦団体", "推薦時の所属部署", "区分", "メールアドレス", "申込日時", "参加資格", "決定", "参加の動機"}; !slices.Equal(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[0], want)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want header + 3: %q", len(rows), rows)
	}
	if !strings.HasPrefix(filename, "申込一覧_") {
		t.Errorf("file name %q", filename)
	}
	orgs, depts := column(t, rows, "受付番号", "推薦団体"), column(t, rows, "受付番号", "推薦時の所属部署")
	if orgs[nominee.ID] != "伊勢崎市役所" || depts[nominee.ID] != "道路維持課" || orgs[mine.ID] != "" {
		t.Errorf("organizations %v, departments %v", orgs, depts)
	}
	if got := column(t, rows, "受付番号", "参加の動機")[nominee.ID]; got != "'=1+1 橋梁点検を学びたい" {
		t.Errorf("answer cell %q, want it defused", got)
	}
	decisions, eligible := column(t, rows, "受付番号", "決定"), column(t, rows, "受付番号", "参加資格")
	if decisions[mine.ID] != "採用" || decisions[nominee.ID] != "未決定" {
		t.Errorf("decisions %v", decisions)
	}
	if eligible[mine.ID] != "対象" || !strings.HasPrefix(eligible[outsider.ID], "対象外（") {
		t.Errorf("eligibility %v", eligible)
	}
	if got := column(t, rows, "受付番号", "区分"); got[nominee.ID] != "ゲスト" || got[mine.ID] != "会員" {
		t.Errorf("kinds %v", got)
	}
	e.audited(community.AuditRegistrationsExport, ev.ID, "")

	r := e.as(call{route: adminapi.RouteApplications, params: map[string]string{"id": ev.ID}, query: "format=xml"})
	want(t, r, 400, "invalid_format")
}
