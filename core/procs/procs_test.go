package procs

import (
	"context"
	"testing"
	"time"
)

func TestPoolSizesToTheLoad(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		busy     []float64 // CPUs busy in each interval
		want     []int     // the size after each
	}{
		{name: "a load within one thread keeps one", min: 1, max: 8,
			busy: []float64{0.5, 0.89, 0.7, 0.89},
			want: []int{1, 1, 1, 1}},
		{name: "one busy interval is a burst", min: 1, max: 8,
			busy: []float64{0.95, 0.5, 0.95, 0.5},
			want: []int{1, 1, 1, 1}},
		{name: "a saturated pool doubles up to its most", min: 1, max: 6,
			busy: []float64{1, 1, 1.9, 1.9, 3.8, 3.8, 5.9, 5.9},
			want: []int{1, 2, 2, 4, 4, 6, 6, 6}},
		{name: "it shrinks one thread after a quiet window", min: 1, max: 2,
			busy: []float64{1, 1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7},
			want: []int{1, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1}},
		{name: "one busier interval restarts the quiet window", min: 1, max: 2,
			busy: []float64{1, 1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.85, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7},
			want: []int{1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1}},
		{name: "a load that needs its threads keeps them", min: 1, max: 2,
			busy: []float64{1, 1, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85},
			want: []int{1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{name: "never below its least", min: 2, max: 4,
			busy: []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			want: []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}},
		{name: "fixed", min: 3, max: 3,
			busy: []float64{3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			want: []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPool(tt.min, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range tt.busy {
				if got := p.Observe(b); got != tt.want[i] {
					t.Fatalf("interval %d (%.2f busy): size %d, want %d", i, b, got, tt.want[i])
				}
			}
		})
	}
}

func TestNewPoolRefusesBadBounds(t *testing.T) {
	for _, b := range [][2]int{{0, 1}, {2, 1}, {-1, 4}} {
		if _, err := NewPool(b[0], b[1]); err == nil {
			t.Errorf("NewPool(%d, %d) accepted", b[0], b[1])
		}
	}
}

// TestRunSetsWhatThePoolDecides drives run with a clock and CPU time of its
// own: 1.9 CPUs busy for two intervals grow the pool from 1 to 2.
func TestRunSetsWhatThePoolDecides(t *testing.T) {
	p, err := NewPool(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	tick := make(chan time.Time)
	cpuTimes := make(chan time.Duration) // what run reads, in turn
	cpu := func() time.Duration { return <-cpuTimes }
	sets := make(chan int, 10)
	set := func(n int) int { sets <- n; return 0 }
	resized := make(chan [2]int, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		run(ctx, p, tick, cpu, set, func(from, to int) { resized <- [2]int{from, to} })
	}()
	cpuTimes <- 0
	if n := <-sets; n != 1 {
		t.Fatalf("started with %d threads, want 1", n)
	}
	// Each tick claims a full interval of wall time since the last.
	for i := 1; i <= 2; i++ {
		tick <- start.Add(time.Duration(i) * time.Second)
		cpuTimes <- time.Duration(i) * 1900 * time.Millisecond // 1.9 CPUs
	}
	if n := <-sets; n != 2 {
		t.Fatalf("grew to %d threads, want 2", n)
	}
	if r := <-resized; r != [2]int{1, 2} {
		t.Fatalf("resize reported %v, want [1 2]", r)
	}
	cancel()
	<-done
}
