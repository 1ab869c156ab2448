package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/rsvpapi"
)

// afterSurvey is the 事後アンケート of the tests, as an organizer sends it.
var afterSurvey = map[string]any{
	"questions": []map[string]any{
		{"id": "rating", "label": "満足度", "kind": "single_choice", "required": true, "options": []string{"満足", "ふつう", "不満"}},
		{"id": "useful", "label": "役立った内容", "kind": "multiple_choice", "options": []string{"講義", "演習", "交流"}},
		{"id": "comment", "label": "ご意見・ご感想", "kind": "long_text", "max_length": 300},
	},
	"send_after_minutes": 30,
	"closes_after_days":  7,
}

// surveyLinks signs survey tokens as the env's mails would.
var surveyLinks = auth.Links{BaseURL: "http://localhost:8080", Keys: auth.MustParseKeyring("test-secret-test-secret-test-secret-0123")}

// answerThroughAPI posts survey answers with token to the survey API.
func (e *env) answerThroughAPI(token string, answers any) result {
	e.t.Helper()
	h := rsvpapi.New(e.regs, nil, e.sessions, nil, slog.New(slog.DiscardHandler)).
		WithSurveys(&community.Surveys{Store: e.store, Links: surveyLinks, Clock: e.clock})
	req := e.request(call{route: rsvpapi.RouteAnswerSurvey, body: mustJSON(map[string]any{"token": token, "answers": answers})})
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	apicontract.Check(e.t, req, resp)
	r := result{status: resp.StatusCode, resp: resp}
	if err := json.Unmarshal([]byte(resp.Body), &r.body); err != nil {
		e.t.Fatalf("body is not JSON: %q", resp.Body)
	}
	return r
}

func TestSurveyRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	for name, s := range map[string]struct {
		survey map[string]any
		field  string
	}{
		"ErrNoQuestions": {map[string]any{"questions": []any{}}, "survey.questions"},
		"ErrSendTooLate": {map[string]any{"questions": afterSurvey["questions"], "send_after_minutes": 14*24*60 + 1}, "survey.send_after_minutes"},
		"ErrClosesBeforeSend": {map[string]any{"questions": afterSurvey["questions"], "send_after_minutes": 3 * 24 * 60, "closes_after_days": 2},
			"survey.closes_after_days"},
		"ErrBadQuestion": {map[string]any{"questions": []map[string]any{{"id": "Q", "label": "x", "kind": "short_text"}}}, "survey.questions[0].id"},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(1, map[string]any{"survey": s.survey})})
			want(t, r, 400, "validation_failed")
			if _, ok := r.fields()[s.field]; !ok {
				t.Errorf("fields %v, want %s", r.fields(), s.field)
			}
		})
	}

	ev := e.published(1, map[string]any{"survey": afterSurvey})
	got := e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": ev.ID}})
	want(t, got, 200, "")
	sv := got.body["survey"].(map[string]any)
	if sv["send_after_minutes"].(float64) != 30 || sv["closes_after_days"].(float64) != 7 || len(sv["questions"].([]any)) != 3 {
		t.Fatalf("admin event survey %v", sv)
	}
	if s, _ := time.Parse(time.RFC3339, sv["send_at"].(string)); !s.Equal(ev.EndsAt.Add(30 * time.Minute)) {
		t.Errorf("send_at %v, want end + 30 min", sv["send_at"])
	}
	// Before anyone answered, the summary is empty; an event without a survey has none.
	sum := e.as(call{route: adminapi.RouteSurvey, params: map[string]string{"id": ev.ID}})
	want(t, sum, 200, "")
	plain := e.published(2, nil)
	want(t, e.as(call{route: adminapi.RouteSurvey, params: map[string]string{"id": plain.ID}}), 404, "survey_not_found")
	want(t, e.do(call{route: adminapi.RouteSurvey, params: map[string]string{"id": ev.ID}}), 401, "unauthorized")

	m1 := e.member(community.MemberActive, community.MembershipRegular, "回答 一郎")
	m2 := e.member(community.MemberActive, community.MembershipRegular, "欠席 二郎")
	r1 := e.seat(ev, m1, community.RegistrationConfirmed)
	r2 := e.seat(ev, m2, community.RegistrationConfirmed)
	rg := e.guest(ev, "ゲスト 花子", community.RegistrationConfirmed)

	// The event takes place; m1 and the guest are checked in, m2 is not.
	e.clock.Set(ev.StartsAt.Add(10 * time.Minute))
	for _, r := range []*community.Registration{r1, rg} {
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": r.ID}}), 200, "")
	}
	// Too early: nothing is sent, and the link does not open yet.
	tok1 := surveyLinks.SurveyToken(ev.ID, r1.ID)
	want(t, e.answerThroughAPI(tok1, []any{map[string]any{"question_id": "rating", "choices": []string{"満足"}}}), 422, "survey_not_open")

	e.clock.Set(ev.EndsAt.Add(31 * time.Minute))
	res, err := (&community.Reminders{Store: e.store, Clock: e.clock}).Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.SurveysDue != 1 || res.SurveysSent != 2 || res.SkippedBy[community.SkipNotCheckedIn] != 1 {
		t.Fatalf("sweep %+v, want 1 due, 2 sent, 1 not checked in", res)
	}
	e.quiet()

	comment := "=SUM(A1:A9)\n講義は「わかりやすかった」, ただ \"演習\" の時間が短い。\r\n次回も参加します。"
	t.Run("ErrBadAnswers", func(t *testing.T) {
		for name, answers := range map[string][]any{
			"Unknown":     {map[string]any{"question_id": "rating", "choices": []string{"満足"}}, map[string]any{"question_id": "nope", "text": "x"}},
			"NotOffered":  {map[string]any{"question_id": "rating", "choices": []string{"最高"}}},
			"TooLong":     {map[string]any{"question_id": "rating", "choices": []string{"満足"}}, map[string]any{"question_id": "comment", "text": strings.Repeat("長", 301)}},
			"MissingReqd": {map[string]any{"question_id": "comment", "text": "よかった"}},
		} {
			t.Run(name, func(t *testing.T) {
				want(t, e.answerThroughAPI(tok1, answers), 400, "invalid_answers")
			})
		}
		if r, _ := e.store.Registration(ctx, ev.ID, r1.ID); r.SurveyAnswers != nil || r.SurveyAnsweredAt != nil {
			t.Fatalf("refused answers were stored: %+v", r.SurveyAnswers)
		}
	})
	t.Run("ErrForgedToken", func(t *testing.T) {
		forged := tok1[:len(tok1)-1] + "A"
		if strings.HasSuffix(tok1, "A") {
			forged = tok1[:len(tok1)-1] + "B"
		}
		want(t, e.answerThroughAPI(forged, []any{}), 404, "survey_link_invalid")
		cancel := surveyLinks.CancelToken(ev.ID, r1.ID) // signed, but for another purpose
		want(t, e.answerThroughAPI(cancel, []any{}), 404, "survey_link_invalid")
		want(t, e.answerThroughAPI("", []any{}), 400, "invalid_token")
	})
	t.Run("ErrNotSent", func(t *testing.T) { // m2 was not checked in, so was not asked
		want(t, e.answerThroughAPI(surveyLinks.SurveyToken(ev.ID, r2.ID), []any{map[string]any{"question_id": "rating", "choices": []string{"不満"}}}), 422, "survey_not_open")
	})

	// m1 answers, then changes their mind: the second answer replaces the first.
	want(t, e.answerThroughAPI(tok1, []any{map[string]any{"question_id": "rating", "choices": []string{"ふつう"}}}), 200, "")
	a1 := e.answerThroughAPI(tok1, []any{
		map[string]any{"question_id": "comment", "text": comment},
		map[string]any{"question_id": "useful", "choices": []string{"交流", "講義"}},
		map[string]any{"question_id": "rating", "choices": []string{"満足"}},
	})
	want(t, a1, 200, "")
	wantAnswers := []any{
		map[string]any{"question_id": "rating", "choices": []any{"満足"}},
		map[string]any{"question_id": "useful", "choices": []any{"講義", "交流"}},
		map[string]any{"question_id": "comment", "text": strings.ReplaceAll(comment, "\r\n", "\n")},
	}
	if diff := cmp.Diff(wantAnswers, a1.body["answers"]); diff != "" {
		t.Errorf("stored answers (-want +got):\n%s", diff)
	}
	want(t, e.answerThroughAPI(surveyLinks.SurveyToken(ev.ID, rg.ID), []any{
		map[string]any{"question_id": "rating", "choices": []string{"満足"}},
		map[string]any{"question_id": "useful", "choices": []string{"演習"}},
	}), 200, "")

	sum = e.as(call{route: adminapi.RouteSurvey, params: map[string]string{"id": ev.ID}})
	want(t, sum, 200, "")
	if sum.body["recipients"].(float64) != 2 || sum.body["answered"].(float64) != 2 {
		t.Fatalf("summary %v, want 2 recipients, 2 answered", sum.body)
	}
	qs := sum.body["questions"].([]any)
	wantCounts := map[string]any{
		"rating": []any{map[string]any{"option": "満足", "count": 2.0}, map[string]any{"option": "ふつう", "count": 0.0}, map[string]any{"option": "不満", "count": 0.0}},
		"useful": []any{map[string]any{"option": "講義", "count": 1.0}, map[string]any{"option": "演習", "count": 1.0}, map[string]any{"option": "交流", "count": 1.0}},
	}
	for _, q := range qs {
		q := q.(map[string]any)
		if w, ok := wantCounts[q["id"].(string)]; ok {
			if diff := cmp.Diff(w, q["counts"]); diff != "" {
				t.Errorf("counts of %s (-want +got):\n%s", q["id"], diff)
			}
		}
		if q["id"] == "comment" && (q["answered"].(float64) != 1 || q["texts"].([]any)[0] != strings.ReplaceAll(comment, "\r\n", "\n")) {
			t.Errorf("comment summary %v", q)
		}
	}

	// The export: one row per answering registrant, Excel-safe.
	exp := e.as(call{route: adminapi.RouteSurvey, params: map[string]string{"id": ev.ID}, query: "format=csv"})
	if exp.status != 200 || !strings.Contains(exp.resp.Headers["Content-Disposition"], "survey.csv") {
		t.Fatalf("export = %d %v", exp.status, exp.resp.Headers)
	}
	e.audited(community.AuditRegistrationsExport, ev.ID, e.org.ID)
	b, err := base64.StdEncoding.DecodeString(exp.resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\uFEFF")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Errorf("export lacks the BOM or CRLF: %q", b[:min(len(b), 80)])
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %q", len(rows), rows)
	}
	if want := []string{"氏名", "所属", "回答日時", "満足度", "役立った内容", "ご意見・ご感想"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q, want %q", rows[0], want)
	}
	byName := map[string][]string{}
	for _, row := range rows[1:] {
		byName[row[0]] = row
	}
	if got, want := byName["回答 一郎"][3:], []string{"満足", "講義、交流", "'" + strings.ReplaceAll(comment, "\r\n", "\n")}; !slices.Equal(got, want) {
		t.Errorf("m1's cells %q, want %q", got, want)
	}
	if got, want := byName["ゲスト 花子"][3:], []string{"満足", "演習", ""}; !slices.Equal(got, want) {
		t.Errorf("guest's cells %q, want %q", got, want)
	}

	// Withdrawal erases the survey answers with the rest of the personal data.
	if _, err := e.store.WithdrawMember(ctx, m1.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.store.Registration(ctx, ev.ID, r1.ID); r.SurveyAnswers != nil {
		t.Errorf("survey answers after withdrawal: %+v", r.SurveyAnswers)
	}

	// After the close, answers are refused and nothing changes.
	e.clock.Set(ev.EndsAt.Add(7*24*time.Hour + time.Second))
	want(t, e.answerThroughAPI(surveyLinks.SurveyToken(ev.ID, rg.ID), []any{map[string]any{"question_id": "rating", "choices": []string{"不満"}}}), 422, "survey_closed")
	if r, _ := e.store.Registration(ctx, ev.ID, rg.ID); r.SurveyAnswers[0].Choices[0] != "満足" {
		t.Errorf("a closed survey's answers changed: %+v", r.SurveyAnswers)
	}
}
