package community

// After-event surveys (事後アンケート). An event may carry a Survey: a Form
// (the same questions and answer rules as the application form) that the
// scheduled sweep mails to the people who came, SendAfter the event's end,
// and that accepts answers until ClosesAfter the end.
//
// Who is asked: the confirmed registrants who were checked in, or — when
// the organizers checked nobody in at all — every confirmed registrant (an
// event run without check-ins must not go unsurveyed). The sweep hands each
// over as a MailSurvey outbox mail in the same conditional write that
// marks the registration's SurveySentAt, so overlapping sweeps owe it once.
//
// A nominating organization is asked its own survey about its staff: a
// second Survey on the event (Event.OrgSurvey) with its own recipients,
// mark, mail kind and token purpose (orgsurveys.go). Both share the Form
// rules, the timing rules, the schedule and the summary here.

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Limits of a survey's timing.
const (
	DefaultSurveySendAfter   = time.Hour
	MaxSurveySendAfter       = 14 * 24 * time.Hour
	DefaultSurveyClosesAfter = 14 * 24 * time.Hour
	MaxSurveyClosesAfter     = 90 * 24 * time.Hour
)

// Survey is an event's after-event questionnaire.
type Survey struct {
	Form Form
	// SendAfter is how long after the event's end the survey is mailed;
	// 0 means DefaultSurveySendAfter.
	SendAfter time.Duration
	// ClosesAfter is how long after the event's end answers are accepted;
	// 0 means DefaultSurveyClosesAfter. It must be later than SendAfter.
	ClosesAfter time.Duration
}

func (s *Survey) sendAfter() time.Duration {
	if s.SendAfter <= 0 {
		return DefaultSurveySendAfter
	}
	return s.SendAfter
}

func (s *Survey) closesAfter() time.Duration {
	if s.ClosesAfter <= 0 {
		return DefaultSurveyClosesAfter
	}
	return s.ClosesAfter
}

// SurveyAudience names who a survey of an event asks.
type SurveyAudience string

// The audiences: the people who came, and the organizations that
// nominated them (orgsurveys.go).
const (
	AudienceAttendees     SurveyAudience = ""
	AudienceOrganizations SurveyAudience = "organizations"
)

// SurveyFor returns e's survey for audience a; nil when it has none.
func (e *Event) SurveyFor(a SurveyAudience) *Survey {
	if a == AudienceOrganizations {
		return e.OrgSurvey
	}
	return e.Survey
}

// SurveySendAtFor is when e's survey for a is due to go out (its end plus
// SendAfter, to the second); zero when e has no such survey.
func SurveySendAtFor(e *Event, a SurveyAudience) time.Time {
	s := e.SurveyFor(a)
	if s == nil || e.EndsAt.IsZero() {
		return time.Time{}
	}
	return e.EndsAt.UTC().Truncate(time.Second).Add(s.sendAfter())
}

// SurveyClosesAtFor is when e's survey for a stops accepting answers;
// zero when e has no such survey.
func SurveyClosesAtFor(e *Event, a SurveyAudience) time.Time {
	s := e.SurveyFor(a)
	if s == nil || e.EndsAt.IsZero() {
		return time.Time{}
	}
	return e.EndsAt.UTC().Truncate(time.Second).Add(s.closesAfter())
}

// SurveySendAt is SurveySendAtFor the attendees.
func SurveySendAt(e *Event) time.Time { return SurveySendAtFor(e, AudienceAttendees) }

// SurveyClosesAt is SurveyClosesAtFor the attendees.
func SurveyClosesAt(e *Event) time.Time { return SurveyClosesAtFor(e, AudienceAttendees) }

// check adds s's problems to f under field ("survey", "org_survey").
func (s *Survey) check(f FieldErrors, field string) {
	if len(s.Form) == 0 {
		f.Add(field+".questions", "アンケートの設問を1問以上入力してください。")
	}
	s.Form.check(f, field+".questions")
	if s.SendAfter < 0 || s.SendAfter > MaxSurveySendAfter {
		f.Add(field+".send_after_minutes", "送信のタイミングは終了後0分から14日以内で指定してください。")
	}
	if s.ClosesAfter < 0 || s.ClosesAfter > MaxSurveyClosesAfter {
		f.Add(field+".closes_after_days", "回答の締切は終了後90日以内で指定してください。")
	} else if s.closesAfter() <= s.sendAfter() {
		f.Add(field+".closes_after_days", "回答の締切は送信より後にしてください。")
	}
}

