package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseMachineCPU(t *testing.T) {
	cases := []struct {
		name        string
		stat        string
		busy, total time.Duration
		bad         bool
	}{
		{name: "kernel with guest columns",
			stat: "cpu  100 20 30 400 50 6 7 8 90 0\ncpu0 50 10 15 200 25 3 3 4 45 0\n",
			// busy: user nice system irq softirq steal; idle and iowait are not
			busy: 171 * time.Second / userHZ, total: 621 * time.Second / userHZ},
		{name: "only the eight columns read", stat: "cpu 1 0 1 8 0 0 0 0\n",
			busy: 2 * time.Second / userHZ, total: 10 * time.Second / userHZ},
		{name: "a per-CPU line first", stat: "cpu0 1 0 1 8 0 0 0 0\n", bad: true},
		{name: "too few columns", stat: "cpu 1 2 3\n", bad: true},
		{name: "not a number", stat: "cpu 1 x 1 8 0 0 0 0\n", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			busy, total, err := parseMachineCPU([]byte(tc.stat))
			if tc.bad {
				if err == nil {
					t.Fatalf("parsed %q without an error", tc.stat)
				}
				return
			}
			if err != nil || busy != tc.busy || total != tc.total {
				t.Fatalf("busy %v total %v err %v; want %v %v", busy, total, err, tc.busy, tc.total)
			}
		})
	}
}

// The CPU the window's other processes used is reported per 100k
// operations beside the router's, with what is left for everything else.
func TestCPUIsAccountedByProcess(t *testing.T) {
	var m measurement
	m.fill(result{ops: 200_000, seconds: 2, cpu: 2 * time.Second,
		others: others{client: 3 * time.Second, backend: time.Second, busy: 7 * time.Second, total: 8 * time.Second}}, true)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !near(m.ClientCPUPer100k, 1.5) || !near(m.BackendCPUPer100k, 0.5) || !near(m.CPUPer100k, 1) ||
		!near(m.MachineCPUPer100k, 3.5) || !near(m.MachineBusy, 0.875) {
		t.Fatalf("filled %+v", m)
	}

	rep := newReport(settings{runs: 1}, mustTargets(t, "direct,floe"), allScenarios, nil)
	rep.add(measurement{Scenario: "twoway-256x1", Target: "direct", Run: 1, Rate: 1, ClientCPUPer100k: 1.1,
		BackendCPUPer100k: 0.8, MachineCPUPer100k: 2, MachineBusy: 0.99})
	rep.add(m.withRun("twoway-256x1", "floe", 1))
	rep.add(measurement{Scenario: "idle-sessions", Target: "floe", Run: 1, Rate: 1, RSSPerSessionKB: 5})
	rep.finish()
	var out bytes.Buffer
	rep.print(&out)
	s := out.String()
	for _, want := range []string{
		"CPU s per 100k operations, by process",
		"direct     1.1      0.8       -   0.1    2   99%",
		"floe     1.5      0.5       1   0.5  3.5   88%",
	} {
		if !strings.Contains(strings.Join(strings.Fields(s), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("no %q in:\n%s", want, s)
		}
	}
	if strings.Count(s, "CPU s per 100k operations, by process") != 1 {
		t.Errorf("a CPU block for a scenario without the machine's CPU:\n%s", s)
	}
}

func (m measurement) withRun(scenario, target string, run int) measurement {
	m.Scenario, m.Target, m.Run = scenario, target, run
	return m
}
