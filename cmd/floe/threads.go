package main

import (
	"context"
	"runtime"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/procs"
	"github.com/hashicorp/go-hclog"
)

// threadBounds is the least and the most threads running floe's code at
// once, from threads and threads_max, on a machine where the runtime chose
// cpus; fixedBy names what fixes them instead (GOMAXPROCS in the
// environment, which is every Go program's, wins over the configuration).
func threadBounds(cfg *config.Config, gomaxprocs string, cpus int) (least, most int, fixedBy string) {
	if gomaxprocs != "" {
		return cpus, cpus, "GOMAXPROCS"
	}
	least, most = max(cfg.Threads, 1), cfg.ThreadsMax
	if most == 0 {
		// An explicit threads above the CPUs is what the operator asked for.
		most = max(cpus, least)
	}
	return least, most, ""
}

// startThreads sizes floe's threads to its load until ctx ends.
func startThreads(ctx context.Context, cfg *config.Config, gomaxprocs string, log hclog.Logger) {
	least, most, fixedBy := threadBounds(cfg, gomaxprocs, runtime.GOMAXPROCS(0))
	if fixedBy != "" {
		if cfg.Threads != 0 || cfg.ThreadsMax != 0 {
			log.Warn("threads and threads_max are ignored: "+fixedBy+" is set", "threads", most)
		}
		return
	}
	if least == most {
		runtime.GOMAXPROCS(least)
		log.Debug("threads", "threads", least)
		return
	}
	pool, err := procs.NewPool(least, most)
	if err != nil { // the configuration's bounds are checked when it is read
		log.Error("threads", "error", err)
		return
	}
	log.Debug("threads", "threads", least, "threads_max", most)
	go procs.Run(ctx, pool, func(from, to int) { log.Debug("threads resized", "from", from, "to", to) })
}
