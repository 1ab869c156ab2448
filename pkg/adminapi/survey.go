package adminapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"time"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
	"github.com/sorae/tabane/pkg/httpapi"
)

// surveyCSVHeader starts the survey export's header row; a column per
// question follows, headed by its label. orgSurveyCSVHeader is the
// organizations' survey's.
var (
	surveyCSVHeader    = []string{"氏名", "所属", "回答日時"}
	orgSurveyCSVHeader = []string{"団体名", "回答日時"}
)

// survey answers the summary of an event's after-event survey, or with
// ?format=csv every answer, one row per answering registrant; with
// ?audience=organizations the same of the organizations' survey, one row
// per answering organization.
func (h *Handler) survey(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "format", "audience")
	if err != nil {
		return httpapi.Response{}, err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return httpapi.Response{}, httpapi.InvalidParam("format", community.ErrInvalidFormat.Message())
	}
	audience := community.SurveyAudience(q.Get("audience"))
	if q.Get("audience") == "attendees" {
		audience = community.AudienceAttendees
	}
	if audience != community.AudienceAttendees && audience != community.AudienceOrganizations {
		return httpapi.Response{}, httpapi.InvalidParam("audience", "audience は attendees か organizations で指定してください。")
	}
	if format != "csv" {
		var sum *community.SurveySummary
		if audience == community.AudienceOrganizations {
			sum, _, err = h.svc.Attendance.OrgSurveyResults(ctx, v, id)
		} else {
			sum, _, err = h.svc.Attendance.SurveyResults(ctx, v, id)
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.JSON(200, apijson.SurveySummaryJSON(sum)), nil
	}
	var b []byte
	var sum *community.SurveySummary
	name := "事後アンケート"
	if audience == community.AudienceOrganizations {
		var answered []community.OrgSurveyAnswer
		if sum, answered, err = h.svc.Attendance.ExportOrgSurvey(ctx, v, id); err != nil {
			return httpapi.Response{}, err
		}
		b, err = OrgSurveyCSV(answered, sum.Event.OrgSurvey.Form)
		name = "団体向け事後アンケート"
	} else {
		var answered []community.Attendee
		if sum, answered, err = h.svc.Attendance.ExportSurvey(ctx, v, id); err != nil {
			return httpapi.Response{}, err
		}
		b, err = SurveyCSV(answered, sum.Event.Survey.Form)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.Body(200, csvexport.ContentType, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = csvexport.Disposition("survey.csv", csvexport.Filename(name, sum.Event))
	return resp, nil
}

// surveyRow is one respondent's row: the cells that say who and when, then
// the answers.
type surveyRow struct {
	lead    []string
	answers []community.Answer
}

// writeSurveyCSV writes survey answers for Excel exactly as AttendeesCSV
// writes attendees (BOM, CRLF, RFC 4180 quoting, formula cells defused):
// one row per respondent, a column per question after the lead columns.
func writeSurveyCSV(lead []string, form community.Form, rows []surveyRow) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	header := append([]string(nil), lead...)
	for _, q := range form {
		header = append(header, csvexport.SafeCell(q.Label))
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		row := append([]string(nil), r.lead...)
		for _, q := range form {
			cell := ""
			for _, ans := range r.answers {
				if ans.QuestionID == q.ID {
					cell = ans.Display()
				}
			}
			row = append(row, cell)
		}
		for i, cell := range row {
			row[i] = csvexport.SafeCell(cell)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func answeredAt(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(community.Tokyo).Format("2006/01/02 15:04")
}

// SurveyCSV writes the attendees' survey answers: one row per answering
// registrant, a column per question.
func SurveyCSV(list []community.Attendee, form community.Form) ([]byte, error) {
	rows := make([]surveyRow, 0, len(list))
	for _, a := range list {
		name := a.Name
		if a.Withdrawn {
			name = "（退会済み）"
		}
		rows = append(rows, surveyRow{lead: []string{name, a.Affiliation, answeredAt(a.SurveyAnsweredAt)}, answers: a.SurveyAnswers})
	}
	return writeSurveyCSV(surveyCSVHeader, form, rows)
}

// OrgSurveyCSV writes the organizations' survey answers: one row per
// answering organization, headed by its name, a column per question.
func OrgSurveyCSV(list []community.OrgSurveyAnswer, form community.Form) ([]byte, error) {
	rows := make([]surveyRow, 0, len(list))
	for _, a := range list {
		name := "（退会済み）"
		if o := a.Organization; o != nil && o.Status != community.MemberWithdrawn {
			name = community.OrganizationName(o)
		}
		rows = append(rows, surveyRow{lead: []string{name, answeredAt(a.Survey.AnsweredAt)}, answers: a.Survey.Answers})
	}
	return writeSurveyCSV(orgSurveyCSVHeader, form, rows)
}
