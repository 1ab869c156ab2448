// Package csvexport writes the organizers' CSV exports — attendees,
// applications, survey answers — the way Excel opens them: UTF-8 with a
// BOM, CRLF line ends, Japanese headers, RFC 4180 quoting, and any cell a
// spreadsheet would run as a formula turned into text. The JSON admin API
// and the console pages give the same bytes; neither links the other.
package csvexport

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
)

// ContentType is the attendee export's type; the BOM at the start of the
// body is what makes Excel read it as UTF-8.
const ContentType = "text/csv; charset=utf-8"

// attendeesHeader is the export's header row.
var attendeesHeader = []string{"ステータス", "氏名", "ふりがな", "所属", "メールアドレス", "申込日時", "受付"}

// AttendeesDisposition is the attendee export's Content-Disposition, which
// the console's download shares.
func AttendeesDisposition(e *community.Event) string {
	return Disposition("attendees.csv", Filename("参加者一覧", e))
}

// Attendees writes attendees as CSV for Excel: UTF-8 with a BOM, CRLF
// line ends, Japanese headers, RFC 4180 quoting, one row per registration.
// A cell that a spreadsheet would run as a formula (leading = + - @, tab or
// CR) gets a ' in front, so a name like "=HYPERLINK(…)" stays text.
// An event with frames gets a 参加枠 column after the status, and one with
// nominated registrants (団体推薦) a 推薦団体 column after 所属; an event
// without keeps the columns it always had. Each of the event's questions
// adds a column, headed by its label: the text answered, or the choices
// joined with "、".
func Attendees(list []community.Attendee, questions ...community.Question) ([]byte, error) {
	framed := slices.ContainsFunc(list, func(a community.Attendee) bool { return a.FrameID != community.DefaultFrameID })
	nominated := slices.ContainsFunc(list, func(a community.Attendee) bool { return a.OrganizationID != "" })
	shape := func(row []string, frame, org string) []string {
		if nominated {
			row = slices.Insert(row, slices.Index(attendeesHeader, "所属")+1, org)
		}
		if framed {
			row = slices.Insert(row, 1, frame)
		}
		return row
	}
	header := shape(slices.Clone(attendeesHeader), "参加枠", "推薦団体")
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
		rows = append(rows, append(row, AnswerCells(questions, a.Answers)...))
	}
	return Write(header, questions, rows)
}

// AnswerCells are a registrant's answers, one cell per question in order.
func AnswerCells(questions []community.Question, answers []community.Answer) []string {
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

// Write writes a header (then one column per question, headed by its
// label) and rows for Excel, every cell through SafeCell.
func Write(header []string, questions []community.Question, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, q := range questions {
		header = append(header, q.Label)
	}
	for _, row := range append([][]string{header}, rows...) {
		for i, cell := range row {
			row[i] = SafeCell(cell)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// SafeCell defuses CSV formula injection (OWASP): spreadsheets run a cell
// that starts with = + - @ (or a tab or CR before one) as a formula.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Filename names an export after what it lists and the event:
// <what>_<date>_<title>.csv (参加者一覧_20250514_….csv).
func Filename(what string, e *community.Event) string {
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

// Disposition makes an attachment header with an ASCII fallback name
// and the real one in RFC 5987 / RFC 6266 filename*.
func Disposition(fallback, name string) string {
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
