package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sorae/tabane/infra/coldstart"
	"github.com/sorae/tabane/pkg/adminapi"
	"github.com/sorae/tabane/pkg/app"
	"github.com/sorae/tabane/pkg/config"
	"github.com/sorae/tabane/pkg/devserver"
	"github.com/sorae/tabane/pkg/eventsapi"
	"github.com/sorae/tabane/pkg/rsvpapi"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/signupapi"
	"github.com/sorae/tabane/pkg/web"
)

// These tests keep template.yaml, functions/, the Makefile, pkg/app and the
// dev server in step: add a route, a schedule or a function to any one of
// them and they say exactly what the others lack.

type repo struct {
	root string
	tpl  *samtemplate.Template
	fns  []samtemplate.Function
}

func loadRepo(t *testing.T) repo {
	t.Helper()
	root, tpl, err := samtemplate.LoadRepo()
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	return repo{root: root, tpl: tpl, fns: fns}
}

func newServer(t *testing.T, r repo) *devserver.Server {
	t.Helper()
	cfg, err := config.FromEnv(func(k string) string {
		if k == "TABANE_SESSION_SECRET" {
			return strings.Repeat("s", 32)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	// Constructors only wire; no AWS call is made, so clients need no endpoint.
	handlers, err := buildHandlers(app.New(cfg, app.LocalAWSConfig("ap-northeast-1"), app.Endpoints{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := devserver.New(r.tpl, handlers, devserver.Options{})
	if err != nil {
		t.Fatalf("the dev server refuses template.yaml with infra/devserver/functions.go: %v", err)
	}
	return srv
}

func TestEveryTemplateFunctionHasAConstructor(t *testing.T) {
	r := loadRepo(t)
	for _, f := range r.fns {
		if _, ok := constructors[f.LogicalID]; !ok {
			var keys []string
			for _, rt := range f.Routes {
				keys = append(keys, rt.Key())
			}
			for _, s := range f.Schedules {
				keys = append(keys, s.Type+" "+s.Expression)
			}
			for _, m := range f.StreamMappings {
				keys = append(keys, m.Table+" stream")
			}
			t.Errorf("template.yaml declares %s (%s) but infra/devserver/functions.go has no %q: add its constructor (the <pkg>.Wire its main.go calls)",
				f.LogicalID, strings.Join(keys, ", "), f.LogicalID)
		}
	}
	for id := range constructors {
		if !slices.ContainsFunc(r.fns, func(f samtemplate.Function) bool { return f.LogicalID == id }) {
			t.Errorf("infra/devserver/functions.go has %q but template.yaml has no AWS::Serverless::Function %s", id, id)
		}
	}
}

func TestEveryRouteIsServed(t *testing.T) {
	r := loadRepo(t)
	srv := newServer(t, r)
	routes, err := r.tpl.Routes()
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) == 0 {
		t.Fatal("template.yaml has no HttpApi routes")
	}
	for _, rt := range routes {
		t.Run(rt.Key(), func(t *testing.T) {
			method := rt.Method
			if method == "ANY" {
				method = "GET"
			}
			path := devserver.Example(rt)
			m, ok := srv.Match(method, path)
			switch {
			case !ok:
				t.Errorf("route %q (%s.Events.%s in template.yaml): the dev server matches no route for %s %s", rt.Key(), rt.Function, rt.Event, method, path)
			case m.Route.Key() != rt.Key() || m.Route.Function != rt.Function:
				t.Errorf("route %q (%s.Events.%s): %s %s goes to %q of %s instead — two routes overlap", rt.Key(), rt.Function, rt.Event, method, path, m.Route.Key(), m.Route.Function)
			case !srv.Served(rt.Function):
				t.Errorf("route %q is served by %s, which has no handler: add %q to infra/devserver/functions.go", rt.Key(), rt.Function, rt.Function)
			}
		})
	}
}

func TestEveryScheduleIsServed(t *testing.T) {
	r := loadRepo(t)
	srv := newServer(t, r)
	scheds, err := r.tpl.Schedules()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scheds {
		t.Run(s.Name(), func(t *testing.T) {
			if !slices.Contains(srv.Schedules(), s) {
				t.Errorf("schedule %s (%s) is not run by the dev server", s.Name(), s.Expression)
			}
			if !srv.Served(s.Function) {
				t.Errorf("schedule %s (%s) runs %s, which has no handler: add %q to infra/devserver/functions.go", s.Name(), s.Expression, s.Function, s.Function)
			}
			if s.Type == "ScheduleV2" && s.Input == "" {
				t.Errorf("schedule %s: give it an explicit Input so the payload is the same in AWS and in the dev server", s.Name())
			}
		})
	}
}

// TestEveryStreamMappingIsRun: each DynamoDB event of template.yaml is an
// event source mapping the dev server polls, as it runs every schedule.
func TestEveryStreamMappingIsRun(t *testing.T) {
	r := loadRepo(t)
	srv := newServer(t, r)
	ms, err := r.tpl.StreamMappings()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Run(m.Name(), func(t *testing.T) {
			if !slices.ContainsFunc(srv.StreamMappings(), func(got samtemplate.StreamMapping) bool { return cmp.Equal(got, m) }) {
				t.Errorf("the DynamoDB event %s (stream of %s) is not run by the dev server", m.Name(), m.Table)
			}
			if !srv.Served(m.Function) {
				t.Errorf("the %s stream invokes %s (%s), which has no handler: add %q to infra/devserver/functions.go (the <pkg>.Wire its main.go calls); until then `make run` does not poll that stream",
					m.Table, m.Function, m.Name(), m.Function)
			}
			if !m.Enabled {
				t.Logf("%s is disabled in template.yaml: the dev server lists it but does not poll it", m.Name())
			}
		})
	}
}

type makefile struct {
	functions []string          // FUNCTIONS := …
	recipes   map[string]string // target → recipe text
}

// readMakefile reads the Makefile as the cold-start benchmark does
// (coldstart.Recipes), so the two cannot disagree about a target.
func readMakefile(t *testing.T, root string) makefile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := makefile{recipes: coldstart.Recipes(string(b))}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "FUNCTIONS :="); ok {
			mk.functions = strings.Fields(v)
		}
	}
	return mk
}

func TestEveryFunctionHasFolderAndBuildTarget(t *testing.T) {
	r := loadRepo(t)
	mk := readMakefile(t, r.root)
	for _, f := range r.fns {
		t.Run(f.LogicalID, func(t *testing.T) {
			dir := samtemplate.FolderOf(f.LogicalID)
			main := filepath.Join(r.root, "functions", dir, "main.go")
			src, err := os.ReadFile(main)
			if err != nil {
				t.Errorf("template.yaml declares %s but functions/%s/main.go is missing: add it (app.Load → <pkg>.Wire → lambda.Start)", f.LogicalID, dir)
			} else if !strings.Contains(string(src), "app.Load(context.Background(), os.Getenv)") || !regexp.MustCompile(`\w+\.Wire\(d\)`).Match(src) {
				t.Errorf("functions/%s/main.go must be app.Load, then its handler package's Wire, then lambda.Start", dir)
			}
			recipe, ok := mk.recipes["build-"+f.LogicalID]
			switch {
			case !ok:
				t.Errorf("Makefile has no build-%s target (sam build runs it for BuildMethod makefile): add\n\nbuild-%s:\n\t$(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/%s", f.LogicalID, f.LogicalID, dir)
			case !strings.Contains(recipe, "$(GO_LAMBDA)") || !strings.Contains(recipe, "$(ARTIFACTS_DIR)/bootstrap") || !strings.Contains(recipe, "./functions/"+dir+"\n"):
				t.Errorf("Makefile build-%s must run $(GO_LAMBDA) -o $(ARTIFACTS_DIR)/bootstrap ./functions/%s; it runs:\n%s", f.LogicalID, dir, recipe)
			}
			if !slices.Contains(mk.functions, f.LogicalID) {
				t.Errorf("Makefile FUNCTIONS does not list %s (make build would skip it)", f.LogicalID)
			}
		})
	}
	for _, id := range mk.functions {
		if !slices.ContainsFunc(r.fns, func(f samtemplate.Function) bool { return f.LogicalID == id }) {
			t.Errorf("Makefile FUNCTIONS lists %s, which template.yaml does not declare", id)
		}
	}
}

func TestEveryFolderHasATemplateFunction(t *testing.T) {
	r := loadRepo(t)
	entries, err := os.ReadDir(filepath.Join(r.root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		id := samtemplate.LogicalIDOf(e.Name())
		if !slices.ContainsFunc(r.fns, func(f samtemplate.Function) bool { return f.LogicalID == id }) {
			t.Errorf("functions/%s has no AWS::Serverless::Function %s in template.yaml: declare it (Metadata BuildMethod makefile, CodeUri ., its routes or schedule)", e.Name(), id)
		}
	}
}

func TestFolderNames(t *testing.T) {
	for id, dir := range map[string]string{"EventsFunction": "events", "AdminMembersFunction": "admin-members", "WebFunction": "web"} {
		if got := samtemplate.FolderOf(id); got != dir {
			t.Errorf("samtemplate.FolderOf(%s) = %s, want %s", id, got, dir)
		}
		if got := samtemplate.LogicalIDOf(dir); got != id {
			t.Errorf("samtemplate.LogicalIDOf(%s) = %s, want %s", dir, got, id)
		}
	}
}

// handlerRoutes are the route keys each handler answers, from the handler
// packages themselves; a template route its function does not answer would
// be a 404 in every environment.
var handlerRoutes = map[string][]string{
	"EventsFunction": {eventsapi.RouteList, eventsapi.RouteDetail, eventsapi.RouteFeed, eventsapi.RouteLottery, eventsapi.RouteCertificate, eventsapi.RouteMyCalendar},
	"SignupFunction": {signupapi.RouteSignup, signupapi.RouteVerify, signupapi.RouteLink, signupapi.RouteSession,
		signupapi.RouteSignOut, signupapi.RouteMe, signupapi.RouteUpdateMe, signupapi.RouteEligibilityRequest, signupapi.RouteWithdraw, signupapi.RouteUnsubscribe,
		signupapi.RouteCalendar, signupapi.RouteIssueCalendar, signupapi.RouteStopCalendar},
	"RsvpFunction": {rsvpapi.RouteRegister, rsvpapi.RouteCancelMine, rsvpapi.RouteCancelByToken, rsvpapi.RouteConfirmGuest, rsvpapi.RouteMyRegistrations,
		rsvpapi.RouteNominate, rsvpapi.RouteConfirmNominee, rsvpapi.RouteMyNominations, rsvpapi.RouteAnswerSurvey},
	"AdminFunction": adminapi.Routes,
	"WebFunction":   web.Routes(),
}

func TestTemplateRoutesMatchHandlers(t *testing.T) {
	r := loadRepo(t)
	for _, f := range r.fns {
		want, ok := handlerRoutes[f.LogicalID]
		if !ok {
			continue
		}
		t.Run(f.LogicalID, func(t *testing.T) {
			declared := map[string]bool{}
			for _, rt := range f.Routes {
				declared[rt.Key()] = true
				if !slices.Contains(want, rt.Key()) {
					t.Errorf("template.yaml routes %q to %s, whose handler does not answer it", rt.Key(), f.LogicalID)
				}
			}
			for _, k := range want {
				if !declared[k] {
					t.Errorf("%s answers %q but template.yaml declares no such HttpApi event for it", f.LogicalID, k)
				}
			}
		})
	}
}

// TestTemplateEnvironmentMatchesConfig keeps Globals.Function.Environment and
// pkg/config in step: a misspelt variable would silently fall back to its
// local default in AWS.
func TestTemplateEnvironmentMatchesConfig(t *testing.T) {
	r := loadRepo(t)
	vars := samtemplate.MapGet(r.tpl.GlobalFunction("Environment"), "Variables")
	if vars == nil {
		t.Fatal("template.yaml has no Globals.Function.Environment.Variables")
	}
	declared := map[string]bool{}
	for i := 0; i+1 < len(vars.Content); i += 2 {
		declared[vars.Content[i].Value] = true
	}
	read := map[string]bool{}
	if _, err := config.FromEnv(func(k string) string {
		read[k] = true
		if k == "TABANE_SESSION_SECRET" {
			return strings.Repeat("s", 32)
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	for k := range declared {
		if !read[k] {
			t.Errorf("template.yaml sets %s, which pkg/config never reads", k)
		}
	}
	for k := range read {
		if strings.HasPrefix(k, "TABANE_") && !declared[k] && !localOnly[k] {
			t.Errorf("pkg/config reads %s, but template.yaml's Globals.Function.Environment does not set it", k)
		}
	}
	for k := range localOnly {
		if declared[k] {
			t.Errorf("template.yaml sets %s: keys are read from Secrets Manager in AWS, never put in a function's environment", k)
		}
	}
}

// localOnly is what pkg/config reads that AWS must never set: the keys
// (docs/keys.md). Lambda's environment is readable by whoever may read a
// function's configuration.
var localOnly = map[string]bool{"TABANE_SESSION_SECRET": true}

// TestEachFunctionLinksOnlyItsOwnHandler runs go list -deps on every
// functions/<name>: no bootstrap may carry another function's handler
// package (a map of constructors by name once linked all six into each).
func TestEachFunctionLinksOnlyItsOwnHandler(t *testing.T) {
	r := loadRepo(t)
	imports := regexp.MustCompile(`"github.com/sorae/tabane/(pkg/[a-z/]+)"`)
	own := map[string]string{} // folder → its handler package
	for _, f := range r.fns {
		dir := samtemplate.FolderOf(f.LogicalID)
		src, err := os.ReadFile(filepath.Join(r.root, "functions", dir, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imports.FindAllSubmatch(src, -1) {
			if p := string(m[1]); p != "pkg/app" {
				own[dir] = "github.com/sorae/tabane/" + p
			}
		}
		if own[dir] == "" {
			t.Fatalf("functions/%s/main.go imports no handler package", dir)
		}
	}
	for dir, mine := range own {
		t.Run(dir, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "./functions/"+dir)
			cmd.Dir = r.root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps ./functions/%s: %v", dir, err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, mine) {
				t.Errorf("./functions/%s does not link its own handler %s", dir, mine)
			}
			for other, theirs := range own {
				if theirs != mine && slices.Contains(deps, theirs) {
					t.Errorf("./functions/%s links %s, the handler of functions/%s", dir, theirs, other)
				}
			}
			// A function links SES exactly when the template lets it send.
			links, may := slices.Contains(deps, sesPackage), allowed(r.tpl, samtemplate.LogicalIDOf(dir), "ses:SendRawEmail")
			if links != may {
				t.Errorf("./functions/%s links SES: %v; its policy allows ses:SendRawEmail: %v", dir, links, may)
			}
			// And reads the keyring exactly when the template lets it.
			links, may = slices.Contains(deps, secretsManagerPackage), allowed(r.tpl, samtemplate.LogicalIDOf(dir), "secretsmanager:GetSecretValue")
			if links != may {
				t.Errorf("./functions/%s links Secrets Manager: %v; its policy allows secretsmanager:GetSecretValue: %v", dir, links, may)
			}
		})
	}
}

const (
	sesPackage            = "github.com/aws/aws-sdk-go-v2/service/ses"
	secretsManagerPackage = "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// allowed reports whether a function's inline policy statements allow action.
func allowed(tpl *samtemplate.Template, id, action string) bool {
	r, ok := tpl.Resources[id]
	if !ok {
		return false
	}
	pols := samtemplate.MapGet(&r.Properties, "Policies")
	if pols == nil {
		return false
	}
	for _, p := range pols.Content {
		st := samtemplate.MapGet(p, "Statement")
		if st == nil {
			continue
		}
		for _, s := range st.Content {
			acts := samtemplate.MapGet(s, "Action")
			if acts == nil {
				continue
			}
			if samtemplate.Scalar(acts) == action {
				return true
			}
			for _, a := range acts.Content {
				if a.Value == action {
					return true
				}
			}
		}
	}
	return false
}
