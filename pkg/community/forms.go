package community

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Forms: the questions organizers ask with an application (受講希望調査書)
// and the answers registrants give. A Form is only a list of questions, so
// that anything else that asks questions (the after-event survey) defines
// them the same way and checks answers with the same rules.

// QuestionKind is how a question is answered.
type QuestionKind string

// The kinds of question.
const (
	QuestionShortText      QuestionKind = "short_text"      // one line
	QuestionLongText       QuestionKind = "long_text"       // paragraphs
	QuestionSingleChoice   QuestionKind = "single_choice"   // one of Options
	QuestionMultipleChoice QuestionKind = "multiple_choice" // any of Options, up to MaxChoices
)

// QuestionKinds lists every QuestionKind, in the order forms offer them.
var QuestionKinds = []QuestionKind{QuestionShortText, QuestionLongText, QuestionSingleChoice, QuestionMultipleChoice}

// Valid reports whether k is a known kind.
func (k QuestionKind) Valid() bool { return slices.Contains(QuestionKinds, k) }

// Text reports whether k is answered with text rather than choices.
func (k QuestionKind) Text() bool { return k == QuestionShortText || k == QuestionLongText }

// Limits of a form. The caps on text answers keep a registration item (and
// an attendee CSV) far below DynamoDB's 400 KB per item even with every
// question answered in full.
const (
	MaxQuestions         = 30
	DefaultShortTextMax  = 200
	DefaultLongTextMax   = 4000
	maxQuestionIDLen     = 32
	maxQuestionLabelLen  = 200
	maxQuestionHelpLen   = 1000
	minQuestionOptions   = 2
	maxQuestionOptions   = 30
	maxQuestionOptionLen = 100
)

// Question is one question of a form.
type Question struct {
	// ID names the question in answers: [a-z0-9_-]{1,32}, unique in its form.
	// It is what stored answers refer to, so it never changes once answered.
	ID       string       `json:"id"`
	Label    string       `json:"label"`
	Help     string       `json:"help,omitempty"`
	Kind     QuestionKind `json:"kind"`
	Required bool         `json:"required"`
	// MaxLength caps a text answer in characters; 0 is the kind's default
	// (DefaultShortTextMax, DefaultLongTextMax), which is also its cap.
	MaxLength int `json:"max_length,omitempty"`
	// Options are the choices of a choice question: 2–30, unique.
	Options []string `json:"options,omitempty"`
	// MaxChoices caps how many options a multiple-choice answer picks; 0 is any.
	MaxChoices int `json:"max_choices,omitempty"`
}

// Limit is the most characters a text answer to q may have.
func (q Question) Limit() int {
	cap := DefaultShortTextMax
	if q.Kind == QuestionLongText {
		cap = DefaultLongTextMax
	}
	if q.MaxLength > 0 && q.MaxLength < cap {
		return q.MaxLength
	}
	return cap
}

// Answer is a registrant's answer to one question: Text for text
// questions, Choices (options, as offered) for choice questions.
type Answer struct {
	QuestionID string   `json:"question_id"`
	Text       string   `json:"text,omitempty"`
	Choices    []string `json:"choices,omitempty"`
}

// Display is the answer as one line of text: the text, or the choices
// joined with "、" (as the attendee export writes them).
func (a Answer) Display() string {
	if len(a.Choices) > 0 {
		return strings.Join(a.Choices, "、")
	}
	return a.Text
}

// Form is an ordered list of questions.
type Form []Question

