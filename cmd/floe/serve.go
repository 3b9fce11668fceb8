package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/floe-router/floe/core/admin"
	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/router"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// shutdownGrace bounds a graceful shutdown: replies in progress get this
// long to reach their clients.
const shutdownGrace = 10 * time.Second

// serve runs the router until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg *config.Config, log hclog.Logger) error {
	r, err := router.New(cfg, log)
	if err != nil {
		return err
	}
	hooks, closeHooks, err := buildHooks(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeHooks()
	r.SetHooks(hooks)
	if cfg.PrintAdapterReady {
		// Scripts around glacier2router wait for these lines on stdout.
		r.OnReady = func(adapter string) { fmt.Fprintln(os.Stdout, adapter+" ready") }
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	startThreads(ctx, cfg, os.Getenv("GOMAXPROCS"), log)
	var adm *admin.Server
	if cfg.Admin != nil {
		src := admin.Source{Router: r, Hooks: hooks, Extra: []prometheus.Collector{pluginCollector{}}}
		adm, err = admin.Start(cfg.Admin.Listen, src, log.Named("admin"))
		if err != nil {
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			_ = r.Shutdown(sctx)
			return err
		}
	}
	log.Info("floe is routing", "instance", cfg.InstanceName, "router", r.RouterProxy().String())
	select {
	case <-ctx.Done():
	case <-r.ShutdownRequested():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if adm != nil {
		adm.Stopping()
	}
	if err := r.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if adm != nil {
		if err := adm.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown of the admin endpoint: %w", err)
		}
	}
	return nil
}
