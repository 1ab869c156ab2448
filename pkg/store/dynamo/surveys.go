package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sorae/tabane/pkg/community"
)

// After-event surveys (see doc.go): the event item carries the survey
// (attribute survey); a survey schedule item, EVENT#<eid> / SURVEY, sits
// in the GSI3 partition SURVEYS sorted by its due time until the survey
// was handed over to everyone; each registration records survey_sent_at
// in the transaction that puts its survey mail, and its answers.
const (
	surveysPartition = "SURVEYS"
	typeSurvey       = "survey_schedule"
	// surveyKeep is how long after the survey closes its schedule item is
	// kept before TTL may delete it.
	surveyKeep = 30 * 24 * time.Hour
)

// surveyScheduleKey is the schedule of e's survey for audience a: SURVEY
// for the attendees, SURVEY#ORG for the organizations. Both sort inside
// the range SyncEventReminders reads (REMINDER# … SURVEY#ORG).
func surveyScheduleKey(eventID string, a community.SurveyAudience) key {
	if a == community.AudienceOrganizations {
		return key{PK: eventKey(eventID).PK, SK: "SURVEY#ORG"}
	}
	return key{PK: eventKey(eventID).PK, SK: "SURVEY"}
}

// surveyAudiences are the audiences whose schedules SyncEventReminders keeps.
var surveyAudiences = []community.SurveyAudience{community.AudienceAttendees, community.AudienceOrganizations}

// surveyItem is an event's survey, inside the event item.
type surveyItem struct {
	Questions    []questionItem `dynamodbav:"questions"`
	SendAfterS   int64          `dynamodbav:"send_after_s,omitempty"`
	ClosesAfterS int64          `dynamodbav:"closes_after_s,omitempty"`
}

func newSurveyItem(s *community.Survey) *surveyItem {
	if s == nil {
		return nil
	}
	it := &surveyItem{SendAfterS: int64(s.SendAfter / time.Second), ClosesAfterS: int64(s.ClosesAfter / time.Second)}
	for _, q := range s.Form {
		it.Questions = append(it.Questions, questionItem{ID: q.ID, Label: q.Label, Help: q.Help, Kind: string(q.Kind),
			Required: q.Required, MaxLength: q.MaxLength, Options: q.Options, MaxChoices: q.MaxChoices})
	}
	return it
}

func (it *surveyItem) survey() *community.Survey {
	if it == nil {
		return nil
	}
	s := &community.Survey{SendAfter: time.Duration(it.SendAfterS) * time.Second, ClosesAfter: time.Duration(it.ClosesAfterS) * time.Second}
	for _, q := range it.Questions {
		s.Form = append(s.Form, community.Question{ID: q.ID, Label: q.Label, Help: q.Help, Kind: community.QuestionKind(q.Kind),
			Required: q.Required, MaxLength: q.MaxLength, Options: q.Options, MaxChoices: q.MaxChoices})
	}
	return s
}

func answerItems(as []community.Answer) []answerItem {
	var out []answerItem
	for _, a := range as {
		out = append(out, answerItem{QuestionID: a.QuestionID, Text: a.Text, Choices: a.Choices})
	}
	return out
}

