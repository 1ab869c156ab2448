package community

// Organizations' own surveys about their staff (団体向け事後アンケート,
// issue 10). An event may carry an OrgSurvey besides its Survey: the same
// Form rules and timing, but asked of each nominating organization (its
// contact, the organization member) about the staff it sent.
//
// Who is asked: each organization with at least one nominee among the
// attendee survey's recipients (checked in, or everyone confirmed when
// nobody was checked in): the same rule, applied to the staff. The sweep
// hands each over as one MailOrgSurvey outbox mail in the same conditional
// write that creates the (event, organization) record, so overlapping
// sweeps owe it once. The record keeps which registrations it was about,
// so the mail lists the staff by name as they stand when it goes, and it
// holds the organization's answers.

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// MailOrgSurvey is the survey request to a nominating organization: one
// per (event, organization).
const MailOrgSurvey MailKind = "org_survey"

// OrgSurvey is one organization's survey for one event: whom it was about,
// when it was handed over, and the organization's answers.
type OrgSurvey struct {
	EventID        string
	OrganizationID string
	// StaffIDs are the registrations of the organization's staff who
	// attended, as the sweep found them.
	StaffIDs   []string
	SentAt     time.Time
	Answers    []Answer
	AnsweredAt *time.Time
}

// OrgSurveyMail is the survey mail owed to organization orgID for event
// eventID, named by the pair, so it can never be owed twice.
func OrgSurveyMail(eventID, orgID string, now time.Time) Mail {
	return Mail{ID: eventID + "." + string(MailOrgSurvey) + "." + orgID, Kind: MailOrgSurvey,
		EventID: eventID, MemberID: orgID, CreatedAt: now}
}

// OrgSurveyLinks makes and reads the signed links of organizations'
// surveys. auth.Links implements it; its purpose differs from the
// attendees' links, so neither opens the other.
type OrgSurveyLinks interface {
	OrgSurveyLink(eventID, orgID string) string
	ParseOrgSurveyToken(token string) (eventID, orgID string, ok bool)
}

// OrgSurveyNotifier mails organizations' survey requests.
type OrgSurveyNotifier interface {
	// OrgSurvey asks an organization's contact to answer e's survey about
	// its staff (their names) at link, before closesAt. Unavailable or
	// Invalid as ReminderNotifier.Reminder.
	OrgSurvey(ctx context.Context, to Recipient, e *Event, staff []string, link string, closesAt time.Time) error
}

// orgSurveyRecipients groups the nominees among the survey's recipients by
// organization, in the order the organizations first appear.
func orgSurveyRecipients(e *Event, regs []*Registration, now time.Time) []*OrgSurvey {
	ask, _ := surveyRecipients(regs)
	var out []*OrgSurvey
	byOrg := map[string]*OrgSurvey{}
	for _, r := range ask {
		if r.OrganizationID == "" {
			continue
		}
		s := byOrg[r.OrganizationID]
		if s == nil {
			s = &OrgSurvey{EventID: e.ID, OrganizationID: r.OrganizationID, SentAt: now}
			byOrg[r.OrganizationID] = s
			out = append(out, s)
		}
		s.StaffIDs = append(s.StaffIDs, r.ID)
	}
	return out
}

// orgSurveys hands e's organization survey over to every organization
// whose staff attended.
func (sw *sweep) orgSurveys(ctx context.Context, e *Event, regs []*Registration) error {
	for _, s := range orgSurveyRecipients(e, regs, sw.now) {
		if ctx.Err() != nil {
			return nil // out of time: the rest stays due
		}
		got, err := sw.s.Store.HandOverOrgSurvey(ctx, s, OrgSurveyMail(e.ID, s.OrganizationID, sw.now))
		if err != nil {
			sw.res.Failed++
			return err
		}
		if got == HandedOver {
			sw.res.SurveysSent++
		} else {
			sw.skip(SkipSurveySent)
		}
	}
	return nil
}

