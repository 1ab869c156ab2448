package adminapi_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// crowd registers n guests for ev directly in the store, with addresses
// that all contain tag, and settles their own mails (quiet), so one
// mailbox read finds every mail to any of them.
func (e *env) crowd(ev *community.Event, tag string, n int) []string {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.store.Event(ctx, ev.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	addrs := make([]string, 0, n)
	for range n {
		now := e.clock.Now()
		r := &community.Registration{
			ID: community.NewID(now), EventID: ev.ID, EventStartsAt: cur.StartsAt, CreatedAt: now, UpdatedAt: now,
			Guest: &community.Guest{Name: "参加 者", Email: localtest.UniqueEmail(tag)},
		}
		if err := e.store.Register(ctx, cur, r); err != nil {
			e.t.Fatal(err)
		}
		addrs = append(addrs, r.Guest.Email)
	}
	for {
		unsent, err := e.store.UnsentMail(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(unsent) == 0 {
			return addrs
		}
		e.quiet()
	}
}

// mailCounts reads the mailbox once and counts the mails whose subject
// contains subject, by each address containing tag.
func mailCounts(t *testing.T, tag, subject string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range localtest.MailTo(t, tag+"-") {
		if !strings.Contains(m.Subject, subject) {
			continue
		}
		for _, d := range m.Destination.To {
			if i := strings.LastIndex(d, "<"); i >= 0 {
				d = strings.TrimSuffix(d[i+1:], ">")
			}
			out[strings.ToLower(d)]++
		}
	}
	return out
}

// exactlyOnce fails unless every address in addrs got n mails of counts,
// and nobody else got any.
func exactlyOnce(t *testing.T, counts map[string]int, addrs []string, n int) {
	t.Helper()
	bad := 0
	for _, a := range addrs {
		if counts[strings.ToLower(a)] != n {
			bad++
			if bad <= 5 {
				t.Errorf("%s got %d mails, want %d", a, counts[strings.ToLower(a)], n)
			}
		}
	}
	if len(counts) != len(addrs) {
		t.Errorf("%d addresses mailed, want %d", len(counts), len(addrs))
	}
	if bad > 5 {
		t.Errorf("... %d addresses in all got the wrong number", bad)
	}
}

// TestMessageThousandAttendees: a message to 1,000 attendees is answered
// 202 once it and its 1,000 mails are stored, well inside the admin
// function's timeout; delivering the outbox then mails each address
// exactly once, and repeating the request (with its key, or the service
// call again after a lost answer) mails nobody again. The same without a
// key is TestMessageWithoutKey's: it is about the message's name, not the
// size, so it runs on a few attendees and leaves 1,000 mails out of the run.
// maxMessageCalls bounds the DynamoDB calls of a message to 1,000
// attendees: 18 measured (10 TransactWriteItems of 100 mails, one Query
// page of recipients, the session, event, idempotency and message items).
// A call per recipient would be over 1,000.
const maxMessageCalls = 25

func TestMessageThousandAttendees(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 registrations and mails")
	}
	localtest.Crowd(t)
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 0})
	const n = 1000
	tag := "k" + localtest.UniqueID()
	addrs := e.crowd(ev, tag, n)
	p := map[string]string{"id": ev.ID}
	const subject = "千人へのご案内"
	body := mustJSON(map[string]any{"subject": subject, "body": "当日は受付で名前をお伝えください。"})
	key := "msg-" + localtest.UniqueID()

	// The request alone, as the function runs it: no delivery. What keeps
	// it inside the admin function's 29 s is how many calls it makes (a
	// page of recipients per Query, 25 mails per BatchWriteItem), not how
	// fast this shared machine happens to be, so the calls are what is
	// checked; the time is only logged.
	e.calls.Reset()
	start := time.Now()
	resp, err := e.h.Handle(context.Background(), e.request(call{route: adminapi.RouteMessage, params: p, body: body,
		token: e.orgToken, header: map[string]string{"idempotency-key": key}}))
	took := time.Since(start)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("message = %d %s %v", resp.StatusCode, resp.Body, err)
	}
	t.Logf("1,000 recipients stored and answered in %v with %d DynamoDB calls %v", took, e.calls.Total(), e.calls.Snapshot())
	if n := e.calls.Total(); n > maxMessageCalls {
		t.Errorf("the request made %d DynamoDB calls %v, want at most %d", n, e.calls.Snapshot(), maxMessageCalls)
	}
	if n := e.calls.Count("DynamoDB.Scan"); n > 0 {
		t.Errorf("the request scanned the table %d times", n)
	}
	if !strings.Contains(resp.Body, `"recipients":1000`) || !strings.Contains(resp.Body, `"queued":1000`) {
		t.Fatalf("answer %s", resp.Body)
	}

	// The mailer's work: every mail once.
	communitytest.Deliver(t, e.room)
	exactlyOnce(t, mailCounts(t, tag, subject), addrs, 1)

	// A retry with the key gets the kept answer, mails nobody.
	r := e.as(call{route: adminapi.RouteMessage, params: p, body: body, header: map[string]string{"idempotency-key": key}})
	want(t, r, 202, "")
	mid := r.body["message_id"].(string)
	// The same request once more behind the idempotency record (as if its
	// first answer had been lost with the record): the key names the same
	// message, whose mails all exist.
	res, err := e.admin.Messages.MessageAttendees(context.Background(), e.viewer(e.org), ev.ID, key, subject, "当日は受付で名前をお伝えください。", false)
	if err != nil || res.Message.ID != mid || res.Recipients != n || res.Queued != 0 {
		t.Fatalf("service repeat = %+v %v, want message %s with nothing queued", res, err, mid)
	}
	communitytest.Deliver(t, e.room)
	exactlyOnce(t, mailCounts(t, tag, subject), addrs, 1)

	// The progress, counted from the outbox.
	r = e.as(call{route: adminapi.RouteMessageStatus, params: map[string]string{"id": ev.ID, "mid": mid}})
	want(t, r, 200, "")
	if r.body["recipients"] != float64(n) || r.body["sent"] != float64(n) || r.body["pending"] != 0.0 || r.body["failed"] != 0.0 {
		t.Errorf("progress %v", r.body)
	}
}

