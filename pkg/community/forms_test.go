package community

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// survey is a form with one question of every kind.
func survey() Form {
	return Form{
		{ID: "motive", Label: "受講の動機", Kind: QuestionLongText, Required: true, MaxLength: 400},
		{ID: "years", Label: "技術職としての経験年数", Kind: QuestionShortText},
		{ID: "field", Label: "担当分野", Kind: QuestionSingleChoice, Required: true, Options: []string{"道路", "河川", "下水道"}},
		{ID: "topics", Label: "関心のあるテーマ", Kind: QuestionMultipleChoice, Options: []string{"DX", "維持管理", "防災", "人材育成"}, MaxChoices: 2},
	}
}

func TestFormValidate(t *testing.T) {
	long := strings.Repeat("あ", 201)
	tests := []struct {
		name  string
		edit  func(f Form) Form
		field string // "" for a valid form
	}{
		{"OK", func(f Form) Form { return f }, ""},
		{"Empty", func(Form) Form { return nil }, ""},
		{"BadID", func(f Form) Form { f[0].ID = "Motive"; return f }, "questions[0].id"},
		{"LongID", func(f Form) Form { f[0].ID = strings.Repeat("a", 33); return f }, "questions[0].id"},
		{"DuplicateID", func(f Form) Form { f[1].ID = "motive"; return f }, "questions[1].id"},
		{"NoLabel", func(f Form) Form { f[1].Label = " "; return f }, "questions[1].label"},
		{"LongLabel", func(f Form) Form { f[1].Label = long; return f }, "questions[1].label"},
		{"ControlInLabel", func(f Form) Form { f[1].Label = "a\x07b"; return f }, "questions[1].label"},
		{"LongHelp", func(f Form) Form { f[1].Help = strings.Repeat("x", 1001); return f }, "questions[1].help"},
		{"UnknownKind", func(f Form) Form { f[1].Kind = "date"; return f }, "questions[1].kind"},
		{"ShortOverCap", func(f Form) Form { f[1].MaxLength = 201; return f }, "questions[1].max_length"},
		{"LongOverCap", func(f Form) Form { f[0].MaxLength = 4001; return f }, "questions[0].max_length"},
		{"NegativeLength", func(f Form) Form { f[0].MaxLength = -1; return f }, "questions[0].max_length"},
		{"TextWithOptions", func(f Form) Form { f[1].Options = []string{"a", "b"}; return f }, "questions[1].options"},
		{"TextWithMaxChoices", func(f Form) Form { f[1].MaxChoices = 1; return f }, "questions[1].max_choices"},
		{"ChoiceWithLength", func(f Form) Form { f[2].MaxLength = 10; return f }, "questions[2].max_length"},
		{"OneOption", func(f Form) Form { f[2].Options = []string{"道路"}; return f }, "questions[2].options"},
		{"TooManyOptions", func(f Form) Form {
			f[2].Options = nil
			for i := 0; i < 31; i++ {
				f[2].Options = append(f[2].Options, strings.Repeat("o", i+1))
			}
			return f
		}, "questions[2].options"},
		{"DuplicateOption", func(f Form) Form { f[2].Options = []string{"道路", "河川", "道路"}; return f }, "questions[2].options[2]"},
		{"EmptyOption", func(f Form) Form { f[2].Options = []string{"道路", ""}; return f }, "questions[2].options[1]"},
		{"LongOption", func(f Form) Form { f[2].Options = []string{"道路", strings.Repeat("河", 101)}; return f }, "questions[2].options[1]"},
		{"SingleWithMaxChoices", func(f Form) Form { f[2].MaxChoices = 1; return f }, "questions[2].max_choices"},
		{"MaxChoicesOverOptions", func(f Form) Form { f[3].MaxChoices = 5; return f }, "questions[3].max_choices"},
		{"TooManyQuestions", func(f Form) Form {
			for i := 0; len(f) <= MaxQuestions; i++ {
				f = append(f, Question{ID: "q" + itoa(i+1), Label: "設問", Kind: QuestionShortText})
			}
			return f
		}, "questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edit(survey()).Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrValidation) {
				t.Fatalf("Validate = %v, want validation_failed", err)
			}
			if _, ok := ErrorFields(err)[tt.field]; !ok {
				t.Fatalf("fields = %v, want one for %s", ErrorFields(err), tt.field)
			}
		})
	}
}

func TestEventValidateChecksQuestions(t *testing.T) {
	e := validLecture()
	e.Questions = survey()
	e.Questions[3].Options = []string{"DX"}
	if _, ok := ErrorFields(e.Validate())["questions[3].options"]; !ok {
		t.Fatalf("Event.Validate = %v, want a field for questions[3].options", e.Validate())
	}
}

