package samtemplate

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func loadRepoTemplate(t *testing.T) *Template {
	t.Helper()
	tpl, err := LoadNearest()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

const sample = `
Parameters:
  Stage: { Type: String }
  Unused: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Runtime: provided.al2023
    Timeout: 7
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Fn:
    Type: AWS::Serverless::Function
    Metadata: { BuildMethod: makefile }
    Properties:
      CodeUri: .
      Timeout: 12
      Environment:
        Variables:
          A: !Sub "${Api}-${Stage}-${AWS::Region}-${Missing}-${!Literal}"
          B: !GetAtt Nope.Arn
          C: { "Fn::GetAtt": [Api, ApiEndpoint] }
          D: !If [IsStaging, a, b]
          E: !Ref FnRole
          F: !Sub ["${Local}-${Api}", { Local: x }]
      Events:
        One: { Type: HttpApi, Properties: { ApiId: !Ref Api, Method: get, Path: "/a/{id}" } }
        Two: { Type: HttpApi, Properties: { ApiId: !Ref Api } }
        Tick:
          Type: ScheduleV2
          Properties: { ScheduleExpression: rate(5 minutes), Input: '{"k":1}' }
        Old: { Type: Schedule, Properties: { Schedule: "cron(0 9 * * ? *)", Enabled: false } }
`

func TestFunctions(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	want := []Function{{
		LogicalID: "Fn", CodeURI: ".", Runtime: "provided.al2023", BuildMethod: "makefile",
		Timeout: 12 * time.Second, MemorySize: 128,
		Routes: []Route{
			{Function: "Fn", Event: "One", Method: "GET", Path: "/a/{id}", API: "Api"},
			{Function: "Fn", Event: "Two", Method: "ANY", Path: "$default", API: "Api"},
		},
		Schedules: []Schedule{
			{Function: "Fn", Event: "Tick", Type: "ScheduleV2", Expression: "rate(5 minutes)", Input: `{"k":1}`, Enabled: true},
			{Function: "Fn", Event: "Old", Type: "Schedule", Expression: "cron(0 9 * * ? *)", Enabled: false},
		},
	}}
	if diff := cmp.Diff(want, fs); diff != "" {
		t.Errorf("Functions() mismatch (-want +got):\n%s", diff)
	}
	if got := fs[0].Routes[0].Key(); got != "GET /a/{id}" {
		t.Errorf("Key() = %q", got)
	}
}

func TestUndefinedReferences(t *testing.T) {
	tpl, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tpl.UndefinedReferences() {
		got = append(got, r.Kind+" "+r.Target)
	}
	want := []string{"Sub Missing", "GetAtt Nope", "Condition IsStaging"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UndefinedReferences() mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Unused"}, tpl.UnusedParameters()); diff != "" {
		t.Errorf("UnusedParameters() mismatch (-want +got):\n%s", diff)
	}
}

// The checks below hold template.yaml to what the house style and the
// deployment need; each failure names the line or resource to fix.

func TestRepoTemplateReferences(t *testing.T) {
	tpl := loadRepoTemplate(t)
	for _, r := range tpl.UndefinedReferences() {
		t.Errorf("template.yaml %s: names nothing the template defines (add the resource/parameter/condition or fix the name)", r)
	}
	for _, p := range tpl.UnusedParameters() {
		t.Errorf("template.yaml parameter %s is never referenced: use it (e.g. in Globals.Function.Environment) or remove it", p)
	}
}

func TestRepoTemplateGlobals(t *testing.T) {
	tpl := loadRepoTemplate(t)
	checks := []struct {
		key, want string
	}{
		{"Runtime", "provided.al2023"},
		{"Handler", "bootstrap"},
	}
	for _, c := range checks {
		t.Run(c.key, func(t *testing.T) {
			if got := Scalar(tpl.GlobalFunction(c.key)); got != c.want {
				t.Errorf("Globals.Function.%s = %q, want %q", c.key, got, c.want)
			}
		})
	}
	t.Run("Architectures", func(t *testing.T) {
		if got := scalars(tpl.GlobalFunction("Architectures")); !cmp.Equal(got, []string{"arm64"}) {
			t.Errorf("Globals.Function.Architectures = %v, want [arm64]", got)
		}
	})
	t.Run("LoggingConfig", func(t *testing.T) {
		if got := Scalar(MapGet(tpl.GlobalFunction("LoggingConfig"), "LogFormat")); got != "JSON" {
			t.Errorf("Globals.Function.LoggingConfig.LogFormat = %q, want JSON", got)
		}
	})
	t.Run("TableEnv", func(t *testing.T) {
		n := MapGet(tpl.GlobalFunction("Environment"), "Variables", "TABANE_TABLE")
		if n == nil || n.Tag != "!Ref" || n.Value != "Table" {
			t.Errorf("Globals.Function.Environment.Variables.TABANE_TABLE must be !Ref Table")
		}
	})
}

func TestRepoTemplateFunctions(t *testing.T) {
	tpl := loadRepoTemplate(t)
	fs, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatal("template.yaml has no AWS::Serverless::Function")
	}
	for _, f := range fs {
		t.Run(f.LogicalID, func(t *testing.T) {
			res := tpl.Resources[f.LogicalID]
			if f.BuildMethod != "makefile" {
				t.Errorf("%s: Metadata.BuildMethod = %q, want makefile (built by the Makefile's build-%s)", f.LogicalID, f.BuildMethod, f.LogicalID)
			}
			if f.CodeURI != "." {
				t.Errorf("%s: CodeUri = %q, want . (the module root; the Makefile picks ./functions/<name>)", f.LogicalID, f.CodeURI)
			}
			if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || !cmp.Equal(f.Architectures, []string{"arm64"}) {
				t.Errorf("%s: Runtime/Handler/Architectures = %s/%s/%v, want provided.al2023/bootstrap/[arm64] (leave them to Globals)",
					f.LogicalID, f.Runtime, f.Handler, f.Architectures)
			}
			lg := MapGet(&res.Properties, "LoggingConfig", "LogGroup")
			if lg == nil || lg.Tag != "!Ref" {
				t.Errorf("%s: LoggingConfig.LogGroup must be !Ref to an AWS::Logs::LogGroup with RetentionInDays", f.LogicalID)
			} else if g, ok := tpl.Resources[lg.Value]; !ok || g.Type != "AWS::Logs::LogGroup" || Scalar(MapGet(&g.Properties, "RetentionInDays")) == "" {
				t.Errorf("%s: log group %s must be an AWS::Logs::LogGroup with RetentionInDays", f.LogicalID, lg.Value)
			}
			for _, r := range f.Routes {
				if api, ok := tpl.Resources[r.API]; !ok || api.Type != "AWS::Serverless::HttpApi" {
					t.Errorf("%s.Events.%s: ApiId must be !Ref to the template's AWS::Serverless::HttpApi (got %q)", f.LogicalID, r.Event, r.API)
				}
				if r.Path != "$default" && !strings.HasPrefix(r.Path, "/") {
					t.Errorf("%s.Events.%s: Path %q must start with /", f.LogicalID, r.Event, r.Path)
				}
			}
			checkPolicies(t, f.LogicalID, MapGet(&res.Properties, "Policies"))
		})
	}
}