// clone returns a deep copy of s with what people typed trimmed.
func (s *Survey) clone() *Survey {
	if s == nil {
		return nil
	}
	c := *s
	c.Form = s.Form.Normalized()
	return &c
}

// Equal reports whether s and t ask the same at the same times.
func (s *Survey) Equal(t *Survey) bool {
	if s == nil || t == nil {
		return s == t
	}
	return s.Form.Equal(t.Form) && s.SendAfter == t.SendAfter && s.ClosesAfter == t.ClosesAfter
}

// MailSurvey is the after-event survey request: one per registration.
const MailSurvey MailKind = "survey"

// SurveyMail is the survey mail owed to r's registrant, named by the
// registration, so it can never be owed twice.
func SurveyMail(r *Registration, now time.Time) Mail {
	return registrationMail(MailSurvey, r, now)
}

// DueSurvey is an event whose survey (for Audience) is due to be sent.
type DueSurvey struct {
	EventID  string
	Audience SurveyAudience
	DueAt    time.Time // the event's end plus SendAfter, when the item was written
}

// SurveyLinks makes and reads the signed personal survey links.
// auth.Links implements it.
type SurveyLinks interface {
	SurveyLink(eventID, regID string) string
	ParseSurveyToken(token string) (eventID, regID string, ok bool)
}

// SurveyNotifier mails survey requests.
type SurveyNotifier interface {
	// Survey asks a registrant of e to answer its survey at link, before
	// closesAt. It never carries the join URL. Unavailable or Invalid as
	// ReminderNotifier.Reminder.
	Survey(ctx context.Context, to Recipient, e *Event, link string, closesAt time.Time) error
}

// Why a survey is not sent to someone (SweepResult.SkippedBy keys).
const (
	SkipNotCheckedIn = "survey_not_checked_in" // the event had check-ins, and this registrant was not checked in
	SkipSurveySent   = "survey_already_sent"   // an earlier or concurrent sweep handed it over
)

// surveyRecipients picks who of an event's confirmed registrations is
// asked: the checked in, or everyone when nobody was checked in.
func surveyRecipients(regs []*Registration) (ask []*Registration, notCheckedIn int) {
	checkIns := false
	for _, r := range regs {
		if r.Status == RegistrationConfirmed && r.CheckedInAt != nil {
			checkIns = true
			break
		}
	}
	for _, r := range regs {
		switch {
		case r.Status != RegistrationConfirmed:
		case checkIns && r.CheckedInAt == nil:
			notCheckedIn++
		default:
			ask = append(ask, r)
		}
	}
	return ask, notCheckedIn
}

