package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPastEvents walks the history as a visitor on a phone: from
// the upcoming list's menu to 開催履歴, its 20 latest held events, then
// 「さらに前」 to the 5 older ones and back to the latest page.
func TestBrowserPastEvents(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	seedPast(t, e, 25)
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	count := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("li.event.past").length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	do("open the menu's 開催履歴",
		chromedp.Navigate(base+"/"),
		chromedp.Click(css(`.site-nav a[href="/past"]`)),
		chromedp.WaitVisible(css("li.event.past")),
		shot("past-latest"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "開催履歴" {
		t.Fatalf("h1 = %q", got)
	}
	if n := count(); n != 20 {
		t.Errorf("the latest page lists %d events, want 20", n)
	}
	if first := read(chromedp.Text(css("li.event.past h3"))); first != "開催済み 025" {
		t.Errorf("the first event is %q, want the latest", first)
	}
	if when := read(chromedp.Text(css("li.event.past .when"))); !strings.HasPrefix(when, "令和7年4月") {
		t.Errorf("the date reads %q", when)
	}
	do("go back further",
		chromedp.Click(css(`a[rel="next"]`)),
		chromedp.WaitVisible(css(`.pager a[href="/past"]`)),
		shot("past-older"),
	)
	if n := count(); n != 5 {
		t.Errorf("the older page lists %d events, want 5", n)
	}
	if got := read(chromedp.Text(css("main"))); strings.Contains(got, "さらに前の開催履歴を見る") || !strings.Contains(got, "開催済み 001") {
		t.Errorf("the last page: %q", got)
	}
	do("back to the latest",
		chromedp.Click(css(`.pager a[href="/past"]`)),
		chromedp.WaitVisible(css(`a[rel="next"]`)),
	)
}
