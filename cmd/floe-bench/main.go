// Command floe-bench measures floe side by side with glacier2router, a
// plain TCP relay and direct calls, on the same load in one run.
//
// It compiles a small Ice 3.7 C++ backend (backend/, with slice2cpp and g++
// against Debian's libzeroc-ice-dev; cached by source hash), starts it
// once, and then, alternating between targets, starts each router (or the
// relay) fresh for every scenario and run and drives it with a load
// generator speaking the Ice protocol through floe's codec. It prints, per
// scenario and target, the medians over the runs of requests/s, p50 and p99
// latency, bytes/s, the router's CPU seconds per 100k requests and its RSS,
// and floe's ratios to glacier2router and to the relay, and writes every
// measurement to a JSON file for comparison across commits. A scenario in
// which any request failed is not reported: the bench says which target,
// scenario and error instead, and exits 1.
//
//	go run ./cmd/floe-bench -floe bin/floe      (what make bench runs)
//	go run ./cmd/floe-bench -quick              (one short run, for a smoke test)
//
// "floe-bench relay -to HOST:PORT" is the relay itself, which the bench
// starts as a separate process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/ice"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "relay" {
		os.Exit(relayMain(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// settings are the command line.
type settings struct {
	runs           int
	duration       time.Duration
	warmup         time.Duration
	idle           int
	echoSize       int
	setupConc      int
	targets        string
	scenarios      string
	floe           string
	baseline       string
	glacier2       string
	jsonPath       string
	cacheDir       string
	quick          bool
	reprint        string
	backendThreads int
}

// env is what every measurement shares.
type env struct {
	cfg          settings
	self         string // this program, for the relay
	floe         string
	baseline     string // another floe binary, for A/B comparisons
	glacier2     string
	backendAddr  string
	iceClient    string // the Ice C++ load client (backend/client.cpp)
	backendProxy *ice.Proxy
	routerProps  map[string]string // on top of each router's own
	fileLimit    uint64            // open files, for the bench and what it starts
	tls          *benchTLS         // for the ssl and wss scenarios
	backendPID   int
	log          io.Writer
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("floe-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&s.runs, "runs", 5, "alternating runs per scenario and target; the report shows medians")
	fs.DurationVar(&s.duration, "duration", 3*time.Second, "measured window of each scenario")
	fs.DurationVar(&s.warmup, "warmup", time.Second, "load before the window")
	fs.IntVar(&s.idle, "idle", 10000, "sessions in the idle-sessions scenario")
	fs.IntVar(&s.echoSize, "echo-size", 64<<10, "payload of the echo scenario, in bytes")
	fs.IntVar(&s.setupConc, "setup-concurrency", 8, "clients opening sessions at once in the session-setup scenario")
	fs.StringVar(&s.targets, "targets", defaultTargets, "targets, in order: "+targetNames())
	fs.StringVar(&s.scenarios, "scenarios", "", "scenarios to run (default all): "+scenarioNames())
	fs.StringVar(&s.floe, "floe", "", "the floe binary (default: go build ./cmd/floe in the module around the working directory)")
	fs.StringVar(&s.baseline, "baseline", "", "another floe binary (an earlier build), measured as target floe-baseline for an A/B comparison")
	fs.StringVar(&s.glacier2, "glacier2router", "/usr/bin/glacier2router", "the glacier2router binary (Debian zeroc-glacier2)")
	fs.StringVar(&s.jsonPath, "json", "floe-bench.json", "where to write all measurements (empty: nowhere)")
	fs.StringVar(&s.cacheDir, "cache", defaultCacheDir(), "where the compiled backend is kept")
	fs.BoolVar(&s.quick, "quick", false, "smoke test: 1 run of 300ms after 100ms warm-up, 500 idle sessions (explicit flags still win)")
	fs.StringVar(&s.reprint, "report", "", "print the results of an earlier run from its JSON file, measuring nothing")
	fs.IntVar(&s.backendThreads, "backend-threads", 2, "the backend's Ice.ThreadPool.Server.Size and SizeMax")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if s.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["runs"] {
			s.runs = 1
		}
		if !set["duration"] {
			s.duration = 300 * time.Millisecond
		}
		if !set["warmup"] {
			s.warmup = 100 * time.Millisecond
		}
		if !set["idle"] {
			s.idle = 500
		}
	}
	if s.runs < 1 || s.duration < 10*time.Millisecond || s.warmup < 0 || s.idle < 1 || s.echoSize < 0 || s.setupConc < 1 {
		return s, errors.New("-runs, -duration, -idle and -setup-concurrency must be positive")
	}
	return s, nil
}

func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "floe-bench")
	}
	return filepath.Join(os.TempDir(), "floe-bench-cache")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "floe-bench:", err)
		return 2
	}
	if cfg.reprint != "" {
		rep, err := readReport(cfg.reprint)
		if err != nil {
			fmt.Fprintln(stderr, "floe-bench:", err)
			return 1
		}
		rep.print(stdout)
		return 0
	}
	rep, err := bench(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "floe-bench:", err)
		return 1
	}
	rep.print(stdout)
	if cfg.jsonPath != "" {
		if err := rep.writeJSON(cfg.jsonPath); err != nil {
			fmt.Fprintln(stderr, "floe-bench:", err)
			return 1
		}
		fmt.Fprintf(stderr, "floe-bench: measurements written to %s\n", cfg.jsonPath)
	}
	if rep.refused() {
		return 1
	}
	return 0
}

