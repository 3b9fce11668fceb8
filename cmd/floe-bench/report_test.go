package main

import (
	"math"
	"testing"
)

// The latency a hop adds over direct calls is compared only when both hops
// added some: under a saturating load direct calls may queue at the
// backend longer than a router's, and a negative "added" says nothing.
func TestAddedLatencyIsComparedOnlyWhenBothAddSome(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		direct, floe, glacier2 float64 // p50, µs
		want                   float64
	}{
		{"both add", 50, 104, 100, 54.0 / 50},
		{"floe below direct", 1500, 1400, 2900, 0},
		{"glacier2 adds nothing", 50, 60, 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := newReport(settings{runs: 1}, mustTargets(t, "direct,glacier2,floe"), allScenarios, nil)
			for target, p50 := range map[string]float64{"direct": tc.direct, "floe": tc.floe, "glacier2": tc.glacier2} {
				rep.add(measurement{Scenario: "twoway-1x1", Target: target, Run: 1, Rate: 1, P50us: p50})
			}
			rep.finish()
			if got := rep.ratioOf("twoway-1x1", "glacier2").AddedP50; math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("added p50 ratio %v; want %v", got, tc.want)
			}
		})
	}
}
