package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
	"github.com/sorae/tabane/pkg/jaholiday"
)

// The console's series pages: the list, and one form to create or edit a
// monthly series (第n 曜日) with the event form's template fields. The
// series' occurrences are events; their page is the event's.

// defaultSeriesMonths is how far ahead a new series is kept unless the
// organizer says otherwise, as the admin API's default.
const defaultSeriesMonths = 6

// ruleForm is the monthly rule and how occurrences are made, as typed.
type ruleForm struct {
	Week, Weekday      string // "1"–"4" or "-1"; "0" (日) – "6" (土)
	StartTime, EndTime string // 15:04, Tokyo
	Months             string
	OpensDays          string // registration opens this many days before each start
	ClosesHours        string // and closes this many hours before
	Holidays           string // a HolidayPolicy's name: keep, skip, next_weekday, previous_weekday
	Publish            bool
}

func ruleFormOf(s *community.Series) ruleForm {
	r := s.Rule
	start := time.Date(2000, 1, 1, r.Hour, r.Minute, 0, 0, community.Tokyo)
	f := ruleForm{
		Week: strconv.Itoa(r.Week), Weekday: strconv.Itoa(int(r.Weekday)),
		StartTime: start.Format("15:04"), Months: strconv.Itoa(s.Months), Publish: s.Publish,
		Holidays: r.Holidays.String(),
	}
	if r.Duration > 0 {
		f.EndTime = start.Add(r.Duration).Format("15:04")
	}
	if d := s.RegistrationOpensBefore; d > 0 {
		f.OpensDays = strconv.Itoa(int(d / (24 * time.Hour)))
	}
	if d := s.RegistrationClosesBefore; d > 0 {
		f.ClosesHours = strconv.Itoa(int(d / time.Hour))
	}
	return f
}

func readRuleForm(v url.Values) ruleForm {
	return ruleForm{
		Week: v.Get("week"), Weekday: v.Get("weekday"), StartTime: v.Get("start_time"), EndTime: v.Get("end_time"),
		Months: v.Get("months"), OpensDays: v.Get("opens_days"), ClosesHours: v.Get("closes_hours"),
		Holidays: v.Get("holidays"), Publish: v.Get("publish") == "yes",
	}
}

// apply sets the rule and the window on s. The week and weekday are set
// only when create: an existing series keeps its day (a different day is a
// new series). Field names are those Series.Validate reports.
func (f ruleForm) apply(s *community.Series, errs community.FieldErrors, create bool) {
	if create {
		week, err := strconv.Atoi(f.Week)
		if err != nil {
			errs.Add("rule.week", "第何週かを選んでください。")
		}
		day, err := strconv.Atoi(f.Weekday)
		if err != nil {
			errs.Add("rule.weekday", "曜日を選んでください。")
		}
		s.Rule.Week, s.Rule.Weekday = week, time.Weekday(day)
	}
	clock := func(field, v string) (time.Time, bool) {
		t, err := time.Parse("15:04", strings.TrimSpace(v))
		if err != nil {
			errs.Add(field, "時刻を「18:00」のように入力してください。")
			return time.Time{}, false
		}
		return t, true
	}
	start, okStart := clock("rule.start_time", f.StartTime)
	end, okEnd := clock("rule.duration", f.EndTime)
	if okStart {
		s.Rule.Hour, s.Rule.Minute = start.Hour(), start.Minute()
	}
	if okStart && okEnd {
		if !end.After(start) {
			errs.Add("rule.duration", "終了時刻は開始時刻より後にしてください（日付をまたぐ開催はできません）。")
		}
		s.Rule.Duration = end.Sub(start)
	}
	if p, ok := community.ParseHolidayPolicy(f.Holidays); ok {
		s.Rule.Holidays = p
	} else {
		errs.Add("rule.holidays", "祝日に当たるときの扱いを選んでください。")
	}
	s.Months = formNumber(errs, "months", f.Months)
	s.RegistrationOpensBefore = time.Duration(formNumber(errs, "registration_opens_before", f.OpensDays)) * 24 * time.Hour
	s.RegistrationClosesBefore = time.Duration(formNumber(errs, "registration_closes_before", f.ClosesHours)) * time.Hour
	s.Publish = f.Publish
}

type weekChoice struct{ Value, Label string }

// holidayChoice is one holiday policy on the form, with what it does in
// words.
type holidayChoice struct{ Value, Label, Hint string }

var holidayChoices = func() []holidayChoice {
	hints := map[community.HolidayPolicy]string{
		community.HolidayKeep:        "祝日でも、ルールどおりの日に開催します。",
		community.HolidaySkip:        "その月は開催を作りません。例：第2火曜日が建国記念の日（令和7年2月11日）の月はお休み。",
		community.HolidayNextWeekday: "例：令和7年2月11日（火・祝）→ 2月12日（水）。連休なら明けた最初の平日です。",
		community.HolidayPrevWeekday: "例：令和7年2月11日（火・祝）→ 2月10日（月）。",
	}
	var out []holidayChoice
	for _, p := range community.HolidayPolicies {
		out = append(out, holidayChoice{p.String(), p.Label(), hints[p]})
	}
	return out
}()

