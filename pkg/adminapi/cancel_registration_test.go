package adminapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func TestCancelRegistration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ev := e.published(5, map[string]any{"capacity": 1})
	m := e.member(community.MemberActive, community.MembershipRegular, "取消 太郎")
	seat := e.seat(ev, m, community.RegistrationConfirmed)
	head := e.guest(ev, "待ち 一郎", community.RegistrationWaitlisted)
	second := e.guest(ev, "待ち 二郎", community.RegistrationWaitlisted)
	p := map[string]string{"id": ev.ID, "rid": seat.ID}

	r := e.as(call{route: adminapi.RouteCancelReg, params: p, body: `{"reason":"本人から電話で依頼"}`})
	want(t, r, 200, "")
	if r.body["registration_id"] != seat.ID || r.body["status"] != "cancelled" {
		t.Fatalf("cancel %v", r.body)
	}

	t.Run("SeatChangesHands", func(t *testing.T) {
		cur, err := e.store.Event(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.ConfirmedCount != 1 || cur.WaitlistCount != 1 {
			t.Errorf("counters %d/%d, want 1/1", cur.ConfirmedCount, cur.WaitlistCount)
		}
		for _, tt := range []struct {
			name string
			reg  *community.Registration
			want community.RegistrationStatus
		}{
			{"Cancelled", seat, community.RegistrationCancelled},
			{"Head", head, community.RegistrationConfirmed},
			{"Second", second, community.RegistrationWaitlisted},
		} {
			got, err := e.store.Registration(ctx, ev.ID, tt.reg.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got.Status, tt.want)
			}
		}
	})
	t.Run("Mails", func(t *testing.T) {
		if got := localtest.WaitMail(t, head.Guest.Email, 1); !strings.Contains(got[0].Subject, "キャンセル待ちから参加が確定しました") {
			t.Errorf("promoted person's mail %q", got[0].Subject)
		}
		if got := localtest.WaitMail(t, m.Email, 1); !strings.Contains(got[0].Subject, "参加登録を取り消しました") {
			t.Errorf("cancelled person's mail %q", got[0].Subject)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(localtest.MailTo(t, second.Guest.Email)); n != 0 {
			t.Errorf("the second in line got %d mails", n)
		}
	})
	t.Run("Audit", func(t *testing.T) {
		a := e.audited(community.AuditRegistrationCancel, seat.ID, "")
		if s := a["summary"].(string); strings.Contains(s, "@") || !strings.Contains(s, "本人から電話で依頼") {
			t.Errorf("audit summary %q", s)
		}
	})

	refusals := []struct {
		name   string
		params map[string]string
		status int
		code   string
	}{
		{"ErrAlreadyCancelled", p, 409, "already_cancelled"},
		{"ErrUnknownRegistration", map[string]string{"id": ev.ID, "rid": community.NewID(time.Now())}, 404, "registration_not_found"},
		{"ErrMalformedRegistration", map[string]string{"id": ev.ID, "rid": "x"}, 404, "registration_not_found"},
		{"ErrUnknownEvent", map[string]string{"id": community.NewID(time.Now()), "rid": head.ID}, 404, "event_not_found"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteCancelReg, params: tt.params}), tt.status, tt.code)
		})
	}
	t.Run("ErrMember", func(t *testing.T) {
		want(t, e.do(call{route: adminapi.RouteCancelReg, params: map[string]string{"id": ev.ID, "rid": head.ID}, token: e.token(m)}), 403, "forbidden")
	})
	// Last: it moves the clock past the start.
	t.Run("ErrStarted", func(t *testing.T) {
		e.clock.Set(ev.StartsAt.Add(time.Minute))
		want(t, e.as(call{route: adminapi.RouteCancelReg, params: map[string]string{"id": ev.ID, "rid": head.ID}}), 422, "event_started")
	})
}
