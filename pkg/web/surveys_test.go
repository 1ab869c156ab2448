package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// afterSurvey is an after-event survey with a question of every kind.
func afterSurvey() *community.Survey {
	return &community.Survey{Form: community.Form{
		{ID: "rating", Label: "満足度", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"満足", "ふつう", "不満"}},
		{ID: "useful", Label: "役立った内容", Kind: community.QuestionMultipleChoice, Options: []string{"講義", "演習", "交流"}, MaxChoices: 2},
		{ID: "next", Label: "次に聞きたいテーマ", Kind: community.QuestionShortText, MaxLength: 50},
		{ID: "comment", Label: "ご意見・ご感想", Help: "自由にお書きください。", Kind: community.QuestionLongText, MaxLength: 300},
	}}
}

// surveyed makes an event with afterSurvey that ended, registers a guest,
// moves the clock past the survey's send time and hands the survey over
// (as the sweep does); it returns the event, the registration and the
// survey page's path with its token.
func (e *env) surveyed(t *testing.T) (*community.Event, *community.Registration, string) {
	t.Helper()
	ctx := context.Background()
	ev := e.createEvent(t, "キャリア開発塾 第1回", jst(5, 14, 13, 0), func(ev *community.Event) {
		ev.Kind, ev.Capacity = community.KindWorkshop, 16
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
		ev.Survey = afterSurvey()
	})
	now := e.clock.Now()
	r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now,
		Guest: &community.Guest{Name: "前橋 次郎", Email: localtest.UniqueEmail("survey")}}
	if err := e.store.Register(ctx, ev, r); err != nil {
		t.Fatal(err)
	}
	communitytestDeliver(t, e)
	e.clock.Set(community.SurveySendAt(ev).Add(time.Minute))
	got, err := e.store.HandOverSurveys(ctx, []community.Mail{community.SurveyMail(r, e.clock.Now())}, e.clock.Now())
	if err != nil || len(got) != 1 || got[0] != community.HandedOver {
		t.Fatalf("hand over: %v %v", got, err)
	}
	links := auth.Links{BaseURL: e.cfg.BaseURL, Keys: e.cfg.Keys}
	return ev, r, "/survey?token=" + url.QueryEscape(links.SurveyToken(ev.ID, r.ID))
}

func communitytestDeliver(t *testing.T, e *env) {
	t.Helper()
	e.mail.deliver()
}

func TestSurveyPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev, r, page := e.surveyed(t)
	token := strings.TrimPrefix(page, "/survey?token=")
	token, _ = url.QueryUnescape(token)

	resp := e.do(t, get(t, page, ""))
	wantStatus(t, resp, 200)
	checkPageHeaders(t, resp)
	wantBody(t, resp, "事後アンケート", "キャリア開発塾 第1回", "回答の締切",
		`<input type="radio" id="q-rating-1" name="q.rating" value="満足">`,
		`<input type="checkbox" id="q-useful-2" name="q.useful" value="演習">`,
		`<input type="text" id="q-next" name="q.next" value="" maxlength="50">`,
		`<textarea id="q-comment" name="q.comment" rows="5" maxlength="300">`, "自由にお書きください。", "2個まで選べます")
	wantNotBody(t, resp, joinURL, "申込フォーム")
	if got := resp.Headers["Referrer-Policy"]; got != "no-referrer" {
		t.Errorf("Referrer-Policy %q: the token must not leak to links", got)
	}

	t.Run("Refused", func(t *testing.T) {
		form := url.Values{"token": {token}, "q.useful": {"講義", "演習", "交流"}, "q.next": {strings.Repeat("橋", 51)}, "q.comment": {"=HYPERLINK()"}}
		resp := e.do(t, post(t, "/survey", form, ""))
		wantStatus(t, resp, 400)
		wantBody(t, resp, "回答に誤りがあります",
			`<span class="error" id="error-answers.rating">「満足度」は必須です。</span>`,
			`<span class="error" id="error-answers.useful">「役立った内容」は2個まで選べます。</span>`,
			`「次に聞きたいテーマ」は50文字以内で回答してください（現在51文字）。`,
			`value="`+strings.Repeat("橋", 51)+`"`, `>=HYPERLINK()</textarea>`, `value="交流" checked>`)
		if cur, _ := e.store.Registration(ctx, ev.ID, r.ID); cur.SurveyAnsweredAt != nil || cur.SurveyAnswers != nil {
			t.Fatalf("refused answers stored: %+v", cur.SurveyAnswers)
		}
	})
	t.Run("OK", func(t *testing.T) {
		form := url.Values{"token": {token}, "q.rating": {"満足"}, "q.useful": {"交流", "講義"}, "q.comment": {"また参加したい。\r\n「現場」の話が良かった, です"}}
		resp := e.do(t, post(t, "/survey", form, ""))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "ご回答ありがとうございました", "受け付けました")
		cur, _ := e.store.Registration(ctx, ev.ID, r.ID)
		want := []community.Answer{
			{QuestionID: "rating", Choices: []string{"満足"}},
			{QuestionID: "useful", Choices: []string{"講義", "交流"}},
			{QuestionID: "comment", Text: "また参加したい。\n「現場」の話が良かった, です"},
		}
		if diff := cmp.Diff(want, cur.SurveyAnswers); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		// Opened again, the page shows the answers given, to correct them.
		again := e.do(t, get(t, page, ""))
		wantStatus(t, again, 200)
		wantBody(t, again, "回答済みです", `value="満足" checked>`, `value="交流" checked>`, "「現場」の話が良かった, です</textarea>")
	})
	t.Run("ErrForged", func(t *testing.T) {
		last := "A"
		if strings.HasSuffix(token, last) {
			last = "B"
		}
		resp := e.do(t, get(t, "/survey?token="+url.QueryEscape(token[:len(token)-1]+last), ""))
		wantStatus(t, resp, 404)
		wantBody(t, resp, "アンケートのリンクが正しくありません")
	})
	t.Run("ErrClosed", func(t *testing.T) {
		e.clock.Set(community.SurveyClosesAt(ev).Add(time.Second))
		resp := e.do(t, post(t, "/survey", url.Values{"token": {token}, "q.rating": {"不満"}}, ""))
		wantStatus(t, resp, 422)
		wantBody(t, resp, "回答受付は終了しました")
		if cur, _ := e.store.Registration(ctx, ev.ID, r.ID); cur.SurveyAnswers[0].Choices[0] != "満足" {
			t.Errorf("a closed survey's answers changed: %+v", cur.SurveyAnswers)
		}
	})
}

// TestBrowserSurvey answers a survey in headless Chromium, at a phone's
// width and then a desktop's; screenshots go to $TABANE_WEB_SCREENSHOTS.
func TestBrowserSurvey(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	ev, r, page := e.surveyed(t)
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read

	do("open the survey on a phone",
		chromedp.Navigate(base+page),
		chromedp.WaitVisible(css(`form[action="/survey"] button[type="submit"]`)),
		shot("survey-phone"),
	)
	do("send it without the required answer",
		chromedp.Click(css(`label[for="q-useful-1"]`)),
		chromedp.Click(css(`form[action="/survey"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".alert")),
		shot("survey-refused-phone"),
	)
	if got := read(chromedp.Text(css(`#error-answers\.rating`))); !strings.Contains(got, "必須") {
		t.Errorf("the missing answer is not shown beside its question: %q", got)
	}
	do("answer on a desktop",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(css(`label[for="q-rating-2"]`)),
		chromedp.SendKeys(css("#q-next"), "橋梁の長寿命化"),
		chromedp.SendKeys(css("#q-comment"), "グループ演習で\n他の自治体の方と話せたのが良かったです。"),
		shot("survey-desktop"),
		chromedp.Click(css(`form[action="/survey"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("survey-answered-desktop"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "ご回答ありがとうございました" {
		t.Fatalf("after answering the page says %q", got)
	}
	cur, err := e.store.Registration(context.Background(), ev.ID, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []community.Answer{
		{QuestionID: "rating", Choices: []string{"ふつう"}},
		{QuestionID: "useful", Choices: []string{"講義"}},
		{QuestionID: "next", Text: "橋梁の長寿命化"},
		{QuestionID: "comment", Text: "グループ演習で\n他の自治体の方と話せたのが良かったです。"},
	}
	if diff := cmp.Diff(want, cur.SurveyAnswers); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}
