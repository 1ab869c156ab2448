package adminapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
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
	want(t, first, 202, "")
	if first.body["recipients"] != 3.0 || first.body["queued"] != 3.0 {
		t.Fatalf("first %v", first.body)
	}
	again := e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: key})
	want(t, again, 202, "")
	if again.body["message_id"] != first.body["message_id"] || again.resp.Headers["Idempotency-Key"] != key["idempotency-key"] {
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
		want(t, r, 202, "")
		for _, a := range addrs {
			localtest.WaitMail(t, a, 2)
		}
	})
}

// TestCancelEventInterruptedByDeadline: a cancel whose time runs out
// (the handler's context ends before every registration is ended) says it
// is incomplete; repeating it ends the rest, and each registrant gets the
// notice once.
func TestCancelEventInterruptedByDeadline(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 0})
	const n = 20
	var addrs []string
	for range n {
		addrs = append(addrs, e.guest(ev, "参加 確定", community.RegistrationConfirmed).Guest.Email)
	}
	org := e.viewer(e.org)
	// Time for the event's cancel and a few ends, not for twenty. On a
	// loaded machine even the event's own write may not fit: then the
	// deadline doubles until the cancel gets under way.
	var first *community.CancelResult
	for d := 300 * time.Millisecond; ; d *= 2 {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		res, err := e.admin.Events.CancelEvent(ctx, org, ev.ID, "台風のため中止します。")
		cancel()
		if err == nil {
			first = res
			break
		}
		if !errors.Is(err, context.DeadlineExceeded) || d > 10*time.Second {
			t.Fatal(err)
		}
	}
	if first.Complete {
		t.Logf("the cancel ended all %d registrations before its deadline; the repeat has nothing left", first.Cancelled)
	} else if first.Cancelled >= n {
		t.Fatalf("incomplete cancel ended %d of %d", first.Cancelled, n)
	}
	r := e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": ev.ID}, body: `{}`})
	want(t, r, 202, "")
	if r.body["complete"] != true {
		t.Fatalf("repeat %v, want complete", r.body)
	}
	// A call cut off inside an end may have ended it without counting it:
	// the store, not the counts, says what ended.
	if ended := first.Cancelled + int(r.body["registrations_cancelled"].(float64)); ended < n-1 || ended > n {
		t.Errorf("ended %d + %v, want about %d", first.Cancelled, r.body["registrations_cancelled"], n)
	}
	all, err := e.store.AllRegistrations(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range all {
		if reg.Status != community.RegistrationCancelled {
			t.Errorf("registration %s is %s after the repeat", reg.ID, reg.Status)
		}
	}
	time.Sleep(100 * time.Millisecond)
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