// TestMessageWithoutKey: without an idempotency key the text names the
// message, so the same text again is the same message and mails nobody.
func TestMessageWithoutKey(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 0})
	const n = 5
	tag := "w" + localtest.UniqueID()
	addrs := e.crowd(ev, tag, n)
	p := map[string]string{"id": ev.ID}
	// Without a key: the text names the message, so the same text again
	// is the same message.
	const other = "皆様への追伸"
	plain := mustJSON(map[string]any{"subject": other, "body": "駐車場はありません。"})
	r := e.as(call{route: adminapi.RouteMessage, params: p, body: plain})
	want(t, r, 202, "")
	if r.body["queued"] != float64(n) {
		t.Fatalf("keyless message %v", r.body)
	}
	r = e.as(call{route: adminapi.RouteMessage, params: p, body: plain})
	want(t, r, 202, "")
	if r.body["recipients"] != float64(n) || r.body["queued"] != 0.0 {
		t.Errorf("keyless repeat %v, want %d recipients and nothing queued", r.body, n)
	}
	exactlyOnce(t, mailCounts(t, tag, other), addrs, 1)
}

// TestMessageProgress: the progress counts each mail by how it stands;
// mails SES refuses for a while stay pending and go out later.
func TestMessageProgress(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 0})
	var addrs []string
	for range 3 {
		addrs = append(addrs, e.guest(ev, "参加 確定", community.RegistrationConfirmed).Guest.Email)
	}
	flaky := e.flaky(addrs[2])
	p := map[string]string{"id": ev.ID}
	r := e.as(call{route: adminapi.RouteMessage, params: p, body: `{"subject":"進捗","body":"本文"}`})
	want(t, r, 202, "")
	mid := r.body["message_id"].(string)
	communitytest.Deliver(t, e.room) // the mailer's first attempt
	status := func() map[string]any {
		t.Helper()
		r := e.as(call{route: adminapi.RouteMessageStatus, params: map[string]string{"id": ev.ID, "mid": mid}})
		want(t, r, 200, "")
		return r.body
	}
	if b := status(); b["recipients"] != 3.0 || b["sent"] != 2.0 || b["pending"] != 1.0 || b["subject"] != "進捗" || b["event_id"] != ev.ID {
		t.Errorf("progress while SES refuses one: %v", b)
	}
	flaky.heal()
	communitytest.Deliver(t, e.room)
	if b := status(); b["sent"] != 3.0 || b["pending"] != 0.0 {
		t.Errorf("progress after delivery: %v", b)
	}
	for _, a := range addrs {
		if n := len(localtest.MailTo(t, a)); n != 1 {
			t.Errorf("%s got %d messages, want 1", a, n)
		}
	}

	other := e.published(7, nil)
	for _, tt := range []struct {
		name   string
		params map[string]string
	}{
		{"ErrUnknownMessage", map[string]string{"id": ev.ID, "mid": community.NewID(time.Now())}},
		{"ErrMalformedMessage", map[string]string{"id": ev.ID, "mid": "../x"}},
		{"ErrOtherEvent", map[string]string{"id": other.ID, "mid": mid}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteMessageStatus, params: tt.params}), 404, "message_not_found")
		})
	}
	t.Run("ErrNotOrganizer", func(t *testing.T) {
		m := e.member(community.MemberActive, community.MembershipRegular, "一般 会員")
		r := e.do(call{route: adminapi.RouteMessageStatus, params: map[string]string{"id": ev.ID, "mid": mid}, token: e.token(m)})
		want(t, r, 403, "forbidden")
	})
}

