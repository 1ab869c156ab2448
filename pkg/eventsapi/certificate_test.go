package eventsapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sorae/tabane/pkg/auth"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func certificateRequest(t *testing.T, id string) httpapi.Request {
	t.Helper()
	req := fixture(t, "detail-anonymous.json")
	req.RouteKey = RouteCertificate
	req.RawPath = "/api/certificates/" + id
	req.RequestContext.HTTP.Path = req.RawPath
	req.PathParameters = map[string]string{"id": id}
	return req
}

// GET /api/certificates/{id}: a checked-in attendee's certificate
// verifies with their name and the event, and nothing else of them; an
// altered, other-key or not-checked-in id is the same 404; a cancelled
// registration no longer verifies. It only reads.
func TestVerifyCertificate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	links := auth.Links{BaseURL: baseURL, Keys: auth.MustParseKeyring("0123456789abcdef0123456789abcdef-events-cert")}
	clock := community.ClockFunc(func() time.Time { return now })
	e.h.Certificates = &community.Certificates{Store: e.store, Links: links, Clock: clock}
	ev := event("私塾 橋梁点検の実際", community.KindLecture, community.AudiencePublic, now.Add(-48*time.Hour))
	e.seed(t, ev)
	reg := func(name string, checkIn bool) (*community.Member, *community.Registration) {
		m := &community.Member{ID: community.NewID(now), Email: localtest.UniqueEmail("cert"), Name: name, NameKana: "かな",
			Affiliation: "前橋市 道路管理課", Membership: community.MembershipSupporting, Status: community.MemberActive,
			Role: community.RoleMember, CreatedAt: now, UpdatedAt: now}
		if err := e.store.CreateMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		r := &community.Registration{ID: community.NewID(now), EventID: ev.ID, MemberID: m.ID, EventStartsAt: ev.StartsAt, CreatedAt: now, UpdatedAt: now}
		if err := e.store.Register(ctx, ev, r); err != nil {
			t.Fatal(err)
		}
		if checkIn {
			at := ev.StartsAt
			if _, err := e.store.SetCheckIn(ctx, ev.ID, r.ID, &at); err != nil {
				t.Fatal(err)
			}
		}
		return m, r
	}
	came, cameReg := reg("伊勢崎 花子", true)
	_, absentReg := reg("高崎 次郎", false)
	id := links.CertificateID(ev.ID, cameReg.ID)
	e.counter.Reset()

	resp := invoke(t, e.h, certificateRequest(t, id))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var got struct {
		Verified bool   `json:"verified"`
		Name     string `json:"name"`
		Number   string `json:"number"`
		Event    struct {
			ID, Title, Display string
		} `json:"event"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Verified || got.Name != came.Name || got.Event.ID != ev.ID || got.Event.Title != ev.Title ||
		got.Number != community.CertificateNumber(cameReg.ID) || !strings.HasPrefix(got.Event.Display, "令和7年4月29日(火) ") {
		t.Errorf("verified certificate = %+v", got)
	}
	for _, leak := range []string{came.Email, came.Affiliation, came.NameKana, ev.JoinURL} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("the answer shows %q", leak)
		}
	}
	if snap := e.counter.Snapshot(); snap["PutItem"]+snap["UpdateItem"]+snap["DeleteItem"]+snap["TransactWriteItems"] != 0 {
		t.Errorf("verifying wrote: %v", snap)
	}

	other := auth.Links{BaseURL: baseURL, Keys: auth.MustParseKeyring("another-secret-another-secret-another")}
	for name, bad := range map[string]string{
		"Altered":      strings.Replace(id, cameReg.ID, absentReg.ID, 1),
		"OtherKey":     other.CertificateID(ev.ID, cameReg.ID),
		"NotCheckedIn": links.CertificateID(ev.ID, absentReg.ID),
		"Unknown":      links.CertificateID(ev.ID, community.NewID(now)),
		"Nonsense":     "abc",
	} {
		t.Run(name, func(t *testing.T) {
			resp := invoke(t, e.h, certificateRequest(t, bad))
			if resp.StatusCode != 404 || !strings.Contains(resp.Body, `"certificate_not_verified"`) {
				t.Errorf("status %d: %s", resp.StatusCode, resp.Body)
			}
		})
	}
	t.Run("Cancelled", func(t *testing.T) {
		if _, _, err := e.store.CancelRegistration(ctx, ev.ID, cameReg.ID, now); err != nil {
			t.Fatal(err)
		}
		resp := invoke(t, e.h, certificateRequest(t, id))
		if resp.StatusCode != 404 || !strings.Contains(resp.Body, `"certificate_not_verified"`) {
			t.Errorf("a cancelled registration: status %d: %s", resp.StatusCode, resp.Body)
		}
	})
}
