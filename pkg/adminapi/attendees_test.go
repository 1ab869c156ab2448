package adminapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/community"
)

// trickyName has everything CSV must quote: a comma, quotes and a line break.
const trickyName = "山田, \"太郎\"\n（旧姓 鈴木）"

func TestRegistrationsJSON(t *testing.T) {
	e := newEnv(t)
	ev := e.published(10, map[string]any{"capacity": 3})
	p := map[string]string{"id": ev.ID}
	var confirmed, waiting []string
	for i := range 3 {
		m := e.member(community.MemberActive, community.MembershipSupporting, "確定 "+string(rune('A'+i)))
		confirmed = append(confirmed, e.seat(ev, m, community.RegistrationConfirmed).ID)
		e.clock.Advance(time.Second)
	}
	for i := range 4 {
		waiting = append(waiting, e.guest(ev, "待ち "+string(rune('A'+i)), community.RegistrationWaitlisted).ID)
	}
	gone := e.guest(ev, "取消 A", community.RegistrationWaitlisted)
	if _, _, err := e.store.CancelRegistration(context.Background(), ev.ID, gone.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.quiet()

	var got []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		q := "limit=2"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(call{route: adminapi.RouteRegistrations, params: p, query: q})
		want(t, r, 200, "")
		for _, x := range r.body["registrations"].([]any) {
			got = append(got, x.(map[string]any))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a["registration_id"].(string))
	}
	if wantIDs := append(append(slices.Clone(confirmed), waiting...), gone.ID); !slices.Equal(ids, wantIDs) {
		t.Fatalf("registrations\n got %v\nwant %v (confirmed, waiting head first, cancelled; no gaps, no repeats)", ids, wantIDs)
	}
	first := got[0]
	if first["name"] != "確定 A" || first["email"] == "" || first["affiliation"] != "伊勢崎市" || first["name_kana"] != "てすと" ||
		first["status"] != "confirmed" || first["status_label"] != "参加確定" || first["guest"] != false || first["checked_in"] != false {
		t.Errorf("first %v", first)
	}
	if at, _ := first["created_at"].(string); !strings.HasSuffix(at, "+09:00") {
		t.Errorf("created_at %q is not in Japan time", at)
	}
	if reg, _ := first["registered_at"].(string); len(reg) != len("2006/01/02 15:04") {
		t.Errorf("registered_at %q", reg)
	}
	for i, a := range got[3:7] {
		if a["waitlist_position"] != float64(i+1) || a["guest"] != true {
			t.Errorf("waitlisted %d: %v", i, a)
		}
	}

	t.Run("Status", func(t *testing.T) {
		r := e.as(call{route: adminapi.RouteRegistrations, params: p, query: "status=waitlisted"})
		want(t, r, 200, "")
		if n := len(r.body["registrations"].([]any)); n != 4 {
			t.Errorf("%d waitlisted", n)
		}
	})
	refusals := []struct{ name, query, code string }{
		{"ErrStatus", "status=maybe", "invalid_status"},
		{"ErrLimit", "limit=0", "invalid_limit"},
		{"ErrCursor", "cursor=garbage", "invalid_cursor"},
		{"ErrParam", "sort=name", "invalid_parameter"},
		{"ErrFormat", "format=xlsx", "invalid_format"},
		{"ErrCSVWithPaging", "format=csv&limit=2", "invalid_parameter"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			want(t, e.as(call{route: adminapi.RouteRegistrations, params: p, query: tt.query}), 400, tt.code)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteRegistrations, params: map[string]string{"id": community.NewID(time.Now())}}), 404, "event_not_found")
	})
}

