package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/community"
)

// TestBrowserConsoleMembers signs an organizer in from a console page in
// Chromium (and back to it), then shows each of this console's pages and
// the policy pages, at a phone's size and a desktop's, for screenshots.
func TestBrowserConsoleMembers(t *testing.T) {
	ctx := browser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	c := newMembersConsole(t, newEnvWith(t, envOptions{BaseURL: base}))
	srv := &http.Server{Handler: gateway(t, c.h), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // returns ErrServerClosed at cleanup
	t.Cleanup(func() { _ = srv.Close() })

	a := c.applicant(t, "高崎 一郎")
	if _, err := c.members.RequestEligibilityChange(context.Background(), community.Viewer{Member: c.plain}, true, "1990-04-01", "4月に市役所に採用されました。"); err != nil {
		t.Fatal(err)
	}
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read

	do("ask for the console signed out",
		chromedp.Navigate(base+"/admin/members"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), c.org.Email),
		chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
	)
	link := c.mail.last(t, "signin", c.org.Email)
	do("sign in by link",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css(`form[action="/signin"] button[type="submit"]`)),
		chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(css("#pending-heading")),
	)
	if got := read(chromedp.Location()); got != base+"/admin/members" {
		t.Errorf("signed in at %q, want back at %s/admin/members", got, base)
	}
	both := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			return chromedp.Void{}, chromedp.Do(ctx,
				chromedp.EmulateViewport(390, 844), shot(name+"-phone"),
				chromedp.EmulateViewport(1280, 900), shot(name+"-desktop"),
				chromedp.EmulateViewport(390, 844))
		}
	}
	do("the members page", both("console-members"))
	if body := read(chromedp.Text(css("main"))); !strings.Contains(body, "高崎 一郎") || !strings.Contains(body, "4月に市役所に採用されました。") {
		t.Errorf("members page lacks the application or the request:\n%s", body)
	}
	do("search",
		chromedp.SendKeys(css("#q"), "伊勢崎"),
		chromedp.Click(css(`form[action="/admin/members"] button[type="submit"]`)),
		chromedp.WaitVisible(css("#results-heading")),
		both("console-members-search"),
	)
	do("an applicant",
		chromedp.Navigate(base+"/admin/members/"+a.ID),
		chromedp.WaitVisible(css("#reject-reason")),
		both("console-member-pending"),
	)
	do("a member with an eligibility request",
		chromedp.Navigate(base+"/admin/members/"+c.plain.ID),
		chromedp.WaitVisible(css("#request-heading")),
		both("console-member-request"),
		chromedp.Click(css(`input[value="eligibility"] ~ p button`)),
		chromedp.WaitVisible(css(".notice")),
	)
	if got := read(chromedp.Text(css(".notice"))); !strings.Contains(got, "参加資格の変更を承認しました") {
		t.Errorf("after approving the request the page says %q", got)
	}
	do("approve the applicant",
		chromedp.Navigate(base+"/admin/members/"+a.ID),
		chromedp.WaitVisible(css(`input[value="approve"] ~ p button`)),
		chromedp.Click(css(`input[value="approve"] ~ p button`)),
		chromedp.WaitVisible(css(".notice")),
		both("console-member-approved"),
	)
	do("the audit log",
		chromedp.Navigate(base+"/admin/audit?member="+url.QueryEscape(a.ID)),
		chromedp.WaitVisible(css("#entries-heading")),
		both("console-audit"),
	)
	if body := read(chromedp.Text(css("main"))); !strings.Contains(body, "入会承認") {
		t.Errorf("the applicant's audit log lacks the approval:\n%s", body)
	}
	do("terms", chromedp.Navigate(base+"/terms"), chromedp.WaitVisible(css("h1")), both("terms"))
	do("privacy", chromedp.Navigate(base+"/privacy"), chromedp.WaitVisible(css("h1")), both("privacy"))
}
