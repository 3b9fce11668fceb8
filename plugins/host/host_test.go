package host

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
	"github.com/hashicorp/go-hclog"
)

// The tests run internal/testplugin, a real plugin binary built once.
var testPlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "floe-host-")
	if err != nil {
		panic(err)
	}
	testPlugin = filepath.Join(dir, "testplugin")
	out, err := exec.Command("go", "build", "-o", testPlugin, "../../internal/testplugin").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the test plugin: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fast supervises quickly, for tests.
var fast = Supervision{
	StartTimeout:    10 * time.Second,
	HealthInterval:  100 * time.Millisecond,
	HealthTimeout:   100 * time.Millisecond,
	HealthFailures:  2,
	MinBackoff:      20 * time.Millisecond,
	MaxBackoff:      time.Second,
	StableAfter:     10 * time.Second,
	BreakerFailures: 3,
	BreakerCooldown: 500 * time.Millisecond,
	CacheSize:       1000,
}

// loadPlugin decodes a configuration whose only plugin block is
// `plugin "test" { path = <testplugin> <body> }` from a file floe.hcl.
func loadPlugin(t testing.TB, body string) config.Plugin {
	t.Helper()
	dir := t.TempDir()
	src := "client {\n  endpoints = \"tcp -p 4063\"\n}\nplugin \"test\" {\n  path = \"" + testPlugin + "\"\n" + body + "}\n"
	file := filepath.Join(dir, "floe.hcl")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.LoadFile(file)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Plugins[0]
}

