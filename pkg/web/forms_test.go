package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
)

// applicationForm is a 受講希望調査書 with a question of every kind.
func applicationForm() community.Form {
	return community.Form{
		{ID: "motive", Label: "受講の動機", Help: "200字程度でお書きください。", Kind: community.QuestionLongText, Required: true, MaxLength: 400},
		{ID: "years", Label: "技術職としての経験年数", Kind: community.QuestionShortText, MaxLength: 20},
		{ID: "field", Label: "担当分野", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"道路", "河川", "下水道"}},
		{ID: "topics", Label: "関心のあるテーマ", Kind: community.QuestionMultipleChoice, Options: []string{"DX", "維持管理", "防災"}, MaxChoices: 2},
	}
}

func TestRegisterWithAnswers(t *testing.T) {
	e := newEnv(t)
	ws := e.createEvent(t, "キャリア開発塾", jst(6, 2, 9, 30), func(ev *community.Event) {
		ev.Kind, ev.Capacity = community.KindWorkshop, 16
		ev.Questions = applicationForm()
	})
	m, session := e.member(t, "申込 花子", community.MembershipSupporting)
	page := "/events/" + ws.ID

	before := e.do(t, get(t, page, session))
	wantStatus(t, before, 200)
	wantBody(t, before, "申込フォーム",
		`<textarea id="q-motive" name="q.motive" rows="5" maxlength="400" aria-required="true">`,
		`<input type="text" id="q-years" name="q.years" value="" maxlength="20">`,
		`<input type="radio" id="q-field-2" name="q.field" value="河川">`,
		`<input type="checkbox" id="q-topics-1" name="q.topics" value="DX">`,
		"400文字以内", "2つまで選べます", "200字程度でお書きください。")
	// Anonymous visitors see the same questions in the guest form.
	wantBody(t, e.do(t, get(t, page, "")), `id="guest-name"`, `name="q.motive"`)

	csrf := e.pageCSRF(t, page, session)
	t.Run("Refused", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "q.motive": {strings.Repeat("動", 401)}, "q.years": {"12年"},
			"q.topics": {"DX", "維持管理", "防災"}}
		resp := e.do(t, post(t, registerPath(ws), form, session))
		wantStatus(t, resp, 400)
		wantReason(t, resp, "invalid_answers")
		wantBody(t, resp,
			`<span class="error" id="error-answers.motive">「受講の動機」は400文字以内で回答してください（現在401文字）。</span>`,
			`<span class="error" id="error-answers.field">「担当分野」は必須です。</span>`,
			`<span class="error" id="error-answers.topics">「関心のあるテーマ」は2個まで選べます。</span>`,
			`aria-invalid="true" aria-describedby="error-answers.motive"`,
			// What was typed and picked is kept.
			`value="12年"`, `>`+strings.Repeat("動", 401)+`</textarea>`,
			`value="DX" checked>`, `value="防災" checked>`)
		if r := e.registration(t, ws.ID, m.ID); r != nil {
			t.Fatalf("refused answers registered: %+v", r)
		}
	})
	t.Run("OK", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "q.motive": {"現場のDXを\r\n進めたい。"}, "q.years": {""},
			"q.field": {"河川"}, "q.topics": {"防災", "DX"}}
		resp := e.do(t, post(t, registerPath(ws), form, session))
		wantStatus(t, resp, 200)
		r := e.registration(t, ws.ID, m.ID)
		if r == nil {
			t.Fatal("not registered")
		}
		want := []community.Answer{
			{QuestionID: "motive", Text: "現場のDXを\n進めたい。"},
			{QuestionID: "field", Choices: []string{"河川"}},
			{QuestionID: "topics", Choices: []string{"DX", "防災"}},
		}
		if diff := cmp.Diff(want, r.Answers); diff != "" {
			t.Errorf("stored answers (-want +got):\n%s", diff)
		}
	})
	t.Run("MyPage", func(t *testing.T) {
		resp := e.do(t, get(t, "/me", session))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "申込フォームの回答", "<dt>受講の動機</dt><dd class=\"prose\">現場のDXを\n進めたい。</dd>",
			"<dt>担当分野</dt><dd class=\"prose\">河川</dd>", "<dt>関心のあるテーマ</dt><dd class=\"prose\">DX、防災</dd>")
	})
}
