package adminapi_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestMemberQueue(t *testing.T) {
	e := newEnv(t)
	var pending []string
	for i := range 3 {
		m := e.member(community.MemberPendingApproval, community.MembershipRegular, "申請 "+string(rune('A'+i)))
		pending = append(pending, m.ID)
		e.clock.Advance(time.Second)
	}
	e.member(community.MemberActive, community.MembershipSupporting, "有効 会員")

	var got []string
	cursor := ""
	for {
		q := "limit=2"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(call{route: adminapi.RouteMembers, query: q})
		want(t, r, 200, "")
		for _, x := range r.body["members"].([]any) {
			m := x.(map[string]any)
			got = append(got, m["id"].(string))
			if m["status"] != "pending_approval" || m["status_label"] != "承認待ち" || m["email"] == "" || m["affiliation"] != "伊勢崎市" {
				t.Errorf("member %v", m)
			}
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, pending) {
		t.Errorf("queue %v, want oldest first %v", got, pending)
	}
	r := e.as(call{route: adminapi.RouteMembers, query: "status=active"})
	want(t, r, 200, "")
	if n := len(r.body["members"].([]any)); n != 2 { // the organizer and the active member
		t.Errorf("%d active members, want 2", n)
	}
	for _, tt := range []struct{ name, query, code string }{
		{"ErrStatus", "status=vip", "invalid_status"},
		{"ErrLimit", "limit=500", "invalid_limit"},
		{"ErrCursor", "cursor=abc", "invalid_cursor"},
		{"ErrParam", "role=organizer", "invalid_parameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteMembers, query: tt.query}), 400, tt.code)
		})
	}
}

