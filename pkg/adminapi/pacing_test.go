package adminapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/mail"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// TestMessageIdempotencyKey: a message repeated with the same
// Idempotency-Key (a client retrying after a timeout) gets the first
// answer again and mails nobody a second time.
func TestMessageIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, nil)
	var addrs []string
	for range 3 {
		addrs = append(addrs, e.guest(ev, "参加 確定", community.RegistrationConfirmed).Guest.Email)
	}
	p := map[string]string{"id": ev.ID}
	body := mustJSON(map[string]any{"subject": "当日の持ち物", "body": "筆記用具をお持ちください。"})
	key := map[string]string{"idempotency-key": "msg-" + localtest.UniqueID()}

	first := e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: key})
	want(t, first, 200, "")
	if first.body["sent"] != 3.0 {
		t.Fatalf("sent %v", first.body)
	}
	again := e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: key})
	want(t, again, 200, "")
	if again.body["sent"] != 3.0 || again.resp.Headers["Idempotency-Key"] != key["idempotency-key"] {
		t.Errorf("replay %v %v, want the first answer", again.body, again.resp.Headers)
	}
	for _, a := range addrs {
		localtest.WaitMail(t, a, 1)
	}
	time.Sleep(200 * time.Millisecond)
	for _, a := range addrs {
		if n := len(localtest.MailTo(t, a)); n != 1 {
			t.Errorf("%s got %d messages, want 1", a, n)
		}
	}

	t.Run("ErrKeyReusedForAnotherMessage", func(t *testing.T) {
		other := mustJSON(map[string]any{"subject": "別件", "body": "別の本文"})
		want(t, e.as(call{route: adminapi.RouteMessage, params: p, body: other, header: key}), 422, "idempotency_key_reused")
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: map[string]string{"idempotency-key": "鍵"}}), 400, "invalid_idempotency_key")
	})
	t.Run("OtherKeySendsAgain", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: map[string]string{"idempotency-key": "msg-" + localtest.UniqueID()}})
		want(t, r, 200, "")
		for _, a := range addrs {
			localtest.WaitMail(t, a, 2)
		}
	})
}

// TestAdminSendsArePaced: messages and cancellation notices go out no
// faster than their service's pace (mail.Pacing), like the reminders.
func TestAdminSendsArePaced(t *testing.T) {
	e := newEnv(t)
	e.admin.Events.Pacing = mail.Pacing(20, 5*time.Second) // one send every 50 ms
	e.admin.Messages.Pacing = mail.Pacing(20, 5*time.Second)
	ev := e.published(6, map[string]any{"capacity": 0})
	const n = 8
	for range n {
		e.guest(ev, "参加 確定", community.RegistrationConfirmed)
	}
	p := map[string]string{"id": ev.ID}
	least := time.Duration(n-1) * 50 * time.Millisecond

	start := time.Now()
	r := e.as(call{route: adminapi.RouteMessage, params: p, body: `{"subject":"ご案内","body":"本文"}`})
	want(t, r, 200, "")
	if took := time.Since(start); r.body["sent"] != float64(n) || took < least {
		t.Errorf("message: sent %v in %v, want %d in at least %v", r.body["sent"], took, n, least)
	}

	start = time.Now()
	r = e.as(call{route: adminapi.RouteCancelEvent, params: p, body: `{"reason":"中止します。"}`})
	want(t, r, 200, "")
	if took := time.Since(start); r.body["mailed"] != float64(n) || took < least {
		t.Errorf("cancel: mailed %v in %v, want %d in at least %v", r.body["mailed"], took, n, least)
	}
}

// TestAdminSendsStopBeforeDeadline: near the function's deadline no new
// send starts. A message says how many it left unsent; a cancel says it is
// incomplete, and repeating it finishes the job with one notice each.
func TestAdminSendsStopBeforeDeadline(t *testing.T) {
	e := newEnv(t)
	e.admin.Events.Pacing = mail.Pacing(10, 5*time.Second) // one send every 100 ms
	e.admin.Messages.Pacing = mail.Pacing(10, 5*time.Second)
	ev := e.published(6, map[string]any{"capacity": 0})
	const n = 20
	var addrs []string
	for range n {
		addrs = append(addrs, e.guest(ev, "参加 確定", community.RegistrationConfirmed).Guest.Email)
	}
	org := e.viewer(e.org)
	// The deadline leaves 600 ms of sending before the margin: time for a
	// few sends at this rate, not for twenty.
	deadline := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 5*time.Second+600*time.Millisecond)
	}

	ctx, cancel := deadline()
	msg, err := e.admin.Messages.MessageAttendees(ctx, org, ev.ID, "ご案内", "本文", false)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if msg.Sent < 1 || msg.NotSent < 1 || msg.Sent+msg.NotSent+msg.Failed != n {
		t.Errorf("message %+v, want some sent and the rest not sent", msg)
	}

	ctx, cancel = deadline()
	first, err := e.admin.Events.CancelEvent(ctx, org, ev.ID, "台風のため中止します。")
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if first.Complete || first.Mailed < 1 || first.Mailed >= n {
		t.Fatalf("cancel near the deadline %+v, want incomplete with some mailed", first)
	}
	r := e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": ev.ID}, body: `{"reason":"台風のため中止します。"}`})
	want(t, r, 200, "")
	if r.body["complete"] != true || r.body["mailed"] != float64(n-first.Mailed) || r.body["mail_failed"] != 0.0 {
		t.Fatalf("repeat %v, want complete with the %d notices left", r.body, n-first.Mailed)
	}
	if first.Cancelled+int(r.body["registrations_cancelled"].(float64)) != n {
		t.Errorf("ended %d + %v, want %d", first.Cancelled, r.body["registrations_cancelled"], n)
	}
	time.Sleep(300 * time.Millisecond)
	for _, a := range addrs {
		notices := 0
		for _, m := range localtest.MailTo(t, a) {
			if strings.Contains(m.Subject, "開催中止のお知らせ") {
				notices++
			}
		}
		if notices != 1 {
			t.Errorf("%s got %d notices, want 1", a, notices)
		}
	}
}

// TestAdminTimeoutFitsHTTPAPI: API Gateway's HTTP API answers 503 after 30
// seconds whatever the function does, so the function stops first.
func TestAdminTimeoutFitsHTTPAPI(t *testing.T) {
	tpl, err := samtemplate.LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	f, ok, err := tpl.Function("AdminFunction")
	if err != nil || !ok {
		t.Fatalf("AdminFunction: %v %v", ok, err)
	}
	if f.Timeout <= 0 || f.Timeout > 29*time.Second {
		t.Errorf("AdminFunction Timeout %v, want at most 29 s", f.Timeout)
	}
}
