package interop

import (
	"fmt"
	"testing"
)

// Buffered mode with a sleep time: oneways that carry the same _ovrd value
// replace each other while they wait, as in Glacier2.

func init() {
	scenarios = append(scenarios, scenario{"buffered-override", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.Client.Buffered":     "1",
			"Glacier2.Client.SleepTime":    "500",
		})
		const count = 20
		res := client(t, r, "override", "--hello", hello, "--count", fmt.Sprint(count))
		var notes []string
		res.value(t, "notes", &notes)
		// The first note usually goes out at once (glacier2router's queue
		// thread may not have taken it yet, then it is overridden too); the
		// rest wait for the sleep time and collapse to the newest before
		// "done".
		if len(notes) < 2 || len(notes) >= count {
			t.Fatalf("notes %q: want the overrides to collapse %d notes to a few", notes, count)
		}
		if notes[len(notes)-2] != fmt.Sprintf("position-%d", count-1) || notes[len(notes)-1] != "done" {
			t.Errorf("notes %q: want the newest position, then done, last", notes)
		}
	}})
}

func init() {
	scenarios = append(scenarios, scenario{"buffered-always-batch", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.Client.SleepTime":    "200",
			"Glacier2.Client.AlwaysBatch":  "1",
		})
		// Queued oneways travel as batches; none is lost or reordered, and
		// twoways in between keep their place.
		res := client(t, r, "oneway", "--hello", hello, "--count", "10")
		var want []string
		for _, kind := range []string{"oneway", "batch"} {
			for i := range 10 {
				want = append(want, fmt.Sprintf("%s-%d", kind, i))
			}
		}
		res.want(t, "notes", want)
	}})
}