func TestCheckAnswers(t *testing.T) {
	good := []Answer{
		{QuestionID: "topics", Choices: []string{" 防災", "DX"}},
		{QuestionID: "field", Choices: []string{"河川"}},
		{QuestionID: "motive", Text: "  現場のDXを進めたい。\r\n上司の推薦もあり。  "},
		{QuestionID: "years", Text: ""},
	}
	got, err := survey().CheckAnswers(good)
	if err != nil {
		t.Fatalf("CheckAnswers = %v", err)
	}
	want := []Answer{
		{QuestionID: "motive", Text: "現場のDXを進めたい。\n上司の推薦もあり。"},
		{QuestionID: "field", Choices: []string{"河川"}},
		{QuestionID: "topics", Choices: []string{"DX", "防災"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("normalized answers (-want +got):\n%s", diff)
	}

	base := func() []Answer {
		return []Answer{{QuestionID: "motive", Text: "動機"}, {QuestionID: "field", Choices: []string{"道路"}}}
	}
	tests := []struct {
		name    string
		answers func() []Answer
		field   string
	}{
		{"UnknownQuestion", func() []Answer { return append(base(), Answer{QuestionID: "age", Text: "30"}) }, "answers[2]"},
		{"DuplicateAnswer", func() []Answer { return append(base(), Answer{QuestionID: "motive", Text: "再び"}) }, "answers[2]"},
		{"MissingRequired", func() []Answer { return base()[1:] }, "answers.motive"},
		{"BlankRequired", func() []Answer { a := base(); a[0].Text = "  \n "; return a }, "answers.motive"},
		{"OverLength", func() []Answer { a := base(); a[0].Text = strings.Repeat("字", 401); return a }, "answers.motive"},
		{"OverDefaultLength", func() []Answer {
			return append(base(), Answer{QuestionID: "years", Text: strings.Repeat("1", DefaultShortTextMax+1)})
		}, "answers.years"},
		{"ControlInShortText", func() []Answer { return append(base(), Answer{QuestionID: "years", Text: "3\n年"}) }, "answers.years"},
		{"ControlInLongText", func() []Answer { a := base(); a[0].Text = "ベル\x07"; return a }, "answers.motive"},
		{"InvalidUTF8", func() []Answer { a := base(); a[0].Text = "\xff"; return a }, "answers.motive"},
		{"ChoiceNotOffered", func() []Answer { a := base(); a[1].Choices = []string{"港湾"}; return a }, "answers.field"},
		{"TwoForSingle", func() []Answer { a := base(); a[1].Choices = []string{"道路", "河川"}; return a }, "answers.field"},
		{"TooManyChoices", func() []Answer {
			return append(base(), Answer{QuestionID: "topics", Choices: []string{"DX", "防災", "人材育成"}})
		}, "answers.topics"},
		{"DuplicateChoice", func() []Answer {
			return append(base(), Answer{QuestionID: "topics", Choices: []string{"DX", "DX"}})
		}, "answers.topics"},
		{"TextForChoice", func() []Answer { a := base(); a[1] = Answer{QuestionID: "field", Text: "道路"}; return a }, "answers.field"},
		{"ChoicesForText", func() []Answer { a := base(); a[0] = Answer{QuestionID: "motive", Choices: []string{"x"}}; return a }, "answers.motive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := survey().CheckAnswers(tt.answers())
			if !errors.Is(err, ErrInvalidAnswers) || ErrorCode(err) != Invalid {
				t.Fatalf("CheckAnswers = %v, %v; want invalid_answers", got, err)
			}
			if _, ok := ErrorFields(err)[tt.field]; !ok {
				t.Fatalf("fields = %v, want one for %s", ErrorFields(err), tt.field)
			}
		})
	}

	t.Run("NoForm", func(t *testing.T) {
		if got, err := Form(nil).CheckAnswers(nil); err != nil || got != nil {
			t.Fatalf("CheckAnswers(nil) = %v, %v", got, err)
		}
		if _, err := Form(nil).CheckAnswers([]Answer{{QuestionID: "x", Text: "y"}}); !errors.Is(err, ErrInvalidAnswers) {
			t.Fatalf("an answer to a form with no questions = %v, want invalid_answers", err)
		}
	})
}

func TestFormBreaks(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(f Form) Form
		breaks bool
	}{
		{"Same", func(f Form) Form { return f }, false},
		{"Reworded", func(f Form) Form { f[0].Label, f[0].Help = "志望動機", "具体的に"; return f }, false},
		{"Reordered", func(f Form) Form { f[0], f[1] = f[1], f[0]; return f }, false},
		{"OptionalAdded", func(f Form) Form {
			return append(f, Question{ID: "memo", Label: "備考", Kind: QuestionLongText})
		}, false},
		{"OptionAdded", func(f Form) Form { f[2].Options = append(f[2].Options, "港湾"); return f }, false},
		{"LimitRaised", func(f Form) Form { f[0].MaxLength = 800; return f }, false},
		{"MadeOptional", func(f Form) Form { f[0].Required = false; return f }, false},
		{"RequiredAdded", func(f Form) Form {
			return append(f, Question{ID: "memo", Label: "備考", Kind: QuestionLongText, Required: true})
		}, true},
		{"MadeRequired", func(f Form) Form { f[1].Required = true; return f }, true},
		{"Removed", func(f Form) Form { return f[1:] }, true},
		{"Renamed", func(f Form) Form { f[1].ID = "experience"; return f }, true},
		{"KindChanged", func(f Form) Form { f[1].Kind = QuestionLongText; return f }, true},
		{"OptionRemoved", func(f Form) Form { f[2].Options = f[2].Options[:2]; return f }, true},
		{"OptionReworded", func(f Form) Form { f[2].Options[0] = "道路・橋梁"; return f }, true},
		{"LimitLowered", func(f Form) Form { f[0].MaxLength = 100; return f }, true},
		{"FewerChoices", func(f Form) Form { f[3].MaxChoices = 1; return f }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := survey().Breaks(tt.edit(survey())); got != tt.breaks {
				t.Fatalf("Breaks = %v, want %v", got, tt.breaks)
			}
		})
	}
}
