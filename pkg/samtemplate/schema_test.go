package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// samSchemaPath is AWS's own SAM JSON schema, kept beside the repository
// (../shared/schemas, see its README): from this package, three levels up.
var samSchemaPath = filepath.Join("..", "..", "..", "shared", "schemas", "sam.schema.json")

// compileSAMSchema compiles the SAM schema (draft-04), or skips the test
// where ../shared is not beside the clone.
func compileSAMSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(samSchemaPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("the AWS SAM schema is not at %s (../shared/schemas beside the clone): template.yaml is not checked against it", samSchemaPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseRegexpEngine(lookaheadRegexp)
	if err := c.AddResource("sam.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sam.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lookaheadRegexp compiles the schema's patterns with Go's regexp, and the
// one form Go lacks that the schema uses — a leading negative lookahead,
// ^(?!AWS::Serverless::).+$ ("any resource type but SAM's") — as "the
// rest matches and the lookahead's text does not".
func lookaheadRegexp(pattern string) (jsonschema.Regexp, error) {
	inner, rest, ok := strings.Cut(strings.TrimPrefix(pattern, "^(?!"), ")")
	if !strings.HasPrefix(pattern, "^(?!") || !ok || strings.ContainsAny(inner, "()") {
		return regexp.Compile(pattern)
	}
	not, err := regexp.Compile("^(?:" + inner + ")")
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile("^" + rest)
	if err != nil {
		return nil, err
	}
	return negativeLookahead{pattern, not, re}, nil
}

type negativeLookahead struct {
	src     string
	not, re *regexp.Regexp
}

func (n negativeLookahead) MatchString(s string) bool {
	return !n.not.MatchString(s) && n.re.MatchString(s)
}

func (n negativeLookahead) String() string { return n.src }

func readRepoTemplate(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// template.yaml holds to AWS's own SAM schema: every property of every
// AWS::Serverless resource is one SAM knows, with the type it takes.
func TestRepoTemplateSAMSchema(t *testing.T) {
	schema := compileSAMSchema(t)
	doc, err := LongForm(readRepoTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("template.yaml does not validate against the AWS SAM schema:\n%v", err)
	}
}

// The check can fail: a misspelt property of a function (Handlr), or a
// property of the wrong type, is refused by the schema.
func TestSAMSchemaRefusesMisspelling(t *testing.T) {
	schema := compileSAMSchema(t)
	raw := string(readRepoTemplate(t))
	for name, edit := range map[string][2]string{
		"misspelt Events":       {"      Events:\n        ListEvents:", "      Event:\n        ListEvents:"},
		"misspelt event Method": {"{ ApiId: !Ref HttpApi, Method: GET, Path: /api/events }", "{ ApiId: !Ref HttpApi, Metod: GET, Path: /api/events }"},
		"event Type SAM lacks":  {"          Type: HttpApi\n          Properties: { ApiId: !Ref HttpApi, Method: GET, Path: /api/events }", "          Type: HttpAPI\n          Properties: { ApiId: !Ref HttpApi, Method: GET, Path: /api/events }"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(raw, edit[0]) {
				t.Fatalf("template.yaml has no %q to alter", edit[0])
			}
			doc, err := LongForm([]byte(strings.Replace(raw, edit[0], edit[1], 1)))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err == nil {
				t.Errorf("the SAM schema took a template with a %s", name)
			}
		})
	}
}

// LongForm writes the short-form intrinsics as CloudFormation reads them.
func TestLongForm(t *testing.T) {
	got, err := LongForm([]byte(`
A: !Ref Table
B: !GetAtt Table.StreamArn
C: !Sub "arn:${AWS::Partition}:s3:::x"
D: !If [IsProd, !Ref Prod, !Ref AWS::NoValue]
E: !Condition IsProd
F: 3
G: true
`))
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	want := map[string]string{
		"A": "map[Ref:Table]", "B": "map[Fn::GetAtt:[Table StreamArn]]", "C": "map[Fn::Sub:arn:${AWS::Partition}:s3:::x]",
		"D": "map[Fn::If:[IsProd map[Ref:Prod] map[Ref:AWS::NoValue]]]", "E": "map[Condition:IsProd]", "F": "3", "G": "true",
	}
	for k, w := range want {
		if g := strings.TrimSpace(fmtAny(m[k])); g != w {
			t.Errorf("%s = %s, want %s", k, g, w)
		}
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }
