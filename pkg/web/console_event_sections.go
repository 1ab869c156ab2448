package web

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// The event form's sections beyond the shared fields: how places are
// handed out (mode and lottery), the 参加枠, the application questions and
// the two after-event surveys. They are kept apart from eventForm's own
// fields (one field, Sections, and one line in each of formOf,
// readEventForm and apply) so that other sections can join the form the
// same way.
//
// Repeated rows work without JavaScript: the form shows the rows there
// are plus one blank row, and a submit button named "add" (value: the
// section) sends the form back with one blank row more, saving nothing.
// Blank rows are ignored: reading a form drops them (and lays out as many
// at the end), so the filled rows are numbered as the domain numbers the
// list it checks. Input names are the domain's field names
// (frames[1].capacity, survey.questions[0].label), so the FieldErrors the
// domain returns land by the inputs they are about.

// addField is the name of the add-a-row buttons; its value names the section.
const addField = "add"

// The sections a row can be added to, and how many rows each may hold.
const (
	addFrames            = "frames"
	addQuestions         = "questions"
	addSurveyQuestions   = "survey.questions"
	addOrgSurveyQuestion = "org_survey.questions"
	maxFrameRows         = 10
	maxQuestionRows      = community.MaxQuestions
)

// eventSections is the form's sections as shown or as typed.
type eventSections struct {
	Mode           string // "first_come", "selection", "lottery"
	Lottery        lotteryForm
	Frames         []frameRow
	MultipleFrames bool
	Questions      questionSet
	Survey         surveyForm
	OrgSurvey      surveyForm
	// Errors are the form's field errors, for the row templates.
	Errors map[string]string
	Modes  []modeChoice
	// blank rows sent, per section (the add button's value), laid out
	// again at the end.
	blanks map[string]int
}

type lotteryForm struct {
	DrawDate, DrawTime        string
	Reserves, FirstTimeWeight string
	FillRemaining             bool
}

// frameRow is one 参加枠 row. Name is its inputs' prefix ("frames[0]"),
// DOM its ids' ("fr-0").
type frameRow struct {
	Name, DOM                 string
	ID, Title, Capacity, Mode string
	Waitlist                  bool
	VenueName, VenueAddress   string
	OnlinePlatform, JoinURL   string
	PublicServantOnly         bool
	MinAge, MaxAge            string
	Errors                    map[string]string
	Registered                int // people holding a place or waiting, for the organizer to see
	Number                    int // 1-based, for the legend
	DisplayedModes            []modeChoice
}

// questionSet is a form's question rows: the application form's
// ("questions") or a survey's ("survey.questions").
type questionSet struct {
	Prefix string // the inputs' and errors' prefix
	DOM    string // the ids' prefix
	Add    string // the add button's value
	Title  string
	Rows   []questionRow
	Full   bool // no more rows may be added
	Errors map[string]string
}

type questionRow struct {
	Name, DOM                   string
	Number                      int
	ID, Label, Help, Kind       string
	Required                    bool
	MaxLength, Options, Choices string
	Kinds                       []kindChoice
}

// surveyForm is a survey's questions and timing; Key is its field name.
type surveyForm struct {
	Key, DOM                          string
	Questions                         questionSet
	SendAfterMinutes, ClosesAfterDays string
}

type modeChoice struct{ Value, Label, Words string }

// modeChoices are the event's ways of handing out places, in words.
var modeChoices = []modeChoice{
	{string(community.ModeFirstCome), "先着順", "申し込んだ順に参加が確定します。定員に達したら、キャンセル待ち（設定したとき）か締切です。"},
	{string(community.ModeSelection), "選考", "申込（応募）を受け付け、締切後に運営者が参加者を選んで決定通知を送ります。申込締切が必要です。"},
	{string(community.ModeLottery), "抽選", "申込締切の後、抽選日時に自動で抽選し、結果をメールで知らせます。申込締切と抽選日時が必要です。"},
}

// frameModeChoices are a frame's: the event's own, or one of its own.
var frameModeChoices = append([]modeChoice{{"", "イベントの申込方法と同じ", ""}}, modeChoices...)

