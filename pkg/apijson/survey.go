package apijson

import (
	"time"

	"github.com/sorae/tabane/pkg/community"
)

// Survey is an event's after-event survey as organizers see and send it
// (docs/openapi.yaml, Survey). send_after_minutes and closes_after_days
// are 0 for the defaults (60 minutes, 14 days); send_at and closes_at are
// what they come to for the event's end.
type Survey struct {
	Questions        []community.Question `json:"questions"`
	SendAfterMinutes int                  `json:"send_after_minutes"`
	ClosesAfterDays  int                  `json:"closes_after_days"`
	SendAt           *time.Time           `json:"send_at,omitempty"`
	ClosesAt         *time.Time           `json:"closes_at,omitempty"`
}

// SurveyJSON presents e's survey; nil when it has none.
func SurveyJSON(e *community.Event) *Survey { return SurveyJSONFor(e, community.AudienceAttendees) }

// SurveyJSONFor presents e's survey for audience a; nil when it has none.
func SurveyJSONFor(e *community.Event, a community.SurveyAudience) *Survey {
	s := e.SurveyFor(a)
	if s == nil {
		return nil
	}
	out := &Survey{
		Questions:        append([]community.Question{}, s.Form...),
		SendAfterMinutes: int(s.SendAfter / time.Minute),
		ClosesAfterDays:  int(s.ClosesAfter / (24 * time.Hour)),
	}
	if send, closes := community.SurveySendAtFor(e, a), community.SurveyClosesAtFor(e, a); !send.IsZero() {
		send, closes = send.In(community.Tokyo), closes.In(community.Tokyo)
		out.SendAt, out.ClosesAt = &send, &closes
	}
	return out
}

// SurveyFrom reads a Survey as organizers send it. Minutes and days
// outside their ranges reach Event.Validate as they are.
func SurveyFrom(s *Survey) *community.Survey {
	if s == nil {
		return nil
	}
	return &community.Survey{
		Form:        community.Form(s.Questions),
		SendAfter:   time.Duration(s.SendAfterMinutes) * time.Minute,
		ClosesAfter: time.Duration(s.ClosesAfterDays) * 24 * time.Hour,
	}
}

// SurveySummary is the contract's SurveySummary: how many were asked and
// answered, and per question the counts of each option or the texts.
type SurveySummary struct {
	EventID    string            `json:"event_id"`
	Recipients int               `json:"recipients"`
	Answered   int               `json:"answered"`
	ClosesAt   time.Time         `json:"closes_at"`
	Questions  []QuestionSummary `json:"questions"`
}

// QuestionSummary sums up one question's answers: counts for choice
// questions (in the order offered), texts (in arrival order) for text ones.
type QuestionSummary struct {
	ID       string                 `json:"id"`
	Label    string                 `json:"label"`
	Kind     community.QuestionKind `json:"kind"`
	Answered int                    `json:"answered"`
	Counts   []OptionCount          `json:"counts,omitempty"`
	Texts    []string               `json:"texts,omitempty"`
}

// OptionCount is how many answers picked one option.
type OptionCount struct {
	Option string `json:"option"`
	Count  int    `json:"count"`
}

// SurveySummaryJSON presents a survey's summary.
func SurveySummaryJSON(s *community.SurveySummary) SurveySummary {
	out := SurveySummary{EventID: s.Event.ID, Recipients: s.Recipients, Answered: s.Answered,
		ClosesAt: s.ClosesAt.In(community.Tokyo), Questions: []QuestionSummary{}}
	for _, q := range s.Questions {
		qs := QuestionSummary{ID: q.Question.ID, Label: q.Question.Label, Kind: q.Question.Kind, Answered: q.Answered}
		if q.Question.Kind.Text() {
			qs.Texts = append([]string{}, q.Texts...)
		} else {
			for _, c := range q.Counts {
				qs.Counts = append(qs.Counts, OptionCount{Option: c.Option, Count: c.Count})
			}
		}
		out.Questions = append(out.Questions, qs)
	}
	return out
}