func start(t *testing.T, cfg config.Plugin, sup Supervision) (*Plugin, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	p := New(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: logs}), sup)
	ctx, cancel := context.WithCancel(context.Background())
	if diags := p.Start(ctx); diags.HasErrors() {
		cancel()
		t.Fatal(diags)
	}
	t.Cleanup(func() {
		cancel()
		p.Stop()
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	return p, logs
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// view is a request for the chain.
type view struct{ sdk.RequestView }

func (view) Apply(*sdk.Verdict) {}

func request(op, user string) view {
	return view{sdktest.Request{Identity: "hello", Operation: op,
		Session: &sdk.Session{ID: "s-" + user, User: user, Attributes: map[string]string{"groups": "staff"}}}.View()}
}

func waitState(t *testing.T, p *Plugin, want State, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for p.Stats().State != want {
		if time.Since(start) > within {
			t.Fatalf("plugin %s after %s; want %s (stats %+v)", p.Stats().State, within, want, p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func TestFilterThroughTheChain(t *testing.T) {
	cfg := loadPlugin(t, `config {
    deny_operations = ["fail"]
  }
`)
	p, logs := start(t, cfg, fast)
	chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
	if o := chain.Request(context.Background(), sdk.Request, request("sayHello", "alice")); o.Deny {
		t.Errorf("sayHello denied: %+v", o)
	}
	o := chain.Request(context.Background(), sdk.Request, request("fail", "alice"))
	if !o.Deny || o.Reason != "operation fail is not allowed" || o.Hook != "plugin test" {
		t.Errorf("fail: %+v; want denied with the plugin's reason", o)
	}
	// The plugin's own log line reaches floe's log under its name.
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(logs.String(), "plugin.test") || !strings.Contains(logs.String(), "configured") {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's log did not reach floe's under plugin.test:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func kill(t *testing.T, p *Plugin, sig syscall.Signal) {
	t.Helper()
	pid := p.Pid()
	if pid == 0 {
		t.Fatal("no plugin process")
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}

func TestCrashFailsClosedThenRestarts(t *testing.T) {
	cfg := loadPlugin(t, "")
	p, _ := start(t, cfg, fast)
	chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
	first := p.Pid()
	kill(t, p, syscall.SIGKILL)
	waitState(t, p, Restarting, time.Second)
	// Meanwhile, the policy: on_error = "deny" (the default), counted.
	o := chain.Request(context.Background(), sdk.Request, request("sayHello", "alice"))
	if !o.Deny || o.Reason != "hook plugin test failed" {
		t.Errorf("while down: %+v; want denied by on_error", o)
	}
	if s := chain.Stats()["plugin test"]; s.Errors != 1 || s.Denies != 1 {
		t.Errorf("chain stats %+v; want the failure counted", s)
	}
	took := waitState(t, p, Running, 2*time.Second)
	t.Logf("back after %s", took)
	if p.Pid() == first || p.Stats().Crashes != 1 || p.Stats().Starts != 2 {
		t.Errorf("pid %d (was %d), stats %+v", p.Pid(), first, p.Stats())
	}
	if o := chain.Request(context.Background(), sdk.Request, request("sayHello", "alice")); o.Deny {
		t.Errorf("after the restart: %+v", o)
	}
}

func TestCrashFailsOpen(t *testing.T) {
	cfg := loadPlugin(t, "  on_error = \"allow\"\n  config {\n    deny_operations = [\"fail\"]\n  }\n")
	p, _ := start(t, cfg, fast)
	chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
	kill(t, p, syscall.SIGKILL)
	waitState(t, p, Restarting, time.Second)
	if o := chain.Request(context.Background(), sdk.Request, request("fail", "alice")); o.Deny {
		t.Errorf("while down with on_error = allow: %+v", o)
	}
	if s := chain.Stats()["plugin test"]; s.FailOpens != 1 {
		t.Errorf("chain stats %+v; want one fail-open", s)
	}
	waitState(t, p, Running, 2*time.Second)
	if o := chain.Request(context.Background(), sdk.Request, request("fail", "alice")); !o.Deny {
		t.Errorf("after the restart the plugin denies again: %+v", o)
	}
}

func TestBackoffAndCircuitBreaker(t *testing.T) {
	block := filepath.Join(t.TempDir(), "block")
	cfg := loadPlugin(t, fmt.Sprintf("  config {\n    fail_start_if_exists = %q\n  }\n", block))
	p, logs := start(t, cfg, fast)
	if err := os.WriteFile(block, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	kill(t, p, syscall.SIGKILL)
	// Restarts after 20, 40 and 80 ms fail: the breaker opens.
	waitState(t, p, BreakerOpen, 5*time.Second)
	if took := time.Since(killed); took < 140*time.Millisecond {
		t.Errorf("3 failed starts within %s; want at least 20+40+80 ms of backoff", took)
	}
	if s := p.Stats(); s.FailedStarts != 3 || s.BreakerOpens != 1 {
		t.Errorf("stats %+v", s)
	}
	// It stays open for the cooldown, then one try (half open) fails and
	// opens it again.
	time.Sleep(200 * time.Millisecond)
	if s := p.Stats(); s.FailedStarts != 3 {
		t.Errorf("a start was tried while the breaker was open: %+v", s)
	}
	deadline := time.Now().Add(3 * time.Second)
	for p.Stats().BreakerOpens < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the half-open try did not reopen the breaker: %+v", p.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := p.Stats(); s.FailedStarts != 4 {
		t.Errorf("half open: %d failed starts; want 4", s.FailedStarts)
	}
	// Fixed: the next try succeeds.
	if err := os.Remove(block); err != nil {
		t.Fatal(err)
	}
	waitState(t, p, Running, 3*time.Second)
	if !strings.Contains(logs.String(), "circuit breaker open") {
		t.Errorf("the log does not say the breaker opened:\n%s", logs)
	}
}

func TestStoppedPluginIsRestarted(t *testing.T) {
	cfg := loadPlugin(t, "")
	p, _ := start(t, cfg, fast)
	first := p.Pid()
	kill(t, p, syscall.SIGSTOP) // alive, but answers nothing
	waitState(t, p, Restarting, 2*time.Second)
	waitState(t, p, Running, 2*time.Second)
	if p.Pid() == first || p.Stats().Hung != 1 {
		t.Errorf("pid %d (was %d), stats %+v", p.Pid(), first, p.Stats())
	}
	if err := syscall.Kill(first, 0); err == nil {
		t.Errorf("the hung process %d is still there", first)
	}
}

func TestHungCallHitsTheDeadline(t *testing.T) {
	cfg := loadPlugin(t, "  timeout = \"100ms\"\n  config {\n    hang_operations = [\"slow\"]\n  }\n")
	p, _ := start(t, cfg, fast)
	chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
	begin := time.Now()
	o := chain.Request(context.Background(), sdk.Request, request("slow", "alice"))
	took := time.Since(begin)
	if !o.Deny || took < 100*time.Millisecond || took > time.Second {
		t.Errorf("hung call: %+v after %s; want denied after about 100ms", o, took)
	}
	if s := chain.Stats()["plugin test"]; s.Timeouts != 1 {
		t.Errorf("chain stats %+v; want one timeout", s)
	}
	if o := chain.Request(context.Background(), sdk.Request, request("fast", "alice")); o.Deny {
		t.Errorf("the plugin no longer answers after a hung call: %+v", o)
	}
}

func TestSHA256Pin(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	body := fmt.Sprintf("  sha256 = %q\n  config {\n    pid_file = %q\n  }\n", strings.Repeat("ab", 32), pidFile)
	cfg := loadPlugin(t, body)
	p := New(cfg, nil, fast)
	diags := p.Start(context.Background())
	if !diags.HasErrors() {
		t.Fatal("a plugin whose sha256 does not match started")
	}
	msg := diags.Error()
	if !strings.Contains(msg, `plugin "test"`) || !strings.Contains(msg, "not the "+strings.Repeat("ab", 32)) {
		t.Errorf("the error does not name the plugin and the mismatch: %s", msg)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Error("the plugin ran")
	}
	// The right digest starts it.
	sum, err := exec.Command("sha256sum", testPlugin).Output()
	if err != nil {
		t.Fatal(err)
	}
	cfg = loadPlugin(t, fmt.Sprintf("  sha256 = %q\n", strings.Fields(string(sum))[0]))
	start(t, cfg, fast)
}

func TestConfigDiagnosticsAtTheirPositions(t *testing.T) {
	cfg := loadPlugin(t, `  config {
    deny_operations = "fail"
    cache_for       = "soon"
    colour          = "blue"
    rule {
      name = "good"
    }
    rule {
      name = "bad"
    }
    rule {}
  }
`)
	diags := New(cfg, nil, fast).Check(context.Background())
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s:%d:%d: %s; %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line,
			d.Subject.Start.Column, d.Summary, d.Detail))
	}
	want := []string{
		`floe.hcl:7:23: Incorrect attribute value type; Inappropriate value for attribute "deny_operations": a list of strings is required.`,
		`floe.hcl:8:23: Invalid duration; "soon" is not a duration; write a number and a unit, as "50ms" or "5m".`,
		`floe.hcl:9:5: Unsupported argument; An argument named "colour" is not expected here.`,
		`floe.hcl:16:10: Missing required argument; The argument "name" is required, but no definition was found.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Once the schema is satisfied, the plugin's own check lands on the
	// attribute it names.
	cfg = loadPlugin(t, "  config {\n    rule {\n      name = \"good\"\n    }\n    rule {\n      name = \"bad\"\n    }\n  }\n")
	diags = New(cfg, nil, fast).Check(context.Background())
	if len(diags) != 1 || diags[0].Subject.Start.Line != 11 || diags[0].Subject.Start.Column != 14 ||
		!strings.Contains(diags[0].Detail, `plugin "test": rule[1].name: a rule may not be named "bad"`) {
		t.Errorf("the plugin's config error: %v", diags)
	}
	// A number no setting can hold is refused before it is converted
	// (which, written out in decimal, would take minutes).
	cfg = loadPlugin(t, "  config {\n    cache_for = 1e60333333\n  }\n")
	diags = New(cfg, nil, fast).Check(context.Background())
	if len(diags) != 1 || diags[0].Summary != "Number out of range" || !strings.Contains(diags[0].Detail, "about 1e60333333") {
		t.Errorf("a huge number: %v", diags)
	}
}

func TestCachedVerdicts(t *testing.T) {
	cfg := loadPlugin(t, "  config {\n    deny_operations = [\"fail\"]\n    cache_for = \"1m\"\n  }\n")
	p, _ := start(t, cfg, fast)
	chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
	for range 3 {
		if o := chain.Request(context.Background(), sdk.Request, request("fail", "alice")); !o.Deny {
			t.Fatalf("a cached deny let the request through: %+v", o)
		}
		if o := chain.Request(context.Background(), sdk.Request, request("sayHello", "alice")); o.Deny {
			t.Fatalf("%+v", o)
		}
	}
	chain.Request(context.Background(), sdk.Request, request("sayHello", "bob")) // another key
	if s := p.Stats(); s.CacheHits != 4 || s.CacheMisses != 3 || s.Cached != 3 {
		t.Errorf("stats %+v; want 4 hits, 3 calls, 3 entries", s)
	}
	// A cached verdict still answers while the plugin is down (it was the
	// plugin's own answer, for that long); the restart forgets it.
	kill(t, p, syscall.SIGKILL)
	waitState(t, p, Restarting, time.Second)
	waitState(t, p, Running, 2*time.Second)
	if s := p.Stats(); s.Cached != 0 {
		t.Errorf("the cache survived a restart: %+v", s)
	}
}

// BenchmarkRequestFilter measures a RequestFilter plugin call through the
// chain: a round trip to the plugin process, and a cached verdict.
func BenchmarkRequestFilter(b *testing.B) {
	for _, bc := range []struct{ name, body string }{
		{"round-trip", ""},
		{"cached", "  config {\n    cache_for = \"1h\"\n  }\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := loadPlugin(b, bc.body)
			p := New(cfg, nil, DefaultSupervision)
			if diags := p.Start(context.Background()); diags.HasErrors() {
				b.Fatal(diags)
			}
			defer p.Stop()
			chain := intercept.New([]intercept.Entry{p.Entry()}, nil)
			v := request("sayHello", "alice")
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if o := chain.Request(ctx, sdk.Request, v); o.Deny {
					b.Fatal(o)
				}
			}
		})
	}
}
