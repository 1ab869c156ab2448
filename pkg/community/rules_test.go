package community

import (
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestCheckRegistration(t *testing.T) {
	jst := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, Tokyo)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	now := jst("2026-05-01 12:00")
	start := jst("2026-06-01 09:00") // キャリア開発塾 starts on a Monday
	workshop := func() *Event {
		return &Event{
			Status: EventPublished, Audience: AudienceMembers, StartsAt: start, EndsAt: start.Add(4 * 24 * time.Hour),
			RegistrationClosesAt: ptr(jst("2026-05-15 23:59")),
			Eligibility:          &Eligibility{PublicServantOnly: true, MinAge: ptr(25), MaxAge: ptr(39)},
		}
	}
	member := func(birth string, mod func(*Member)) Viewer {
		m := &Member{Status: MemberActive, Membership: MembershipRegular, PublicServant: true}
		if birth != "" {
			b := jst(birth + " 00:00")
			m.BirthDate = &b
		}
		if mod != nil {
			mod(m)
		}
		return Viewer{Member: m}
	}
	tests := []struct {
		name   string
		event  func(*Event)
		viewer Viewer
		guest  *Guest
		now    time.Time
		reason string
	}{
		{name: "OK", viewer: member("1990-01-01", nil)},
		{name: "OKTurns25OnFirstDay", viewer: member("2001-06-01", nil)},
		{name: "ErrAge24DayBefore", viewer: member("2001-06-02", nil), reason: "age_not_eligible"},
		{name: "OKAge39", viewer: member("1986-06-02", nil)},
		{name: "ErrAge40OnFirstDay", viewer: member("1986-06-01", nil), reason: "age_not_eligible"},
		{name: "ErrNoBirthDate", viewer: member("", nil), reason: "birth_date_required"},
		{name: "ErrNotPublicServant", viewer: member("1990-01-01", func(m *Member) { m.PublicServant = false }), reason: "public_servants_only"},
		{name: "ErrSuspended", viewer: member("1990-01-01", func(m *Member) { m.Status = MemberSuspended }), reason: "member_suspended"},
		{name: "ErrPending", viewer: member("1990-01-01", func(m *Member) { m.Status = MemberPendingApproval }), reason: "member_not_active"},
		{name: "ErrClosed", viewer: member("1990-01-01", nil), now: jst("2026-05-15 23:59"), reason: "registration_closed"},
		{name: "ErrNotOpen", viewer: member("1990-01-01", nil), event: func(e *Event) { e.RegistrationOpensAt = ptr(jst("2026-05-02 00:00")) }, reason: "registration_not_open"},
		{name: "ErrStarted", viewer: member("1990-01-01", nil), now: start, event: func(e *Event) { e.RegistrationClosesAt = nil }, reason: "event_started"},
		{name: "ErrCancelled", viewer: member("1990-01-01", nil), event: func(e *Event) { e.Status = EventCancelled }, reason: "event_cancelled"},
		{name: "ErrDraft", viewer: member("1990-01-01", nil), event: func(e *Event) { e.Status = EventDraft }, reason: "event_not_found"},
		{name: "ErrAnonymous", reason: "unauthorized"},
		{name: "ErrGuestMembersEvent", guest: &Guest{Name: "a", Email: "a@example.jp"}, reason: "members_only"},
		{name: "ErrGuestEligibility", guest: &Guest{Name: "a", Email: "a@example.jp"}, event: func(e *Event) { e.Audience = AudiencePublic }, reason: "members_only"},
		{name: "OKGuestPublic", guest: &Guest{Name: "a", Email: "a@example.jp"}, event: func(e *Event) { e.Audience = AudiencePublic; e.Eligibility = nil }},
		{name: "ErrSupportingAtRegularEvent", viewer: member("1990-01-01", func(m *Member) { m.Membership = MembershipSupporting }), event: func(e *Event) { e.Audience = AudienceRegular }, reason: "regular_members_only"},
		{name: "OKSupportingAtMembersEvent", viewer: member("1990-01-01", func(m *Member) { m.Membership = MembershipSupporting })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := workshop()
			if tt.event != nil {
				tt.event(e)
			}
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			err := e.CheckRegistration(tt.viewer, tt.guest, at)
			if got := reasonOf(err); got != tt.reason {
				t.Errorf("reason = %q, want %q (err %v)", got, tt.reason, err)
			}
		})
	}
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return ErrorReason(err)
}

func TestAgeOnLeapDay(t *testing.T) {
	birth := time.Date(2000, 2, 29, 0, 0, 0, 0, Tokyo)
	cases := []struct {
		on   time.Time
		want int
	}{
		{time.Date(2025, 2, 28, 12, 0, 0, 0, Tokyo), 24},
		{time.Date(2025, 3, 1, 0, 0, 0, 0, Tokyo), 25},
		{time.Date(2028, 2, 29, 0, 0, 0, 0, Tokyo), 28},
		// 2025-02-28T15:30Z is already 1 March in Tokyo.
		{time.Date(2025, 2, 28, 15, 30, 0, 0, time.UTC), 25},
	}
	for _, c := range cases {
		if got := AgeOn(birth, c.on); got != c.want {
			t.Errorf("AgeOn(%v) = %d, want %d", c.on, got, c.want)
		}
	}
}

func TestAudienceLabel(t *testing.T) {
	age := 25
	for _, tt := range []struct {
		name string
		e    Event
		want string
	}{
		{"Public", Event{Audience: AudiencePublic}, "どなたでも参加できます"},
		{"PublicServantsOnly", Event{Audience: AudiencePublic, Eligibility: &Eligibility{PublicServantOnly: true}}, "参加条件あり"},
		{"AgeRange", Event{Audience: AudiencePublic, Eligibility: &Eligibility{MinAge: &age}}, "参加条件あり"},
		{"EmptyEligibility", Event{Audience: AudiencePublic, Eligibility: &Eligibility{}}, "どなたでも参加できます"},
		{"Regular", Event{Audience: AudienceRegular, Eligibility: &Eligibility{PublicServantOnly: true}}, "正会員限定"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.AudienceLabel(); got != tt.want {
				t.Errorf("AudienceLabel = %q, want %q", got, tt.want)
			}
		})
	}
}
