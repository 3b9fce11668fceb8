package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/plugins/host"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// Plugins: each plugin block becomes a supervised process (plugins/host)
// and an entry of the interception chain, in configuration order.

func init() {
	hookSources = append(hookSources, pluginHooks)
	configChecks = append(configChecks, checkPlugins)
}

// pluginHooks starts every configured plugin; they run until ctx ends or
// the returned closer stops them.
func pluginHooks(ctx context.Context, cfg *config.Config, log hclog.Logger, _ func()) ([]intercept.Entry, func(), error) {
	var started []*host.Plugin
	stopAll := func() {
		var wg sync.WaitGroup
		for _, p := range started {
			wg.Add(1)
			go func() { defer wg.Done(); p.Stop() }()
		}
		wg.Wait()
	}
	var entries []intercept.Entry
	for _, pc := range cfg.Plugins {
		p := host.New(pc, log, host.DefaultSupervision)
		if diags := p.Start(ctx); diags.HasErrors() {
			return nil, stopAll, diagnosticsError(diags)
		}
		started = append(started, p)
		entries = append(entries, p.Entry())
	}
	return entries, stopAll, nil
}

// checkPlugins starts each plugin to check its config block against the
// schema it declares, then stops it: floe validate.
func checkPlugins(ctx context.Context, cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, pc := range cfg.Plugins {
		diags = append(diags, host.New(pc, nil, host.DefaultSupervision).Check(ctx)...)
	}
	return diags
}

// diagnosticsError is an error whose text is the diagnostics as floe
// validate prints them, source lines included.
func diagnosticsError(diags hcl.Diagnostics) error {
	var b bytes.Buffer
	_ = config.WriteDiagnostics(&b, diags, nil)
	return errors.New("\n" + strings.TrimRight(b.String(), "\n"))
}