// upcomingRow is one month of the preview of coming dates.
type upcomingRow struct {
	RuleDate, When, Note, Mark string
}

func upcomingRows(slots []community.Slot) []upcomingRow {
	out := make([]upcomingRow, 0, len(slots))
	for _, s := range slots {
		row := upcomingRow{RuleDate: jadate.Date(s.Nominal), When: "なし"}
		if !s.Skipped() {
			row.When = jadate.DateTime(s.Start)
		}
		switch {
		case s.Skipped():
			row.Note, row.Mark = "祝日（"+s.Holiday+"）のため休み", "skipped"
		case s.Moved():
			row.Note, row.Mark = "祝日（"+s.Holiday+"）のため移動", "moved"
		case s.Holiday != "":
			row.Note, row.Mark = "祝日（"+s.Holiday+"）に開催", "holiday"
		}
		out = append(out, row)
	}
	return out
}

var weekChoices = []weekChoice{{"1", "第1"}, {"2", "第2"}, {"3", "第3"}, {"4", "第4"}, {"-1", "最終"}}

var weekdayChoices = func() []weekChoice {
	out := make([]weekChoice, 7)
	for d := range 7 {
		out[d] = weekChoice{strconv.Itoa(d), "日月火水木金土"[d*3:d*3+3] + "曜日"}
	}
	return out
}()

// occurrenceRow is one coming occurrence on the series page.
type occurrenceRow struct {
	ID, When, Status, StatusKey, Seats string
	Holiday                            string // why it is marked: on a holiday, or in a skipped month
}

type seriesFormData struct {
	Series      *community.Series // nil for a new series
	RuleLabel   string
	Occurrences []occurrenceRow
	Upcoming    []upcomingRow
	Form        eventForm
	Rule        ruleForm
	Errors      map[string]string
	Message     string
	Saved       string
	Kinds       []kindChoice
	Audiences   []audienceChoice
	Weeks       []weekChoice
	Weekdays    []weekChoice
	Holidays    []holidayChoice
	Action      string
}

func (h *Handler) renderSeriesForm(ctx context.Context, r *request, status int, d seriesFormData) response {
	for _, k := range community.Kinds {
		d.Kinds = append(d.Kinds, kindChoice{string(k), k.Label()})
	}
	d.Audiences, d.Weeks, d.Weekdays, d.Holidays = audienceChoices, weekChoices, weekdayChoices, holidayChoices
	title := "シリーズの作成"
	d.Action = "/admin/series"
	if d.Series != nil {
		title, d.Action = "シリーズの編集", "/admin/series/"+d.Series.ID
		d.RuleLabel = d.Series.Rule.Label()
		d.Upcoming = upcomingRows(h.series.Upcoming(d.Series))
	}
	if status != http.StatusOK {
		title += "（入力内容の確認）"
	}
	return h.render(ctx, r, status, "console_series", title, "admin-series", d)
}

// seriesRow is one series on the list.
type seriesRow struct {
	ID, Title, Rule, Made string
	Months                int
}

// consoleSeriesList lists every series, oldest first.
func (h *Handler) consoleSeriesList(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	all, err := h.series.ListSeries(ctx, v)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	rows := make([]seriesRow, 0, len(all))
	for _, s := range all {
		made := "下書き"
		if s.Publish {
			made = "公開"
		}
		rows = append(rows, seriesRow{ID: s.ID, Title: s.Template.Title, Rule: s.Rule.Label(), Made: made, Months: s.Months})
	}
	return h.render(ctx, r, http.StatusOK, "console_series_list", "シリーズ", "admin-series", rows)
}

// consoleNewSeries shows an empty series form.
func (h *Handler) consoleNewSeries(ctx context.Context, r *request) response {
	if _, resp, ok := h.organizer(ctx, r); !ok {
		return resp
	}
	s := &community.Series{
		Template: community.Event{Kind: community.KindMeeting, Audience: community.AudienceMembers},
		Rule:     community.MonthlyRule{Week: 2, Weekday: time.Tuesday, Hour: 18, Duration: time.Hour},
		Months:   defaultSeriesMonths,
	}
	return h.renderSeriesForm(ctx, r, http.StatusOK, seriesFormData{Form: formOf(&s.Template), Rule: ruleFormOf(s)})
}

