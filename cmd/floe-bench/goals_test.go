package main

import (
	"bytes"
	"strings"
	"testing"
)

// Each target is judged on the run's own paired ratios (or, for memory,
// the median), and a target the run cannot judge says why.
func TestGoalsAreJudged(t *testing.T) {
	rep := newReport(settings{runs: 3}, mustTargets(t, "direct,relay,glacier2,floe"), allScenarios, nil)
	type m = measurement
	for run := 1; run <= 3; run++ {
		for _, x := range []m{
			{Scenario: "twoway-16x8", Target: "glacier2", Rate: 100},
			{Scenario: "twoway-16x8", Target: "floe", Rate: 200},
			{Scenario: "twoway-256x1", Target: "glacier2", Rate: 100},
			{Scenario: "twoway-256x1", Target: "relay", Rate: 110},
			{Scenario: "twoway-256x1", Target: "floe", Rate: 140},
			{Scenario: "ice-twoway-16x8", Target: "glacier2", Rate: 100},
			{Scenario: "ice-twoway-16x8", Target: "floe", Rate: 190},
			{Scenario: "ice-twoway-256x1", Target: "glacier2", Rate: 100},
			{Scenario: "ice-twoway-256x1", Target: "floe", Rate: 140},
			{Scenario: "twoway-1x1", Target: "direct", Rate: 1, P50us: 50},
			{Scenario: "twoway-1x1", Target: "relay", Rate: 1, P50us: 100},
			{Scenario: "twoway-1x1", Target: "floe", Rate: 1, P50us: 104},
			{Scenario: "idle-sessions", Target: "floe", Rate: 1, RSSPerSessionKB: 8},
			{Scenario: "echo-4x4", Target: "glacier2", Rate: 1},
			{Scenario: "echo-4x4", Target: "floe", Error: "EOF"},
		} {
			x.Run = run
			rep.add(x)
		}
	}
	rep.finish()
	got := map[string]string{}
	for _, v := range rep.judge() {
		got[v.scenario+" vs "+v.versus] = v.status
	}
	want := map[string]string{
		"ice-twoway-16x8 vs glacier2":  "met",
		"ice-twoway-256x1 vs glacier2": "missed",
		// The Go client's rows are judged on the Ice C++ clients' ones.
		"twoway-16x8 vs glacier2":  "for reference: judged on ice-twoway-16x8",
		"twoway-256x1 vs glacier2": "for reference: judged on ice-twoway-256x1; floe ÷ relay 1.27×",
		"twoway-1x1 vs relay":      "met", // adds 54 µs to the relay's 50: 1.08×
		"twoway-1x1 vs glacier2":   "not judged: no paired runs with glacier2",
		"idle-sessions vs ":        "missed", // 8 KB for at most 7
		"echo-4x4 vs glacier2":     "not judged: floe's run failed",
		"echo-4x4 vs relay":        "not judged: floe's run failed",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	// Scenarios this run did not have are not listed.
	for _, s := range []string{"session-setup vs glacier2"} {
		if st, ok := got[s]; ok {
			t.Errorf("%s listed (%q) though not measured", s, st)
		}
	}
	var out bytes.Buffer
	rep.printGoals(&out)
	if !strings.Contains(out.String(), "ice-twoway-256x1") || !strings.Contains(out.String(), "1.40×  missed") {
		t.Errorf("printed:\n%s", out.String())
	}
}