// TestMessageOptOut: every organizer message carries the one-click link
// that stops that event's messages for the recipient's registration;
// following it leaves the registration out of later messages, and out of
// one written but not yet sent.
func TestMessageOptOut(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 0})
	tag := "o" + localtest.UniqueID()
	addrs := e.crowd(ev, tag, 3)
	p := map[string]string{"id": ev.ID}
	send := func(subject string, recipients int) {
		t.Helper()
		r := e.as(call{route: adminapi.RouteMessage, params: p, body: mustJSON(map[string]any{"subject": subject, "body": "ご案内です。"})})
		want(t, r, 202, "")
		if r.body["recipients"] != float64(recipients) {
			t.Fatalf("%s: %v, want %d recipients", subject, r.body, recipients)
		}
	}
	// optOutLink reads the opt-out of addr's mail about subject.
	optOutLink := func(addr, subject string) community.OptOut {
		t.Helper()
		for _, m := range localtest.MailTo(t, addr) {
			if !strings.Contains(m.Subject, subject) {
				continue
			}
			link := regexp.MustCompile(`https?://\S+/unsubscribe\?token=\S+`).FindString(m.Body.Text)
			u, err := url.Parse(link)
			if link == "" || err != nil {
				t.Fatalf("%s: no opt-out link in\n%s", subject, m.Body.Text)
			}
			o, ok := e.room.Links.(auth.Links).ParseOptOutToken(u.Query().Get("token"))
			if !ok || o.List != community.ListMessages || !o.ForRegistration() {
				t.Fatalf("opt-out link %s names %+v", link, o)
			}
			return o
		}
		t.Fatalf("%s got no %q", addr, subject)
		return community.OptOut{}
	}
	stop := func(o community.OptOut) {
		t.Helper()
		if err := (&community.OptOuts{Store: e.store}).Stop(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}

	send("一通目", 3)
	communitytest.Deliver(t, e.room)
	exactlyOnce(t, mailCounts(t, tag, "一通目"), addrs, 1)
	first, second := optOutLink(addrs[0], "一通目"), optOutLink(addrs[1], "一通目")
	stop(first)

	send("二通目", 2) // written without the one who opted out
	stop(second)
	communitytest.Deliver(t, e.room) // sent without the one who opted out since
	got := mailCounts(t, tag, "二通目")
	if got[addrs[0]] != 0 || got[addrs[1]] != 0 || got[addrs[2]] != 1 {
		t.Errorf("second message went to %v, want %s only", got, addrs[2])
	}
}
