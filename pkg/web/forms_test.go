package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
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
		"400文字以内", "2個まで選べます", "200字程度でお書きください。")
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

// TestBrowserGuestAnswersTheForm: a guest fills the application form in
// Chromium, gets the refusals beside the questions with everything kept,
// corrects them, and the confirmed registration holds the answers.
// Screenshots at phone and desktop width go to $TABANE_WEB_SCREENSHOTS.
func TestBrowserGuestAnswersTheForm(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	ws := e.createEvent(t, "キャリア開発塾 2025", jst(6, 2, 9, 30), func(ev *community.Event) {
		ev.Kind, ev.Capacity = community.KindWorkshop, 16
		ev.Questions = applicationForm()
	})
	email := localtest.UniqueEmail("form-browser")
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	submit := css(`form[action="/events/` + ws.ID + `/register"] button[type="submit"]`)

	do("open the workshop",
		chromedp.Navigate(base+"/events/"+ws.ID),
		chromedp.WaitVisible(css("#q-motive")),
		shot("form-phone"),
		chromedp.EmulateViewport(1280, 900),
		shot("form-desktop"),
		chromedp.EmulateViewport(390, 844),
	)
	// Required left out, a choice too many: refused beside the questions.
	do("answer badly",
		chromedp.SendKeys(css("#guest-name"), "高崎 三郎"),
		chromedp.SendKeys(css("#guest-email"), email),
		chromedp.SendKeys(css("#q-years"), "8年"),
		chromedp.Click(css("#q-topics-1")),
		chromedp.Click(css("#q-topics-2")),
		chromedp.Click(css("#q-topics-3")),
		chromedp.Click(submit),
		chromedp.WaitVisible(css(`[id="error-answers.motive"]`)),
		shot("form-errors-phone"),
		chromedp.EmulateViewport(1280, 900),
		shot("form-errors-desktop"),
		chromedp.EmulateViewport(390, 844),
	)
	if got := read(chromedp.Text(css(`[id="error-answers.field"]`))); got != "「担当分野」は必須です。" {
		t.Errorf("field error = %q", got)
	}
	if got := read(chromedp.Text(css(`[id="error-answers.topics"]`))); got != "「関心のあるテーマ」は2個まで選べます。" {
		t.Errorf("topics error = %q", got)
	}
	if got := read(chromedp.Value(css("#q-years"))); got != "8年" {
		t.Errorf("years after the error = %q, want kept", got)
	}
	if got := read(chromedp.Value(css("#guest-name"))); got != "高崎 三郎" {
		t.Errorf("name after the error = %q, want kept", got)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('input[name="q.topics"]:checked').length === 3`))
	if err != nil || !kept {
		t.Errorf("the choices were not kept (%v)", err)
	}
	do("correct the answers",
		chromedp.SendKeys(css("#q-motive"), "橋梁点検の効率化を学び、\n職場に持ち帰りたい。"),
		chromedp.Click(css("#q-field-1")),
		chromedp.Click(css("#q-topics-2")),
		chromedp.Click(submit),
		chromedp.WaitVisible(css(".notice")),
	)
	if got := read(chromedp.Text(css("h1"))); got != "確認メールをお送りしました" {
		t.Fatalf("after the corrected form the page says %q", got)
	}
	do("confirm",
		chromedp.Navigate(linkIn(t, localtest.WaitMail(t, email, 1), "/registrations/confirm")),
		chromedp.WaitVisible(css(`form[action="/registrations/confirm"] button[type="submit"]`)),
		chromedp.Click(css(`form[action="/registrations/confirm"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
	)
	regs, err := e.store.AllRegistrations(context.Background(), ws.ID)
	if err != nil || len(regs) != 1 {
		t.Fatalf("registrations %v, %v", regs, err)
	}
	want := []community.Answer{
		{QuestionID: "motive", Text: "橋梁点検の効率化を学び、\n職場に持ち帰りたい。"},
		{QuestionID: "years", Text: "8年"},
		{QuestionID: "field", Choices: []string{"道路"}},
		{QuestionID: "topics", Choices: []string{"DX", "防災"}},
	}
	if diff := cmp.Diff(want, regs[0].Answers); diff != "" {
		t.Errorf("stored answers (-want +got):\n%s", diff)
	}
}
