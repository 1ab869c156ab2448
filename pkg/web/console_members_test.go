package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/community/communitytest"
)

// membersConsole is an env whose handler serves the console, with an
// organizer (configured by address, as in production) and a member who
// is not one.
type membersConsole struct {
	*env
	org, plain          *community.Member
	orgSession, session string
}

func newMembersConsole(t *testing.T, e *env) membersConsole {
	t.Helper()
	e.h.memberAdmin = &community.MemberAdmin{Store: e.store, Clock: e.clock, Log: communitytest.FailOnError(t)}
	e.h.audit = &community.AuditLog{Store: e.store}
	c := membersConsole{env: e}
	c.org, c.orgSession = e.member(t, "運営 太郎", community.MembershipSupporting)
	c.plain, c.session = e.member(t, "会員 花子", community.MembershipSupporting)
	orgEmail := c.org.Email
	e.sessions.Organizers = func(email string) bool { return community.NormalizeEmail(email) == orgEmail }
	return c
}

// applicant signs up a regular member, who then awaits approval.
func (c membersConsole) applicant(t *testing.T, name string) *community.Member {
	t.Helper()
	m, _ := c.member(t, name, community.MembershipRegular)
	if m.Status != community.MemberPendingApproval {
		t.Fatalf("applicant status = %s", m.Status)
	}
	return m
}

// checkAccessible: a label for every visible input, headings in order
// (checkLabelsAndHeadings, shared with the event pages' tests).
func checkAccessible(t *testing.T, body string) {
	t.Helper()
	checkLabelsAndHeadings(t, "page", body)
}

// Every console page: signed out it sends to sign in (and back), a member
// who is not an organizer gets 403, a post without the session's CSRF
// token is refused, and what an organizer sees labels every input and
// keeps its headings in order.
func TestConsolePagesAccess(t *testing.T) {
	c := newMembersConsole(t, newEnv(t))
	a := c.applicant(t, "申請 一郎")
	pages := []string{"/admin/members", "/admin/members?q=" + url.QueryEscape("伊勢崎") + "&status=active", "/admin/members/" + a.ID, "/admin/audit", "/admin/audit?member=" + a.ID}
	for _, p := range pages {
		t.Run("SignedOut"+p, func(t *testing.T) {
			resp := c.do(t, get(t, p, ""))
			wantStatus(t, resp, 303)
			// Back to the page asked for, its query included.
			if want := "/signin?next=" + url.QueryEscape(p); resp.Headers["Location"] != want {
				t.Errorf("Location = %q, want %q", resp.Headers["Location"], want)
			}
		})
		t.Run("NotOrganizer"+p, func(t *testing.T) {
			resp := c.do(t, get(t, p, c.session))
			wantStatus(t, resp, 403)
			wantNotBody(t, resp, a.Name, "申請 一郎")
		})
		t.Run("Organizer"+p, func(t *testing.T) {
			resp := c.do(t, get(t, p, c.orgSession))
			wantStatus(t, resp, 200)
			checkPageHeaders(t, resp)
			checkAccessible(t, resp.Body)
		})
	}
	action := "/admin/members/" + a.ID
	t.Run("PostSignedOut", func(t *testing.T) {
		wantStatus(t, c.do(t, post(t, action, url.Values{"action": {"approve"}}, "")), 303)
	})
	t.Run("PostNotOrganizer", func(t *testing.T) {
		csrf := c.csrfOf(t, c.session)
		wantStatus(t, c.do(t, post(t, action, url.Values{"action": {"approve"}, "csrf": {csrf}}, c.session)), 403)
	})
	t.Run("PostForgedCSRF", func(t *testing.T) {
		for _, csrf := range []string{"", "forged", c.csrfOf(t, c.session)} { // another session's token is forged too
			resp := c.do(t, post(t, action, url.Values{"action": {"approve"}, "csrf": {csrf}}, c.orgSession))
			wantStatus(t, resp, 403)
		}
		if m, err := c.store.Member(context.Background(), a.ID); err != nil || m.Status != community.MemberPendingApproval {
			t.Errorf("after forged posts: %v, %v", m.Status, err)
		}
	})
	t.Run("BadFilters", func(t *testing.T) {
		wantStatus(t, c.do(t, get(t, "/admin/members?status=withdrawn", c.orgSession)), 400)
		resp := c.do(t, get(t, "/admin/audit?event=..%2Fx", c.orgSession))
		wantStatus(t, resp, 400)
		checkAccessible(t, resp.Body)
		wantBody(t, resp, `aria-invalid="true" aria-describedby="error-event"`)
	})
}