// survey handles one due survey: every recipient has it handed over (or is
// skipped for a reason), and then it leaves the due index.
func (sw *sweep) survey(ctx context.Context, d DueSurvey) error {
	st := sw.s.Store
	e, err := st.Event(ctx, d.EventID)
	if ErrorCode(err) == NotFound {
		sw.res.SurveysDropped++
		return st.FinishSurvey(ctx, d)
	}
	if err != nil {
		return err
	}
	if e.Status != EventPublished || e.SurveyFor(d.Audience) == nil || !sw.now.Before(SurveyClosesAtFor(e, d.Audience)) {
		sw.res.SurveysDropped++
		return st.FinishSurvey(ctx, d)
	}
	if !SurveySendAtFor(e, d.Audience).Equal(d.DueAt) {
		// The event or its survey changed and the schedule missed it.
		sw.res.Resynced++
		return st.SyncEventReminders(ctx, e)
	}
	// Both audiences read the confirmed registrations the same way: one
	// GSI1 Query per page, never the whole table.
	var regs []*Registration
	cursor := ""
	for {
		page, next, err := st.EventRegistrations(ctx, e.ID, RegistrationConfirmed, regsPage, cursor)
		if err != nil {
			return err
		}
		regs = append(regs, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if d.Audience == AudienceOrganizations {
		if err := sw.orgSurveys(ctx, e, regs); err != nil || ctx.Err() != nil {
			return err
		}
		return sw.finishSurvey(ctx, d)
	}
	ask, notCheckedIn := surveyRecipients(regs)
	for range notCheckedIn {
		sw.skip(SkipNotCheckedIn)
	}
	var mails []Mail
	for _, r := range ask {
		if r.SurveySentAt != nil {
			sw.skip(SkipSurveySent)
			continue
		}
		mails = append(mails, SurveyMail(r, sw.now))
	}
	for start := 0; start < len(mails); start += regsPage {
		if ctx.Err() != nil {
			return nil // out of time: the rest stays due
		}
		batch := mails[start:min(start+regsPage, len(mails))]
		got, err := st.HandOverSurveys(ctx, batch, sw.now)
		for _, h := range got {
			switch h {
			case HandedOver:
				sw.res.SurveysSent++
			case HandOverDone:
				sw.skip(SkipSurveySent)
			case HandOverNotConfirmed:
				sw.skip(SkipCancelled)
			}
		}
		if err != nil {
			sw.res.Failed += len(batch) - len(got)
			return err
		}
	}
	return sw.finishSurvey(ctx, d)
}

// finishSurvey takes d out of the due index once everyone was handed it,
// but not before the index settled: a registration confirmed just before
// the sweep may not have been in its Query yet.
func (sw *sweep) finishSurvey(ctx context.Context, d DueSurvey) error {
	if sw.now.Before(d.DueAt.Add(indexSettle)) || ctx.Err() != nil {
		return nil
	}
	return sw.s.Store.FinishSurvey(ctx, d)
}

// sendSurvey sends a handed-over survey request as things stand now: to
// nobody whose place ended or who withdrew since, never for a survey that
// was removed, closed, or an event cancelled. It carries no join URL.
func (m *Mailroom) sendSurvey(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.Surveys == nil || m.SurveyLinks == nil {
		return MailRefused, fmt.Errorf("community: mailroom cannot send surveys")
	}
	e, err := m.Store.Event(ctx, mail.EventID)
	if ErrorCode(err) == NotFound {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	closes := SurveyClosesAt(e)
	if e.Status != EventPublished || e.Survey == nil || !m.Clock.Now().Before(closes) {
		return MailSkipped, nil
	}
	r, err := m.Store.Registration(ctx, mail.EventID, mail.RegistrationID)
	if ErrorCode(err) == NotFound {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if r.Status != RegistrationConfirmed {
		return MailSkipped, nil
	}
	to, ok, err := m.mailableRecipient(ctx, r)
	if err != nil {
		return "", err
	}
	if !ok {
		return MailSkipped, nil // a withdrawn member, or an address that bounced or complained
	}
	err = m.Surveys.Survey(ctx, to, e, m.SurveyLinks.SurveyLink(e.ID, r.ID), closes)
	return sendOutcome(ctx, err)
}

// SurveyStore is what answering a survey reads and writes.
type SurveyStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Registration returns one registration. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// AnswerSurvey replaces a registration's survey answers IF it is
	// confirmed and its survey was sent. Closed (reason
	// "survey_not_open") otherwise; NotFound when unknown.
	AnswerSurvey(ctx context.Context, eventID, regID string, answers []Answer, at time.Time) error
}

// Surveys lets a registrant answer an event's survey through the personal
// link in its mail.
type Surveys struct {
	Store SurveyStore
	Links SurveyLinks
	Clock Clock
	Log   *slog.Logger
}

// SurveyView is a survey as its personal link opens it.
type SurveyView struct {
	Event        *Event
	Registration *Registration
	ClosesAt     time.Time
}

// Open reads the survey token names. NotFound (reasons
// "survey_link_invalid", "survey_not_found"), Closed ("survey_not_open",
// "survey_closed").
func (s *Surveys) Open(ctx context.Context, token string) (*SurveyView, error) {
	eventID, regID, ok := s.Links.ParseSurveyToken(token)
	if !ok {
		return nil, ErrSurveyLinkInvalid
	}
	e, err := s.Store.Event(ctx, eventID)
	if ErrorCode(err) == NotFound {
		return nil, ErrSurveyLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if e.Survey == nil || e.Status != EventPublished {
		return nil, ErrSurveyNotFound
	}
	r, err := s.Store.Registration(ctx, eventID, regID)
	if ErrorCode(err) == NotFound {
		return nil, ErrSurveyLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	v := &SurveyView{Event: e, Registration: r, ClosesAt: SurveyClosesAt(e)}
	if r.SurveySentAt == nil || r.Status != RegistrationConfirmed {
		return v, ErrSurveyNotOpen
	}
	if !s.Clock.Now().Before(v.ClosesAt) {
		return v, ErrSurveyClosed
	}
	return v, nil
}

// Answer checks answers against the survey's form and stores them on the
// registration, replacing earlier ones. Invalid (reason "invalid_answers",
// with a field per problem) stores nothing; otherwise as Open.
func (s *Surveys) Answer(ctx context.Context, token string, answers []Answer) (*SurveyView, error) {
	v, err := s.Open(ctx, token)
	if err != nil {
		return v, err
	}
	checked, err := v.Event.Survey.Form.CheckAnswers(answers)
	if err != nil {
		return v, err
	}
	now := s.Clock.Now().UTC().Truncate(time.Millisecond)
	if err := s.Store.AnswerSurvey(ctx, v.Event.ID, v.Registration.ID, checked, now); err != nil {
		return v, err
	}
	v.Registration.SurveyAnswers, v.Registration.SurveyAnsweredAt = checked, &now
	return v, nil
}

// SurveySummary is what organizers read of a survey's answers.
type SurveySummary struct {
	Event      *Event
	Audience   SurveyAudience
	ClosesAt   time.Time
	Recipients int // registrations (or organizations) the survey was sent to
	Answered   int
	Questions  []QuestionSummary
}

// QuestionSummary sums up the answers to one question: counts per option
// for choice questions (in the order offered), the texts for text ones.
type QuestionSummary struct {
	Question Question
	Answered int
	Counts   []OptionCount
	Texts    []string
}

// OptionCount is how many answers picked one option.
type OptionCount struct {
	Option string
	Count  int
}

// SurveyResults returns event id's survey and the attendees who answered
// it, in arrival order. NotFound (reason "survey_not_found") when the
// event has no survey. The reading is audited.
func (a *Attendance) SurveyResults(ctx context.Context, v Viewer, id string) (*SurveySummary, []Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	sum, answered, err := a.surveyResults(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditSurveyView, "event", id,
		fmt.Sprintf("「%s」の事後アンケートの結果を閲覧（回答%d件）", sum.Event.Title, len(answered)))
	return sum, answered, nil
}

// surveyResults is SurveyResults without the audit entry.
func (a *Attendance) surveyResults(ctx context.Context, id string) (*SurveySummary, []Attendee, error) {
	var all []Attendee
	var e *Event
	q := AttendeeQuery{Status: RegistrationConfirmed, Limit: 100}
	for {
		page, err := a.attendeePage(ctx, id, q)
		if err != nil {
			return nil, nil, err
		}
		e = page.Event
		all = append(all, page.Attendees...)
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if e.Survey == nil {
		return nil, nil, ErrSurveyNotFound
	}
	sum := &SurveySummary{Event: e, ClosesAt: SurveyClosesAt(e)}
	var answered []Attendee
	var answers [][]Answer
	for _, at := range all {
		if at.SurveySentAt != nil {
			sum.Recipients++
		}
		if at.SurveyAnsweredAt != nil {
			answered = append(answered, at)
			answers = append(answers, at.SurveyAnswers)
		}
	}
	sum.Answered = len(answered)
	sum.Questions = summarize(e.Survey.Form, answers)
	return sum, answered, nil
}

// summarize sums up the answers (one list per respondent) to each question
// of form.
func summarize(form Form, answers [][]Answer) []QuestionSummary {
	out := make([]QuestionSummary, 0, len(form))
	for _, qu := range form {
		qs := QuestionSummary{Question: qu}
		counts := map[string]int{}
		for _, as := range answers {
			for _, ans := range as {
				if ans.QuestionID != qu.ID {
					continue
				}
				qs.Answered++
				if qu.Kind.Text() {
					qs.Texts = append(qs.Texts, ans.Text)
				}
				for _, c := range ans.Choices {
					counts[c]++
				}
			}
		}
		if !qu.Kind.Text() {
			for _, o := range qu.Options {
				qs.Counts = append(qs.Counts, OptionCount{Option: o, Count: counts[o]})
			}
		}
		out = append(out, qs)
	}
	return out
}

// ExportSurvey is SurveyResults for a file of the answers with the names
// of those who gave them: personal data leaving tabane, so the audit log
// records it, as it does the attendee export.
func (a *Attendance) ExportSurvey(ctx context.Context, v Viewer, id string) (*SurveySummary, []Attendee, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	sum, answered, err := a.surveyResults(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationsExport, "event", id,
		fmt.Sprintf("「%s」の事後アンケートの回答を出力（%d件）", sum.Event.Title, len(answered)))
	return sum, answered, nil
}
