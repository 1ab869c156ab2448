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

// organization stores an active organization member (団体正会員) for the
// body named affiliation.
func (e *env) organization(affiliation string) *community.Member {
	e.t.Helper()
	m := &community.Member{
		ID: community.NewID(T), Email: localtest.UniqueEmail("org"), Name: "担当 " + affiliation, NameKana: "たんとう",
		Membership: community.MembershipOrganization, Affiliation: affiliation, PublicServant: true, Status: community.MemberActive,
		Role: community.RoleMember, CreatedAt: T.Add(-90 * 24 * time.Hour), UpdatedAt: T.Add(-90 * 24 * time.Hour),
	}
	if err := e.store.CreateMember(context.Background(), m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// nominee stores a confirmed registration of org's staff member name, as
// a nominee's confirmation and selection leave it.
func (e *env) nominee(ev *community.Event, org *community.Member, name string, at time.Time) *community.Registration {
	e.t.Helper()
	r := &community.Registration{ID: community.NewID(at), EventID: ev.ID, EventStartsAt: ev.StartsAt, CreatedAt: at, UpdatedAt: at,
		Guest: &community.Guest{Name: name, Email: localtest.UniqueEmail("staff")}, OrganizationID: org.ID, Department: "道路課"}
	if err := e.store.Register(context.Background(), ev, r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// TestOrgSurveySweepOnce: three sweeps at once mail each organization
// whose staff attended its survey exactly once, to its contact, naming
// those staff (and not the absent); an organization whose staff were not
// checked in gets none; with no check-ins at all, confirmed staff count;
// later sweeps send nothing more.
func TestOrgSurveySweepOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	start := T.Add(-3 * time.Hour) // ended 2 hours before T
	orgForm := community.Form{{ID: "effect", Label: "業務への効果", Kind: community.QuestionSingleChoice, Required: true, Options: []string{"大きい", "小さい"}}}
	withOrgSurvey := func(ev *community.Event) {
		ev.OrgSurvey = &community.Survey{Form: orgForm, SendAfter: time.Hour}
	}
	// X: check-ins; A's staff came (two of three), B's did not.
	evX := e.event("研修 X", start, func(ev *community.Event) { withSurvey(time.Hour)(ev); withOrgSurvey(ev) })
	// Y: nobody checked in: C's confirmed staff count as attended.
	evY := e.event("研修 Y", start, withOrgSurvey)
	orgA, orgB, orgC := e.organization("高崎市"), e.organization("前橋市"), e.organization("桐生市")

	regAt := T.Add(-7 * 24 * time.Hour)
	a1 := e.nominee(evX, orgA, "高崎 一郎", regAt)
	a2 := e.nominee(evX, orgA, "高崎 二郎", regAt.Add(time.Minute))
	e.nominee(evX, orgA, "高崎 欠席", regAt.Add(2*time.Minute))
	e.nominee(evX, orgB, "前橋 欠席", regAt.Add(3*time.Minute))
	g := e.register(evX, nil, regAt.Add(4*time.Minute)) // a guest of nobody's
	for _, r := range []*community.Registration{a1, a2, g} {
		at := start.Add(5 * time.Minute)
		if _, err := e.store.SetCheckIn(ctx, evX.ID, r.ID, &at); err != nil {
			t.Fatal(err)
		}
	}
	e.nominee(evY, orgC, "桐生 三郎", regAt)
	e.deliverAll(t, 3)

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
	// X's attendee survey: a1, a2, g; organizations: A for X, C for Y.
	if sent != 5 {
		t.Errorf("three sweeps handed over %d surveys, want 5: %+v", sent, results)
	}
	e.deliverAll(t, 3)

	for _, c := range []struct {
		org      *community.Member
		ev       *community.Event
		want     int
		names    []string
		notNames []string
	}{
		{orgA, evX, 1, []string{"高崎 一郎", "高崎 二郎"}, []string{"高崎 欠席", "前橋 欠席", "ゲスト 花子"}},
		{orgB, evX, 0, nil, nil},
		{orgC, evY, 1, []string{"桐生 三郎"}, nil},
	} {
		got := localtest.MailTo(t, c.org.Email)
		if len(got) != c.want {
			t.Errorf("%s got %d mails, want %d", c.org.Affiliation, len(got), c.want)
			continue
		}
		for _, m := range got {
			if want := "【そらゑ】「" + c.ev.Title + "」団体向け事後アンケートのお願い"; m.Subject != want {
				t.Errorf("subject %q, want %q", m.Subject, want)
			}
			link := e.links.OrgSurveyLink(c.ev.ID, c.org.ID)
			if !strings.Contains(m.Body.Text, link) || !strings.Contains(m.Body.HTML, htmlEscape(link)) {
				t.Errorf("mail to %s lacks its link %s:\n%s", c.org.Affiliation, link, m.Body.Text)
			}
			for _, n := range c.names {
				if !strings.Contains(m.Body.Text, n) || !strings.Contains(m.Body.HTML, n) {
					t.Errorf("mail to %s does not name %s:\n%s", c.org.Affiliation, n, m.Body.Text)
				}
			}
			for _, n := range c.notNames {
				if strings.Contains(m.Body.Text, n) {
					t.Errorf("mail to %s names %s, who did not attend or is not its staff", c.org.Affiliation, n)
				}
			}
		}
	}
	// The attendee survey is not the organization's: staff get theirs.
	if got := localtest.MailTo(t, a1.Guest.Email); len(got) != 1 || !strings.Contains(got[0].Subject, "」事後アンケート") {
		t.Errorf("a1 got %d mails, want the attendee survey", len(got))
	}

	e.clock.Set(T.Add(2 * time.Minute))
	if res := e.sweep(e.service()); res.SurveysSent != 0 || res.SurveysDue != 0 {
		t.Errorf("a later sweep: %+v, want nothing due or sent", res)
	}
	recs, err := e.store.EventOrgSurveys(ctx, evX.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].OrganizationID != orgA.ID || len(recs[0].StaffIDs) != 2 {
		t.Errorf("X's organization surveys %+v, want A's about a1 and a2", recs)
	}
}
