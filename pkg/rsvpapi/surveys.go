package rsvpapi

import (
	"context"
	"strings"
	"time"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/httpapi"
)

// RouteAnswerSurvey answers an after-event survey with the token of its
// mailed link (the /survey page posts the same).
const RouteAnswerSurvey = "POST /api/surveys/answers"

// WithSurveys lets h take survey answers (RouteAnswerSurvey).
func (h *Handler) WithSurveys(s *community.Surveys) *Handler {
	h.surveys = s
	return h
}

type surveyAnswersRequest struct {
	Token   string             `json:"token"`
	Answers []community.Answer `json:"answers"`
}

// surveyAnswers is the contract's SurveyAnswers: what is now stored.
type surveyAnswers struct {
	EventID    string             `json:"event_id"`
	Answers    []community.Answer `json:"answers"`
	AnsweredAt time.Time          `json:"answered_at"`
	ClosesAt   time.Time          `json:"closes_at"`
}

// answerSurvey stores a registrant's survey answers, replacing earlier
// ones: 200 with what is stored; 400 invalid_answers with a field per
// problem (nothing stored); 404 for a link that names no survey; 422
// once the survey has closed.
func (h *Handler) answerSurvey(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	if h.surveys == nil {
		return httpapi.Response{}, community.ErrRouteNotFound
	}
	var body surveyAnswersRequest
	if err := httpapi.DecodeJSON(req, &body); err != nil {
		return httpapi.Response{}, err
	}
	if strings.TrimSpace(body.Token) == "" {
		const msg = "token を指定してください。"
		return httpapi.Response{}, &community.Error{Reason: community.ErrInvalidToken, Message: msg, Fields: map[string]string{"token": msg}}
	}
	v, err := h.surveys.Answer(ctx, body.Token, body.Answers)
	if err != nil {
		return httpapi.Response{}, err
	}
	r := v.Registration
	return httpapi.JSON(200, surveyAnswers{
		EventID: v.Event.ID, Answers: append([]community.Answer{}, r.SurveyAnswers...),
		AnsweredAt: r.SurveyAnsweredAt.In(community.Tokyo), ClosesAt: v.ClosesAt.In(community.Tokyo),
	}), nil
}