func TestRegistrationsCSV(t *testing.T) {
	e := newEnv(t)
	ev := e.published(10, map[string]any{"capacity": 3, "title": "私塾：点検/診断 \"入門\""})
	tricky := e.member(community.MemberActive, community.MembershipRegular, trickyName)
	checked := e.seat(ev, tricky, community.RegistrationConfirmed)
	formula := e.guest(ev, `=HYPERLINK("http://evil.example","x")`, community.RegistrationConfirmed)
	e.guest(ev, "@SUM(1+1)", community.RegistrationConfirmed)
	waiting := e.guest(ev, "-2+3", community.RegistrationWaitlisted)
	withdrawn := e.member(community.MemberActive, community.MembershipSupporting, "退会 予定")
	e.seat(ev, withdrawn, community.RegistrationWaitlisted)
	if _, err := e.store.WithdrawMember(context.Background(), withdrawn.ID, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": checked.ID}}), 200, "")

	raw, err := os.ReadFile("testdata/export-csv.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("EVENT_ID"), []byte(ev.ID))
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	req.Headers["authorization"] = "Bearer " + e.orgToken
	r := e.send(req)
	if r.status != 200 {
		t.Fatalf("export = %d %s", r.status, r.resp.Body)
	}
	if ct := r.resp.Headers["Content-Type"]; ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	cd := r.resp.Headers["Content-Disposition"]
	_, enc, ok := strings.Cut(cd, "filename*=UTF-8''")
	name, err := url.PathUnescape(enc)
	if !strings.HasPrefix(cd, "attachment;") || !ok || err != nil ||
		name != "参加者一覧_"+ev.StartsAt.In(community.Tokyo).Format("20060102")+"_私塾：点検_診断__入門_.csv" {
		t.Errorf("Content-Disposition %q (filename %q)", cd, name)
	}
	if !r.resp.IsBase64Encoded {
		t.Fatal("the CSV is not base64-encoded for API Gateway")
	}
	b, err := base64.StdEncoding.DecodeString(r.resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", b[:8])
	}
	if !bytes.Contains(b, []byte("\r\n")) || bytes.Count(b, []byte("\r\n")) < 6 {
		t.Errorf("rows do not end in CRLF")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the export: %v\n%s", err, b)
	}
	if want := []string{"ステータス", "氏名", "ふりがな", "所属", "メールアドレス", "申込日時", "受付"}; !slices.Equal(rows[0], want) {
		t.Errorf("header %q, want %q", rows[0], want)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want header + 5", len(rows))
	}
	byName := map[string][]string{}
	for _, row := range rows[1:] {
		byName[row[1]] = row
	}
	row := byName[trickyName]
	if row == nil {
		t.Fatalf("the tricky name did not survive: %q", rows)
	}
	if want := []string{"参加確定", trickyName, "てすと", "伊勢崎市", tricky.Email,
		checked.CreatedAt.In(community.Tokyo).Format("2006/01/02 15:04"), "済"}; !slices.Equal(row, want) {
		t.Errorf("row %q, want %q", row, want)
	}
	for _, name := range []string{`'=HYPERLINK("http://evil.example","x")`, "'@SUM(1+1)", "'-2+3"} {
		if byName[name] == nil {
			t.Errorf("formula %q not defused: %q", name, rows)
		}
	}
	if got := byName["'-2+3"]; got != nil && (got[0] != "キャンセル待ち（1番目）" || got[4] != waiting.Guest.Email || got[6] != "") {
		t.Errorf("waitlisted row %q", got)
	}
	if got := byName["（退会済み）"]; got == nil || got[4] != "" || got[0] != "キャンセル待ち（2番目）" {
		t.Errorf("withdrawn member's row %q", got)
	}
	if got := byName[`'=HYPERLINK("http://evil.example","x")`]; got != nil && got[4] != formula.Guest.Email {
		t.Errorf("guest row %q", got)
	}
	e.audited(community.AuditRegistrationsExport, ev.ID, "")
}

func TestCheckIn(t *testing.T) {
	e := newEnv(t)
	ev := e.published(3, map[string]any{"capacity": 1})
	seat := e.guest(ev, "受付 太郎", community.RegistrationConfirmed)
	wait := e.guest(ev, "待ち 花子", community.RegistrationWaitlisted)
	p := map[string]string{"id": ev.ID, "rid": seat.ID}

	r := e.as(call{route: adminapi.RouteCheckIn, params: p})
	want(t, r, 200, "")
	at, _ := r.body["checked_in_at"].(string)
	if r.body["checked_in"] != true || at == "" || r.body["registration_id"] != seat.ID || r.body["status"] != "confirmed" {
		t.Fatalf("check in %v", r.body)
	}
	e.audited(community.AuditCheckIn, seat.ID, "")
	e.clock.Advance(time.Minute)
	r = e.as(call{route: adminapi.RouteCheckIn, params: p})
	want(t, r, 200, "")
	if r.body["checked_in_at"] != at {
		t.Errorf("checking in again moved the time: %v, want %s", r.body["checked_in_at"], at)
	}
	if got := e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": ev.ID}}); got.body["checked_in_count"] != 1.0 {
		t.Errorf("checked_in_count after two check-ins of one registration = %v, want 1", got.body["checked_in_count"])
	}
	r = e.as(call{route: adminapi.RouteUndoCheckIn, params: p})
	want(t, r, 200, "")
	if r.body["checked_in"] != false || r.body["checked_in_at"] != nil {
		t.Errorf("undo %v", r.body)
	}
	e.audited(community.AuditCheckInUndo, seat.ID, "")
	if got := e.as(call{route: adminapi.RouteGetEvent, params: map[string]string{"id": ev.ID}}); got.body["checked_in_count"] != 0.0 {
		t.Errorf("checked_in_count after undo = %v, want 0", got.body["checked_in_count"])
	}
	want(t, e.as(call{route: adminapi.RouteUndoCheckIn, params: p}), 200, "")

	t.Run("ErrWaitlisted", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": wait.ID}}), 422, "not_confirmed")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": community.NewID(time.Now())}}), 404, "registration_not_found")
		want(t, e.as(call{route: adminapi.RouteUndoCheckIn, params: map[string]string{"id": ev.ID, "rid": community.NewID(time.Now())}}), 404, "registration_not_found")
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": ev.ID, "rid": "x"}}), 404, "registration_not_found")
	})
	t.Run("ErrOtherEvent", func(t *testing.T) {
		other := e.published(4, nil)
		want(t, e.as(call{route: adminapi.RouteCheckIn, params: map[string]string{"id": other.ID, "rid": seat.ID}}), 404, "registration_not_found")
	})
}
