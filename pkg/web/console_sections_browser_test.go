package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// An organizer, in Chromium at phone and desktop size, opens the list of
// events, adds a frame row (nothing saved), fills two frames (one by
// lottery), two questions and a survey, meets a refused capacity by its
// field, corrects it, saves with Enter and previews; the stored event has
// it all.
func TestBrowserConsoleEventSections(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			ctx := browser(t)
			e, base := serveWithSES(t)
			e.h.eventAdmin = &community.EventAdmin{Store: e.store, Clock: e.clock}
			e.h.board = &community.EventBoard{Store: e.store, Clock: e.clock}
			email := newOrganizer(t, e, "sections")
			draftEvent(t, e, "既存の下書き", 20)

			shot := screenshotter()
			snap := func(page string) chromedp.Action[chromedp.Void] { return shot("console-" + page + "-" + size.name) }
			st := newSteps(ctx, t)
			do, read := st.do, st.read
			do("sign in to the list of events",
				chromedp.EmulateViewport(size.w, size.h),
				chromedp.Navigate(base+"/admin/events"),
				chromedp.WaitVisible(css("#email")),
				chromedp.SendKeys(css("#email"), email),
				chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.WaitVisible(css(".notice")),
			)
			do("follow the mailed link",
				chromedp.Navigate(linkIn(t, localtest.WaitMail(t, email, 3), "/signin")),
				chromedp.WaitVisible(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.Click(css(`form[action="/signin"] button[type="submit"]`)),
				chromedp.WaitVisible(css("#new-event")),
				snap("event-list"),
			)
			if body := read(chromedp.Text(css("main"))); !strings.Contains(body, "既存の下書き") {
				t.Error("the list of events does not show the draft")
			}
			do("add a frame row, which saves nothing",
				chromedp.Click(css("#new-event")),
				chromedp.WaitVisible(css("#ev-title")),
				chromedp.SendKeys(css("#ev-title"), "橋梁点検の実地研修"),
				chromedp.Click(css("#add-frame")),
				chromedp.WaitVisible(css(`[data-frame-row="2"]`)),
			)
			if got := read(chromedp.Value(css("#ev-title"))); got != "橋梁点検の実地研修" {
				t.Errorf("the title typed before 参加枠を追加 = %q", got)
			}
			if n := len(storedEvents(t, e)); n != 1 {
				t.Errorf("%d events stored after 参加枠を追加, want the one draft", n)
			}
			do("fill the form: two frames, one by lottery, two questions, a survey",
				chromedp.SetValue(css("#ev-starts-date"), "2025-05-20"),
				chromedp.SetValue(css("#ev-starts-time"), "19:00"),
				chromedp.SetValue(css("#ev-ends-date"), "2025-05-20"),
				chromedp.SetValue(css("#ev-ends-time"), "20:30"),
				chromedp.SetValue(css("#ev-closes-date"), "2025-05-18"),
				chromedp.SetValue(css("#ev-closes-time"), "23:59"),
				chromedp.SendKeys(css("#fr-0-name"), "会場参加"),
				chromedp.SendKeys(css("#fr-0-capacity"), "20"),
				chromedp.SendKeys(css("#fr-0-venue-name"), "伊勢崎市役所 大会議室"),
				chromedp.SendKeys(css("#fr-1-name"), "オンライン参加"),
				chromedp.SendKeys(css("#fr-1-capacity"), "-5"),
				chromedp.SetValue(css("#fr-1-mode"), "lottery"),
				chromedp.SendKeys(css("#fr-1-online-platform"), "Zoom"),
				chromedp.SetValue(css("#ev-lottery-draw-date"), "2025-05-19"),
				chromedp.SetValue(css("#ev-lottery-draw-time"), "12:00"),
				chromedp.SendKeys(css("#ev-lottery-reserves"), "2"),
				chromedp.SendKeys(css("#qs-0-label"), "所属部署"),
				chromedp.Click(css("#qs-0-required")),
				chromedp.Click(css("#add-qs")),
				chromedp.WaitVisible(css("#qs-1-label")),
				chromedp.SendKeys(css("#qs-1-label"), "点検の経験"),
				chromedp.SetValue(css("#qs-1-kind"), "single_choice"),
				chromedp.SendKeys(css("#qs-1-options"), "ある\nない"),
				chromedp.SendKeys(css("#svq-0-label"), "満足度を教えてください"),
				chromedp.SendKeys(css("#sv-send-after"), "120"),
				chromedp.Click(css("#save")),
				chromedp.WaitVisible(css(`[id="error-frames[1].capacity"]`)),
				chromedp.ScrollIntoView(css(`[id="error-frames[1].capacity"]`)),
				snap("event-form-refused-frame"),
			)
			if got := read(chromedp.Text(css(`[id="error-frames[1].capacity"]`))); !strings.Contains(got, "定員は0（無制限）以上") {
				t.Errorf("the refused capacity says %q", got)
			}
			// Enter in a field saves, as in any form: the form's first
			// submit button is a save, not 参加枠を追加.
			do("correct it, save with Enter and preview",
				chromedp.SetValue(css("#fr-1-capacity"), "50"),
				chromedp.SendKeys(css("#fr-1-capacity"), kb.Enter),
				chromedp.WaitVisible(css("#publish")),
				chromedp.Click(css(`a[href$="/preview"]`)),
				chromedp.WaitVisible(css(".preview-sections")),
				chromedp.ScrollIntoView(css(".preview-sections")),
				snap("preview-sections"),
			)
			if body := read(chromedp.Text(css(".preview-sections"))); !strings.Contains(body, "点検の経験") || !strings.Contains(body, "終了の2時間後") {
				t.Errorf("the preview's settings: %q", body)
			}
			var ev *community.Event
			for _, x := range storedEvents(t, e) {
				if x.Title == "橋梁点検の実地研修" {
					ev = x
				}
			}
			if ev == nil || len(ev.Frames) != 2 || ev.Frames[1].Mode != community.ModeLottery || ev.Frames[1].Capacity != 50 ||
				ev.Lottery == nil || ev.Lottery.Reserves != 2 || len(ev.Questions) != 2 || len(ev.Questions[1].Options) != 2 ||
				ev.Survey == nil || len(ev.Survey.Form) != 1 {
				t.Errorf("stored event = %+v", ev)
			}
		})
	}
}
