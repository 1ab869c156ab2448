package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// The console's audit log page: what organizers (and the clock) did,
// newest first, narrowed to one event or one member. It shows what the log
// holds — ids and summaries, which never carry addresses — and looks
// nobody up, so reading the log is not itself a reading of personal data.

// auditActions names each audit action in Japanese.
var auditActions = map[string]string{
	community.AuditEventCreate:         "イベント作成",
	community.AuditEventUpdate:         "イベント編集",
	community.AuditEventPublish:        "イベント公開",
	community.AuditEventCancel:         "イベント中止",
	community.AuditEventMessage:        "参加者へのメール",
	community.AuditRegistrationsExport: "一覧の出力",
	community.AuditCheckIn:             "受付",
	community.AuditCheckInUndo:         "受付の取消",
	community.AuditRegistrationCancel:  "申込の取消",
	community.AuditSeriesCreate:        "シリーズ作成",
	community.AuditSeriesUpdate:        "シリーズ編集",
	community.AuditSeriesExtend:        "シリーズ延長",
	community.AuditMemberApprove:       "入会承認",
	community.AuditMemberReject:        "入会却下",
	community.AuditMemberSuspend:       "会員資格の停止",
	community.AuditMemberReinstate:     "停止の解除",
	community.AuditMemberEligibility:   "参加資格の設定",
	community.AuditApplicationDecide:   "選考結果",
	community.AuditApplicationNotify:   "選考結果の通知",
	community.AuditLotteryDraw:         "抽選",
	community.AuditRegistrationsView:   "参加者一覧の閲覧",
	community.AuditApplicationsView:    "申込一覧の閲覧",
	community.AuditMembersView:         "会員情報の閲覧",
	community.AuditSurveyView:          "アンケートの閲覧",
}

// auditRow is one entry as the page shows it.
type auditRow struct {
	At, Action, Summary string
	Actor, ActorLink    string
	Target, TargetLink  string
}

func newAuditRow(e *community.AuditEntry) auditRow {
	row := auditRow{At: jadate.DateTime(e.At), Action: auditActions[e.Action], Summary: e.Summary, Actor: e.ActorID}
	if row.Action == "" {
		row.Action = e.Action
	}
	if e.ActorID == community.SystemActor {
		row.Actor = "システム（自動処理）"
	} else {
		row.ActorLink = "/admin/members/" + url.PathEscape(e.ActorID)
	}
	switch e.TargetType {
	case "member":
		row.Target, row.TargetLink = "会員 "+e.TargetID, "/admin/members/"+url.PathEscape(e.TargetID)
	case "event":
		row.Target, row.TargetLink = "イベント "+e.TargetID, "/events/"+url.PathEscape(e.TargetID)
	case "registration":
		row.Target = "申込 " + e.TargetID
	case "series":
		row.Target = "シリーズ " + e.TargetID
	case "members":
		row.Target = "会員一覧"
	default:
		row.Target = e.TargetType + " " + e.TargetID
	}
	return row
}

type consoleAuditData struct {
	Event, Member string
	Errors        map[string]string
	Entries       []auditRow
	Next          string // the next page's URL, "" at the end
	Filtered      bool
}

// consoleAudit is the audit log, paged by the store's cursor.
func (h *Handler) consoleAudit(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	d := consoleAuditData{Event: r.query.Get("event"), Member: r.query.Get("member"), Errors: map[string]string{}}
	if d.Event != "" && !community.ValidID(d.Event) {
		d.Errors["event"] = "イベントIDの形式が正しくありません。イベントのページのURLにあるIDを入力してください。"
	}
	if d.Member != "" && d.Member != community.SystemActor && !community.ValidID(d.Member) {
		d.Errors["member"] = "会員IDの形式が正しくありません。"
	}
	if len(d.Errors) > 0 {
		return h.render(ctx, r, http.StatusBadRequest, "console_audit", "監査ログ（入力内容の確認）", "admin-audit", d)
	}
	d.Filtered = d.Event != "" || d.Member != ""
	page, err := h.audit.Find(ctx, v, community.AuditFilter{EventID: d.Event, MemberID: d.Member, Cursor: r.query.Get("cursor")})
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	for _, e := range page.Entries {
		d.Entries = append(d.Entries, newAuditRow(e))
	}
	if page.NextCursor != "" {
		q := url.Values{"cursor": {page.NextCursor}}
		if d.Event != "" {
			q.Set("event", d.Event)
		}
		if d.Member != "" {
			q.Set("member", d.Member)
		}
		d.Next = "/admin/audit?" + q.Encode()
	}
	return h.render(ctx, r, http.StatusOK, "console_audit", "監査ログ", "admin-audit", d)
}