var questionKindChoices = []kindChoice{
	{string(community.QuestionShortText), "記述（1行）"},
	{string(community.QuestionLongText), "記述（複数行）"},
	{string(community.QuestionSingleChoice), "選択（1つ）"},
	{string(community.QuestionMultipleChoice), "選択（複数）"},
}

// sectionsOf fills the sections from an event: its rows and one blank row each.
func sectionsOf(e *community.Event) eventSections {
	s := eventSections{Mode: string(e.Mode.Normal()), MultipleFrames: e.MultipleFrames}
	if l := e.Lottery; l != nil {
		s.Lottery = lotteryForm{Reserves: itoaOrEmpty(l.Reserves), FirstTimeWeight: strconv.Itoa(l.FirstTimeWeight), FillRemaining: l.FillRemaining}
		s.Lottery.DrawDate, s.Lottery.DrawTime = splitTime(&l.DrawAt)
	}
	for _, f := range e.Frames {
		r := frameRow{ID: f.ID, Title: f.Name, Capacity: itoaOrEmpty(f.Capacity), Mode: string(f.Mode), Waitlist: f.Waitlist,
			OnlinePlatform: f.OnlinePlatform, JoinURL: f.JoinURL, Registered: f.ConfirmedCount + f.WaitlistCount}
		if v := f.Venue; v != nil {
			r.VenueName, r.VenueAddress = v.Name, v.Address
		}
		if el := f.Eligibility; el != nil {
			r.PublicServantOnly = el.PublicServantOnly
			if el.MinAge != nil {
				r.MinAge = strconv.Itoa(*el.MinAge)
			}
			if el.MaxAge != nil {
				r.MaxAge = strconv.Itoa(*el.MaxAge)
			}
		}
		s.Frames = append(s.Frames, r)
	}
	s.Questions = questionSetOf(e.Questions)
	s.Survey = surveyFormOf(e.Survey)
	s.OrgSurvey = surveyFormOf(e.OrgSurvey)
	s.addBlankRows("")
	return s
}

func questionSetOf(form community.Form) questionSet {
	var qs questionSet
	for _, q := range form {
		qs.Rows = append(qs.Rows, questionRow{ID: q.ID, Label: q.Label, Help: q.Help, Kind: string(q.Kind), Required: q.Required,
			MaxLength: itoaOrEmpty(q.MaxLength), Options: strings.Join(q.Options, "\n"), Choices: itoaOrEmpty(q.MaxChoices)})
	}
	return qs
}

func surveyFormOf(s *community.Survey) surveyForm {
	if s == nil {
		return surveyForm{}
	}
	f := surveyForm{Questions: questionSetOf(s.Form)}
	if s.SendAfter > 0 {
		f.SendAfterMinutes = strconv.Itoa(int(s.SendAfter / time.Minute))
	}
	if s.ClosesAfter > 0 {
		f.ClosesAfterDays = strconv.Itoa(int(s.ClosesAfter / (24 * time.Hour)))
	}
	return f
}

// readSections reads the sections as posted: every row sent, blank ones
// too, so that a form sent back shows what was typed.
func readSections(v url.Values) eventSections {
	s := eventSections{Mode: v.Get("mode"), MultipleFrames: v.Get("multiple_frames") == "yes", blanks: map[string]int{}}
	s.Lottery = lotteryForm{DrawDate: v.Get("lottery.draw_date"), DrawTime: v.Get("lottery.draw_time"),
		Reserves: v.Get("lottery.reserves"), FirstTimeWeight: v.Get("lottery.first_time_weight"),
		FillRemaining: v.Get("lottery.fill_remaining") == "yes"}
	for i := range maxFrameRows + 1 {
		p := fmt.Sprintf("frames[%d].", i)
		if !hasPrefix(v, p) {
			break
		}
		r := frameRow{
			ID: v.Get(p + "id"), Title: v.Get(p + "name"), Capacity: v.Get(p + "capacity"), Mode: v.Get(p + "mode"),
			Waitlist: v.Get(p+"waitlist") == "yes", VenueName: v.Get(p + "venue.name"), VenueAddress: v.Get(p + "venue.address"),
			OnlinePlatform: v.Get(p + "online_platform"), JoinURL: v.Get(p + "join_url"),
			PublicServantOnly: v.Get(p+"eligibility.public_servant_only") == "yes",
			MinAge:            v.Get(p + "eligibility.min_age"), MaxAge: v.Get(p + "eligibility.max_age"),
		}
		if r.blank() {
			s.blanks[addFrames]++
			continue
		}
		s.Frames = append(s.Frames, r)
	}
	s.Questions = readQuestionSet(v, "questions", s.blanks)
	s.Survey = readSurveyForm(v, "survey", s.blanks)
	s.OrgSurvey = readSurveyForm(v, "org_survey", s.blanks)
	s.addBlankRows(v.Get(addField))
	return s
}

