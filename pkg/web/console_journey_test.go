package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/qr"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// The door on the day, on a phone: a member registers for a venue event
// through the page; the organizer opens the check-in link the confirmation
// mail carries as a QR code, presses 受付, and a second scan says when;
// the attendee page shows the arrival, its CSV opens in Excel, and a
// message from the page reaches the member's mailbox. Every page of the
// way is photographed (journey-<step>.png).
func TestBrowserConsoleDoorJourney(t *testing.T) {
	ctx := browser(t)
	e, base := serveWithSES(t)
	ev := e.createEvent(t, "橋梁点検の実地研修", jst(5, 20, 14, 0), func(ev *community.Event) {
		ev.Venue = &community.Venue{Name: "伊勢崎市役所 大会議室", Address: "群馬県伊勢崎市今泉町2-410"}
		ev.Capacity = 30
	})
	const memberName = "受付 花子"
	memberEmail := signedUp(t, e, "journey-member", memberName)
	orgEmail := signedUp(t, e, "journey-organizer", "運営 太郎")
	e.sessions.Organizers = func(s string) bool { return strings.EqualFold(s, orgEmail) }

	shot := screenshotter()
	snap := func(step string) chromedp.Action[chromedp.Void] { return shot("journey-" + step) }
	st := newSteps(ctx, t)
	do, read := st.do, st.read
	// signIn asks for a link on the page and follows it: the cookie it
	// sets replaces whoever was signed in before.
	signIn := func(who, email string, mails int) {
		t.Helper()
		do("ask for "+who+"'s sign-in link",
			chromedp.Navigate(base+"/signin"),
			chromedp.WaitVisible(css("#email")),
			chromedp.SendKeys(css("#email"), email),
			chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
			chromedp.WaitVisible(css(".notice")),
		)
		do("sign "+who+" in",
			chromedp.Navigate(linkIn(t, localtest.WaitMail(t, email, mails), "/signin")),
			chromedp.WaitVisible(css(`form[action="/signin"] button[type="submit"]`)),
			chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
			chromedp.WaitVisible(css("#preferences-heading")),
		)
	}

	do("phone viewport", chromedp.EmulateViewport(390, 844))
	// Verification and welcome came first.
	signIn("the member", memberEmail, 3)
	do("register",
		chromedp.Navigate(base+"/events/"+ev.ID),
		chromedp.WaitVisible(css(`form[action="/events/`+ev.ID+`/register"] button[type="submit"]`)),
		snap("event"),
		chromedp.Click(css(`form[action="/events/`+ev.ID+`/register"] button[type="submit"]`)),
		chromedp.WaitVisible(css(".notice")),
		snap("registered"),
	)
	if got := read(chromedp.Text(css("h1"))); got != "参加登録が完了しました" {
		t.Fatalf("after registering the page says %q", got)
	}
	regs, _, err := e.store.EventRegistrations(context.Background(), ev.ID, community.RegistrationConfirmed, 10, "")
	if err != nil || len(regs) != 1 {
		t.Fatalf("confirmed registrations = %v, %v", regs, err)
	}

	// The confirmation mail, as the SES stand-in received it. No QR
	// decoder is linked into the tests, so the link is signed the way the
	// mailer signs it and its code, drawn by the same package, must be the
	// very image in the mail: qr.PNG is deterministic for its text.
	confirmation := localtest.WaitMail(t, memberEmail, 4)[3]
	link := auth.Links{BaseURL: base, Keys: e.cfg.Keys}.CheckInLink(ev.ID, regs[0].ID, community.CheckInUntil(ev))
	want, err := qr.PNG(link)
	if err != nil {
		t.Fatal(err)
	}
	if !mailCarriesPNG(t, confirmation, want) {
		t.Fatalf("the confirmation mail %q does not carry the QR code of %s", confirmation.Subject, link)
	}
	if !strings.Contains(confirmation.Body.HTML, `alt="受付用QRコード"`) {
		t.Error("the confirmation mail's HTML does not show the QR code")
	}

	// The organizer on the phone at the door. Verification and welcome first.
	signIn("the organizer", orgEmail, 3)
	do("scan the code",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("button.checkin")),
		snap("checkin"),
	)
	if got := read(chromedp.Text(css(".person"))); got != memberName {
		t.Errorf("the check-in page names %q, want %q", got, memberName)
	}
	do("press 受付",
		chromedp.Click(css("button.checkin")),
		chromedp.WaitVisible(css("#checkin-result")),
		snap("checked-in"),
	)
	if got := read(chromedp.Text(css("#checkin-result"))); !strings.Contains(got, "受付しました") {
		t.Errorf("after 受付 the page says %q", got)
	}
	do("scan the code again",
		chromedp.Navigate(link),
		chromedp.WaitVisible(css("#checkin-result")),
		snap("checkin-again"),
	)
	if got := read(chromedp.Text(css("#checkin-result"))); !strings.Contains(got, "受付済みです") {
		t.Errorf("a second scan says %q", got)
	}
	if n := read(chromedp.Evaluate[string](`String(document.querySelectorAll('button.checkin').length)`)); n != "0" {
		t.Errorf("a second scan still offers %s 受付 buttons", n)
	}

	attendees := base + "/admin/events/" + ev.ID + "/attendees"
	do("open the attendee page",
		chromedp.Navigate(attendees),
		chromedp.WaitVisible(css("#confirmed-heading")),
		snap("attendees"),
	)
	if got := read(chromedp.Text(css("#r-" + regs[0].ID))); !strings.Contains(got, memberName) || !strings.Contains(got, "受付済み") {
		t.Errorf("the attendee page's entry is %q, want %s 受付済み", got, memberName)
	}

	// The CSV the page links to, fetched with the browser's own cookies:
	// the pages' Content-Security-Policy refuses a fetch from the page, and
	// a download in headless Chromium lands in a file nobody can wait for.
	href := read(chromedp.Evaluate[string](`document.querySelector('a[download]').getAttribute('href')`))
	if href != "/admin/events/"+ev.ID+"/attendees/csv" {
		t.Errorf("the CSV link is %q", href)
	}
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + href}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, base+href, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	csv := struct {
		Status            int
		Type, Disposition string
	}{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition")}
	if csv.Status != 200 || !strings.HasPrefix(csv.Type, "text/csv") || !strings.Contains(csv.Disposition, "attachment") {
		t.Errorf("CSV answer: %d %q %q", csv.Status, csv.Type, csv.Disposition)
	}
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		t.Errorf("the CSV has no BOM: % x", body[:min(len(body), 8)])
	}
	header, _, _ := strings.Cut(string(body), "\r\n")
	if !strings.Contains(header, "ステータス") || !strings.Contains(string(body), memberName) {
		t.Errorf("CSV header %q, or %s missing:\n%s", header, memberName, body)
	}

	do("send a message",
		chromedp.SendKeys(css("#message-subject"), "当日の集合場所について"),
		chromedp.SendKeys(css("#message-body"), "正面玄関ではなく東口にお集まりください。"),
		snap("message-compose"),
		chromedp.Click(css(`form[action$="/messages"] button[type="submit"]`)),
		chromedp.WaitVisible(css("#message-progress")),
		snap("message-sent"),
	)
	if got := read(chromedp.Text(css("#message-progress"))); !strings.Contains(got, "当日の集合場所について") || !strings.Contains(got, "宛先 1人") {
		t.Errorf("the message's progress says %q", got)
	}
	mails := localtest.WaitMail(t, memberEmail, 5)
	if m := mails[len(mails)-1]; !strings.Contains(m.Subject, "当日の集合場所について") || !strings.Contains(m.Body.Text, "東口にお集まりください") {
		t.Errorf("the member's last mail is %q:\n%s", m.Subject, m.Body.Text)
	}
	do("see the message delivered",
		chromedp.Reload(),
		chromedp.WaitVisible(css("#message-progress")),
		snap("message-delivered"),
	)
	if got := read(chromedp.Text(css("#message-progress"))); !strings.Contains(got, "送信済み 1") || !strings.Contains(got, "すべての送信が終わりました") {
		t.Errorf("after delivery the progress says %q", got)
	}
}

// signedUp signs someone up and verifies them through the domain, their
// mails going to the SES stand-in, and returns their address.
func signedUp(t *testing.T, e *env, prefix, name string) string {
	t.Helper()
	email := localtest.UniqueEmail(prefix)
	if err := e.members.Signup(context.Background(), community.SignupInput{Email: email, Name: name, NameKana: "てすと",
		Membership: community.MembershipSupporting, Affiliation: "伊勢崎市", Terms: true, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.members.Verify(context.Background(), tokenOf(t, linkIn(t, localtest.WaitMail(t, email, 1), "/verify"))); err != nil {
		t.Fatal(err)
	}
	return email
}

// mailCarriesPNG reports whether one of m's parts is exactly png.
func mailCarriesPNG(t *testing.T, m localtest.Mail, png []byte) bool {
	t.Helper()
	for _, a := range m.Attachments {
		b, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			t.Fatalf("attachment %q: %v", a.Filename, err)
		}
		if a.ContentType == "image/png" && bytes.Equal(b, png) {
			return true
		}
	}
	return false
}