// consoleCreateSeries stores the series and creates its occurrences.
func (h *Handler) consoleCreateSeries(ctx context.Context, r *request) response {
	v, form, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	f, rf := readEventForm(form), readRuleForm(form)
	s := &community.Series{}
	errs := community.FieldErrors{}
	f.applyTemplate(&s.Template, errs)
	rf.apply(s, errs, true)
	var edit *community.SeriesEdit
	err := seriesFormErr(s, errs)
	if err == nil {
		edit, err = h.series.CreateSeries(ctx, v, s)
	}
	if community.ErrorCode(err) == community.Invalid {
		return h.renderSeriesForm(ctx, r, http.StatusBadRequest, seriesFormData{Form: f, Rule: rf,
			Errors: community.ErrorFields(err), Message: community.ErrorMessage(err)})
	}
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	return redirect("/admin/series/" + edit.Series.ID + "?saved=created&n=" + strconv.Itoa(len(edit.Created)))
}

// seriesFormErr answers every field at once: what could not be read, and
// what the series' own rules refuse.
func seriesFormErr(s *community.Series, errs community.FieldErrors) error {
	if len(errs) == 0 {
		return nil
	}
	for k, msg := range community.ErrorFields(s.Validate()) {
		errs.Add(k, msg)
	}
	return errs.Err()
}

// consoleSeries reads the series named by the path and its coming
// occurrences.
func (h *Handler) consoleSeries(ctx context.Context, r *request, v community.Viewer) (*community.Series, []*community.Event, error) {
	id := r.params["id"]
	if !community.ValidID(id) {
		return nil, nil, community.ErrSeriesNotFound
	}
	return h.series.Series(ctx, v, id)
}

// occurrenceRows lists s's coming occurrences, marking those on a holiday
// and those made for a month the holiday policy now skips.
func occurrenceRows(s *community.Series, occ []*community.Event) []occurrenceRow {
	out := make([]occurrenceRow, 0, len(occ))
	for _, e := range occ {
		b := newBoardRow(e)
		row := occurrenceRow{ID: e.ID, When: b.When, Status: b.Status, StatusKey: b.StatusKey, Seats: b.Seats}
		if name, ok := jaholiday.Name(e.StartsAt); ok {
			row.Holiday = "祝日（" + name + "）"
		}
		if name, ok := s.SkippedMonth(e); ok && e.Status != community.EventCancelled {
			row.Holiday = "休みの月（" + name + "）：不要なら中止してください"
		}
		out = append(out, row)
	}
	return out
}

// consoleEditSeries shows a series, its coming occurrences and its form.
func (h *Handler) consoleEditSeries(ctx context.Context, r *request) response {
	v, resp, ok := h.organizer(ctx, r)
	if !ok {
		return resp
	}
	s, occ, err := h.consoleSeries(ctx, r, v)
	if err != nil {
		return h.errorPage(ctx, r, err)
	}
	d := seriesFormData{Series: s, Occurrences: occurrenceRows(s, occ), Form: formOf(&s.Template), Rule: ruleFormOf(s)}
	switch r.query.Get("saved") {
	case "created":
		d.Saved = fmt.Sprintf("シリーズを作成し、開催を%s件作成しました。", r.query.Get("n"))
	case "updated":
		d.Saved = "変更を保存しました。申込のない今後の開催に反映しました（申込のある開催・個別に編集した開催はそのままです）。"
	}
	return h.renderSeriesForm(ctx, r, http.StatusOK, d)
}

// consoleUpdateSeries saves the form over the series and its untouched
// coming occurrences.
func (h *Handler) consoleUpdateSeries(ctx context.Context, r *request) response {
	v, form, resp, ok := h.organizerForm(ctx, r)
	if !ok {
		return resp
	}
	id := r.params["id"]
	if !community.ValidID(id) {
		return h.errorPage(ctx, r, community.ErrSeriesNotFound)
	}
	f, rf := readEventForm(form), readRuleForm(form)
	edit, err := h.series.UpdateSeries(ctx, v, id, func(s *community.Series) error {
		errs := community.FieldErrors{}
		f.applyTemplate(&s.Template, errs)
		rf.apply(s, errs, false)
		return seriesFormErr(s, errs)
	})
	if community.ErrorCode(err) == community.Invalid {
		s, occ, rerr := h.consoleSeries(ctx, r, v)
		if rerr != nil {
			return h.errorPage(ctx, r, rerr)
		}
		rf.Week, rf.Weekday = strconv.Itoa(s.Rule.Week), strconv.Itoa(int(s.Rule.Weekday))
		return h.renderSeriesForm(ctx, r, http.StatusBadRequest, seriesFormData{Series: s, Occurrences: occurrenceRows(s, occ),
			Form: f, Rule: rf, Errors: community.ErrorFields(err), Message: community.ErrorMessage(err)})
	}
	if err != nil && edit == nil {
		return h.errorPage(ctx, r, err)
	}
	if err != nil {
		// The series is written; what failed is an occurrence's reminders
		// or the topping up, which saving again or the clock's sweep
		// completes. The organizer sees the series as it now is.
		h.log.ErrorContext(ctx, "series saved, occurrences not all followed", "series", id, "err", err)
	}
	return redirect("/admin/series/" + id + "?saved=updated")
}
