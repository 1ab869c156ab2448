package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/sorae/tabane/pkg/community"
	"github.com/sorae/tabane/pkg/jadate"
)

// surveyData is the survey page: the questions with what was answered (or
// typed and refused), or the thanks once stored.
type surveyData struct {
	Token     string
	EventID   string
	Title     string
	Date      string
	Closes    string
	Questions []questionField
	Errors    bool     // some answers were refused; the messages are beside them
	Done      bool     // the answers were just stored
	Again     bool     // answered before: this replaces the earlier answers
	Action    string   // where the form posts: /survey, or /org-survey
	Org       bool     // an organization's survey about its staff
	Staff     []string // the staff an organization's survey is about
}

// surveyPage shows the survey a mailed link names, with the answers given
// before filled in. Like the cancel page it needs no session: the signed
// link is the authority, and guests have none.
func (h *Handler) surveyPage(ctx context.Context, r *request) response {
	if h.surveys == nil {
		return h.notFound(ctx, r)
	}
	token := r.query.Get("token")
	v, err := h.surveys.Open(ctx, token)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := surveyPageData(token, v)
	d.Questions = questionFields(v.Event.Survey.Form, v.Registration.SurveyAnswers, nil)
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "survey", "事後アンケート："+v.Event.Title, "", d))
}

// answerSurvey stores the answers posted from the survey page: refused
// answers come back beside their questions (400, nothing stored), with
// what was typed kept.
func (h *Handler) answerSurvey(ctx context.Context, r *request) response {
	if h.surveys == nil {
		return h.notFound(ctx, r)
	}
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	token := f.Get("token")
	v, err := h.surveys.Open(ctx, token)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	form := v.Event.Survey.Form
	typed := answersFrom(form, f)
	again := v.Registration.SurveyAnsweredAt != nil
	v, err = h.surveys.Answer(ctx, token, typed)
	if errors.Is(err, community.ErrInvalidAnswers) {
		d := surveyPageData(token, v)
		d.Errors, d.Questions = true, questionFields(form, typed, community.ErrorFields(err))
		return h.tokenPage(h.render(ctx, r, http.StatusBadRequest, "survey", "事後アンケート："+v.Event.Title, "", d))
	}
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := surveyPageData(token, v)
	d.Done, d.Again = true, again
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "survey", "アンケートにご回答いただきありがとうございました", "", d))
}

func surveyPageData(token string, v *community.SurveyView) surveyData {
	e := v.Event
	return surveyData{
		Token: token, EventID: e.ID, Title: e.Title,
		Date:   jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Closes: jadate.DateTime(v.ClosesAt),
		Again:  v.Registration.SurveyAnsweredAt != nil,
		Action: "/survey",
	}
}

// orgSurveyPage is surveyPage for a nominating organization's survey about
// its staff: the same page, named for the organization's link.
func (h *Handler) orgSurveyPage(ctx context.Context, r *request) response {
	if h.orgSurveys == nil {
		return h.notFound(ctx, r)
	}
	token := r.query.Get("token")
	v, err := h.orgSurveys.Open(ctx, token)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := orgSurveyPageData(token, v)
	d.Questions = questionFields(v.Event.OrgSurvey.Form, v.Survey.Answers, nil)
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "survey", "団体向け事後アンケート："+v.Event.Title, "", d))
}

// answerOrgSurvey is answerSurvey for an organization's survey: answering
// again replaces the earlier answers, as it does for attendees.
func (h *Handler) answerOrgSurvey(ctx context.Context, r *request) response {
	if h.orgSurveys == nil {
		return h.notFound(ctx, r)
	}
	f, err := r.form()
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	token := f.Get("token")
	v, err := h.orgSurveys.Open(ctx, token)
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	form := v.Event.OrgSurvey.Form
	typed := answersFrom(form, f)
	again := v.Survey.AnsweredAt != nil
	v, err = h.orgSurveys.Answer(ctx, token, typed)
	if errors.Is(err, community.ErrInvalidAnswers) {
		d := orgSurveyPageData(token, v)
		d.Errors, d.Questions = true, questionFields(form, typed, community.ErrorFields(err))
		return h.tokenPage(h.render(ctx, r, http.StatusBadRequest, "survey", "団体向け事後アンケート："+v.Event.Title, "", d))
	}
	if err != nil {
		return h.tokenPage(h.errorPage(ctx, r, err))
	}
	d := orgSurveyPageData(token, v)
	d.Done, d.Again = true, again
	return h.tokenPage(h.render(ctx, r, http.StatusOK, "survey", "アンケートにご回答いただきありがとうございました", "", d))
}

func orgSurveyPageData(token string, v *community.OrgSurveyView) surveyData {
	e := v.Event
	return surveyData{
		Token: token, EventID: e.ID, Title: e.Title,
		Date:   jadate.DateTimeRange(e.StartsAt, e.EndsAt),
		Closes: jadate.DateTime(v.ClosesAt),
		Again:  v.Survey.AnsweredAt != nil,
		Action: "/org-survey", Org: true, Staff: v.Staff,
	}
}
