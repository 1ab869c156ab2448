package remindersjob_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// surveyForm is a one-question survey.
var surveyForm = community.Form{{ID: "rating", Label: "満足度", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"満足", "不満"}}}

func withSurvey(after time.Duration) func(*community.Event) {
	return func(ev *community.Event) { ev.Survey = &community.Survey{Form: surveyForm, SendAfter: after} }
}

// TestSurveySweepOnce: three sweeps at once, after the events' end +
// SendAfter, mail each attendee the survey exactly once — only the checked
// in where the event had check-ins, every confirmed registrant where it
// had none; never the waitlisted or cancelled, never before it is due,
// never for a cancelled event — and later sweeps send nothing more.
func TestSurveySweepOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	join := "https://zoom.example/j/survey-secret"
	start := T.Add(-3 * time.Hour) // ended 2 hours before T
	// X: capacity 3 with a waitlist; two of three checked in.
	evX := e.event("研修 X", start, func(ev *community.Event) {
		online(join)(ev)
		withSurvey(time.Hour)(ev)
		ev.Capacity, ev.Waitlist = 3, true
	})
	// Y: nobody checked in: every confirmed registrant is asked.
	evY := e.event("井戸端会議 Y", start, withSurvey(90*time.Minute))
	// Z: ended at T; its survey is not due until T+2h.
	evZ := e.event("私塾 Z", T.Add(-time.Hour), withSurvey(2*time.Hour))
	// W: cancelled after its end was published with a survey: nobody.
	evW := e.event("中止 W", start, withSurvey(time.Hour))

	regAt := T.Add(-7 * 24 * time.Hour)
	x1 := e.register(evX, e.member("出席 一郎", true, community.MemberActive), regAt)
	x2 := e.register(evX, nil, regAt.Add(time.Minute))
	xAbsent := e.register(evX, e.member("欠席 二郎", true, community.MemberActive), regAt.Add(2*time.Minute))
	xWait := e.register(evX, e.member("待機 三郎", true, community.MemberActive), regAt.Add(3*time.Minute))
	xGone := e.register(evX, nil, regAt.Add(4*time.Minute))
	if xWait.Status != community.RegistrationWaitlisted || xGone.Status != community.RegistrationWaitlisted {
		t.Fatalf("statuses %s %s, want waitlisted", xWait.Status, xGone.Status)
	}
	if _, _, err := e.store.CancelRegistration(ctx, evX.ID, xGone.ID, regAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*community.Registration{x1, x2} {
		at := start.Add(5 * time.Minute)
		if _, err := e.store.SetCheckIn(ctx, evX.ID, r.ID, &at); err != nil {
			t.Fatal(err)
		}
	}
	y1 := e.register(evY, e.member("参加 四郎", true, community.MemberActive), regAt)
	y2 := e.register(evY, nil, regAt.Add(time.Minute))
	yGone := e.register(evY, nil, regAt.Add(2*time.Minute))
	if _, _, err := e.store.CancelRegistration(ctx, evY.ID, yGone.ID, regAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	z1 := e.register(evZ, e.member("未来 五郎", true, community.MemberActive), regAt)
	w1 := e.register(evW, nil, regAt)
	wCur, err := e.store.Event(ctx, evW.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.CancelEvent(ctx, wCur, "", T.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.deliverAll(t, 3) // the registration mails (settled unsent) out of the way

	email := func(ev *community.Event, r *community.Registration) string {
		if r.Guest != nil {
			return r.Guest.Email
		}
		m, err := e.store.Member(ctx, r.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		return m.Email
	}

	var wg sync.WaitGroup
	results := make([]community.SweepResult, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.sweep(e.service())
		}()
	}
	wg.Wait()
	sent := 0
	for _, r := range results {
		sent += r.SurveysSent
	}
	if sent != 4 {
		t.Errorf("three sweeps handed over %d surveys, want 4 (x1, x2, y1, y2): %+v", sent, results)
	}
	e.deliverAll(t, 3)

	for _, c := range []struct {
		ev   *community.Event
		r    *community.Registration
		want int
	}{
		{evX, x1, 1}, {evX, x2, 1}, {evX, xAbsent, 0}, {evX, xWait, 0}, {evX, xGone, 0},
		{evY, y1, 1}, {evY, y2, 1}, {evY, yGone, 0},
		{evZ, z1, 0}, {evW, w1, 0},
	} {
		to := email(c.ev, c.r)
		got := localtest.MailTo(t, to)
		n := 0
		for _, m := range got {
			if !strings.Contains(m.Subject, "事後アンケート") {
				continue
			}
			n++
			if want := "【そらゑ】「" + c.ev.Title + "」事後アンケートのお願い"; m.Subject != want {
				t.Errorf("subject %q, want %q", m.Subject, want)
			}
			link := e.links.SurveyLink(c.ev.ID, c.r.ID)
			if !strings.Contains(m.Body.Text, link) || !strings.Contains(m.Body.HTML, htmlEscape(link)) {
				t.Errorf("survey mail to %s lacks its link %s:\n%s", to, link, m.Body.Text)
			}
			if strings.Contains(m.Body.Text, join) || strings.Contains(m.Body.HTML, join) {
				t.Errorf("survey mail to %s carries the join URL", to)
			}
		}
		if n != c.want {
			t.Errorf("%s (%s, %s) got %d survey mails, want %d", c.ev.Title, c.r.ID, c.r.Status, n, c.want)
		}
	}

	// Later sweeps: X and Y are finished and leave the index; Z becomes due.
	e.clock.Set(T.Add(2 * time.Minute))
	if res := e.sweep(e.service()); res.SurveysSent != 0 {
		t.Errorf("a later sweep handed over %d surveys: %+v", res.SurveysSent, res)
	}
	e.clock.Set(T.Add(2*time.Hour + time.Minute)) // Z ended at T; its survey goes 2 h after
	res := e.sweep(e.service())
	if res.SurveysDue != 1 || res.SurveysSent != 1 {
		t.Errorf("sweep after Z's due time %+v, want Z alone, 1 sent", res)
	}
	e.deliverAll(t, 3)
	if got := localtest.MailTo(t, email(evZ, z1)); len(got) != 1 {
		t.Errorf("Z's attendee got %d mails, want the survey", len(got))
	}
	for _, r := range []*community.Registration{x1, x2, y1, y2} {
		cur, err := e.store.Registration(ctx, r.EventID, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.SurveySentAt == nil {
			t.Errorf("%s: survey_sent_at not recorded", r.ID)
		}
	}
}