// Question returns the question with id, and whether there is one.
func (f Form) Question(id string) (Question, bool) {
	for _, q := range f {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// Normalized returns a copy of f with what people typed trimmed.
func (f Form) Normalized() Form {
	if f == nil {
		return nil
	}
	out := make(Form, len(f))
	for i, q := range f {
		q.ID = strings.TrimSpace(q.ID)
		q.Label = strings.TrimSpace(q.Label)
		q.Help = strings.TrimSpace(q.Help)
		if q.Options != nil {
			opts := make([]string, len(q.Options))
			for j, o := range q.Options {
				opts[j] = strings.TrimSpace(o)
			}
			q.Options = opts
		}
		out[i] = q
	}
	return out
}

// Validate checks a form as an organizer defines it; each problem is
// reported against its JSON path ("questions[2].options"). Invalid
// (reason "validation_failed").
func (f Form) Validate() error {
	fe := FieldErrors{}
	f.check(fe, "questions")
	return fe.Err()
}

// check adds f's problems to fe, under the JSON name of the form (prefix).
func (f Form) check(fe FieldErrors, prefix string) {
	if len(f) > MaxQuestions {
		fe.Add(prefix, fmt.Sprintf("設問は%d問までです。", MaxQuestions))
	}
	seen := map[string]bool{}
	for i, q := range f {
		p := fmt.Sprintf("%s[%d]", prefix, i)
		switch {
		case !validQuestionID(q.ID):
			fe.Add(p+".id", "設問IDは半角の英小文字・数字・_・- で32文字以内にしてください。")
		case seen[q.ID]:
			fe.Add(p+".id", "設問ID「"+q.ID+"」が重複しています。")
		}
		seen[q.ID] = true
		textField(fe, p+".label", "設問文", q.Label, true, maxQuestionLabelLen)
		if _, ok := cleanText(strings.NewReplacer("\n", "", "\r", "").Replace(q.Help)); !ok {
			fe.Add(p+".help", "補足説明に使えない文字が含まれています。")
		} else if utf8.RuneCountInString(q.Help) > maxQuestionHelpLen {
			fe.Add(p+".help", fmt.Sprintf("補足説明は%d文字以内で入力してください。", maxQuestionHelpLen))
		}
		if !q.Kind.Valid() {
			fe.Add(p+".kind", "設問の種類は short_text, long_text, single_choice, multiple_choice のいずれかです。")
			continue
		}
		if q.Kind.Text() {
			if q.MaxLength < 0 || q.MaxLength > q.withoutLimit().Limit() {
				fe.Add(p+".max_length", fmt.Sprintf("文字数の上限は1から%dまで（0は既定の%d文字）で指定してください。", q.withoutLimit().Limit(), q.withoutLimit().Limit()))
			}
			if len(q.Options) > 0 {
				fe.Add(p+".options", "記述式の設問に選択肢は指定できません。")
			}
			if q.MaxChoices != 0 {
				fe.Add(p+".max_choices", "選べる数は複数選択の設問だけに指定できます。")
			}
			continue
		}
		if q.MaxLength != 0 {
			fe.Add(p+".max_length", "文字数の上限は記述式の設問だけに指定できます。")
		}
		if n := len(q.Options); n < minQuestionOptions || n > maxQuestionOptions {
			fe.Add(p+".options", fmt.Sprintf("選択肢は%dから%d個にしてください。", minQuestionOptions, maxQuestionOptions))
		}
		opts := map[string]bool{}
		for j, o := range q.Options {
			v := textField(fe, fmt.Sprintf("%s.options[%d]", p, j), "選択肢", o, true, maxQuestionOptionLen)
			if opts[v] {
				fe.Add(fmt.Sprintf("%s.options[%d]", p, j), "選択肢「"+v+"」が重複しています。")
			}
			opts[v] = true
		}
		switch {
		case q.Kind == QuestionSingleChoice && q.MaxChoices != 0:
			fe.Add(p+".max_choices", "選べる数は複数選択の設問だけに指定できます。")
		case q.MaxChoices < 0 || q.MaxChoices > len(q.Options):
			fe.Add(p+".max_choices", "選べる数は0（制限なし）から選択肢の数までで指定してください。")
		}
	}
}

// withoutLimit is q with its kind's default limit.
func (q Question) withoutLimit() Question { q.MaxLength = 0; return q }

func validQuestionID(id string) bool {
	if id == "" || len(id) > maxQuestionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckAnswers checks answers against the form and returns them
// normalized: in the form's order, text trimmed (line ends of long text as
// "\n"), choices in the order offered, answers left empty dropped. Each
// problem is reported against "answers.<question id>", or "answers[i]"
// for an answer to no question of the form or a second answer to one.
// Invalid (reason "invalid_answers").
func (f Form) CheckAnswers(answers []Answer) ([]Answer, error) {
	fe := FieldErrors{}
	given := map[string]Answer{}
	for i, a := range answers {
		p := fmt.Sprintf("answers[%d]", i)
		if _, ok := f.Question(a.QuestionID); !ok {
			fe.Add(p, "この設問はありません（question_id: "+clip(a.QuestionID, 40)+"）。")
			continue
		}
		if _, dup := given[a.QuestionID]; dup {
			fe.Add(p, "同じ設問への回答が重複しています。")
			continue
		}
		given[a.QuestionID] = a
	}
	var out []Answer
	for _, q := range f {
		a, ok := given[q.ID]
		p := "answers." + q.ID
		if ok {
			var good bool
			if a, good = q.check(fe, p, a); !good {
				continue
			}
		}
		empty := !ok || (a.Text == "" && len(a.Choices) == 0)
		if empty {
			if q.Required {
				fe.Add(p, "「"+q.Label+"」は必須です。")
			}
			continue
		}
		out = append(out, a)
	}
	if len(fe) > 0 {
		return nil, ErrInvalidAnswers.WithFields(map[string]string(fe))
	}
	return out, nil
}

// check normalizes one answer to q and reports whether it is acceptable.
func (q Question) check(fe FieldErrors, p string, a Answer) (Answer, bool) {
	label := "「" + q.Label + "」"
	if q.Kind.Text() {
		if len(a.Choices) > 0 {
			fe.Add(p, label+"は記述式です。文章で回答してください。")
			return a, false
		}
		text := a.Text
		if q.Kind == QuestionLongText {
			text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
		}
		text = strings.TrimSpace(text)
		if !utf8.ValidString(text) || strings.ContainsFunc(text, func(r rune) bool {
			return unicode.IsControl(r) && !(q.Kind == QuestionLongText && (r == '\n' || r == '\t'))
		}) {
			fe.Add(p, label+"に使えない文字が含まれています。")
			return a, false
		}
		if n := utf8.RuneCountInString(text); n > q.Limit() {
			fe.Add(p, fmt.Sprintf("%sは%d文字以内で回答してください（現在%d文字）。", label, q.Limit(), n))
			return a, false
		}
		return Answer{QuestionID: q.ID, Text: text}, true
	}
	if a.Text != "" {
		fe.Add(p, label+"は選択式です。選択肢から選んでください。")
		return a, false
	}
	picked := map[string]bool{}
	for _, c := range a.Choices {
		c = strings.TrimSpace(c)
		if !slices.Contains(q.Options, c) {
			fe.Add(p, label+"の選択肢にない回答です（"+clip(c, 40)+"）。")
			return a, false
		}
		if picked[c] {
			fe.Add(p, label+"で同じ選択肢が重複しています。")
			return a, false
		}
		picked[c] = true
	}
	switch n := len(picked); {
	case q.Kind == QuestionSingleChoice && n > 1:
		fe.Add(p, label+"は1つだけ選んでください。")
		return a, false
	case q.Kind == QuestionMultipleChoice && q.MaxChoices > 0 && n > q.MaxChoices:
		fe.Add(p, fmt.Sprintf("%sは%d個まで選べます。", label, q.MaxChoices))
		return a, false
	}
	var choices []string
	for _, o := range q.Options {
		if picked[o] {
			choices = append(choices, o)
		}
	}
	return Answer{QuestionID: q.ID, Choices: choices}, true
}

// clip shortens what a client sent before it is quoted back in a message.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Breaks reports whether changing form f into next could make answers
// stored against f wrong for next: a question removed, its kind changed,
// an option it offered withdrawn, a limit lowered, or an answer newly
// required. Adding optional questions, adding options, reordering, and
// rewording labels and help break nothing.
func (f Form) Breaks(next Form) bool {
	for _, q := range f {
		n, ok := next.Question(q.ID)
		if !ok || n.Kind != q.Kind || (n.Required && !q.Required) || n.Limit() < q.Limit() {
			return true
		}
		for _, o := range q.Options {
			if !slices.Contains(n.Options, o) {
				return true
			}
		}
		if q.Kind == QuestionMultipleChoice && n.MaxChoices > 0 && (q.MaxChoices == 0 || n.MaxChoices < q.MaxChoices) {
			return true
		}
	}
	for _, n := range next {
		if _, ok := f.Question(n.ID); !ok && n.Required {
			return true
		}
	}
	return false
}

// Equal reports whether f and g ask the same questions the same way.
func (f Form) Equal(g Form) bool {
	return slices.EqualFunc(f, g, func(a, b Question) bool {
		return a.ID == b.ID && a.Label == b.Label && a.Help == b.Help && a.Kind == b.Kind &&
			a.Required == b.Required && a.MaxLength == b.MaxLength && a.MaxChoices == b.MaxChoices &&
			slices.Equal(a.Options, b.Options)
	})
}
