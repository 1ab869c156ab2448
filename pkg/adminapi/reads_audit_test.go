package adminapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// auditEntries returns every audit entry of action on target, newest first.
func (e *env) auditEntries(action, target string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	cursor := ""
	for {
		q := "limit=100"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(call{route: adminapi.RouteAudit, query: q})
		want(e.t, r, 200, "")
		for _, x := range r.body["entries"].([]any) {
			if a := x.(map[string]any); a["action"] == action && a["target_id"] == target {
				out = append(out, a)
			}
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// Reading personal data is audited (issue 14): each read route leaves
// exactly one entry per request, by the organizer, naming the event or the
// list — and no address of anyone in it.
func TestReadsAreAudited(t *testing.T) {
	e := newEnv(t)
	ev := e.published(3, map[string]any{"survey": afterSurvey})
	seated := e.member(community.MemberActive, community.MembershipSupporting, "閲覧 対象子")
	applicant := e.member(community.MemberActive, community.MembershipSupporting, "申込 対象男")
	e.seat(ev, seated, community.RegistrationConfirmed)
	g := e.guest(ev, "来訪 者", community.RegistrationConfirmed)
	e.applyDirect(ev, applicant)
	secrets := []string{seated.Email, applicant.Email, g.Guest.Email, "@"}
	id := map[string]string{"id": ev.ID}
	for _, c := range []struct {
		name           string
		call           call
		action, target string
	}{
		{"AttendeesJSON", call{route: adminapi.RouteRegistrations, params: id}, community.AuditRegistrationsView, ev.ID},
		{"AttendeesCSV", call{route: adminapi.RouteRegistrations, params: id, query: "format=csv"}, community.AuditRegistrationsExport, ev.ID},
		{"ApplicationsJSON", call{route: adminapi.RouteApplications, params: id}, community.AuditApplicationsView, ev.ID},
		{"ApplicationsCSV", call{route: adminapi.RouteApplications, params: id, query: "format=csv"}, community.AuditRegistrationsExport, ev.ID},
		{"Members", call{route: adminapi.RouteMembers, query: "status=active"}, community.AuditMembersView, string(community.MemberActive)},
		{"SurveyJSON", call{route: adminapi.RouteSurvey, params: id}, community.AuditSurveyView, ev.ID},
		{"SurveyCSV", call{route: adminapi.RouteSurvey, params: id, query: "format=csv"}, community.AuditRegistrationsExport, ev.ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.auditEntries(c.action, c.target))
			want(t, e.as(c.call), 200, "")
			got := e.auditEntries(c.action, c.target)
			if len(got) != before+1 {
				t.Fatalf("%d entries %s on %s after the request, want %d", len(got), c.action, c.target, before+1)
			}
			a := got[0]
			if a["actor_id"] != e.org.ID {
				t.Errorf("actor %v, want the organizer %s", a["actor_id"], e.org.ID)
			}
			raw, _ := json.Marshal(a)
			for _, s := range secrets {
				if strings.Contains(string(raw), s) {
					t.Errorf("the entry holds %q: %s", s, raw)
				}
			}
			if summary, _ := a["summary"].(string); !strings.Contains(summary, "件") {
				t.Errorf("summary %q does not say how many records", summary)
			}
		})
	}
	// An export reads every page, and still writes only its own entry.
	for _, action := range []string{community.AuditRegistrationsView, community.AuditApplicationsView, community.AuditSurveyView} {
		if n := len(e.auditEntries(action, ev.ID)); n != 1 {
			t.Errorf("%d entries %s, want the JSON request's one", n, action)
		}
	}
}
