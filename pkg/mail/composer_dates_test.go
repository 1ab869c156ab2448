package mail

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// westernYear is a date written with a Western year, "2025年": the mails
// write the community's dates with the era, as its pages do.
var westernYear = regexp.MustCompile(`[0-9０-９]{4}年`)

// TestEventMailsWriteReiwa composes every mail the composer writes about an
// event, for a same-day lecture, a workshop across a new year and a meeting
// in 令和's first year, and checks each part shows the event's date in the
// form the pages use (jadate) and no Western-year date anywhere — the
// subject, the event, a survey's closing time, a nomination's expiry.
//
// The cases are keyed by method, and every Composer method that takes an
// event must have one: a new kind of event mail fails here until it is
// walked too.
func TestEventMailsWriteReiwa(t *testing.T) {
	c := testComposer(t)
	link := c.Link("/x", "tok")
	cancel := c.Link("/cancel", "c-token")
	unsub := c.Link("/unsubscribe", "u-token")
	ics := []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	const appID = "01jv0000000000000000000001"

	type build func(e *community.Event) (*Message, error)
	kinds := map[string]build{
		"RegistrationConfirmed": func(e *community.Event) (*Message, error) {
			return c.RegistrationConfirmed("a@example.jp", "会員 花子", e, passedJoinURL, cancel, link, ics)
		},
		"Waitlisted": func(e *community.Event) (*Message, error) {
			return c.Waitlisted("a@example.jp", "会員 花子", e, 2, cancel)
		},
		"Promoted": func(e *community.Event) (*Message, error) {
			return c.Promoted("a@example.jp", "会員 花子", e, passedJoinURL, cancel, link, ics)
		},
		"RegistrationCancelled": func(e *community.Event) (*Message, error) {
			return c.RegistrationCancelled("a@example.jp", "会員 花子", e)
		},
		"EventCancelled": func(e *community.Event) (*Message, error) {
			return c.EventCancelled("a@example.jp", "会員 花子", e, "荒天のため")
		},
		"Reminder": func(e *community.Event) (*Message, error) {
			return c.Reminder("a@example.jp", "会員 花子", e, 24*time.Hour, passedJoinURL, cancel, unsub)
		},
		"OrganizerMessage": func(e *community.Event) (*Message, error) {
			return c.OrganizerMessage("a@example.jp", "会員 花子", e, "会場変更のお知らせ", "会場が変わりました。", unsub)
		},
		"Survey": func(e *community.Event) (*Message, error) {
			return c.Survey("a@example.jp", "会員 花子", e, link, e.EndsAt.Add(14*24*time.Hour))
		},
		"OrgSurvey": func(e *community.Event) (*Message, error) {
			return c.OrgSurvey("a@example.jp", "担当 一郎", e, []string{"職員 太郎"}, link, e.EndsAt.Add(14*24*time.Hour))
		},
		"ApplicationReceived": func(e *community.Event) (*Message, error) {
			return c.ApplicationReceived("a@example.jp", "会員 花子", e, appID, cancel)
		},
		"ApplicationSelected": func(e *community.Event) (*Message, error) {
			return c.ApplicationSelected("a@example.jp", "会員 花子", e, passedJoinURL, cancel, ics)
		},
		"ApplicationReserve": func(e *community.Event) (*Message, error) {
			return c.ApplicationReserve("a@example.jp", "会員 花子", e, 1, cancel)
		},
		"ApplicationDeclined": func(e *community.Event) (*Message, error) {
			return c.ApplicationDeclined("a@example.jp", "会員 花子", e)
		},
		"GuestConfirmation": func(e *community.Event) (*Message, error) {
			return c.GuestConfirmation("guest@example.jp", e, link)
		},
		"Reconfirm": func(e *community.Event) (*Message, error) {
			return c.Reconfirm("a@example.jp", "会員 花子", e, e.StartsAt.Add(-24*time.Hour), link, cancel)
		},
		"Released": func(e *community.Event) (*Message, error) {
			return c.Released("a@example.jp", "会員 花子", e, e.StartsAt.Add(-24*time.Hour))
		},
		"NominationConfirmation": func(e *community.Event) (*Message, error) {
			return c.NominationConfirmation("org@example.jp", "伊勢崎市", e, link, e.StartsAt.Add(-7*24*time.Hour))
		},
	}

	eventType := reflect.TypeFor[*community.Event]()
	ct := reflect.TypeFor[*Composer]()
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		for j := range m.Type.NumIn() {
			if m.Type.In(j) == eventType {
				if _, ok := kinds[m.Name]; !ok {
					t.Errorf("Composer.%s writes a mail about an event but is not walked here", m.Name)
				}
			}
		}
	}

	tokyo := func(y int, mo time.Month, d, h, mi int) time.Time {
		return time.Date(y, mo, d, h, mi, 0, 0, community.Tokyo)
	}
	events := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"Lecture", tokyo(2025, 5, 14, 19, 0), tokyo(2025, 5, 14, 20, 30), "令和7年5月14日(水) 19:00〜20:30"},
		{"AcrossNewYear", tokyo(2025, 12, 31, 22, 0), tokyo(2026, 1, 1, 1, 0), "令和7年12月31日(水) 22:00〜令和8年1月1日(木) 1:00"},
		{"FirstYearOfReiwa", tokyo(2019, 6, 11, 18, 0), tokyo(2019, 6, 11, 19, 0), "令和元年6月11日(火) 18:00〜19:00"},
	}
	for _, ev := range events {
		for kind, b := range kinds {
			t.Run(ev.name+"/"+kind, func(t *testing.T) {
				e := testEvent()
				e.Title = "私塾 橋梁の維持管理"
				e.StartsAt, e.EndsAt = ev.start, ev.end
				m, err := b(e)
				if err != nil {
					t.Fatal(err)
				}
				for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
					if !strings.Contains(body, ev.want) {
						t.Errorf("the %s part does not show %q:\n%s", part, ev.want, body)
					}
					if w := westernYear.FindString(body); w != "" {
						t.Errorf("the %s part writes a Western-year date (%q):\n%s", part, w, body)
					}
				}
				if w := westernYear.FindString(m.Subject); w != "" {
					t.Errorf("the subject %q writes a Western-year date", m.Subject)
				}
			})
		}
	}
}
