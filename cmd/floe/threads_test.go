package main

import (
	"testing"

	"github.com/floe-router/floe/core/config"
)

func TestThreadBounds(t *testing.T) {
	tests := []struct {
		name                string
		threads, threadsMax int
		gomaxprocs          string
		cpus                int
		least, most         int
		fixedBy             string
	}{
		{name: "default: one, up to every CPU", cpus: 8, least: 1, most: 8},
		{name: "on one CPU", cpus: 1, least: 1, most: 1},
		{name: "threads raises the least", threads: 2, cpus: 8, least: 2, most: 8},
		{name: "threads above the CPUs is kept", threads: 4, cpus: 2, least: 4, most: 4},
		{name: "threads_max caps", threadsMax: 2, cpus: 8, least: 1, most: 2},
		{name: "threads_max above the CPUs is kept", threadsMax: 16, cpus: 8, least: 1, most: 16},
		{name: "both", threads: 3, threadsMax: 3, cpus: 8, least: 3, most: 3},
		{name: "GOMAXPROCS wins", threads: 2, threadsMax: 4, gomaxprocs: "6", cpus: 6, least: 6, most: 6, fixedBy: "GOMAXPROCS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Threads: tt.threads, ThreadsMax: tt.threadsMax}
			least, most, fixedBy := threadBounds(cfg, tt.gomaxprocs, tt.cpus)
			if least != tt.least || most != tt.most || fixedBy != tt.fixedBy {
				t.Fatalf("threadBounds = %d, %d, %q; want %d, %d, %q", least, most, fixedBy, tt.least, tt.most, tt.fixedBy)
			}
		})
	}
}