// bench sets everything up, runs every scenario against every target in
// alternation, and returns the report.
func bench(ctx context.Context, cfg settings, log io.Writer) (*report, error) {
	targets, err := findTargets(cfg.targets)
	if err != nil {
		return nil, err
	}
	scens, err := findScenarios(cfg.scenarios)
	if err != nil {
		return nil, err
	}
	limit, err := raiseFileLimit()
	if err != nil {
		return nil, fmt.Errorf("raising the open file limit: %w", err)
	}
	if need := uint64(cfg.idle + 100); limit < need {
		fmt.Fprintf(log, "floe-bench: warning: the open file limit is %d; %d idle sessions need about %d\n",
			limit, cfg.idle, need)
	}
	e := &env{cfg: cfg, glacier2: cfg.glacier2, log: log, routerProps: map[string]string{}, fileLimit: limit}
	if e.self, err = os.Executable(); err != nil {
		return nil, err
	}
	// glacier2router is optional, except under CI.
	if named(targets, "glacier2") {
		if _, err := os.Stat(cfg.glacier2); err != nil {
			if inCI() {
				return nil, fmt.Errorf("glacier2router (Debian zeroc-glacier2) is missing, and CI=true: %w", err)
			}
			fmt.Fprintf(log, "floe-bench: %v: measuring without glacier2router (install Debian zeroc-glacier2)\n", err)
			targets = slices.DeleteFunc(targets, func(t target) bool { return strings.HasPrefix(t.name, "glacier2") })
		}
	}
	if named(targets, "floe") {
		e.floe = cfg.floe
		if e.floe == "" {
			fmt.Fprintln(log, "floe-bench: building floe")
			bin, cleanup, err := buildFloe()
			if err != nil {
				return nil, err
			}
			defer cleanup()
			e.floe = bin
		}
	}
	if named(targets, "floe-baseline") {
		if cfg.baseline == "" {
			return nil, errors.New("target floe-baseline needs -baseline")
		}
		e.baseline = cfg.baseline
	}
	fmt.Fprintln(log, "floe-bench: building the backend (cached after the first time)")
	backendBin, err := buildBackend(cfg.cacheDir)
	if err != nil {
		return nil, err
	}
	e.iceClient = filepath.Join(filepath.Dir(backendBin), "client")
	n := strconv.Itoa(cfg.backendThreads)
	backend, addr, err := startBackend(backendBin, []string{"--Ice.ThreadPool.Server.Size=" + n,
		"--Ice.ThreadPool.Server.SizeMax=" + n, "--Ice.MessageSizeMax=" + strconv.Itoa(messageSizeKB(cfg.echoSize))})
	if err != nil {
		return nil, err
	}
	defer backend.stop()
	e.backendAddr, e.backendPID = addr, backend.pid()
	if e.backendProxy, err = backendProxy(addr); err != nil {
		return nil, err
	}
	// Ice.MessageSizeMax (1 MiB by default) only where the echo needs more.
	if kb := messageSizeKB(cfg.echoSize); kb > 1024 {
		e.routerProps["Ice.MessageSizeMax"] = strconv.Itoa(kb)
	}

	if slices.ContainsFunc(scens, func(sc scenario) bool { return sc.transport == "ssl" || sc.transport == "wss" }) {
		if e.tls, err = newBenchTLS(); err != nil {
			return nil, err
		}
		defer e.tls.remove()
	}

	rep := newReport(cfg, targets, scens, e.routerProps)
	for run := 1; run <= cfg.runs; run++ {
		for _, sc := range scens {
			// Alternate: each run starts the round with another target.
			for k := range targets {
				t := targets[(k+run-1)%len(targets)]
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				m := measure(ctx, e, sc, t, run)
				rep.add(m)
				fmt.Fprintf(log, "run %d/%d  %-14s %-20s %s\n", run, cfg.runs, sc.name, t.name, m.line(sc))
				if backend.exited() {
					return nil, fmt.Errorf("the backend exited:\n%s", backend.tail())
				}
			}
		}
	}
	rep.finish()
	return rep, nil
}

// messageSizeKB is an Ice.MessageSizeMax (KiB) that fits an echo of size
// bytes with room for the message around it.
func messageSizeKB(size int) int { return max(1024, (size+4096)/1024+1) }

// measure starts t, runs sc against it and stops it again.
func measure(ctx context.Context, e *env, sc scenario, t target, run int) measurement {
	m := measurement{Scenario: sc.name, Target: t.name, Run: run, Load1: loadAverage()}
	rt, err := t.start(e, sc.transport)
	switch {
	case errors.Is(err, errNotApplicable):
		m.NotApplicable, m.Note = true, err.Error()
		return m
	case err != nil:
		m.Error = "starting: " + err.Error()
		return m
	}
	defer rt.stop()
	res, err := sc.run(ctx, e, rt)
	if rt.proc != nil && rt.proc.exited() {
		err = errors.Join(err, fmt.Errorf("%s exited during the run:\n%s", t.name, rt.proc.tail()))
	}
	switch {
	case errors.Is(err, errNotApplicable):
		m.NotApplicable = true
		m.Note = err.Error()
	case err != nil:
		m.Error = err.Error()
	default:
		m.fill(res, rt.proc != nil)
	}
	return m
}

// named reports whether a target's name starts with prefix.
func named(ts []target, prefix string) bool {
	return slices.ContainsFunc(ts, func(t target) bool { return strings.HasPrefix(t.name, prefix) })
}

// inCI reports whether CI is set to a true value.
func inCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// buildFloe builds ./cmd/floe of the module around the working directory.
func buildFloe() (string, func(), error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", nil, errors.New("not inside the floe module: run from the checkout or pass -floe")
	}
	dir, err := os.MkdirTemp("", "floe-bench-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "floe")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/floe")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build ./cmd/floe: %w\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}
