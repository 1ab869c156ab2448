package coldstart_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/sorae/tabane/infra/coldstart"
	"github.com/sorae/tabane/pkg/samtemplate"
	"github.com/sorae/tabane/pkg/standins/localtest"
)

// bare is the floor every function is measured against.
var bare = coldstart.Target{Name: "bare", Package: "./infra/coldstart/testdata/bare"}

// goal is issue 13's bound on a function's start, as a multiple of bare's.
const goal = 1.5

func root(tb testing.TB) string {
	tb.Helper()
	p, err := samtemplate.Find()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Dir(p)
}

// env is what a tabane function needs to start, on top of Lambda's own: the
// settings template.yaml passes, and endpoints on this machine so nothing
// leaves it (the stand-ins of `make bench` when set, else a closed port:
// starting makes no AWS call).
func env(name string) []string {
	e := coldstart.LambdaEnv(name)
	if name == bare.Name {
		return e
	}
	dynamo, ses := os.Getenv(localtest.EnvDynamoDB), os.Getenv(localtest.EnvSES)
	dynamo, _, _ = strings.Cut(dynamo, ",") // a run with several: any one will do
	if dynamo == "" {
		dynamo = "http://127.0.0.1:9"
	}
	if ses == "" {
		ses = "http://127.0.0.1:9"
	}
	return append(e,
		"TABANE_SESSION_SECRET="+strings.Repeat("s", 64),
		"TABANE_TABLE=tabane",
		"TABANE_BASE_URL=https://tabane.example.jp",
		"TABANE_ORGANIZERS=organizer@example.jp",
		"TABANE_LOG_LEVEL=INFO",
		"AWS_ENDPOINT_URL_DYNAMODB="+dynamo,
		"AWS_ENDPOINT_URL_SES="+ses,
	)
}

// BenchmarkColdStart starts each function's bootstrap under a Runtime API
// stand-in and reports the median time from exec to its first GET /next
// (init-ms), the bare function's median over the same iterations (bare-ms:
// each iteration starts both, so load on the machine weighs on both alike),
// their ratio (x-bare) and the bootstrap's size (MiB). The table at the end
// holds the same figures for every function.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	dir := root(b)
	fns, err := coldstart.Targets(dir)
	if err != nil {
		b.Fatal(err)
	}
	targets := append([]coldstart.Target{bare}, fns...)
	began := time.Now()
	bins, err := coldstart.Build(ctx, dir, b.TempDir(), targets)
	if err != nil {
		b.Fatal(err)
	}
	// Printed rather than logged: go test shows a parent benchmark's log
	// only with -v.
	fmt.Printf("built %d bootstraps for %s/%s as the Makefile's GO_LAMBDA does, in %.1fs\n", len(targets), runtime.GOOS, runtime.GOARCH, time.Since(began).Seconds())

	type row struct {
		name                     string
		mib, init, floor, factor float64
	}
	var rows []row
	for _, t := range targets {
		b.Run(t.Name, func(b *testing.B) {
			fi, err := os.Stat(bins[t.Name])
			if err != nil {
				b.Fatal(err)
			}
			var own, floor []time.Duration
			for b.Loop() {
				d, err := coldstart.Start(ctx, bins[t.Name], env(t.Name))
				if err != nil {
					b.Fatal(err)
				}
				own = append(own, d)
				if t.Name == bare.Name {
					continue
				}
				d, err = coldstart.Start(ctx, bins[bare.Name], env(bare.Name))
				if err != nil {
					b.Fatal(err)
				}
				floor = append(floor, d)
			}
			if floor == nil {
				floor = own
			}
			r := row{name: t.Name, mib: float64(fi.Size()) / (1 << 20), init: ms(median(own)), floor: ms(median(floor))}
			r.factor = r.init / r.floor
			b.ReportMetric(0, "ns/op") // an iteration starts two processes; the medians say more
			b.ReportMetric(r.init, "init-ms")
			b.ReportMetric(r.floor, "bare-ms")
			b.ReportMetric(r.factor, "x-bare")
			b.ReportMetric(r.mib, "MiB")
			rows = append(rows, r)
		})
	}

	fmt.Printf("cold start, exec → first GET /next (%s/%s, goal ≤ %.1f× bare):\n", runtime.GOOS, runtime.GOARCH, goal)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "function\tbootstrap MiB\tinit ms (median)\tbare ms\t× bare\t\t\n")
	for _, r := range rows {
		verdict := "ok"
		switch {
		case r.name == bare.Name:
			verdict = "floor"
		case r.factor > goal:
			verdict = fmt.Sprintf("over %.1f×", goal)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.2f\t%s\t\n", r.name, r.mib, r.init, r.floor, r.factor, verdict)
	}
	if err := tw.Flush(); err != nil {
		b.Fatal(err)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// TestBareStarts checks the harness itself: the bare function, built as the
// Makefile builds bootstraps, is seen asking the stand-in for its first event.
func TestBareStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := root(t)
	bins, err := coldstart.Build(context.Background(), dir, t.TempDir(), []coldstart.Target{bare})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coldstart.Start(context.Background(), bins[bare.Name], env(bare.Name)); err != nil {
		t.Fatal(err)
	}
}

func TestTargets(t *testing.T) {
	dir := root(t)
	got, err := coldstart.Targets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no functions in template.yaml")
	}
	for _, g := range got {
		if _, err := os.Stat(filepath.Join(dir, g.Package, "main.go")); err != nil {
			t.Errorf("%s: %s has no main.go", g.Name, g.Package)
		}
	}
}

func TestBuildCommandFollowsGoLambda(t *testing.T) {
	env, args, err := coldstart.BuildCommand(root(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range env {
		if strings.HasPrefix(e, "GOOS=") || strings.HasPrefix(e, "GOARCH=") {
			t.Errorf("env %v keeps %s: the benchmark builds for this machine", env, e)
		}
	}
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("env = %v, want CGO_ENABLED=0 as in GO_LAMBDA", env)
	}
	for _, want := range []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w"} {
		if !slices.Contains(args, want) {
			t.Errorf("args = %q, want %q as in GO_LAMBDA", args, want)
		}
	}
}