func (c membersConsole) act(t *testing.T, id string, form url.Values) events.APIGatewayV2HTTPResponse {
	t.Helper()
	form.Set("csrf", c.csrfOf(t, c.orgSession))
	c.clock.Advance(time.Minute) // the audit log is newest first: one entry a minute
	return c.do(t, post(t, "/admin/members/"+id, form, c.orgSession))
}

func TestConsoleMembers(t *testing.T) {
	c := newMembersConsole(t, newEnv(t))
	ctx := context.Background()
	a := c.applicant(t, "申請 一郎")
	b := c.applicant(t, "申請 二郎")

	t.Run("PendingFirst", func(t *testing.T) {
		resp := c.do(t, get(t, "/admin/members", c.orgSession))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "承認待ちの入会申請（2件）", `href="/admin/members/`+a.ID+`"`, "申請 一郎", "申請 二郎")
		wantNotBody(t, resp, a.Email, c.plain.Name) // addresses only on a member's own page; active members only when searched
	})
	t.Run("DetailShowsWhatWasSubmitted", func(t *testing.T) {
		resp := c.do(t, get(t, "/admin/members/"+a.ID, c.orgSession))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "申請 一郎", a.Email, "伊勢崎市", "正会員", "入会を承認する", "入会を却下する", `for="reject-reason"`)
	})
	t.Run("Search", func(t *testing.T) {
		resp := c.do(t, get(t, "/admin/members?q="+url.QueryEscape("二郎"), c.orgSession))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "検索結果（1件）", "申請 二郎")
		wantNotBody(t, resp, "申請 一郎")
		resp = c.do(t, get(t, "/admin/members?q="+url.QueryEscape(strings.ToUpper(c.plain.Email)), c.orgSession))
		wantBody(t, resp, "検索結果（1件）", "会員 花子")
		resp = c.do(t, get(t, "/admin/members?status=active", c.orgSession))
		wantBody(t, resp, "会員 花子", "運営 太郎")
		wantNotBody(t, resp, "申請 一郎")
	})
	t.Run("Approve", func(t *testing.T) {
		resp := c.act(t, a.ID, url.Values{"action": {"approve"}})
		wantStatus(t, resp, 303)
		if want := "/admin/members/" + a.ID + "?done=approved"; resp.Headers["Location"] != want {
			t.Errorf("Location = %q", resp.Headers["Location"])
		}
		if m, _ := c.store.Member(ctx, a.ID); m.Status != community.MemberActive {
			t.Errorf("status = %s", m.Status)
		}
		again := c.act(t, a.ID, url.Values{"action": {"approve"}})
		wantStatus(t, again, 409)
		wantBody(t, again, "この会員は現在「有効」のため、この操作はできません。")
	})
	t.Run("RejectWithReason", func(t *testing.T) {
		long := url.Values{"action": {"reject"}, "reason": {strings.Repeat("長", 1001)}}
		resp := c.act(t, b.ID, long)
		wantStatus(t, resp, 400)
		wantBody(t, resp, `id="error-reason"`, "理由は1000文字以内で入力してください。")
		checkAccessible(t, resp.Body)
		resp = c.act(t, b.ID, url.Values{"action": {"reject"}, "reason": {"正会員の要件（公務員）を確認できませんでした。"}})
		wantStatus(t, resp, 303)
		if resp.Headers["Location"] != "/admin/members?done=rejected" {
			t.Errorf("Location = %q", resp.Headers["Location"])
		}
		if m, err := c.store.Member(ctx, b.ID); err == nil && m.Email != "" {
			t.Errorf("rejected applicant still holds %q", m.Email)
		}
	})
	t.Run("SuspendWithReasonAndReinstate", func(t *testing.T) {
		resp := c.act(t, a.ID, url.Values{"action": {"suspend"}, "reason": {"イベントの妨害"}})
		wantStatus(t, resp, 303)
		if m, _ := c.store.Member(ctx, a.ID); m.Status != community.MemberSuspended {
			t.Errorf("status = %s", m.Status)
		}
		page := c.do(t, get(t, "/admin/members/"+a.ID+"?done=suspended", c.orgSession))
		wantBody(t, page, "会員資格を停止しました。", "停止を解除する")
		wantStatus(t, c.act(t, a.ID, url.Values{"action": {"reinstate"}}), 303)
		if m, _ := c.store.Member(ctx, a.ID); m.Status != community.MemberActive {
			t.Errorf("status = %s", m.Status)
		}
	})
	t.Run("NoSuspendingOneself", func(t *testing.T) {
		page := c.do(t, get(t, "/admin/members/"+c.org.ID, c.orgSession))
		wantBody(t, page, "ご自身の会員資格は停止できません。")
		wantStatus(t, c.act(t, c.org.ID, url.Values{"action": {"suspend"}}), 409)
	})
	t.Run("UnknownAction", func(t *testing.T) {
		wantStatus(t, c.act(t, a.ID, url.Values{"action": {"delete"}}), 400)
	})
	t.Run("AuditedWithoutAddresses", func(t *testing.T) {
		resp := c.do(t, get(t, "/admin/audit?member="+a.ID, c.orgSession))
		wantStatus(t, resp, 200)
		wantBody(t, resp, "入会承認", "会員資格の停止", "会員資格を停止（理由: イベントの妨害）", "停止の解除", "会員の登録内容を閲覧")
		wantNotBody(t, resp, a.Email, "却下")
		all := c.do(t, get(t, "/admin/audit", c.orgSession))
		wantBody(t, all, "入会却下", "正会員の入会申請を却下し、申請者の情報を削除（理由を通知）", "会員を検索")
		wantNotBody(t, all, a.Email, b.Email, c.plain.Email, "二郎")
		// Newest first.
		if i, j := strings.Index(all.Body, "停止の解除"), strings.Index(all.Body, "入会承認"); i < 0 || j < 0 || i > j {
			t.Errorf("the audit log is not newest first (%d, %d)", i, j)
		}
	})
}

