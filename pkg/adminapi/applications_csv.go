package adminapi

import (
	"slices"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/csvexport"
)

// applicationsHeader is the applications export's header row, before the
// optional columns and the questions.
var applicationsHeader = []string{"受付番号", "氏名", "所属", "区分", "メールアドレス", "申込日時", "参加資格", "決定"}

// Applications writes applications awaiting a result as CSV, by the
// rules of Attendees: the person, whether they fit the event's rules
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
		rows = append(rows, append(row, csvexport.AnswerCells(e.Questions, r.Answers)...))
	}
	return csvexport.Write(header, e.Questions, rows)
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