// checkPolicies keeps functions least-privilege: inline statements only, no
// wildcards, no Scan, DynamoDB actions only on the table and its indexes.
func checkPolicies(t *testing.T, fn string, policies *yaml.Node) {
	t.Helper()
	if policies == nil {
		return
	}
	if policies.Kind != yaml.SequenceNode {
		t.Errorf("%s: Policies must be a list of {Statement: [...]}", fn)
		return
	}
	for _, p := range policies.Content {
		stmts := MapGet(p, "Statement")
		if stmts == nil {
			t.Errorf("%s: policy at line %d is not an inline Statement list (SAM policy templates such as DynamoDBCrudPolicy grant more than a function needs)", fn, p.Line)
			continue
		}
		for _, s := range stmts.Content {
			actions := MapGet(s, "Action")
			var acts []string
			if actions.Kind == yaml.SequenceNode {
				acts = scalars(actions)
			} else {
				acts = []string{Scalar(actions)}
			}
			for _, a := range acts {
				switch {
				case a == "" || strings.Contains(a, "*"):
					t.Errorf("%s: statement at line %d: action %q — list exact actions, no wildcards", fn, s.Line, a)
				case a == "dynamodb:Scan":
					t.Errorf("%s: statement at line %d allows dynamodb:Scan — no Scan on a request path; add a Query pattern instead", fn, s.Line)
				}
			}
			res := MapGet(s, "Resource")
			var resources []*yaml.Node
			if res != nil && res.Kind == yaml.SequenceNode && res.Tag != "!GetAtt" {
				resources = res.Content
			} else if res != nil {
				resources = []*yaml.Node{res}
			}
			for _, r := range resources {
				if r.Tag == "" || r.Tag == "!!str" {
					if r.Value == "*" {
						t.Errorf("%s: statement at line %d: Resource \"*\" — scope it to the resource", fn, s.Line)
					}
				}
			}
		}
	}
}
