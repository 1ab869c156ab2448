package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/demo"
	"github.com/sorae/tabane/pkg/httpapi"
)

// The pages of issue 12 as someone trying `make run` meets them, on the
// demo data the dev server stores: the regular member's my page with a
// calendar URL issued and certificates of the events attended, a
// certificate's verification page (genuine, and with an altered id),
// 開催履歴 and its older page, and an event page with its share card.
// Each is photographed at a phone's size and a desktop's
// (demo-<page>-phone.png, demo-<page>-desktop.png), and each is checked
// for what a screenshot shows at a glance: nothing wider than the screen,
// buttons and fields a finger can hit (44 px), dates in 令和.
func TestBrowserDemoPages(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	bg := context.Background()
	now := e.clock.Now()
	if _, err := demo.Seed(bg, e.store, []string{testOrganizerEmail}, now); err != nil {
		t.Fatal(err)
	}
	regular := demo.ID("member/regular")
	token, _, err := e.sessions.Issue(bg, regular)
	if err != nil {
		t.Fatal(err)
	}
	shot := screenshotter()
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	// both photographs the page at both sizes and checks it at each.
	both := func(t *testing.T, name string) {
		t.Helper()
		for _, size := range []struct {
			name string
			w, h int64
		}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
			do("photograph "+name+" ("+size.name+")", chromedp.EmulateViewport(size.w, size.h), shot("demo-"+name+"-"+size.name))
			checkLayout(t, ctx, name+" ("+size.name+")")
		}
		do("back to a phone", chromedp.EmulateViewport(390, 844))
	}

	cookie := httpapi.SessionCookieName(false)
	do("open the site on a phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"))
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie, Value: token, URL: base + "/"}); err != nil {
		t.Fatalf("sign in as the demo's regular member: %v", err)
	}

	t.Run("MyPage", func(t *testing.T) {
		do("issue the calendar URL",
			chromedp.Navigate(base+"/me"),
			chromedp.Click(css(`#calendar button[type="submit"]`)),
			chromedp.WaitVisible(css("#calendar-url")),
		)
		if url := read(chromedp.Value(css("#calendar-url"))); !strings.HasPrefix(url, base+"/api/me/calendar.ics?token=") {
			t.Errorf("calendar URL = %q", url)
		}
		past := read(chromedp.Text(css("ul.registrations.past")))
		if n := strings.Count(past, "参加証明書"); n < 5 {
			t.Errorf("my page offers %d certificates, want one per demo event attended:\n%s", n, past)
		}
		if !strings.Contains(past, "令和") {
			t.Errorf("past registrations are not dated in 令和:\n%s", past)
		}
		both(t, "me")
	})

	// The member's latest certificate: the regular meeting of last month.
	var held *demo.Held
	for _, h := range demo.History(now) {
		if len(h.Attendees) > 0 && h.Attendees[0].Guest == nil && h.Attendees[0].CheckedIn {
			held = &h
			break
		}
	}
	links := auth.Links{BaseURL: base, Keys: e.cfg.Keys}
	link := links.CertificateLink(held.Event.ID, held.Attendees[0].ID)
	t.Run("CertificatePDF", func(t *testing.T) {
		// Fetched as the download link does; kept beside the screenshots
		// (demo-certificate.pdf) for people checking how it prints.
		req, err := http.NewRequest("GET", base+"/me/certificates/"+held.Event.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: cookie, Value: token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		pdf, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("GET the certificate = %d, %.20q (%v)", resp.StatusCode, pdf, err)
		}
		if dir := os.Getenv("TABANE_WEB_SCREENSHOTS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, "demo-certificate.pdf"), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("CertificateGenuine", func(t *testing.T) {
		do("open the printed URL", chromedp.Navigate(link), chromedp.WaitVisible(css("h1")))
		body := read(chromedp.Text(css("main")))
		for _, want := range []string{"真正なもの", "デモ 正会員", held.Event.Title, "令和", community.CertificateNumber(held.Attendees[0].ID)} {
			if !strings.Contains(body, want) {
				t.Errorf("the verification page lacks %q:\n%s", want, body)
			}
		}
		both(t, "certificate")
	})
	t.Run("CertificateAltered", func(t *testing.T) {
		altered := link[:len(link)-3] + "xyz"
		do("open an altered URL", chromedp.Navigate(altered), chromedp.WaitVisible(css("h1")))
		body := read(chromedp.Text(css("main")))
		if strings.Contains(body, "真正なもの") || strings.Contains(body, "デモ 正会員") {
			t.Errorf("an altered id verifies:\n%s", body)
		}
		both(t, "certificate-altered")
	})

	t.Run("Past", func(t *testing.T) {
		do("open 開催履歴", chromedp.Navigate(base+"/past"), chromedp.WaitVisible(css("li.event.past")))
		if when := read(chromedp.Text(css("li.event.past .when"))); !strings.HasPrefix(when, "令和") {
			t.Errorf("the history's first date reads %q", when)
		}
		both(t, "past")
		do("go further back", chromedp.Click(css(`a[rel="next"]`)), chromedp.WaitVisible(css(`.pager a[href="/past"]`)))
		both(t, "past-older")
	})

	t.Run("EventShareCard", func(t *testing.T) {
		lecture := demo.ID("event/public-lecture")
		if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: cookie, URL: base + "/"}); err != nil {
			t.Fatal(err)
		}
		do("open the public lecture signed out",
			chromedp.Navigate(base+"/events/"+lecture),
			chromedp.WaitVisible(css("h1")),
		)
		card, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(
			[...document.head.querySelectorAll("meta[property^='og:'], meta[name^='twitter:']")]
				.map(m => [m.getAttribute("property") || m.getAttribute("name"), m.content]))`))
		if err != nil {
			t.Fatal(err)
		}
		if card["og:title"] != "私塾：インフラ長寿命化計画のつくり方" || !strings.HasSuffix(card["og:url"], "/events/"+lecture) ||
			!strings.Contains(card["og:description"], "令和") || card["twitter:card"] == "" {
			t.Errorf("share card = %v", card)
		}
		for k, v := range card {
			if strings.Contains(v, "zoom.example.jp") {
				t.Errorf("%s carries the join URL: %q", k, v)
			}
		}
		both(t, "event")
	})
}

// checkLayout fails when the page is wider than the screen (a long URL or
// table pushing it sideways), when a button, field, menu link or
// button-styled link is under 44 px high, or when a date is written in the
// Western calendar.
func checkLayout(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	type problem struct{ What, Text string }
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]problem](`(() => {
		const out = [];
		const vw = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth > vw)
			out.push({What: "page wider than the screen", Text: document.documentElement.scrollWidth + " > " + vw});
		for (const el of document.querySelectorAll("main *")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.right > vw + 1 && getComputedStyle(el).position !== "fixed")
				out.push({What: "sticks out right by " + Math.round(r.right - vw) + "px", Text: el.tagName + " " + (el.className || "") + " " + (el.textContent || el.value || "").slice(0, 40)});
		}
		for (const el of document.querySelectorAll("button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, a.button, .pager a, .kinds a, .site-nav a, .console-nav a")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && r.height < 44)
				out.push({What: "touch target " + Math.round(r.height) + "px high", Text: el.tagName + " " + (el.textContent || el.value || "").trim().slice(0, 40)});
		}
		const m = document.body.innerText.match(/20[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日|20[0-9]{2}\/[0-9]{1,2}\/[0-9]{1,2}/);
		if (m) out.push({What: "a date not in 令和", Text: m[0]});
		return out;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		t.Errorf("%s: %s: %s", page, p.What, p.Text)
	}
}
