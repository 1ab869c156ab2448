package adminapi_test

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestOrgSurveyResults: an event's org_survey is set and read through the
// admin API with the survey's rules; the sweep asks the organization whose
// staff came; its answers reach the summary and the CSV (BOM, 団体名,
// Excel-safe) with audience=organizations, in the contract's shapes, and
// a bad audience or an event without an organization survey is refused.
func TestOrgSurveyResults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(1, map[string]any{"org_survey": map[string]any{"questions": []any{}}})})
	want(t, r, 400, "validation_failed")
	if _, ok := r.fields()["org_survey.questions"]; !ok {
		t.Errorf("fields %v, want org_survey.questions", r.fields())
	}

	ev := e.published(1, map[string]any{"org_survey": afterSurvey})
	got := e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": ev.ID}})
	want(t, got, 200, "")
	if sv, _ := got.body["org_survey"].(map[string]any); sv == nil || len(sv["questions"].([]any)) != 3 || got.body["survey"] != nil {
		t.Fatalf("admin event org_survey %v, survey %v", got.body["org_survey"], got.body["survey"])
	}
	orgs := map[string]string{"id": ev.ID}
	want(t, e.as(call{route: adminapi.RouteSurvey, params: orgs, query: "audience=everyone"}), 400, "invalid_parameter")
	want(t, e.as(call{route: adminapi.RouteSurvey, params: orgs}), 404, "survey_not_found") // attendees: none
	plain := e.published(2, nil)
	want(t, e.as(call{route: adminapi.RouteSurvey, params: map[string]string{"id": plain.ID}, query: "audience=organizations"}), 404, "survey_not_found")

	org := e.member(community.MemberActive, community.MembershipOrganization, "担当 太郎")
	other := e.member(community.MemberActive, community.MembershipOrganization, "担当 次郎")
	e.register(ev, &community.Registration{Guest: &community.Guest{Name: "職員 一郎", Email: localtest.UniqueEmail("s")}, OrganizationID: org.ID}, community.RegistrationConfirmed)
	e.register(ev, &community.Registration{Guest: &community.Guest{Name: "職員 次郎", Email: localtest.UniqueEmail("s")}, OrganizationID: other.ID}, community.RegistrationConfirmed)
	e.clock.Set(ev.EndsAt.Add(31 * time.Minute))
	res, err := (&community.Reminders{Store: e.store, Clock: e.clock}).Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.SurveysSent != 2 {
		t.Fatalf("sweep %+v, want both organizations asked (nobody was checked in)", res)
	}
	e.quiet()

	s := &community.OrgSurveys{Store: e.store, Links: surveyLinks, Clock: e.clock}
	comment := "=SUM(A1:A9)\n職員は「熱心」, \"積極的\" でした。"
	if _, err := s.Answer(ctx, surveyLinks.OrgSurveyToken(ev.ID, org.ID), []community.Answer{
		{QuestionID: "rating", Choices: []string{"満足"}}, {QuestionID: "comment", Text: comment},
	}); err != nil {
		t.Fatal(err)
	}

	sum := e.as(call{route: adminapi.RouteSurvey, params: orgs, query: "audience=organizations"})
	want(t, sum, 200, "")
	if sum.body["recipients"].(float64) != 2 || sum.body["answered"].(float64) != 1 {
		t.Fatalf("summary %v, want 2 recipients, 1 answered", sum.body)
	}
	q0 := sum.body["questions"].([]any)[0].(map[string]any)
	if diff := cmp.Diff([]any{map[string]any{"option": "満足", "count": 1.0}, map[string]any{"option": "ふつう", "count": 0.0}, map[string]any{"option": "不満", "count": 0.0}}, q0["counts"]); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	exp := e.as(call{route: adminapi.RouteSurvey, params: orgs, query: "format=csv&audience=organizations"})
	if exp.status != 200 || !strings.Contains(exp.resp.Headers["Content-Disposition"], "survey.csv") {
		t.Fatalf("export = %d %v", exp.status, exp.resp.Headers)
	}
	b, err := base64.StdEncoding.DecodeString(exp.resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\uFEFF団体名,回答日時,満足度,役立った内容,ご意見・ご感想\r\n") {
		t.Fatalf("CSV starts %q", b[:min(len(b), 80)])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"団体名", "回答日時", "満足度", "役立った内容", "ご意見・ご感想"},
		{"伊勢崎市", e.clock.Now().In(community.Tokyo).Format("2006/01/02 15:04"), "満足", "", "'" + comment},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	e.audited(community.AuditRegistrationsExport, ev.ID, e.org.ID)
}