// A member's request to change their eligibility claim shows on the
// console with its reason, and approving it sets what was requested.
func TestConsoleEligibilityRequest(t *testing.T) {
	c := newMembersConsole(t, newEnv(t))
	ctx := context.Background()
	if _, err := c.members.RequestEligibilityChange(ctx, community.Viewer{Member: c.plain}, true, "1990-04-01", "4月に市役所に採用されました。"); err != nil {
		t.Fatal(err)
	}
	list := c.do(t, get(t, "/admin/members", c.orgSession))
	wantBody(t, list, "参加資格の変更申請（1件）", "会員 花子", "公務員 はい・生年月日 平成2年4月1日(日)", "4月に市役所に採用されました。")
	page := c.do(t, get(t, "/admin/members/"+c.plain.ID, c.orgSession))
	wantBody(t, page, "参加資格の変更申請", `name="birth_date" value="1990-04-01"`, "申請どおりに変更を承認する")
	checkAccessible(t, page.Body)

	resp := c.act(t, c.plain.ID, url.Values{"action": {"eligibility"}, "public_servant": {"yes"}, "birth_date": {"1990-04-01"}})
	wantStatus(t, resp, 303)
	m, err := c.store.Member(ctx, c.plain.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.PublicServant || m.BirthDate == nil || m.EligibilityRequest != nil || m.EligibilityApproval == nil || m.EligibilityApproval.By != c.org.ID {
		t.Errorf("after approval: servant %v, birth %v, request %v, approval %+v", m.PublicServant, m.BirthDate, m.EligibilityRequest, m.EligibilityApproval)
	}
	wantBody(t, c.do(t, get(t, "/admin/members", c.orgSession)), "確認待ちの変更申請はありません。")
}