func TestApproveRejectSuspend(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	t.Run("Approve", func(t *testing.T) {
		m := e.member(community.MemberPendingApproval, community.MembershipRegular, "承認 太郎")
		p := map[string]string{"id": m.ID}
		r := e.as(call{route: adminapi.RouteApprove, params: p})
		want(t, r, 200, "")
		if r.body["status"] != "active" || r.body["approved_at"] == nil {
			t.Errorf("approved %v", r.body)
		}
		mails := localtest.WaitMail(t, m.Email, 1)
		if !strings.Contains(mails[0].Subject, "正会員のご登録が承認されました") {
			t.Errorf("mail %q", mails[0].Subject)
		}
		e.audited(community.AuditMemberApprove, m.ID, "")
		want(t, e.as(call{route: adminapi.RouteApprove, params: p}), 409, "member_not_pending")
		want(t, e.as(call{route: adminapi.RouteApprove, params: p, body: `{"note":"x"}`}), 400, "unknown_field")
	})
	t.Run("Reject", func(t *testing.T) {
		m := e.member(community.MemberPendingApproval, community.MembershipOrganization, "却下 団体")
		p := map[string]string{"id": m.ID}
		const reason = "団体正会員は地方公共団体に限っています。"
		// An applicant may already follow their calendar feed; rejecting
		// them erases it with the rest.
		token, err := e.calendars.Issue(ctx, community.Viewer{Member: m})
		if err != nil {
			t.Fatal(err)
		}
		held, err := e.store.Member(ctx, m.ID)
		if err != nil || held.Calendar == nil {
			t.Fatalf("calendar feed not stored: %+v %v", held, err)
		}
		r := e.as(call{route: adminapi.RouteReject, params: p, body: mustJSON(map[string]string{"reason": reason})})
		want(t, r, 200, "")
		if r.body["status"] != "withdrawn" || len(r.body) != 2 {
			t.Errorf("rejected %v, want only id and status", r.body)
		}
		mails := localtest.WaitMail(t, m.Email, 1)
		if !strings.Contains(mails[0].Subject, "会員登録についてのお知らせ") || !strings.Contains(mails[0].Body.Text, reason) {
			t.Errorf("mail %q:\n%s", mails[0].Subject, mails[0].Body.Text)
		}
		got, err := e.store.Member(ctx, m.ID)
		if err != nil || got.Email != "" || got.Name != "" || got.Affiliation != "" || got.Status != community.MemberWithdrawn {
			t.Errorf("after rejection %+v %v, want nothing personal", got, err)
		}
		if _, err := e.store.MemberByEmail(ctx, m.Email); community.ErrorCode(err) != community.NotFound {
			t.Errorf("the address is still claimed: %v", err)
		}
		if _, err := e.store.CalendarMember(ctx, held.Calendar.TokenDigest); community.ErrorCode(err) != community.NotFound {
			t.Errorf("the calendar feed's lookup item outlived the rejection: %v", err)
		}
		if _, _, err := e.calendars.Feed(ctx, token); community.ErrorCode(err) != community.NotFound {
			t.Errorf("the rejected applicant's feed answers %v", err)
		}
		a := e.audited(community.AuditMemberReject, m.ID, "")
		if s := a["summary"].(string); strings.Contains(s, m.Email) || strings.Contains(s, "却下 団体") || strings.Contains(s, reason) {
			t.Errorf("audit summary holds personal data: %q", s)
		}
		want(t, e.as(call{route: adminapi.RouteReject, params: p}), 409, "member_not_pending")
	})
	t.Run("RejectWithoutReason", func(t *testing.T) {
		m := e.member(community.MemberPendingApproval, community.MembershipRegular, "理由 なし")
		want(t, e.as(call{route: adminapi.RouteReject, params: map[string]string{"id": m.ID}}), 200, "")
		localtest.WaitMail(t, m.Email, 1)
	})
	t.Run("SuspendAndReinstate", func(t *testing.T) {
		m := e.member(community.MemberActive, community.MembershipSupporting, "停止 対象")
		p := map[string]string{"id": m.ID}
		held, _, err := e.sessions.Issue(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		r := e.as(call{route: adminapi.RouteSuspend, params: p})
		want(t, r, 200, "")
		// The suspension ends the sessions the member held.
		if _, err := e.sessions.Resolve(ctx, held); !errors.Is(err, community.ErrInvalidSession) {
			t.Errorf("a session held before the suspension resolves: %v", err)
		}
		if r.body["status"] != "suspended" {
			t.Errorf("suspended %v", r.body)
		}
		e.audited(community.AuditMemberSuspend, m.ID, "")
		want(t, e.as(call{route: adminapi.RouteSuspend, params: p}), 409, "member_not_suspendable")

		// A suspended member cannot register.
		ev := e.published(5, map[string]any{"audience": "members"})
		_, err = e.regs.Register(ctx, e.viewer(m), ev.ID, nil)
		if community.ErrorCode(err) != community.Forbidden || !errors.Is(err, community.ErrMemberSuspended) {
			t.Errorf("suspended member registering: %v", err)
		}

		r = e.as(call{route: adminapi.RouteReinstate, params: p})
		want(t, r, 200, "")
		if r.body["status"] != "active" {
			t.Errorf("reinstated %v", r.body)
		}
		e.audited(community.AuditMemberReinstate, m.ID, "")
		want(t, e.as(call{route: adminapi.RouteReinstate, params: p}), 409, "member_not_suspended")
		if res, err := e.regs.Register(ctx, e.viewer(m), ev.ID, nil); err != nil || res.Registration.Status != community.RegistrationConfirmed {
			t.Errorf("reinstated member registering: %v %v", res, err)
		}
		// Reinstated, they sign in again: the old session stays ended.
		if _, err := e.sessions.Resolve(ctx, held); !errors.Is(err, community.ErrInvalidSession) {
			t.Errorf("a session ended by the suspension resolves after reinstatement: %v", err)
		}
		e.clock.Advance(time.Second)
		if _, err := e.sessions.Resolve(ctx, e.token(m)); err != nil {
			t.Errorf("a session started after reinstatement: %v", err)
		}
	})
	t.Run("ErrSuspendSelf", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteSuspend, params: map[string]string{"id": e.org.ID}}), 409, "cannot_suspend_self")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		for _, route := range []string{adminapi.RouteApprove, adminapi.RouteReject, adminapi.RouteSuspend, adminapi.RouteReinstate} {
			want(t, e.as(call{route: route, params: map[string]string{"id": community.NewID(time.Now())}}), 404, "member_not_found")
			want(t, e.as(call{route: route, params: map[string]string{"id": "nobody"}}), 404, "member_not_found")
		}
	})
	t.Run("ErrRejectReasonNewline", func(t *testing.T) {
		m := e.member(community.MemberPendingApproval, community.MembershipRegular, "理由 改行")
		r := e.as(call{route: adminapi.RouteReject, params: map[string]string{"id": m.ID}, body: mustJSON(map[string]string{"reason": "理由\x00"})})
		want(t, r, 400, "validation_failed")
	})
}