// sendOrgSurvey sends a handed-over organization survey request as things
// stand now: never for a survey removed or closed, an event cancelled, an
// organization withdrawn or an address suppressed, nor when none of the
// staff it was about still holds a place.
func (m *Mailroom) sendOrgSurvey(ctx context.Context, mail *Mail) (MailOutcome, error) {
	if m.OrgSurveys == nil || m.OrgSurveyLinks == nil {
		return MailRefused, fmt.Errorf("community: mailroom cannot send organization surveys")
	}
	e, err := m.Store.Event(ctx, mail.EventID)
	if ErrorCode(err) == NotFound {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	closes := SurveyClosesAtFor(e, AudienceOrganizations)
	if e.Status != EventPublished || e.OrgSurvey == nil || !m.Clock.Now().Before(closes) {
		return MailSkipped, nil
	}
	s, err := m.Store.OrgSurvey(ctx, mail.EventID, mail.MemberID)
	if ErrorCode(err) == NotFound {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	org, err := m.Store.Member(ctx, s.OrganizationID)
	if ErrorCode(err) == NotFound {
		return MailSkipped, nil
	}
	if err != nil {
		return "", err
	}
	if org.Email == "" || org.Status == MemberWithdrawn {
		return MailSkipped, nil
	}
	if stop, err := m.suppressed(ctx, org.Email); err != nil || stop {
		return MailSkipped, err
	}
	staff, err := staffNames(ctx, m.Store, s)
	if err != nil {
		return "", err
	}
	if len(staff) == 0 {
		return MailSkipped, nil
	}
	err = m.OrgSurveys.OrgSurvey(ctx, Recipient{Name: org.Name, Email: org.Email}, e, staff,
		m.OrgSurveyLinks.OrgSurveyLink(e.ID, s.OrganizationID), closes)
	return sendOutcome(ctx, err)
}

// staffNames reads the names of s's staff who still hold a place: nominees
// are guest-like registrations, so the name is on the registration.
func staffNames(ctx context.Context, st interface {
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
}, s *OrgSurvey) ([]string, error) {
	var names []string
	for _, id := range s.StaffIDs {
		r, err := st.Registration(ctx, s.EventID, id)
		if ErrorCode(err) == NotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.Status == RegistrationConfirmed && r.Guest != nil && r.Guest.Name != "" {
			names = append(names, r.Guest.Name)
		}
	}
	return names, nil
}

// OrgSurveyStore is what answering an organization's survey reads and writes.
type OrgSurveyStore interface {
	// Event returns one event. NotFound when unknown.
	Event(ctx context.Context, id string) (*Event, error)
	// Registration returns one registration. NotFound when unknown.
	Registration(ctx context.Context, eventID, regID string) (*Registration, error)
	// OrgSurvey returns the organization's survey record for the event.
	// NotFound (reason "org_survey_not_sent") when it was never handed over.
	OrgSurvey(ctx context.Context, eventID, orgID string) (*OrgSurvey, error)
	// AnswerOrgSurvey replaces the organization's answers IF its survey
	// was handed over. Closed (reason "survey_not_open") otherwise.
	AnswerOrgSurvey(ctx context.Context, eventID, orgID string, answers []Answer, at time.Time) error
}

// OrgSurveys lets a nominating organization's contact answer an event's
// survey about its staff through the link in its mail.
type OrgSurveys struct {
	Store OrgSurveyStore
	Links OrgSurveyLinks
	Clock Clock
	Log   *slog.Logger
}

// OrgSurveyView is an organization's survey as its link opens it.
type OrgSurveyView struct {
	Event    *Event
	Survey   *OrgSurvey
	Staff    []string // the names of the staff it is about
	ClosesAt time.Time
}

// Open reads the survey the token names. NotFound (reasons
// "survey_link_invalid", "survey_not_found"), Closed ("survey_not_open",
// "survey_closed") as Surveys.Open.
func (s *OrgSurveys) Open(ctx context.Context, token string) (*OrgSurveyView, error) {
	eventID, orgID, ok := s.Links.ParseOrgSurveyToken(token)
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
	if e.OrgSurvey == nil || e.Status != EventPublished {
		return nil, ErrSurveyNotFound
	}
	rec, err := s.Store.OrgSurvey(ctx, eventID, orgID)
	if ErrorCode(err) == NotFound {
		return nil, ErrSurveyNotOpen
	}
	if err != nil {
		return nil, err
	}
	v := &OrgSurveyView{Event: e, Survey: rec, ClosesAt: SurveyClosesAtFor(e, AudienceOrganizations)}
	if !s.Clock.Now().Before(v.ClosesAt) {
		return v, ErrSurveyClosed
	}
	if v.Staff, err = staffNames(ctx, s.Store, rec); err != nil {
		return nil, err
	}
	return v, nil
}

// Answer checks answers against the organization survey's form and stores
// them, replacing earlier ones, as Surveys.Answer does for attendees.
func (s *OrgSurveys) Answer(ctx context.Context, token string, answers []Answer) (*OrgSurveyView, error) {
	v, err := s.Open(ctx, token)
	if err != nil {
		return v, err
	}
	checked, err := v.Event.OrgSurvey.Form.CheckAnswers(answers)
	if err != nil {
		return v, err
	}
	now := s.Clock.Now().UTC().Truncate(time.Millisecond)
	if err := s.Store.AnswerOrgSurvey(ctx, v.Event.ID, v.Survey.OrganizationID, checked, now); err != nil {
		return v, err
	}
	v.Survey.Answers, v.Survey.AnsweredAt = checked, &now
	return v, nil
}

// OrgSurveyAnswer is one organization's answers as organizers read them.
type OrgSurveyAnswer struct {
	Survey *OrgSurvey
	// Organization is the answering organization member; nil when it is
	// no longer known.
	Organization *Member
}

// OrgSurveyResults returns event id's organization survey and the
// organizations that answered it, in the order they were asked. NotFound
// (reason "survey_not_found") when the event has no organization survey.
func (a *Attendance) OrgSurveyResults(ctx context.Context, v Viewer, id string) (*SurveySummary, []OrgSurveyAnswer, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	sum, answered, err := a.orgSurveyResults(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditSurveyView, "event", id,
		fmt.Sprintf("「%s」の団体向け事後アンケートの結果を閲覧（回答%d件）", sum.Event.Title, len(answered)))
	return sum, answered, nil
}

// orgSurveyResults is OrgSurveyResults without the audit entry.
func (a *Attendance) orgSurveyResults(ctx context.Context, id string) (*SurveySummary, []OrgSurveyAnswer, error) {
	e, err := a.Store.Event(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if e.OrgSurvey == nil {
		return nil, nil, ErrSurveyNotFound
	}
	recs, err := a.Store.EventOrgSurveys(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	sum := &SurveySummary{Event: e, Audience: AudienceOrganizations, ClosesAt: SurveyClosesAtFor(e, AudienceOrganizations), Recipients: len(recs)}
	var ids []string
	var answers [][]Answer
	var answered []OrgSurveyAnswer
	for _, r := range recs {
		if r.AnsweredAt == nil {
			continue
		}
		ids = append(ids, r.OrganizationID)
		answers = append(answers, r.Answers)
		answered = append(answered, OrgSurveyAnswer{Survey: r})
	}
	members, err := a.Store.MembersByID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for i := range answered {
		answered[i].Organization = members[answered[i].Survey.OrganizationID]
	}
	sum.Answered = len(answered)
	sum.Questions = summarize(e.OrgSurvey.Form, answers)
	return sum, answered, nil
}

// ExportOrgSurvey is OrgSurveyResults for a file of the answers with the
// organizations' names, recorded in the audit log as ExportSurvey is.
func (a *Attendance) ExportOrgSurvey(ctx context.Context, v Viewer, id string) (*SurveySummary, []OrgSurveyAnswer, error) {
	if err := RequireOrganizer(v); err != nil {
		return nil, nil, err
	}
	sum, answered, err := a.orgSurveyResults(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	auditor{a.Store, a.Clock, a.Log}.record(ctx, actorOf(v), AuditRegistrationsExport, "event", id,
		fmt.Sprintf("「%s」の団体向け事後アンケートの回答を出力（%d件）", sum.Event.Title, len(answered)))
	return sum, answered, nil
}
