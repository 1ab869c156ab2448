// Command withstack runs a command with DynamoDB Local (one per core, up to
// four) and one SES stand-in for its whole life: `make test` runs
// `withstack go test ./...`, so the test packages share them (through
// TABANE_TEST_DYNAMODB_URL, a comma-separated list, and TABANE_TEST_SES_URL,
// read by pkg/standins/localtest) instead of each starting its own JVM. Signals go to the command; the stand-ins stop when it
// ends, and withstack exits with the command's exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/sorae/tabane/pkg/standins"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withstack [--] command [args...]")
		return 2
	}
	// Catch signals from the start, so Ctrl-C while the JVM boots still
	// stops what was started.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()

	infra, err := standins.FindInfraDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
	logPath := filepath.Join(filepath.Dir(infra), ".tabane", "test-stack.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
	defer logFile.Close()

	start := time.Now()
	fmt.Fprintf(os.Stderr, "==> starting DynamoDB Local and the SES stand-in for this run (output: %s)\n", logPath)
	// One DynamoDB Local per core: each runs its requests on about one core
	// (its SQLite store serializes writes), so with one the run's other core
	// sat idle; test binaries each take one (localtest.Main).
	extra := min(max(runtime.NumCPU()-1, 0), 3)
	stack, err := standins.Start(ctx, standins.Options{InfraDir: infra, Log: logFile, ExtraDynamoDB: extra})
	if err != nil {
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
	defer func() {
		stack.Stop()
		fmt.Fprintln(os.Stderr, "==> stopped DynamoDB Local and the SES stand-in")
	}()
	fmt.Fprintf(os.Stderr, "==> stand-ins ready in %.1fs: DynamoDB %s, SES %s\n", time.Since(start).Seconds(), strings.Join(stack.DynamoDBURLs, " "), stack.SESURL)

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), localtest.EnvDynamoDB+"="+strings.Join(stack.DynamoDBURLs, ","), localtest.EnvSES+"="+stack.SESURL)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
	// Forward signals: a terminal's Ctrl-C reaches the whole group anyway,
	// but a SIGTERM sent to withstack alone must reach the command too.
	go func() {
		for {
			select {
			case <-ctx.Done():
				_ = cmd.Process.Signal(syscall.SIGTERM) // the command may have exited already
				return
			case s := <-sigs:
				_ = cmd.Process.Signal(s) // likewise
			}
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if st, ok := exit.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "withstack:", err)
		return 1
	}
}