func TestMessages(t *testing.T) {
	e := newEnv(t)
	ev := e.published(6, map[string]any{"capacity": 2})
	quiet := e.member(community.MemberActive, community.MembershipSupporting, "お知らせ 不要")
	quiet.Preferences.Announcements = false
	if err := e.store.UpdateMember(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
	e.seat(ev, quiet, community.RegistrationConfirmed)
	seat := e.guest(ev, "参加 確定", community.RegistrationConfirmed)
	wait := e.guest(ev, "参加 待ち", community.RegistrationWaitlisted)
	gone := e.guest(ev, "参加 取消", community.RegistrationWaitlisted)
	if _, _, err := e.store.CancelRegistration(context.Background(), ev.ID, gone.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.quiet()
	p := map[string]string{"id": ev.ID}
	const subject = "【重要】当日の資料について"
	body := "当日の資料を事前にお読みください。\n会場はオンラインです。"

	r := e.as(call{route: adminapi.RouteMessage, params: p, body: mustJSON(map[string]any{"subject": subject, "body": body})})
	want(t, r, 202, "")
	if r.body["recipients"] != 2.0 {
		t.Fatalf("recipients %v, want 2 (confirmed only)", r.body)
	}
	for _, addr := range []string{quiet.Email, seat.Guest.Email} {
		m := localtest.WaitMail(t, addr, 1)
		if !strings.Contains(m[0].Subject, subject) || !strings.Contains(m[0].Body.Text, "当日の資料を事前にお読みください。") {
			t.Errorf("mail to %s: %q\n%s", addr, m[0].Subject, m[0].Body.Text)
		}
	}
	e.audited(community.AuditEventMessage, ev.ID, "")

	r = e.as(call{route: adminapi.RouteMessage, params: p, body: mustJSON(map[string]any{"subject": "追伸", "body": "よろしくお願いします。", "include_waitlisted": true})})
	want(t, r, 202, "")
	if r.body["recipients"] != 3.0 {
		t.Fatalf("recipients %v, want 3 (confirmed and waitlisted)", r.body)
	}
	localtest.WaitMail(t, wait.Guest.Email, 1)
	time.Sleep(200 * time.Millisecond)
	if n := len(localtest.MailTo(t, gone.Guest.Email)); n != 0 {
		t.Errorf("a cancelled registrant got %d messages", n)
	}
	if n := len(localtest.MailTo(t, quiet.Email)); n != 2 {
		t.Errorf("the member without announcements got %d messages, want 2", n)
	}

	for _, tt := range []struct {
		name, body, code, field string
	}{
		{"ErrNoSubject", `{"body":"本文"}`, "validation_failed", "subject"},
		{"ErrNoBody", `{"subject":"件名"}`, "validation_failed", "body"},
		{"ErrSubjectNewline", `{"subject":"件名\r\nBcc: x@example.jp","body":"本文"}`, "validation_failed", "subject"},
		{"ErrUnknownField", `{"subject":"件名","body":"本文","to":"all"}`, "unknown_field", "to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.as(call{route: adminapi.RouteMessage, params: p, body: tt.body})
			want(t, r, 400, tt.code)
			if _, ok := r.fields()[tt.field]; !ok {
				t.Errorf("fields %v, want %s", r.fields(), tt.field)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteMessage, params: map[string]string{"id": community.NewID(time.Now())}, body: `{"subject":"a","body":"b"}`}), 404, "event_not_found")
	})
}

