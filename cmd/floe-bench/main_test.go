package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// The bench starts its relay as "<itself> relay"; in tests that is the
// test binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "relay" {
		os.Exit(relayMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the bench program in its quick mode, briefly, against
// the relay and floe (built from this checkout), to prove every scenario
// works end to end against the real Ice backend; then, unless -short,
// against glacier2router too.
func TestQuickRun(t *testing.T) {
	requireBackendTools(t)
	// The bench builds floe from the module: its sources are inputs of this
	// test's result.
	if err := testutil.DependOnTree(filepath.Join("..", ".."), "bin"); err != nil {
		t.Fatal(err)
	}
	quick(t, "relay,floe")

	t.Run("glacier2router", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: not measuring glacier2router")
		}
		_, err := os.Stat("/usr/bin/glacier2router")
		testutil.RequirePeer(t, "glacier2router (Debian package zeroc-glacier2)", err)
		quick(t, "glacier2")
	})
}

func requireBackendTools(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("slice2cpp")
	testutil.RequirePeer(t, "slice2cpp (Debian package zeroc-ice-compilers)", err)
	_, err = exec.LookPath("g++")
	testutil.RequirePeer(t, "g++ (Debian package g++)", err)
	_, err = os.Stat(iceH)
	testutil.RequirePeer(t, "the Ice C++ headers (Debian package libzeroc-ice-dev)", err)
}

// quick runs the bench on targets and checks that every scenario reported
// numbers for each of them.
func quick(t *testing.T, targets string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := run(ctx, []string{"-quick", "-duration", "100ms", "-warmup", "50ms", "-idle", "200",
		"-targets", targets, "-json", out}, &stdout, &stderr)
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("floe-bench exited with %d", code)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := len(allScenarios) * len(mustTargets(t, targets))
	if len(rep.Cells) != want {
		t.Fatalf("%d results, want %d", len(rep.Cells), want)
	}
	for _, c := range rep.Cells {
		switch {
		case c.Refused:
			t.Errorf("%s on %s refused: %v", c.Target, c.Scenario, c.Errors)
		case c.NotApplicable:
			// The relay holds no session, nor an ssl or ws endpoint.
			sc, _ := findScenarios(c.Scenario)
			if !strings.HasPrefix(c.Scenario, "idle-") && (len(sc) != 1 || sc[0].transport == "") {
				t.Errorf("%s on %s not applicable: %s", c.Target, c.Scenario, c.Note)
			}
		case c.Median.Rate <= 0 || c.Median.RSSKB <= 0:
			t.Errorf("%s on %s: no rate or RSS: %+v", c.Target, c.Scenario, c.Median)
		}
	}
}

func mustTargets(t *testing.T, names string) []target {
	t.Helper()
	ts, err := findTargets(names)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// A scenario in which any request failed is not reported: no numbers, and
// the target, scenario and error instead; the run's other results stand.
func TestFailedRunIsNotReported(t *testing.T) {
	tw := mustTargets(t, "relay,floe")
	rep := newReport(settings{runs: 2}, tw, allScenarios[:1], nil)
	for run := 1; run <= 2; run++ {
		rep.add(measurement{Scenario: "twoway-1x1", Target: "relay", Run: run, Rate: 100, P50us: 50, RSSKB: 1})
		m := measurement{Scenario: "twoway-1x1", Target: "floe", Run: run, Rate: 1000, P50us: 5, RSSKB: 1}
		if run == 2 {
			m = measurement{Scenario: "twoway-1x1", Target: "floe", Run: run,
				Error: "3 failed: first: request: unknown local exception: connection lost"}
		}
		rep.add(m)
	}
	rep.finish()
	if !rep.refused() {
		t.Fatal("not refused")
	}
	if len(rep.Ratios) != 0 {
		t.Errorf("ratios of a refused result: %+v", rep.Ratios)
	}
	var out bytes.Buffer
	rep.print(&out)
	for _, want := range []string{"floe  FAILED", "NOT REPORTED: floe on twoway-1x1", "run 2: 3 failed: first: request: unknown local exception: connection lost"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if bytes.Contains(out.Bytes(), []byte("1,000")) {
		t.Errorf("the refused target's successful run is reported:\n%s", out.String())
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {0, time.Microsecond}, {1, time.Millisecond}} {
		got := h.quantile(c.q)
		if diff := float64(got-c.want) / float64(c.want); diff < -0.03 || diff > 0.03 {
			t.Errorf("quantile %.2f = %v, want %v within 3%%", c.q, got, c.want)
		}
	}
	for ns := int64(0); ns < 1<<20; ns += 7 {
		if v := bucketValue(bucketOf(ns)); ns >= 64 && (float64(v-ns)/float64(ns) > 0.032 || float64(ns-v)/float64(ns) > 0.032) {
			t.Fatalf("%d ns lands in a bucket whose value is %d", ns, v)
		}
	}
}

// Ratios pair the runs: each run's floe and glacier2 were measured one
// after the other, so their ratio is taken within the run, and the median
// over runs is reported; a load swing between runs cancels out.
func TestRatiosArePaired(t *testing.T) {
	rep := newReport(settings{runs: 3}, mustTargets(t, "glacier2,floe"), allScenarios[:1], nil)
	for run, rates := range [][2]float64{{50, 100}, {300, 300}, {60, 120}} {
		rep.add(measurement{Scenario: "twoway-1x1", Target: "glacier2", Run: run + 1, Rate: rates[0]})
		rep.add(measurement{Scenario: "twoway-1x1", Target: "floe", Run: run + 1, Rate: rates[1]})
	}
	rep.finish()
	if len(rep.Ratios) != 1 || rep.Ratios[0].Rate != 2 || rep.Ratios[0].Runs != 3 {
		t.Fatalf("ratios %+v, want floe ÷ glacier2 = 2 over 3 runs (the ratio of medians would be 1.2)", rep.Ratios)
	}
}

// With a baseline build the report has floe ÷ floe-baseline besides each
// floe target's ratios to the relay; the baseline is never compared with
// itself or with floe the other way round.
func TestBaselineIsCompared(t *testing.T) {
	rep := newReport(settings{runs: 1}, mustTargets(t, "relay,floe-baseline,floe"), allScenarios[:1], nil)
	for target, rate := range map[string]float64{"relay": 100, "floe-baseline": 80, "floe": 120} {
		rep.add(measurement{Scenario: "twoway-1x1", Target: target, Run: 1, Rate: rate})
	}
	rep.finish()
	got := map[string]float64{}
	for _, r := range rep.Ratios {
		got[r.Target+" ÷ "+r.Versus] = r.Rate
	}
	want := map[string]float64{"floe-baseline ÷ relay": 0.8, "floe ÷ relay": 1.2, "floe ÷ floe-baseline": 1.5}
	if len(got) != len(want) {
		t.Fatalf("ratios %v, want %v", got, want)
	}
	for k, v := range want {
		if d := got[k] - v; d < -1e-9 || d > 1e-9 {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
