package adminapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"

	"github.com/sorae/tabane/pkg/apijson"
	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// surveyCSVHeader starts the survey export's header row; a column per
// question follows, headed by its label.
var surveyCSVHeader = []string{"氏名", "所属", "回答日時"}

// survey answers the summary of an event's after-event survey, or with
// ?format=csv every answer, one row per answering registrant.
func (h *Handler) survey(ctx context.Context, v community.Viewer, req httpapi.Request) (httpapi.Response, error) {
	id, err := eventID(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := httpapi.ParseQuery(req, "format")
	if err != nil {
		return httpapi.Response{}, err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return httpapi.Response{}, httpapi.InvalidParam("format", community.ErrInvalidFormat.Message())
	}
	if format != "csv" {
		sum, _, err := h.svc.Attendance.SurveyResults(ctx, v, id)
		if err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.JSON(200, apijson.SurveySummaryJSON(sum)), nil
	}
	sum, answered, err := h.svc.Attendance.ExportSurvey(ctx, v, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := SurveyCSV(answered, sum.Event.Survey.Form)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.Body(200, ContentTypeCSV, base64.StdEncoding.EncodeToString(b))
	resp.IsBase64Encoded = true
	resp.Headers["Content-Disposition"] = `attachment; filename="survey.csv"; filename*=UTF-8''` +
		rfc5987(fmt.Sprintf("事後アンケート_%s_%s.csv", sum.Event.StartsAt.In(community.Tokyo).Format("20060102"), fileTitle(sum.Event)))
	return resp, nil
}

// SurveyCSV writes survey answers for Excel exactly as AttendeesCSV writes
// attendees (BOM, CRLF, RFC 4180 quoting, formula cells defused): one row
// per answering registrant, a column per question.
func SurveyCSV(list []community.Attendee, form community.Form) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	header := append([]string(nil), surveyCSVHeader...)
	for _, q := range form {
		header = append(header, safeCell(q.Label))
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, a := range list {
		name := a.Name
		if a.Withdrawn {
			name = "（退会済み）"
		}
		at := ""
		if a.SurveyAnsweredAt != nil {
			at = a.SurveyAnsweredAt.In(community.Tokyo).Format("2006/01/02 15:04")
		}
		row := []string{name, a.Affiliation, at}
		for _, q := range form {
			cell := ""
			for _, ans := range a.SurveyAnswers {
				if ans.QuestionID == q.ID {
					cell = ans.Display()
				}
			}
			row = append(row, cell)
		}
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
