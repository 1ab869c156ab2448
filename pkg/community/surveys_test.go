package community

import (
	"testing"
	"time"
)

func TestSurveyValidate(t *testing.T) {
	start := time.Date(2030, 6, 1, 4, 0, 0, 0, time.UTC)
	q := Form{{ID: "rating", Label: "満足度", Kind: QuestionSingleChoice, Options: []string{"満足", "不満"}}}
	for name, tt := range map[string]struct {
		survey *Survey
		field  string // "" for valid
	}{
		"OK":                  {&Survey{Form: q}, ""},
		"OKLimits":            {&Survey{Form: q, SendAfter: MaxSurveySendAfter, ClosesAfter: MaxSurveyClosesAfter}, ""},
		"ErrNoQuestions":      {&Survey{}, "survey.questions"},
		"ErrBadQuestion":      {&Survey{Form: Form{{ID: "x", Label: "", Kind: QuestionShortText}}}, "survey.questions[0].label"},
		"ErrSendNegative":     {&Survey{Form: q, SendAfter: -time.Minute}, "survey.send_after_minutes"},
		"ErrSendTooLate":      {&Survey{Form: q, SendAfter: MaxSurveySendAfter + time.Minute}, "survey.send_after_minutes"},
		"ErrClosesTooLate":    {&Survey{Form: q, ClosesAfter: MaxSurveyClosesAfter + 24*time.Hour}, "survey.closes_after_days"},
		"ErrClosesBeforeSend": {&Survey{Form: q, SendAfter: 3 * 24 * time.Hour, ClosesAfter: 2 * 24 * time.Hour}, "survey.closes_after_days"},
		"ErrClosesAtDefault":  {&Survey{Form: q, SendAfter: 14 * 24 * time.Hour}, "survey.closes_after_days"}, // default close = 14 d = send
	} {
		t.Run(name, func(t *testing.T) {
			e := &Event{Title: "研修", Kind: KindWorkshop, Audience: AudiencePublic, StartsAt: start, EndsAt: start.Add(3 * time.Hour), Survey: tt.survey}
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if _, ok := ErrorFields(err)[tt.field]; !ok {
				t.Fatalf("Validate = %v (fields %v), want a problem with %s", err, ErrorFields(err), tt.field)
			}
		})
	}
	e := &Event{EndsAt: start, Survey: &Survey{Form: q}}
	if got, want := SurveySendAt(e), start.Add(DefaultSurveySendAfter); !got.Equal(want) {
		t.Errorf("SurveySendAt = %v, want %v", got, want)
	}
	if got, want := SurveyClosesAt(e), start.Add(DefaultSurveyClosesAfter); !got.Equal(want) {
		t.Errorf("SurveyClosesAt = %v, want %v", got, want)
	}
	if !SurveySendAt(&Event{EndsAt: start}).IsZero() {
		t.Error("an event without a survey has a send time")
	}
}

func TestSurveyRecipients(t *testing.T) {
	at := time.Date(2030, 6, 1, 4, 0, 0, 0, time.UTC)
	conf := func(id string, in bool) *Registration {
		r := &Registration{ID: id, Status: RegistrationConfirmed}
		if in {
			r.CheckedInAt = &at
		}
		return r
	}
	ids := func(rs []*Registration) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	waiting := &Registration{ID: "w", Status: RegistrationWaitlisted}
	ask, skipped := surveyRecipients([]*Registration{conf("a", true), conf("b", false), conf("c", true), waiting})
	if got := ids(ask); len(got) != 2 || got[0] != "a" || got[1] != "c" || skipped != 1 {
		t.Errorf("with check-ins: ask %v, skipped %d; want [a c], 1", got, skipped)
	}
	ask, skipped = surveyRecipients([]*Registration{conf("a", false), conf("b", false), waiting})
	if got := ids(ask); len(got) != 2 || skipped != 0 {
		t.Errorf("without check-ins: ask %v, skipped %d; want everyone confirmed", got, skipped)
	}
}