// surveyScheduleItem is the due survey of one event.
type surveyScheduleItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	GSI3PK    string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK    string    `dynamodbav:"GSI3SK,omitempty"`
	Type      string    `dynamodbav:"type"`
	EventID   string    `dynamodbav:"event_id"`
	Audience  string    `dynamodbav:"audience,omitempty"`
	DueAt     time.Time `dynamodbav:"due_at"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

// newSurveyScheduleItem is e's survey schedule for a, when a published e
// has that survey.
func newSurveyScheduleItem(e *community.Event, a community.SurveyAudience) (surveyScheduleItem, bool) {
	if e.Status != community.EventPublished || e.SurveyFor(a) == nil {
		return surveyScheduleItem{}, false
	}
	k := surveyScheduleKey(e.ID, a)
	due := community.SurveySendAtFor(e, a)
	sk := keyStamp(due) + "#" + e.ID
	if a != community.AudienceAttendees {
		sk += "#" + string(a)
	}
	return surveyScheduleItem{
		PK: k.PK, SK: k.SK, Type: typeSurvey,
		GSI3PK: surveysPartition, GSI3SK: sk,
		EventID: e.ID, Audience: string(a), DueAt: due, ExpiresAt: community.SurveyClosesAtFor(e, a).Add(surveyKeep).Unix(),
	}, true
}

func (it surveyScheduleItem) due() community.DueSurvey {
	return community.DueSurvey{EventID: it.EventID, Audience: community.SurveyAudience(it.Audience), DueAt: it.DueAt}
}

// syncSurvey makes e's survey schedule follow e: for a published event
// with a survey, the item is put IF new or IF due at another time (so a
// finished survey stays finished while its time holds, and one moved is
// due again at its new time); otherwise it is deleted. haveDue is the due
// time of the item as SyncEventReminders read it, nil when there was none:
// what is already as wanted costs no write.
func (s *Store) syncSurvey(ctx context.Context, e *community.Event, a community.SurveyAudience, haveDue *time.Time) error {
	it, want := newSurveyScheduleItem(e, a)
	if err := s.syncSchedule(ctx, surveyScheduleKey(e.ID, a), it, it.DueAt, want, haveDue); err != nil {
		return fmt.Errorf("dynamo: sync survey: %w", err)
	}
	return nil
}

// DueSurveys is a Query of GSI3 SURVEYS for GSI3SK < <now+1s>, every
// page: finished surveys have left the index.
func (s *Store) DueSurveys(ctx context.Context, now time.Time) ([]community.DueSurvey, error) {
	due, err := dueBefore(ctx, s, surveysPartition, now, infallible(surveyScheduleItem.due))
	if err != nil {
		return nil, fmt.Errorf("dynamo: due surveys: %w", err)
	}
	return due, nil
}

// FinishSurvey removes d's GSI3 keys IF its due time is unchanged.
func (s *Store) FinishSurvey(ctx context.Context, d community.DueSurvey) error {
	if err := s.finishSchedule(ctx, surveyScheduleKey(d.EventID, d.Audience), d.DueAt); err != nil {
		return fmt.Errorf("dynamo: finish survey: %w", err)
	}
	return nil
}

// HandOverSurveys hands survey mails over, up to 50 in one
// TransactWriteItems of, per mail, [Update registration SET survey_sent_at
// IF status = confirmed AND attribute_not_exists(survey_sent_at); Put
// OUTBOX#<rid>.survey], as HandOverReminders does reminders.
func (s *Store) HandOverSurveys(ctx context.Context, mails []community.Mail, now time.Time) ([]community.HandOver, error) {
	mark := func(m community.Mail) (*types.Update, error) {
		if m.Kind != community.MailSurvey || m.RegistrationID == "" {
			return nil, fmt.Errorf("mail %s is no survey", m.ID)
		}
		return s.txUpdate(registrationKey(m.EventID, m.RegistrationID),
			expression.Set(expression.Name("survey_sent_at"), expression.Value(now.UTC())),
			expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed))).
				And(expression.AttributeNotExists(expression.Name("survey_sent_at"))))
	}
	done := func(old registrationItem, _ community.Mail) bool { return old.SurveySentAt != nil }
	out := make([]community.HandOver, 0, len(mails))
	for start := 0; start < len(mails); start += handOverBatch {
		got, err := s.handOver(ctx, mails[start:min(start+handOverBatch, len(mails))], mark, done, nil)
		if err != nil {
			return out, fmt.Errorf("dynamo: hand over surveys: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// AnswerSurvey replaces a registration's survey answers with one
// conditional UpdateItem: SET survey_answers, survey_answered_at IF
// status = confirmed AND attribute_exists(survey_sent_at).
func (s *Store) AnswerSurvey(ctx context.Context, eventID, regID string, answers []community.Answer, at time.Time) error {
	upd := expression.Set(expression.Name("survey_answered_at"), expression.Value(at.UTC()))
	if items := answerItems(answers); len(items) > 0 {
		upd = upd.Set(expression.Name("survey_answers"), expression.Value(items))
	} else {
		upd = upd.Remove(expression.Name("survey_answers"))
	}
	cond := expression.AttributeExists(expression.Name("PK")).
		And(expression.Name("status").Equal(expression.Value(string(community.RegistrationConfirmed)))).
		And(expression.AttributeExists(expression.Name("survey_sent_at")))
	old, ok, err := s.updateItem(ctx, registrationKey(eventID, regID), upd, cond)
	if err != nil {
		return fmt.Errorf("dynamo: answer survey: %w", err)
	}
	if !ok {
		if len(old) == 0 {
			return community.ErrRegistrationNotFound
		}
		return community.ErrSurveyNotOpen
	}
	return nil
}