func hasPrefix(v url.Values, p string) bool {
	for k := range v {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func readQuestionSet(v url.Values, prefix string, blanks map[string]int) questionSet {
	var qs questionSet
	for i := range maxQuestionRows + 1 {
		p := fmt.Sprintf("%s[%d].", prefix, i)
		if !hasPrefix(v, p) {
			break
		}
		r := questionRow{ID: v.Get(p + "id"), Label: v.Get(p + "label"), Help: v.Get(p + "help"),
			Kind: v.Get(p + "kind"), Required: v.Get(p+"required") == "yes", MaxLength: v.Get(p + "max_length"),
			Options: v.Get(p + "options"), Choices: v.Get(p + "max_choices")}
		if r.blank() {
			blanks[prefix]++
			continue
		}
		qs.Rows = append(qs.Rows, r)
	}
	return qs
}

func readSurveyForm(v url.Values, key string, blanks map[string]int) surveyForm {
	return surveyForm{Questions: readQuestionSet(v, key+".questions", blanks),
		SendAfterMinutes: v.Get(key + ".send_after_minutes"), ClosesAfterDays: v.Get(key + ".closes_after_days")}
}

// blankRows is how many blank rows a section shows: as many as were sent
// (one at least), and one more in the section add asked for; never more
// than the section may hold in all.
func (s *eventSections) blankRows(section string, filled, most int, add string) int {
	n := max(s.blanks[section], 1)
	if add == section {
		n++
	}
	return max(min(n, most-filled), 0)
}

// addBlankRows lays the rows out: the blank rows at the end (blankRows),
// then names and ids by position.
func (s *eventSections) addBlankRows(add string) {
	for range s.blankRows(addFrames, len(s.Frames), maxFrameRows, add) {
		s.Frames = append(s.Frames, frameRow{})
	}
	for i := range s.Frames {
		r := &s.Frames[i]
		r.Name, r.DOM, r.Number = fmt.Sprintf("frames[%d]", i), fmt.Sprintf("fr-%d", i), i+1
	}
	s.Questions.layout("questions", "qs", "申込時の質問", s.blankRows(addQuestions, len(s.Questions.Rows), maxQuestionRows, add))
	s.Survey.Key, s.Survey.DOM = "survey", "sv"
	s.Survey.Questions.layout("survey.questions", "svq", "アンケートの設問",
		s.blankRows(addSurveyQuestions, len(s.Survey.Questions.Rows), maxQuestionRows, add))
	s.OrgSurvey.Key, s.OrgSurvey.DOM = "org_survey", "osv"
	s.OrgSurvey.Questions.layout("org_survey.questions", "osvq", "団体向けアンケートの設問",
		s.blankRows(addOrgSurveyQuestion, len(s.OrgSurvey.Questions.Rows), maxQuestionRows, add))
}

// layout adds blanks blank rows and names the rows by position; prefix
// is also the value of the set's add button.
func (qs *questionSet) layout(prefix, dom, title string, blanks int) {
	qs.Prefix, qs.DOM, qs.Add, qs.Title = prefix, dom, prefix, title
	for range blanks {
		qs.Rows = append(qs.Rows, questionRow{Kind: string(community.QuestionShortText)})
	}
	qs.Full = len(qs.Rows) >= maxQuestionRows
	for i := range qs.Rows {
		r := &qs.Rows[i]
		r.Name, r.DOM, r.Number, r.Kinds = fmt.Sprintf("%s[%d]", prefix, i), fmt.Sprintf("%s-%d", dom, i), i+1, questionKindChoices
		if r.Kind == "" {
			r.Kind = string(community.QuestionShortText)
		}
	}
}

func (r frameRow) blank() bool {
	return strings.TrimSpace(r.ID+r.Title+r.Capacity+r.Mode+r.VenueName+r.VenueAddress+r.OnlinePlatform+r.JoinURL+r.MinAge+r.MaxAge) == "" &&
		!r.Waitlist && !r.PublicServantOnly
}

func (r questionRow) blank() bool {
	return strings.TrimSpace(r.ID+r.Label+r.Help+r.MaxLength+r.Options+r.Choices) == "" && !r.Required
}

// apply sets the sections on e (a copy of the stored event, or a new one).
// Frames keep their counters by id, and the lottery its commitment, as
// the admin API's edits keep them; the domain's rules (Event.Validate, and
// for an edit EventAdmin.UpdateEvent's checks of what registrations and
// answers already hold) decide the rest.
func (s eventSections) apply(e *community.Event, errs community.FieldErrors) {
	e.Mode = community.RegistrationMode(strings.TrimSpace(s.Mode))
	was := map[string]community.Frame{}
	for _, f := range e.Frames {
		was[f.ID] = f
	}
	e.Frames = nil
	taken := map[string]bool{}
	for _, r := range s.Frames {
		if id := strings.TrimSpace(r.ID); id != "" && !r.blank() {
			taken[id] = true
		}
	}
	for i, r := range s.Frames {
		if r.blank() {
			continue
		}
		at := func(field string) string { return fmt.Sprintf("frames[%d].%s", i, field) }
		f := community.Frame{ID: strings.TrimSpace(r.ID), Name: strings.TrimSpace(r.Title),
			Capacity: formNumber(errs, at("capacity"), r.Capacity), Waitlist: r.Waitlist,
			JoinURL: strings.TrimSpace(r.JoinURL), OnlinePlatform: strings.TrimSpace(r.OnlinePlatform),
			Mode: community.RegistrationMode(strings.TrimSpace(r.Mode))}
		if f.ID == "" {
			f.ID = derivedID("f", i+1, taken)
		}
		if strings.TrimSpace(r.VenueName) != "" || strings.TrimSpace(r.VenueAddress) != "" {
			f.Venue = &community.Venue{Name: strings.TrimSpace(r.VenueName), Address: strings.TrimSpace(r.VenueAddress)}
		}
		if r.PublicServantOnly || strings.TrimSpace(r.MinAge) != "" || strings.TrimSpace(r.MaxAge) != "" {
			f.Eligibility = &community.Eligibility{PublicServantOnly: r.PublicServantOnly,
				MinAge: optionalNumber(errs, at("eligibility"), r.MinAge), MaxAge: optionalNumber(errs, at("eligibility"), r.MaxAge)}
		}
		if old, ok := was[f.ID]; ok {
			f.ConfirmedCount, f.WaitlistCount = old.ConfirmedCount, old.WaitlistCount
		}
		e.Frames = append(e.Frames, f)
	}
	e.MultipleFrames = s.MultipleFrames
	e.Questions = s.Questions.form(errs)
	e.Survey = s.Survey.survey(errs)
	e.OrgSurvey = s.OrgSurvey.survey(errs)
	if !e.UsesMode(community.ModeLottery) {
		e.Lottery = nil
		return
	}
	l := &community.Lottery{Reserves: formNumber(errs, "lottery.reserves", s.Lottery.Reserves), FirstTimeWeight: 1,
		FillRemaining: s.Lottery.FillRemaining}
	if strings.TrimSpace(s.Lottery.FirstTimeWeight) != "" {
		l.FirstTimeWeight = formNumber(errs, "lottery.first_time_weight", s.Lottery.FirstTimeWeight)
	}
	if t := formTime(errs, "lottery.draw_at", s.Lottery.DrawDate, s.Lottery.DrawTime); t != nil {
		l.DrawAt = *t
	}
	if cur := e.Lottery; cur != nil {
		l.Commitment, l.DrawnAt = cur.Commitment, cur.DrawnAt
	}
	e.Lottery = l
}

// form reads the non-blank rows as a community.Form; nil for none. A
// question left without an id gets one from its position ("q3"); an id
// typed, or kept from the stored form, is used as it is — the domain
// refuses an edit that would drop an answered one.
func (qs questionSet) form(errs community.FieldErrors) community.Form {
	taken := map[string]bool{}
	for _, r := range qs.Rows {
		if id := strings.TrimSpace(r.ID); id != "" && !r.blank() {
			taken[id] = true
		}
	}
	var out community.Form
	for i, r := range qs.Rows {
		if r.blank() {
			continue
		}
		at := func(field string) string { return fmt.Sprintf("%s[%d].%s", qs.Prefix, i, field) }
		q := community.Question{ID: strings.TrimSpace(r.ID), Label: r.Label, Help: r.Help, Kind: community.QuestionKind(r.Kind),
			Required: r.Required, MaxLength: formNumber(errs, at("max_length"), r.MaxLength), MaxChoices: formNumber(errs, at("max_choices"), r.Choices)}
		if q.ID == "" {
			q.ID = derivedID("q", i+1, taken)
		}
		for _, o := range strings.Split(strings.ReplaceAll(r.Options, "\r\n", "\n"), "\n") {
			if o = strings.TrimSpace(o); o != "" {
				q.Options = append(q.Options, o)
			}
		}
		out = append(out, q)
	}
	return out
}

// survey reads a survey; nil when nothing of it was filled in.
func (f surveyForm) survey(errs community.FieldErrors) *community.Survey {
	form := f.Questions.form(errs)
	if len(form) == 0 && strings.TrimSpace(f.SendAfterMinutes+f.ClosesAfterDays) == "" {
		return nil
	}
	return &community.Survey{Form: form,
		SendAfter:   time.Duration(formNumber(errs, f.Key+".send_after_minutes", f.SendAfterMinutes)) * time.Minute,
		ClosesAfter: time.Duration(formNumber(errs, f.Key+".closes_after_days", f.ClosesAfterDays)) * 24 * time.Hour}
}

// derivedID is prefix<n>, or the next free prefix<m> when taken; it marks
// what it returns as taken.
func derivedID(prefix string, n int, taken map[string]bool) string {
	for ; ; n++ {
		if id := prefix + strconv.Itoa(n); !taken[id] {
			taken[id] = true
			return id
		}
	}
}

func optionalNumber(errs community.FieldErrors, field, s string) *int {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	n := formNumber(errs, field, s)
	return &n
}

// formTime reads a date and a time typed in Tokyo time; nil when both are
// blank, or when either cannot be read (errs says so under field).
func formTime(errs community.FieldErrors, field, date, clock string) *time.Time {
	date, clock = strings.TrimSpace(date), strings.TrimSpace(clock)
	switch {
	case date == "" && clock == "":
		return nil
	case date == "" || clock == "":
		errs.Add(field, "日付と時刻の両方を入力してください。")
		return nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, community.Tokyo)
	if err != nil {
		errs.Add(field, "日付と時刻を正しく入力してください。")
		return nil
	}
	return &t
}

var optionIndexRE = regexp.MustCompile(`^(.+\.options)\[\d+\]$`)

// sectionErrors places the domain's messages by the rows' inputs: an
// option's message (questions[0].options[2]) by the options box, and a
// refusal about what registrations hold by the section it is about.
func sectionErrors(err error, errs map[string]string, hasFrames bool) map[string]string {
	out := map[string]string{}
	for k, v := range errs {
		out[k] = v
		if m := optionIndexRE.FindStringSubmatch(k); m != nil {
			if _, ok := out[m[1]]; !ok {
				out[m[1]] = v
			}
		}
	}
	msg := community.ErrorMessage(err)
	switch {
	case err == nil:
	case errors.Is(err, community.ErrQuestionsHaveAnswers):
		out["questions"] = msg
	case errors.Is(err, community.ErrModeHasRegistrations), errors.Is(err, community.ErrLotteryDrawn):
		out["mode"] = msg
	case errors.Is(err, community.ErrFrameHasRegistrations):
		out["frames"] = msg
	case errors.Is(err, community.ErrCapacityBelowConfirmed) && hasFrames:
		out["frames"] = msg
	case errors.Is(err, community.ErrCapacityBelowConfirmed):
		out["capacity"] = msg
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// setErrors hands the form's errors to the row templates.
func (s *eventSections) setErrors(errs map[string]string) {
	s.Errors, s.Modes = errs, modeChoices
	s.Questions.Errors = errs
	s.Survey.Questions.Errors = errs
	s.OrgSurvey.Questions.Errors = errs
	for i := range s.Frames {
		s.Frames[i].Errors = errs
		s.Frames[i].DisplayedModes = frameModeChoices
	}
}

// hasFrameRows reports whether the form lists frames: a refusal of places
// below those taken is then about a frame.
func hasFrameRows(f eventForm) bool {
	for _, r := range f.Sections.Frames {
		if !r.blank() {
			return true
		}
	}
	return false
}

// previewSections is what the preview adds for the organizer.
type previewSections struct {
	Lottery   string
	Questions []questionField
	Surveys   []previewSurvey
}

type previewSurvey struct {
	Title, When string
	Questions   []questionField
}

// newPreviewSections lays out e's lottery, questions and surveys as the
// pages that ask them will (questionFields), under ids of their own.
func newPreviewSections(e *community.Event) *previewSections {
	p := &previewSections{Questions: previewFields("pv-q-", e.Questions)}
	if l := e.Lottery; l != nil && e.UsesMode(community.ModeLottery) {
		words := "抽選日時: " + jadate.DateTime(l.DrawAt)
		if l.Reserves > 0 {
			words += fmt.Sprintf("、補欠 %d人", l.Reserves)
		}
		if l.FirstTimeWeight > 1 {
			words += fmt.Sprintf("、初参加の方は%d倍当たりやすく", l.FirstTimeWeight)
		}
		if l.FillRemaining {
			words += "、抽選後の残席は開始まで先着順で受付"
		}
		p.Lottery = words + "。"
	}
	for _, s := range []struct {
		title, prefix string
		a             community.SurveyAudience
	}{{"事後アンケート（参加者へ）", "pv-s-", community.AudienceAttendees}, {"団体向け事後アンケート", "pv-o-", community.AudienceOrganizations}} {
		ps := previewSurvey{Title: s.title}
		if sv := e.SurveyFor(s.a); sv != nil {
			send := community.SurveySendAtFor(e, s.a).Sub(e.EndsAt.UTC().Truncate(time.Second))
			closes := community.SurveyClosesAtFor(e, s.a).Sub(e.EndsAt.UTC().Truncate(time.Second))
			ps.When = fmt.Sprintf("終了の%sにメールで回答を依頼し、終了の%sに締め切ります。", afterWords(send), afterWords(closes))
			ps.Questions = previewFields(s.prefix, sv.Form)
		}
		p.Surveys = append(p.Surveys, ps)
	}
	return p
}

// afterWords says a duration after the end: 60分後, 2時間後, 14日後.
func afterWords(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d日後", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d時間後", d/time.Hour)
	}
	return fmt.Sprintf("%d分後", d/time.Minute)
}

// previewFields is questionFields with ids of the preview's own, so two
// forms with a question "q1" each stay apart on one page.
func previewFields(prefix string, form community.Form) []questionField {
	fields := questionFields(form, nil, nil)
	for i := range fields {
		fields[i].ID = prefix + fields[i].ID
		for j := range fields[i].Options {
			fields[i].Options[j].ID = prefix + fields[i].Options[j].ID
		}
	}
	return fields
}
