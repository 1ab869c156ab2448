package web

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestOrgSurveyPage: a nominating organization's contact opens its survey
// from the signed link, sees its staff named, has refused answers (choice
// not offered, over-long, unknown question) come back with nothing stored,
// answers, and its answers reach the organizers' CSV under its name; an
// altered link, or an attendee's link, opens nothing; withdrawing the
// organization member erases its answers.
func TestOrgSurveyPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.createEvent(t, "道路維持管理研修", jst(5, 14, 13, 0), func(ev *community.Event) {
		ev.Kind, ev.Capacity = community.KindWorkshop, 16
		ev.OrgSurvey = &community.Survey{Form: community.Form{
			{ID: "effect", Label: "業務への効果", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"大きい", "ふつう", "小さい"}},
			{ID: "note", Label: "職員の様子", Kind: community.QuestionShortText, MaxLength: 20},
		}}
	})
	now := e.clock.Now()
	org := &community.Member{ID: community.NewID(now), Email: localtest.UniqueEmail("org"), Name: "担当 太郎", NameKana: "たんとう",
		Membership: community.MembershipOrganization, Affiliation: "=高崎市", PublicServant: true, Status: community.MemberActive,
		Role: community.RoleMember, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateMember(ctx, org); err != nil {
		t.Fatal(err)
	}
	staff := &community.Registration{ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
		Guest: &community.Guest{Name: "高崎 一郎", Email: localtest.UniqueEmail("staff")}, OrganizationID: org.ID}
	if err := e.store.Register(ctx, ev, staff); err != nil {
		t.Fatal(err)
	}
	communitytestDeliver(t, e)
	e.clock.Set(community.SurveySendAtFor(ev, community.AudienceOrganizations).Add(time.Minute))
	rec := &community.OrgSurvey{EventID: ev.ID, OrganizationID: org.ID, StaffIDs: []string{staff.ID}, SentAt: e.clock.Now()}
	if got, err := e.store.HandOverOrgSurvey(ctx, rec, community.OrgSurveyMail(ev.ID, org.ID, e.clock.Now())); err != nil || got != community.HandedOver {
		t.Fatalf("hand over: %v %v", got, err)
	}
	links := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}
	token := links.OrgSurveyToken(ev.ID, org.ID)
	page := "/org-survey?token=" + url.QueryEscape(token)
	unanswered := func(t *testing.T) {
		t.Helper()
		if cur, err := e.store.OrgSurvey(ctx, ev.ID, org.ID); err != nil || cur.AnsweredAt != nil || cur.Answers != nil {
			t.Fatalf("refused answers stored: %+v %v", cur, err)
		}
	}

	resp := e.do(t, get(t, page, ""))
	wantStatus(t, resp, 200)
	checkPageHeaders(t, resp)
	wantBody(t, resp, "団体向け事後アンケート", "道路維持管理研修", "高崎 一郎", `action="/org-survey"`,
		`<input type="radio" id="q-effect-1" name="q.effect" value="大きい">`)

	for name, form := range map[string]url.Values{
		"ErrChoiceNotOffered": {"token": {token}, "q.effect": {"最高"}},
		"ErrTooLong":          {"token": {token}, "q.effect": {"大きい"}, "q.note": {strings.Repeat("橋", 21)}},
		"ErrRequired":         {"token": {token}, "q.note": {"熱心"}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(t, post(t, "/org-survey", form, ""))
			wantStatus(t, resp, 400)
			wantBody(t, resp, "回答に誤りがあります")
			unanswered(t)
		})
	}
	t.Run("ErrUnknownQuestion", func(t *testing.T) {
		// The page posts only its own questions; the service refuses any other.
		s := &community.OrgSurveys{Store: e.store, Links: links, Clock: e.clock}
		_, err := s.Answer(ctx, token, []community.Answer{{QuestionID: "effect", Choices: []string{"大きい"}}, {QuestionID: "nope", Text: "x"}})
		if community.ErrorCode(err) != community.Invalid {
			t.Fatalf("unknown question: %v, want invalid", err)
		}
		unanswered(t)
	})
	for name, bad := range map[string]string{
		"ErrAltered":       token[:len(token)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(token, "A")],
		"ErrAttendeeToken": links.SurveyToken(ev.ID, staff.ID),
		"ErrOtherOrg":      links.SurveyToken(ev.ID, org.ID),
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.do(t, post(t, "/org-survey", url.Values{"token": {bad}, "q.effect": {"大きい"}}, ""))
			wantStatus(t, resp, 404)
			wantBody(t, resp, "アンケートのリンクが正しくありません")
			unanswered(t)
		})
	}

	t.Run("OK", func(t *testing.T) {
		form := url.Values{"token": {token}, "q.effect": {"大きい"}, "q.note": {"=熱心, \"積極的\""}}
		resp := e.do(t, post(t, "/org-survey", form, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "ご回答ありがとうございました", "団体向け事後アンケートへの回答を受け付けました")
		again := e.do(t, post(t, "/org-survey", url.Values{"token": {token}, "q.effect": {"ふつう"}, "q.note": {"=熱心, \"積極的\""}}, ""))
		wantStatus(t, again, 200)
		wantBody(t, again, "団体向け事後アンケートへの回答を更新しました")

		att := &community.Attendance{Store: e.store, Clock: e.clock}
		organizer := community.Viewer{Member: &community.Member{ID: community.NewID(now), Role: community.RoleOrganizer, Status: community.MemberActive}}
		sum, answered, err := att.ExportOrgSurvey(ctx, organizer, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Recipients != 1 || sum.Answered != 1 || sum.Questions[0].Counts[1].Count != 1 || sum.Questions[1].Texts[0] != "=熱心, \"積極的\"" {
			t.Errorf("summary %+v", sum)
		}
		b, err := adminapi.OrgSurveyCSV(answered, ev.OrgSurvey.Form)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "\uFEFF団体名,回答日時,業務への効果,職員の様子\r\n") {
			t.Errorf("CSV header: %q", b)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"団体名", "回答日時", "業務への効果", "職員の様子"},
			{"'=高崎市", e.clock.Now().In(community.Tokyo).Format("2006/01/02 15:04"), "ふつう", "'=熱心, \"積極的\""}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("CSV (-want +got):\n%s", diff)
		}
	})

	t.Run("Erased", func(t *testing.T) {
		if _, err := e.store.WithdrawMember(ctx, org.ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		cur, err := e.store.OrgSurvey(ctx, ev.ID, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Answers != nil {
			t.Errorf("a withdrawn organization's answers kept: %+v", cur.Answers)
		}
	})
}
