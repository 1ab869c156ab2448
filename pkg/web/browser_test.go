package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

const chromiumPath = "/usr/bin/chromium"

// gateway serves h over HTTP the way the dev server does: each request
// becomes the API Gateway v2 JSON event, goes through lambda.NewHandler's
// Invoke (the JSON path lambda.Start uses) and comes back as the gateway
// would answer. The routes are the handler's own, so this test does not
// depend on template.yaml (TestTemplateDeclaresEveryRoute checks that).
func gateway(t *testing.T, h *Handler) http.Handler {
	t.Helper()
	var routes []samtemplate.Route
	for _, key := range Routes() {
		method, path, _ := strings.Cut(key, " ")
		routes = append(routes, samtemplate.Route{Function: "WebFunction", Event: key, Method: method, Path: path})
	}
	router, err := devserver.NewRouter(routes)
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := router.Match(r.Method, r.URL.EscapedPath())
		if !ok {
			// API Gateway's own answer for a route nobody declared.
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, devserver.MaxRequestBody))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		payload, err := json.Marshal(devserver.BuildRequest(r, body, m, devserver.RequestID(), time.Now()))
		if err != nil {
			t.Errorf("encode event: %v", err)
			http.Error(w, "internal", http.StatusInternalServerError)
			return
		}
		out, err := lambda.NewHandler(h.Handle).Invoke(r.Context(), payload)
		if err != nil {
			t.Errorf("invoke: %v", err)
			http.Error(w, "internal", http.StatusInternalServerError)
			return
		}
		if err := devserver.WriteResponse(w, out); err != nil {
			t.Errorf("write response: %v", err)
		}
	})
}

// browser starts headless Chromium with a fresh profile. Without Chromium
// the test is skipped on a developer's machine and fails in CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing: install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s not found: install Debian's chromium package to run the browser test", chromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no-first-run, disable-background-networking, disable-sync, …
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(390, 844), // a phone: the pages must work there
	)
	// The deadline bounds the whole browser: when it passes, Chromium is killed.
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 90*time.Second)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser() // closes Chromium and waits for it to exit
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

