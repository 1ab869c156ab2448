package adminapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
	"github.com/sorae/tabane/pkg/idempotency"
)

// ContentTypeCSV is the attendee export's type; the BOM at the start of the
// body is what makes Excel read it as UTF-8.
const ContentTypeCSV = "text/csv; charset=utf-8"

// csvHeader is the export's header row.
var csvHeader = []string{"ステータス", "氏名", "ふりがな", "所属", "メールアドレス", "申込日時", "受付"}

type attendeeList struct {
	Event         apijson.AdminEvent `json:"event"`
	Registrations []apijson.Attendee `json:"registrations"`
	NextCursor    *string            `json:"next_cursor"`
}

func (h *Handler) registrations(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "format", "status", "limit", "cursor")
	if err != nil {
		return httpapi.Response{}, err
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		if q.Get("status") != "" || q.Get("limit") != "" || q.Get("cursor") != "" {
			return httpapi.Response{}, &community.Error{Reason: community.ErrInvalidParameter,
				Message: "CSVはすべての申込を出力します。status, limit, cursor は指定できません。",
				Fields:  map[string]string{"format": "csv では status, limit, cursor を指定できません。"}}
		}
		return h.exportCSV(ctx, v, id)
	default:
		return httpapi.Response{}, httpapi.InvalidParam("format", community.ErrInvalidFormat.Message())
	}
	limit, err := q.Int("limit", 50, 1, 100)
	if err != nil {
		return httpapi.Response{}, err
	}
	page, err := h.svc.Attendance.Attendees(ctx, v, id, community.AttendeeQuery{
		Status: community.RegistrationStatus(q.Get("status")), Limit: limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := attendeeList{Event: apijson.AdminEventJSON(page.Event, v), Registrations: make([]apijson.Attendee, 0, len(page.Attendees)), NextCursor: nextCursor(page.NextCursor)}
	for _, a := range page.Attendees {
		out.Registrations = append(out.Registrations, apijson.AttendeeJSON(a))
	}
	return httpapi.JSON(200, out), nil
}

func (h *Handler) exportCSV(ctx context.Context, v community.Viewer, id string) (httpapi.Response, error) {
	e, list, err := h.svc.Attendance.ExportAttendees(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := AttendeesCSV(list, e.Questions...)
	if err != nil {
		return httpapi.Response{}, err
	}
	// Base64, so that the BOM, CRLFs and Japanese pass API Gateway byte for byte.
	resp := httpapi.Body(200, ContentTypeCSV, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = AttendeesDisposition(e)
	return resp, nil
}

// AttendeesDisposition is the attendee export's Content-Disposition, which
// the console's download shares.
func AttendeesDisposition(e *community.Event) string {
	return contentDisposition("attendees.csv", csvFilename("参加者一覧", e))
}

// AttendeesCSV writes attendees as CSV for Excel: UTF-8 with a BOM, CRLF
// line ends, Japanese headers, RFC 4180 quoting, one row per registration.
// A cell that a spreadsheet would run as a formula (leading = + - @, tab or
// CR) gets a ' in front, so a name like "=HYPERLINK(…)" stays text.
// An event with frames gets a 参加枠 column after the status, and one with
// nominated registrants (団体推薦) a 推薦団体 column after 所属; an event
// without keeps the columns it always had. Each of the event's questions
// adds a column, headed by its label: the text answered, or the choices
// joined with "、".
func AttendeesCSV(list []community.Attendee, questions ...community.Question) ([]byte, error) {
	framed := slices.ContainsFunc(list, func(a community.Attendee) bool { return a.FrameID != community.DefaultFrameID })
	nominated := slices.ContainsFunc(list, func(a community.Attendee) bool { return a.OrganizationID != "" })
	shape := func(row []string, frame, org string) []string {
		if nominated {
			row = slices.Insert(row, slices.Index(csvHeader, "所属")+1, org)
		}
		if framed {
			row = slices.Insert(row, 1, frame)
		}
		return row
	}
	header := shape(slices.Clone(csvHeader), "参加枠", "推薦団体")
	rows := make([][]string, 0, len(list))
	for _, a := range list {
		name := a.Name
		if a.Withdrawn {
			name = "（退会済み）"
		}
		checked := ""
		if a.CheckedInAt != nil {
			checked = "済"
		}
		row := shape([]string{
			apijson.StatusLabel(a), name, a.NameKana, a.Affiliation, a.Email,
			a.CreatedAt.In(community.Tokyo).Format("2006/01/02 15:04"), checked,
		}, a.FrameName, a.Organization)
		rows = append(rows, append(row, answerCells(questions, a.Answers)...))
	}
	return writeCSV(header, questions, rows)
}

// answerCells are a registrant's answers, one cell per question in order.
func answerCells(questions []community.Question, answers []community.Answer) []string {
	out := make([]string, 0, len(questions))
	for _, q := range questions {
		cell := ""
		for _, ans := range answers {
			if ans.QuestionID == q.ID {
				cell = ans.Display()
			}
		}
		out = append(out, cell)
	}
	return out
}

// writeCSV writes a header (then one column per question, headed by its
// label) and rows for Excel, every cell through safeCell.
func writeCSV(header []string, questions []community.Question, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, q := range questions {
		header = append(header, q.Label)
	}
	for _, row := range append([][]string{header}, rows...) {
		for i, cell := range row {
			row[i] = safeCell(cell)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// applicationsHeader is the applications export's header row, before the
// optional columns and the questions.
var applicationsHeader = []string{"受付番号", "氏名", "所属", "区分", "メールアドレス", "申込日時", "参加資格", "決定"}

// ApplicationsCSV writes applications awaiting a result as CSV, by the
// rules of AttendeesCSV: the person, whether they fit the event's rules
// (対象, or 対象外 and why), the organizer's decision so far, then one
// column per question. An event with frames gets a 参加枠 column, one with
// nominees (団体推薦) 推薦団体 and 推薦時の所属部署 columns after 所属.
func ApplicationsCSV(e *community.Event, apps []community.Application) ([]byte, error) {
	framed := slices.ContainsFunc(apps, func(a community.Application) bool { return a.Registration.FrameID != community.DefaultFrameID })
	nominated := slices.ContainsFunc(apps, func(a community.Application) bool { return a.Registration.OrganizationID != "" })
	shape := func(row []string, frame, org, dept string) []string {
		if nominated {
			row = slices.Insert(row, slices.Index(applicationsHeader, "所属")+1, org, dept)
		}
		if framed {
			row = slices.Insert(row, 1, frame)
		}
		return row
	}
	header := shape(slices.Clone(applicationsHeader), "参加枠", "推薦団体", "推薦時の所属部署")
	rows := make([][]string, 0, len(apps))
	for _, a := range apps {
		r := a.Registration
		j := applicationJSON(a)
		kind, email := "会員", ""
		switch {
		case r.Guest != nil:
			kind, email = "ゲスト", r.Guest.Email
		case a.Member != nil:
			email = a.Member.Email
		}
		eligible := "対象"
		if a.Ineligible != nil {
			eligible = "対象外（" + community.ErrorMessage(a.Ineligible) + "）"
		}
		frame := ""
		if f, err := e.Frame(r.FrameID); err == nil && r.FrameID != community.DefaultFrameID {
			frame = f.Name
		}
		org := ""
		if j.Organization != nil {
			org = j.Organization.Name
		}
		row := shape([]string{
			r.ID, j.Name, j.Affiliation, kind, email, r.CreatedAt.In(community.Tokyo).Format("2006/01/02 15:04"),
			eligible, decisionLabel(r.Decision),
		}, frame, org, j.Department)
		rows = append(rows, append(row, answerCells(e.Questions, r.Answers)...))
	}
	return writeCSV(header, e.Questions, rows)
}

// decisionLabel is an organizer's decision as the export words it.
func decisionLabel(d community.Decision) string {
	switch d {
	case community.DecisionSelected:
		return "採用"
	case community.DecisionWaitlisted:
		return "補欠"
	case community.DecisionDeclined:
		return "見送り"
	case "":
		return "未決定"
	}
	return string(d)
}

// safeCell defuses CSV formula injection (OWASP): spreadsheets run a cell
// that starts with = + - @ (or a tab or CR before one) as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvFilename names an export after what it lists and the event:
// <what>_<date>_<title>.csv (参加者一覧_20250514_….csv).
func csvFilename(what string, e *community.Event) string {
	return fmt.Sprintf("%s_%s_%s.csv", what, e.StartsAt.In(community.Tokyo).Format("20060102"), fileTitle(e))
}

// fileTitle is e's title as part of a file name: no characters a file
// system refuses, at most 40 characters.
func fileTitle(e *community.Event) string {
	title := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`\/:*?"<>|`, r) || unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, e.Title)
	if r := []rune(title); len(r) > 40 {
		title = string(r[:40])
	}
	return title
}

// contentDisposition makes an attachment header with an ASCII fallback name
// and the real one in RFC 5987 / RFC 6266 filename*.
func contentDisposition(fallback, name string) string {
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + rfc5987(name)
}

// rfc5987 percent-encodes s as an RFC 5987 value: every byte but attr-char.
func rfc5987(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func (h *Handler) checkIn(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.setCheckIn(ctx, v, req, true)
}

func (h *Handler) undoCheckIn(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	return h.setCheckIn(ctx, v, req, false)
}

func (h *Handler) setCheckIn(ctx context.Context, v community.Viewer, req httpapi.Request, in bool) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	rid, err := regID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := noBody(req); err != nil {
		return httpapi.Response{}, err
	}
	var r *community.Registration
	if in {
		r, err = h.svc.Attendance.CheckIn(ctx, v, id, rid)
	} else {
		r, err = h.svc.Attendance.UndoCheckIn(ctx, v, id, rid)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, apijson.AdminRegistrationJSON(r)), nil
}

// messageResponse is what a message request did: the message is stored
// and one mail per recipient is in the outbox, for the mailer to send.
type messageResponse struct {
	MessageID  string `json:"message_id"`
	Recipients int    `json:"recipients"`
	Queued     int    `json:"queued"` // written by this request; a repeat writes only what is missing
}

// message sends a message to an event's attendees: it answers 202 once the
// message and its mails are stored, however many recipients there are.
// Repeating the request mails nobody twice: with an Idempotency-Key a
// retry gets the first answer again, and the key (or, without one, the
// message's text) names the message, whose mails are named by recipient.
func (h *Handler) message(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var body struct {
		Subject           string `json:"subject"`
		Body              string `json:"body"`
		IncludeWaitlisted bool   `json:"include_waitlisted"`
	}
	if _, err := decode(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	// The key is the organizer's own: two organizers choosing the same key
	// never see each other's answers.
	raw, _ := json.Marshal(body) // a struct of strings and a bool always marshals
	key := httpapi.Header(req, "Idempotency-Key")
	return httpapi.Idempotent(ctx, h.log, h.keeper, req, "organizer:"+v.Member.ID, idempotency.Fingerprint(id, string(raw)),
		func(ctx context.Context) (httpapi.Response, error) {
			wctx, cancel := withMargin(ctx)
			defer cancel()
			res, err := h.svc.Messages.MessageAttendees(wctx, v, id, key, body.Subject, body.Body, body.IncludeWaitlisted)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(202, messageResponse{MessageID: res.Message.ID, Recipients: res.Recipients, Queued: res.Queued}), nil
		})
}

// messageProgress is how the mails of one message stand.
type messageProgress struct {
	MessageID  string    `json:"message_id"`
	EventID    string    `json:"event_id"`
	Subject    string    `json:"subject"`
	CreatedAt  time.Time `json:"created_at"`
	Recipients int       `json:"recipients"`
	Sent       int       `json:"sent"`
	Pending    int       `json:"pending"`
	Skipped    int       `json:"skipped"`
	Failed     int       `json:"failed"`
}

func (h *Handler) messageProgress(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	mid, err := pathID(req, "mid", community.ErrMessageNotFound)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, p, err := h.svc.Messages.Progress(ctx, v, id, mid)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(200, messageProgress{
		MessageID: m.ID, EventID: m.EventID, Subject: m.Subject, CreatedAt: m.CreatedAt.In(community.Tokyo),
		Recipients: p.Recipients, Sent: p.Sent, Pending: p.Pending, Skipped: p.Skipped, Failed: p.Failed,
	}), nil
}