// TestAuditLog runs one of each admin action and reads the log back:
// newest first, paginated, every action present, no addresses or join URLs.
func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	step := func() { e.clock.Advance(time.Second) }
	ev := e.published(9, map[string]any{"capacity": 1, "title": "私塾 https://zoom.example.jp/j/81000000003?pwd=shijuku 連絡 yamada@example.jp"})
	step()
	want(t, e.as(call{route: adminapi.RouteUpdateEvent, params: map[string]string{"id": ev.ID}, body: `{"capacity":2}`}), 200, "")
	step()
	seat := e.guest(ev, "受付 太郎", community.RegistrationConfirmed)
	want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": seat.ID}}), 200, "")
	step()
	want(t, e.as(call{route: adminapi.RouteUndoCheckIn, params: map[string]string{"id": ev.ID, "rid": seat.ID}}), 200, "")
	step()
	want(t, e.as(call{route: adminapi.RouteMessage, params: map[string]string{"id": ev.ID}, body: `{"subject":"連絡","body":"本文"}`}), 202, "")
	step()
	r := e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": ev.ID}, query: "format=csv"})
	want(t, r, 200, "")
	step()
	pending := e.member(community.MemberPendingApproval, community.MembershipRegular, "申請 者")
	want(t, e.as(call{route: adminapi.RouteApprove, params: map[string]string{"id": pending.ID}}), 200, "")
	step()
	want(t, e.as(call{route: adminapi.RouteSuspend, params: map[string]string{"id": pending.ID}}), 200, "")
	step()
	want(t, e.as(call{route: adminapi.RouteReinstate, params: map[string]string{"id": pending.ID}}), 200, "")
	step()
	other := e.member(community.MemberPendingApproval, community.MembershipRegular, "申請 者2")
	want(t, e.as(call{route: adminapi.RouteReject, params: map[string]string{"id": other.ID}}), 200, "")
	step()
	r = e.as(call{route: adminapi.RouteCreateSeries, body: idobataSeries})
	want(t, r, 201, "")
	sid := r.body["series"].(map[string]any)["id"].(string)
	step()
	want(t, e.as(call{route: adminapi.RouteUpdateSeries, params: map[string]string{"id": sid}, body: `{"notes":"録画なし"}`}), 200, "")
	step()
	want(t, e.as(call{route: adminapi.RouteCancelEvent, params: map[string]string{"id": ev.ID}, body: `{"reason":"中止"}`}), 202, "")

	var entries []map[string]any
	cursor := ""
	for {
		q := "limit=4"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(call{route: adminapi.RouteAudit, query: q})
		want(t, r, 200, "")
		for _, x := range r.body["entries"].([]any) {
			entries = append(entries, x.(map[string]any))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	var actions []string
	for i, a := range entries {
		actions = append(actions, a["action"].(string))
		if i > 0 && a["at"].(string) > entries[i-1]["at"].(string) {
			t.Errorf("entry %d (%v) is newer than the one before it", i, a["at"])
		}
		if at := a["at"].(string); !strings.HasSuffix(at, "+09:00") {
			t.Errorf("at %q not in Japan time", at)
		}
		s := a["summary"].(string)
		if strings.Contains(s, "@") || strings.Contains(s, "zoom.example.jp") || strings.Contains(s, "pwd=") {
			t.Errorf("summary %q holds an address or a link", s)
		}
		if a["actor_id"] != e.org.ID {
			t.Errorf("actor %v", a["actor_id"])
		}
	}
	wantActions := []string{
		community.AuditEventCancel, community.AuditSeriesUpdate, community.AuditSeriesCreate, community.AuditMemberReject,
		community.AuditMemberReinstate, community.AuditMemberSuspend, community.AuditMemberApprove,
		community.AuditRegistrationsExport, community.AuditEventMessage, community.AuditCheckInUndo, community.AuditCheckIn,
		community.AuditEventUpdate, community.AuditEventPublish, community.AuditEventCreate,
	}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("actions, newest first\n got %v\nwant %v", actions, wantActions)
	}

	t.Run("Actor", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteAudit, query: "actor=" + e.org.ID + "&limit=100"})
		want(t, r, 200, "")
		if n := len(r.body["entries"].([]any)); n != len(wantActions) {
			t.Errorf("%d entries by the organizer", n)
		}
		r = e.as(call{route: adminapi.RouteAudit, query: "actor=" + community.NewID(time.Now())})
		want(t, r, 200, "")
		if n := len(r.body["entries"].([]any)); n != 0 {
			t.Errorf("%d entries by nobody", n)
		}
	})
	for _, tt := range []struct{ name, query, code string }{
		{"ErrLimit", "limit=0", "invalid_limit"},
		{"ErrCursor", "cursor=zzz", "invalid_cursor"},
		{"ErrActor", "actor=../x", "invalid_actor"},
		{"ErrParam", "since=2025", "invalid_parameter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteAudit, query: tt.query}), 400, tt.code)
		})
	}
}
