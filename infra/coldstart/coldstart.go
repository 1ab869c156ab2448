// Package coldstart measures how long each Lambda function takes to start, the
// way Lambda sees it: from exec of the bootstrap to its first
// GET /2018-06-01/runtime/invocation/next, answered here by a minimal stand-in
// of the Lambda Runtime API. Everything a function does before lambda.Start
// (package initialisers, configuration, SDK clients, services) falls inside
// that window, and Lambda bills and users wait for all of it.
//
// It is its own package so that `make bench` measures every function the same
// way against one floor: a bare aws-lambda-go function, built with the same
// flags as the Makefile's GO_LAMBDA for the machine running the benchmark.
// Issue 13 sets the goal: each function's start within 1.5× of the bare one's.
package coldstart

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sorae/tabane/pkg/samtemplate"
)

// NextPath is the Runtime API call a bootstrap makes once it is ready for its
// first event: the end of its cold start.
const NextPath = "/2018-06-01/runtime/invocation/next"

// Target is one program to build and start.
type Target struct {
	Name    string // LogicalId in template.yaml, or "bare"
	Package string // import path relative to the module root: ./functions/events
}

// Targets returns every function in template.yaml, sorted by LogicalId, each
// with the folder its Makefile build-<LogicalId> target builds.
func Targets(root string) ([]Target, error) {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, err
	}
	fns, err := tpl.Functions()
	if err != nil {
		return nil, err
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	recipes := Recipes(string(mk))
	out := make([]Target, 0, len(fns))
	for _, f := range fns {
		pkg := ""
		for _, w := range strings.Fields(recipes["build-"+f.LogicalID]) {
			if strings.HasPrefix(w, "./functions/") {
				pkg = w
			}
		}
		if pkg == "" {
			// No explicit target (a pattern rule, say): the folder rule
			// infra/devserver's coverage test holds the Makefile to.
			pkg = "./functions/" + samtemplate.FolderOf(f.LogicalID)
		}
		out = append(out, Target{Name: f.LogicalID, Package: pkg})
	}
	return out, nil
}

// Recipes returns each explicit Makefile target's recipe lines, joined:
// the one reading of the Makefile this benchmark and infra/devserver's
// coverage test share.
func Recipes(mk string) map[string]string {
	out := map[string]string{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(mk))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "\t"):
			if cur != "" {
				out[cur] += line + "\n"
			}
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		default:
			cur = ""
			if name, _, ok := strings.Cut(line, ":"); ok && !strings.ContainsAny(name, " =%$") && !strings.HasPrefix(line[len(name)+1:], "=") {
				cur = name
				out[cur] = ""
			}
		}
	}
	return out
}

// BuildCommand is how the Makefile's GO_LAMBDA builds a bootstrap, for the
// machine running this code instead of Linux arm64: the environment
// assignments other than GOOS and GOARCH, and the arguments after
// `$(GO) build`. Reading it from the Makefile keeps the two built alike.
func BuildCommand(root string) (env, args []string, err error) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, nil, err
	}
	var def string
	for _, line := range strings.Split(string(mk), "\n") {
		if name, value, ok := strings.Cut(line, "="); ok && strings.TrimSpace(strings.TrimRight(name, ":?+ \t")) == "GO_LAMBDA" {
			def = value
		}
	}
	if def == "" {
		return nil, nil, errors.New("coldstart: the Makefile defines no GO_LAMBDA")
	}
	words, err := shellWords(def)
	if err != nil {
		return nil, nil, fmt.Errorf("coldstart: GO_LAMBDA: %w", err)
	}
	for i, w := range words {
		if w == "$(GO)" && i+1 < len(words) && words[i+1] == "build" {
			return env, words[i+2:], nil
		}
		k, _, ok := strings.Cut(w, "=")
		if !ok {
			break
		}
		if k != "GOOS" && k != "GOARCH" {
			env = append(env, w)
		}
	}
	return nil, nil, fmt.Errorf("coldstart: GO_LAMBDA is not `[VAR=value…] $(GO) build flags…`: %s", strings.TrimSpace(def))
}

// shellWords splits s as a shell would split a simple command: blanks
// separate words, quotes group and are removed.
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c in %s", quote, s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// Build builds every target into dir with one `go build` (so the targets
// share the work), named by Target.Name, and returns their paths.
func Build(ctx context.Context, root, dir string, targets []Target) (map[string]string, error) {
	env, flags, err := BuildCommand(root)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range targets {
		pkgDir := filepath.Join(dir, t.Name)
		if err := os.MkdirAll(pkgDir, 0o755); err != nil {
			return nil, err
		}
		out[t.Name] = filepath.Join(pkgDir, "bootstrap")
	}
	// One command per target would redo the shared linking setup; a single
	// `go build -o` builds many main packages only into one directory, named
	// by their folders, so build there and move each into place.
	tmp := filepath.Join(dir, ".build")
	args := append([]string{"build"}, flags...)
	args = append(args, "-o", tmp+string(filepath.Separator))
	for _, t := range targets {
		args = append(args, t.Package)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("coldstart: go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	for _, t := range targets {
		if err := os.Rename(filepath.Join(tmp, filepath.Base(t.Package)), out[t.Name]); err != nil {
			return nil, fmt.Errorf("coldstart: %s: %w", t.Name, err)
		}
	}
	return out, os.Remove(tmp)
}

// LambdaEnv is the environment Lambda gives a provided.al2023 function
// named name, but for AWS_LAMBDA_RUNTIME_API, which Start adds. It holds
// nothing from the caller's environment: no HOME, so no ~/.aws files are read.
func LambdaEnv(name string) []string {
	return []string{
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=coldstart",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT=/var/task",
		"LAMBDA_RUNTIME_DIR=/var/runtime",
		"AWS_REGION=ap-northeast-1",
		"AWS_DEFAULT_REGION=ap-northeast-1",
		// Lambda hands every function its role's credentials this way.
		"AWS_ACCESS_KEY_ID=coldstart",
		"AWS_SECRET_ACCESS_KEY=coldstart",
		"AWS_SESSION_TOKEN=coldstart",
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin:/bin",
	}
}

// Start execs bin with env plus AWS_LAMBDA_RUNTIME_API pointing at a fresh
// Runtime API stand-in, and returns how long it took from exec to the first
// GET /next. The process is killed before Start returns.
func Start(ctx context.Context, bin string, env []string) (time.Duration, error) {
	next := make(chan time.Time, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != NextPath {
			http.Error(w, "coldstart: only the first GET /next is served", http.StatusNotFound)
			return
		}
		select {
		case next <- time.Now():
		default:
		}
		// Hold the call: the function waits for an event it never gets
		// until it is killed.
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	var out lockedBuffer
	cmd := exec.Command(bin)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+srv.Listener.Addr().(*net.TCPAddr).String())
	cmd.Stdout, cmd.Stderr = &out, &out
	exited := make(chan error, 1)

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill() // it may have exited already; Wait reports how
		<-exited
	}

	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	select {
	case at := <-next:
		stop()
		return at.Sub(start), nil
	case err := <-exited:
		return 0, fmt.Errorf("coldstart: %s exited before asking for an event (%v):\n%s", filepath.Base(filepath.Dir(bin)), err, out.String())
	case <-timeout.C:
		stop()
		return 0, fmt.Errorf("coldstart: %s did not ask for an event within 10s:\n%s", filepath.Base(filepath.Dir(bin)), out.String())
	case <-ctx.Done():
		stop()
		return 0, ctx.Err()
	}
}

// lockedBuffer collects a process's output; exec copies stdout and stderr
// from two goroutines when they are not files.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