var mailLink = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_%\-.~:]+`)

// linkIn returns the first link to page in the mails' text parts.
func linkIn(t *testing.T, mails []localtest.Mail, page string) string {
	t.Helper()
	for _, m := range mails {
		for _, l := range mailLink.FindAllString(m.Body.Text, -1) {
			if strings.Contains(l, page+"?token=") {
				return l
			}
		}
	}
	t.Fatalf("no %s link in %d mails", page, len(mails))
	return ""
}

// serveWithSES serves a web handler on a loopback port, its mails sent for
// real to the SES stand-in, and returns the env and the server's base URL.
func serveWithSES(t *testing.T) (*env, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := newEnvWith(t, envOptions{
		BaseURL: base,
		Notifier: func(cfg config.Config, clock community.Clock) community.Notifier {
			c, err := mail.NewComposer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			s := mail.NewSender(localtest.SES(), clock)
			s.CallTimeout = 5 * time.Second
			return &mail.Notifier{Composer: c, Sender: s}
		},
	})
	srv := &http.Server{Handler: gateway(t, e.h), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at cleanup
	t.Cleanup(func() { _ = srv.Close() })
	return e, base
}

// steps are the helpers a browser test uses to act and read.
type steps struct {
	do   func(step string, actions ...chromedp.Action[chromedp.Void])
	read func(a chromedp.Action[string]) string
}

func newSteps(ctx context.Context, t *testing.T) steps {
	return steps{
		do: func(step string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		},
		read: func(a chromedp.Action[string]) string {
			t.Helper()
			v, err := chromedp.Run(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			return v
		},
	}
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func TestBrowserSignupToMyPage(t *testing.T) {
	ctx := browser(t)
	_, base := serveWithSES(t)

	email := localtest.UniqueEmail("browser")
	const name = "伊勢崎 花子"
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read

	// A bad address first: the form comes back with the message beside the
	// email field and everything else as typed.
	do("fill the signup form",
		chromedp.Navigate(base+"/signup"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "hanako.example.jp"),
		chromedp.SendKeys(css("#name"), name),
		chromedp.SendKeys(css("#name_kana"), "いせさき はなこ"),
		chromedp.Click(css(`input[name="membership"][value="supporting"]`)),
		chromedp.SendKeys(css("#affiliation"), "伊勢崎市"),
		chromedp.SendKeys(css("#department"), "建設部 道路維持課"),
		chromedp.SendKeys(css("#job_category"), "土木職"),
		chromedp.Click(css(`input[name="public_servant"][value="yes"]`)),
		chromedp.Click(css(`input[name="terms"]`)),
		shot("signup-filled"),
		chromedp.Click(css(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(css("#error-email")),
		shot("signup-error"),
	)
	if got := read(chromedp.Text(css("#error-email"))); got != "メールアドレスの形式が正しくありません。" {
		t.Errorf("email error = %q", got)
	}
	nextToEmail, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const i = document.querySelector('#email');
		return i.nextElementSibling !== null && i.nextElementSibling.id === 'error-email' &&
			i.getAttribute('aria-describedby') === 'error-email' && i.getAttribute('aria-invalid') === 'true';
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !nextToEmail {
		t.Error("the email error is not right after the email field")
	}
	if got := read(chromedp.Value(css("#name"))); got != name {
		t.Errorf("name after the error = %q, want %q kept", got, name)
	}
	if got := read(chromedp.Value(css("#email"))); got != "hanako.example.jp" {
		t.Errorf("email after the error = %q, want what was typed", got)
	}

	// Corrected, the signup goes through.
	do("sign up",
		chromedp.Clear(css("#email")),
		chromedp.SendKeys(css("#email"), email),
		chromedp.Click(css(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("signup-sent"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "確認メールを送信しました" {
		t.Fatalf("after signup the page says %q", got)
	}

	// The verification mail, as the SES stand-in received it.
	verify := linkIn(t, localtest.WaitMail(t, email, 1), "/verify")
	if !strings.HasPrefix(verify, base+"/verify?token=") {
		t.Fatalf("verification link %q does not point at this server", verify)
	}
	// Opening the link only asks; the button confirms, so a mail scanner
	// fetching the link verifies nobody.
	do("open the verification link",
		chromedp.Navigate(verify),
		chromedp.WaitVisible(css(`form[action="/verify"] button[type="submit"]`)),
		shot("verify-confirm"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "メールアドレスの確認" {
		t.Errorf("the verification link opens a page saying %q", got)
	}
	if mails := localtest.MailTo(t, email); len(mails) != 1 {
		t.Errorf("opening the verification link sent mail: %d mails, want only the verification", len(mails))
	}
	do("verify",
		chromedp.Click(css(`form[action="/verify"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("verified"),
	)
	if got := read(chromedp.Text(css(".notice"))); !strings.Contains(got, "ご登録が完了しました") {
		t.Errorf("verification page says %q", got)
	}
	do("ask for a sign-in link",
		chromedp.Click(css(`a.button[href="/signin"]`)),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), email),
		chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
	)
	if got := read(chromedp.Text(css("h1"))); got != "ログイン用のメールを送信しました" {
		t.Errorf("after asking for a link the page says %q", got)
	}

	// Verification, welcome, then the sign-in link.
	signin := linkIn(t, localtest.WaitMail(t, email, 3), "/signin")
	do("sign in by link",
		chromedp.Navigate(signin),
		chromedp.WaitVisible(css(`form[action="/signin"] button[type="submit"]`)),
		shot("signin-confirm"),
		chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(css("#preferences-heading")),
		shot("me"),
	)
	if got := read(chromedp.Location()); got != base+"/me" {
		t.Errorf("signed in at %q, want %s/me", got, base)
	}
	body := read(chromedp.Text(css("main")))
	for _, want := range []string{name + " さん", "賛助会員", email, "建設部 道路維持課", "申込済みのイベントはありません"} {
		if !strings.Contains(body, want) {
			t.Errorf("my page lacks %q", want)
		}
	}
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.cookie.includes('tabane_session')`))
	if err != nil {
		t.Fatal(err)
	}
	if visible {
		t.Error("the session cookie is readable from JavaScript")
	}
}

func TestBrowserGuestRegistersAndCancels(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	lecture := e.createEvent(t, "私塾 道路メンテナンスの現場から", jst(5, 14, 19, 0), func(ev *community.Event) {
		ev.Capacity = 30
		ev.OnlinePlatform, ev.JoinURL = "Zoom", joinURL
		ev.Speakers = []string{"山田 太郎"}
	})
	email := localtest.UniqueEmail("guest-browser")
	const name = "前橋 次郎"
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read

	do("open the lecture",
		chromedp.Navigate(base+"/events/"+lecture.ID),
		chromedp.WaitVisible(css("#guest-name")),
		shot("event-guest-form"),
	)
	if got := read(chromedp.Text(css(".seats"))); !strings.Contains(got, "残り30席") {
		t.Errorf("seats line = %q", got)
	}
	if body := read(chromedp.Text(css("main"))); strings.Contains(body, "zoom.example.com") {
		t.Error("the join URL is on the page for an anonymous visitor")
	}
	do("register as a guest",
		chromedp.SendKeys(css("#guest-name"), name),
		chromedp.SendKeys(css("#guest-email"), email),
		chromedp.Click(css(`form[action="/events/`+lecture.ID+`/register"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("guest-confirmation-sent"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "確認メールをお送りしました" {
		t.Fatalf("after the guest form the page says %q", got)
	}
	if got := read(chromedp.Text(css("main"))); !strings.Contains(got, email) || !strings.Contains(got, "まだ完了していません") {
		t.Errorf("the page does not say a link was mailed to %s: %q", email, got)
	}
	if ev, err := e.store.Event(context.Background(), lecture.ID); err != nil || ev.ConfirmedCount != 0 {
		t.Errorf("a seat is held before the guest confirmed: %+v, %v", ev, err)
	}

	// The request's mail, as the SES stand-in received it: fixed text, the
	// event, the link; not the name typed, not the join URL.
	mails := localtest.WaitMail(t, email, 1)
	if text := mails[0].Body.Text + mails[0].Body.HTML; !strings.Contains(text, "私塾 道路メンテナンスの現場から") ||
		strings.Contains(text, name) || strings.Contains(text, "zoom.example.com") {
		t.Errorf("the confirmation request names the wrong things:\n%s", mails[0].Body.Text)
	}
	confirm := linkIn(t, mails, "/registrations/confirm")
	if !strings.HasPrefix(confirm, base+"/registrations/confirm?token=") {
		t.Fatalf("confirmation link %q does not point at this server", confirm)
	}
	do("open the confirmation link",
		chromedp.Navigate(confirm),
		chromedp.WaitVisible(css(`form[action="/registrations/confirm"] button[type="submit"]`)),
		shot("guest-confirm"),
	)
	if ev, err := e.store.Event(context.Background(), lecture.ID); err != nil || ev.ConfirmedCount != 0 {
		t.Errorf("opening the link took a seat (a mail scanner would): %+v, %v", ev, err)
	}
	do("confirm",
		chromedp.Click(css(`form[action="/registrations/confirm"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("registered"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "参加登録が完了しました" {
		t.Fatalf("after confirming the page says %q", got)
	}
	if got := read(chromedp.Text(css("main"))); !strings.Contains(got, email) || !strings.Contains(got, "確認メールをお送りしました") {
		t.Errorf("the confirmation page does not mention the mail to %s: %q", email, got)
	}

	// The confirmation mail, as the SES stand-in received it, with its cancel link.
	mails = localtest.WaitMail(t, email, 2)[1:]
	if !strings.Contains(mails[0].Body.Text, "私塾 道路メンテナンスの現場から") || !strings.Contains(mails[0].Body.Text, "zoom.example.com") {
		t.Errorf("the confirmation mail does not name the event or carry the join URL:\n%s", mails[0].Body.Text)
	}
	cancel := linkIn(t, mails, "/cancel")
	if !strings.HasPrefix(cancel, base+"/cancel?token=") {
		t.Fatalf("cancel link %q does not point at this server", cancel)
	}
	do("open the cancel link",
		chromedp.Navigate(cancel),
		chromedp.WaitVisible(css(`form[action="/cancel"] button[type="submit"]`)),
		shot("cancel-confirm"),
	)
	if r := e.byLink(t, cancel); r.Status != community.RegistrationConfirmed {
		t.Fatalf("opening the cancel link already made the registration %s", r.Status)
	}
	if got := read(chromedp.Text(css("main"))); !strings.Contains(got, name) || !strings.Contains(got, "参加確定") {
		t.Errorf("the cancel page does not show the registration: %q", got)
	}
	do("cancel",
		chromedp.Click(css(`form[action="/cancel"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		shot("cancelled"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "申込を取り消しました" {
		t.Fatalf("after cancelling the page says %q", got)
	}
	if got := read(chromedp.Text(css(".notice"))); !strings.Contains(got, "取り消しました") {
		t.Errorf("notice = %q", got)
	}
	if r := e.byLink(t, cancel); r.Status != community.RegistrationCancelled {
		t.Errorf("registration is %s, want cancelled", r.Status)
	}
	// The seat is free again.
	do("back to the lecture", chromedp.Navigate(base+"/events/"+lecture.ID), chromedp.WaitVisible(css(".seats")))
	if got := read(chromedp.Text(css(".seats"))); !strings.Contains(got, "残り30席") {
		t.Errorf("after cancelling the seats line = %q", got)
	}
}

// screenshotter saves full-page screenshots into $TABANE_WEB_SCREENSHOTS
// when set, for people checking the look; otherwise it does nothing.
func screenshotter() func(name string) chromedp.Action[chromedp.Void] {
	dir := os.Getenv("TABANE_WEB_SCREENSHOTS")
	return func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			if dir == "" {
				return chromedp.Void{}, nil
			}
			buf, err := chromedp.FullScreenshot(100)(ctx, t) // 100 means PNG
			if err != nil {
				return chromedp.Void{}, err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
		}
	}
}
