package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/sorae/tabane/pkg/community"
)

// questionField is one question of an event's application form as the
// registration form renders it, with what was typed and why it was refused.
type questionField struct {
	ID       string // the input's id; its name is Name
	Name     string // "q.<question id>"
	Label    string
	Help     string
	Kind     string // short_text, long_text, single_choice, multiple_choice
	Required bool
	Limit    int    // characters, for text
	Hint     string // 200文字以内, 2個まで選べます
	Text     string
	Options  []optionField
	Error    fieldError // keyed "answers.<question id>", as the domain reports it
}

// optionField is one choice of a choice question.
type optionField struct {
	ID      string
	Value   string
	Checked bool
}

// answerField is the form field that carries the answer to question id.
func answerField(id string) string { return "q." + id }

// answersFrom reads the answers to form's questions from a posted form:
// text from one field, choices from the repeated one. Questions left
// unanswered are left out, as the API's clients leave them out.
func answersFrom(form community.Form, f url.Values) []community.Answer {
	var out []community.Answer
	for _, q := range form {
		name := answerField(q.ID)
		if q.Kind.Text() {
			if v := f.Get(name); strings.TrimSpace(v) != "" {
				out = append(out, community.Answer{QuestionID: q.ID, Text: v})
			}
			continue
		}
		if vs := f[name]; len(vs) > 0 {
			out = append(out, community.Answer{QuestionID: q.ID, Choices: vs})
		}
	}
	return out
}

// questionFields lays out form with answers filled in and errs (the
// domain's field messages) beside the questions they are about.
func questionFields(form community.Form, answers []community.Answer, errs map[string]string) []questionField {
	given := map[string]community.Answer{}
	for _, a := range answers {
		given[a.QuestionID] = a
	}
	out := make([]questionField, 0, len(form))
	for _, q := range form {
		a := given[q.ID]
		qf := questionField{
			ID: "q-" + q.ID, Name: answerField(q.ID), Label: q.Label, Help: q.Help, Kind: string(q.Kind),
			Required: q.Required, Text: a.Text, Error: fieldErr(errs, "answers."+q.ID),
		}
		switch {
		case q.Kind.Text():
			qf.Limit = q.Limit()
			qf.Hint = strconv.Itoa(qf.Limit) + "文字以内"
		case q.Kind == community.QuestionMultipleChoice && q.MaxChoices > 0:
			qf.Hint = strconv.Itoa(q.MaxChoices) + "個まで選べます"
		case q.Kind == community.QuestionMultipleChoice:
			qf.Hint = "いくつでも選べます"
		}
		for i, o := range q.Options {
			checked := false
			for _, c := range a.Choices {
				checked = checked || strings.TrimSpace(c) == o
			}
			qf.Options = append(qf.Options, optionField{ID: qf.ID + "-" + strconv.Itoa(i+1), Value: o, Checked: checked})
		}
		out = append(out, qf)
	}
	return out
}

// answerLine is one answer as my page lists it.
type answerLine struct {
	Label  string
	Answer string
}

// answerLines pairs answers with the labels of the questions they answer,
// in the form's order; answers to questions no longer asked are kept,
// under their id, rather than hidden from their author.
func answerLines(form community.Form, answers []community.Answer) []answerLine {
	var out []answerLine
	for _, a := range answers {
		label := a.QuestionID
		if q, ok := form.Question(a.QuestionID); ok {
			label = q.Label
		}
		out = append(out, answerLine{Label: label, Answer: a.Display()})
	}
	return out
}
