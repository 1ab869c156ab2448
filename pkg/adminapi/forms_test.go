package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/apicontract"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/idempotency"
	"github.com/sorae/tabane/pkg/rsvpapi"
)

// applicationForm is the 受講希望調査書 of the tests, as an organizer sends it.
var applicationForm = []map[string]any{
	{"id": "motive", "label": "受講の動機", "kind": "long_text", "required": true, "max_length": 400},
	{"id": "years", "label": "=技術職の経験年数", "kind": "short_text"},
	{"id": "field", "label": "担当分野", "kind": "single_choice", "required": true, "options": []string{"道路", "河川", "下水道"}},
	{"id": "topics", "label": "関心のあるテーマ", "kind": "multiple_choice", "options": []string{"DX", "維持管理", "防災"}, "max_choices": 2},
}

// applyThroughAPI registers m for ev through the registration API with body.
func (e *env) applyThroughAPI(ev *community.Event, m *community.Member, body string) result {
	e.t.Helper()
	h := rsvpapi.New(e.regs, nil, e.sessions, &idempotency.Keeper{Store: e.store, Clock: e.clock}, slog.New(slog.DiscardHandler))
	req := e.request(call{route: rsvpapi.RouteRegister, params: map[string]string{"id": ev.ID}, body: body, token: e.token(m)})
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	apicontract.Check(e.t, req, resp)
	return result{status: resp.StatusCode, resp: resp}
}

func TestApplicationFormRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	t.Run("ErrBadForm", func(t *testing.T) {
		bad := slices.Clone(applicationForm)
		bad[2] = map[string]any{"id": "field", "label": "担当分野", "kind": "single_choice", "options": []string{"道路"}}
		r := e.as(call{route: adminapi.RouteCreateEvent, body: e.lecture(10, map[string]any{"questions": bad})})
		want(t, r, 400, "validation_failed")
		if _, ok := r.fields()["questions[2].options"]; !ok {
			t.Errorf("fields %v, want questions[2].options", r.fields())
		}
	})

	ev := e.published(10, map[string]any{"questions": applicationForm})
	if len(ev.Questions) != 4 || ev.Questions[3].MaxChoices != 2 {
		t.Fatalf("stored questions %+v", ev.Questions)
	}
	m := e.member(community.MemberActive, community.MembershipRegular, "申込 一郎")
	body := mustJSON(map[string]any{"answers": []map[string]any{
		{"question_id": "motive", "text": "=CMD()\r\n現場のDXを進めたい。"},
		{"question_id": "field", "choices": []string{"河川"}},
		{"question_id": "topics", "choices": []string{"防災", "DX"}},
	}})
	if r := e.applyThroughAPI(ev, m, body); r.status != 201 {
		t.Fatalf("register = %d %s", r.status, r.resp.Body)
	}
	wantAnswers := []any{
		map[string]any{"question_id": "motive", "text": "=CMD()\n現場のDXを進めたい。"},
		map[string]any{"question_id": "field", "choices": []any{"河川"}},
		map[string]any{"question_id": "topics", "choices": []any{"DX", "防災"}},
	}

	// The organizer sees the answers in the list...
	list := e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": ev.ID}})
	want(t, list, 200, "")
	regs := list.body["registrations"].([]any)
	if len(regs) != 1 {
		t.Fatalf("%d registrations", len(regs))
	}
	if diff := cmp.Diff(wantAnswers, regs[0].(map[string]any)["answers"]); diff != "" {
		t.Errorf("admin JSON answers (-want +got):\n%s", diff)
	}
	if qs := list.body["event"].(map[string]any)["questions"].([]any); len(qs) != 4 {
		t.Errorf("admin event questions %v", qs)
	}

	// ...and in the export: a column per question, headed by its label.
	exp := e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": ev.ID}, query: "format=csv"})
	if exp.status != 200 {
		t.Fatalf("export = %d", exp.status)
	}
	b, err := base64.StdEncoding.DecodeString(exp.resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %q", len(rows), rows)
	}
	if got, want := rows[0][7:], []string{"受講の動機", "'=技術職の経験年数", "担当分野", "関心のあるテーマ"}; !slices.Equal(got, want) {
		t.Errorf("question headers %q, want %q", got, want)
	}
	if got, want := rows[1][7:], []string{"'=CMD()\n現場のDXを進めたい。", "", "河川", "DX、防災"}; !slices.Equal(got, want) {
		t.Errorf("answer cells %q, want %q", got, want)
	}

	edit := func(qs any) result {
		return e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: mustJSON(map[string]any{"questions": qs})})
	}
	breaking := map[string]func() []map[string]any{
		"ErrRemoved": func() []map[string]any { return slices.Clone(applicationForm[1:]) },
		"ErrOptionRemoved": func() []map[string]any {
			f := slices.Clone(applicationForm)
			f[2] = clone(f[2], "options", []string{"道路", "河川"})
			return f
		},
		"ErrKindChanged": func() []map[string]any {
			f := slices.Clone(applicationForm)
			f[1] = clone(f[1], "kind", "long_text")
			return f
		},
		"ErrRequiredAdded": func() []map[string]any {
			return append(slices.Clone(applicationForm), map[string]any{"id": "memo", "label": "備考", "kind": "short_text", "required": true})
		},
	}
	for name, qs := range breaking {
		t.Run(name, func(t *testing.T) {
			want(t, edit(qs()), 409, "questions_have_answers")
			if cur, _ := e.store.Event(ctx, ev.ID); !cur.Questions.Equal(ev.Questions) {
				t.Errorf("a refused edit changed the form: %+v", cur.Questions)
			}
		})
	}
	t.Run("OptionalAddedAndReworded", func(t *testing.T) {
		f := slices.Clone(applicationForm)
		f[0] = clone(f[0], "label", "志望動機")
		f = append(f, map[string]any{"id": "memo", "label": "備考", "kind": "short_text"})
		r := edit(f)
		want(t, r, 200, "")
		if !slices.Contains(r.body["changed"].([]any), any("questions")) {
			t.Errorf("changed %v, want questions", r.body["changed"])
		}
		if cur, _ := e.store.Event(ctx, ev.ID); len(cur.Questions) != 5 || cur.Questions[0].Label != "志望動機" {
			t.Errorf("stored form %+v", cur.Questions)
		}
	})

	// Withdrawal erases the answers with the rest of the personal data.
	if _, err := e.store.WithdrawMember(ctx, m.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	regsAfter, err := e.store.AllRegistrations(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(regsAfter) != 1 || regsAfter[0].Answers != nil {
		t.Fatalf("answers after withdrawal: %+v", regsAfter[0].Answers)
	}
	list = e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": ev.ID}})
	if got := list.body["registrations"].([]any)[0].(map[string]any)["answers"]; len(got.([]any)) != 0 {
		t.Errorf("admin JSON shows a withdrawn member's answers: %v", got)
	}
}

func clone(m map[string]any, k string, v any) map[string]any {
	c := map[string]any{}
	for kk, vv := range m {
		c[kk] = vv
	}
	c[k] = v
	return c
}

// TestFormEditRacesRegistrations: an organizer's edit that withdraws an
// option, made while people register choosing it, either is refused
// (someone registered first) or leaves no stored answer that the new form
// would refuse: no registration slips in under the old form.
func TestFormEditRacesRegistrations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for round := 0; round < 4; round++ {
		ev := e.published(10+round, map[string]any{"capacity": 0, "questions": []map[string]any{
			{"id": "field", "label": "担当分野", "kind": "single_choice", "options": []string{"道路", "河川"}},
		}})
		var viewers []community.Viewer
		for i := 0; i < 20; i++ {
			viewers = append(viewers, e.viewer(e.member(community.MemberActive, community.MembershipRegular, "競争 太郎")))
		}
		var wg sync.WaitGroup
		var edit result
		wg.Go(func() {
			edit = e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: mustJSON(map[string]any{"questions": []map[string]any{
				{"id": "field", "label": "担当分野", "kind": "single_choice", "options": []string{"道路", "下水道"}},
			}})})
		})
		for i, v := range viewers {
			wg.Go(func() {
				// Spread over the edit's read, check and write.
				time.Sleep(time.Duration(round*4+i) * time.Millisecond)
				_, err := e.regs.Register(ctx, v, ev.ID, nil, community.Answer{QuestionID: "field", Choices: []string{"河川"}})
				if err != nil && !errors.Is(err, community.ErrInvalidAnswers) {
					t.Errorf("registration %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if edit.status != 200 && edit.code() != "questions_have_answers" {
			t.Fatalf("edit = %d %v", edit.status, edit.body)
		}
		cur, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		regs, err := e.store.AllRegistrations(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range regs {
			if _, err := cur.Questions.CheckAnswers(r.Answers); err != nil {
				t.Errorf("round %d (edit %d): registration %s holds answers the form refuses: %+v", round, edit.status, r.ID, r.Answers)
			}
		}
		t.Logf("round %d: edit %d, %d registrations", round, edit.status, len(regs))
	}
}
