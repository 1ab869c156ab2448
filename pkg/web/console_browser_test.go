package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// An organizer signs in by mailed link from the console, creates an event
// (refused once, with the message by the field), previews it and
// publishes it, on a phone and on a desktop; every console page of the
// way is photographed (console-<page>-<size>.png).
func TestBrowserConsoleCreatePreviewPublish(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := browser(t)
			e, base := serveWithSES(t)
			e.h.eventAdmin = &community.EventAdmin{Store: e.store, Clock: e.clock}
			e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
			email := newOrganizer(t, e, "console")

			shot := screenshotter()
			snap := func(page string) chromedp.Action[chromedp.Void] { return shot("console-" + page + "-" + size.name) }
			st := newSteps(ctx, t)
			do, read := st.do, st.read
			do("open the console signed out",
				chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(base+"/admin"),
				chromedp.WaitVisible(css("#email")),
				chromedp.SendKeys(css("#email"), email),
				chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.WaitVisible(css(".notice")),
			)
			do("follow the sign-in link",
				chromedp.Navigate(linkIn(t, localtest.WaitMail(t, email, 3), "/signin")),
				chromedp.WaitVisible(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.WaitVisible(css("#upcoming-heading")),
				snap("dashboard-empty"),
			)
			if got := read(chromedp.Text(css("h1"))); got != "ダッシュボード" {
				t.Fatalf("after sign-in the page says %q", got)
			}
			do("refuse a form without a title",
				chromedp.Click(css(`a.button[href="/admin/events/new"]`)),
				chromedp.WaitVisible(css("#ev-title")),
				snap("new"),
				chromedp.SetValue(css("#ev-starts-date"), "2025-05-20"),
				chromedp.SetValue(css("#ev-starts-time"), "19:00"),
				chromedp.SetValue(css("#ev-ends-date"), "2025-05-20"),
				chromedp.SetValue(css("#ev-ends-time"), "20:30"),
				chromedp.Click(css(`#ev-audience-public`)),
				chromedp.Click(css("#save")),
				chromedp.WaitVisible(css("#error-title")),
				snap("new-error"),
			)
			if got := read(chromedp.Text(css("#error-title"))); got != "タイトルを入力してください。" {
				t.Errorf("title error = %q", got)
			}
			do("create a draft",
				chromedp.SendKeys(css("#ev-title"), "道路維持管理の勉強会"),
				chromedp.SendKeys(css("#ev-venue-name"), "伊勢崎市役所 会議室"),
				chromedp.SendKeys(css("#ev-capacity"), "30"),
				chromedp.SendKeys(css("#ev-description"), "舗装の点検と補修の事例を共有します。"),
				chromedp.Click(css("#save")),
				chromedp.WaitVisible(css("#publish")),
				snap("edit-draft"),
			)
			if got := read(chromedp.Text(css("#event-status"))); got != "下書き" {
				t.Errorf("status after create = %q", got)
			}
			do("preview",
				chromedp.Click(css(`a[href$="/preview"]`)),
				chromedp.WaitVisible(css(".preview")),
				snap("preview"),
			)
			if got := read(chromedp.Text(css("h1"))); got != "道路維持管理の勉強会" {
				t.Errorf("preview heading = %q", got)
			}
			do("publish",
				chromedp.Click(css(`.preview a`)),
				chromedp.WaitVisible(css("#publish")),
				chromedp.Click(css("#publish")),
				chromedp.WaitVisible(css(`a[href$="/cancel"]`)),
				snap("edit-published"),
			)
			if got := read(chromedp.Text(css("#event-status"))); got != "公開中" {
				t.Errorf("status after publish = %q", got)
			}
			do("see the cancel confirmation and the dashboard",
				chromedp.Click(css(`a[href$="/cancel"]`)),
				chromedp.WaitVisible(css("#cancel-impact")),
				snap("cancel"),
				chromedp.Navigate(base+"/admin"),
				chromedp.WaitVisible(css("table.board")),
				snap("dashboard"),
				chromedp.Navigate(base+"/"),
				chromedp.WaitVisible(css("h1")),
			)
			if body := read(chromedp.Text(css("main"))); !strings.Contains(body, "道路維持管理の勉強会") {
				t.Error("the published event is not on the public list")
			}
		})
	}
}

// newOrganizer signs up and verifies a member under a fresh address with
// prefix, as the signup form would, makes that address the environment's
// one organizer and returns it: the sign-in by mailed link is the test's.
func newOrganizer(t *testing.T, e *env, prefix string) string {
	t.Helper()
	email := localtest.UniqueEmail(prefix)
	if err := e.members.Signup(context.Background(), community.SignupInput{Email: email, Name: "運営 花子", NameKana: "うんえい はなこ",
		Membership: community.MembershipSupporting, Affiliation: "伊勢崎市", Terms: true, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.members.Verify(context.Background(), tokenOf(t, linkIn(t, localtest.WaitMail(t, email, 1), "/verify"))); err != nil {
		t.Fatal(err)
	}
	e.sessions.Organizers = func(s string) bool { return strings.EqualFold(s, email) }
	return email
}
