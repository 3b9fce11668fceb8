package main

import (
	"context"
	"sync/atomic"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// hookSource builds the interception entries of one kind (Lua scripts,
// plugins) from the configuration. It runs in ctx (the router's lifetime:
// engines watch files and supervise processes until it ends) and returns a
// closer that stops what it started. A source whose hooks can change the
// points they use (a reloaded script) calls refresh afterwards.
type hookSource func(ctx context.Context, cfg *config.Config, log hclog.Logger, refresh func()) ([]intercept.Entry, func(), error)

// hookSources are consulted in this order; within each, hooks keep the
// order of the configuration. Each kind registers itself from its own file.
var hookSources []hookSource

// configCheck checks what only a hook source can (a plugin's config block
// against the schema the plugin declares), for floe validate, and reports
// the points its hooks use.
type configCheck func(ctx context.Context, cfg *config.Config) (hcl.Diagnostics, sdk.Points)

// configChecks are registered by the hook sources, like hookSources.
var configChecks []configCheck

// checkHooks runs every configCheck, then refuses what Start would: a
// router in which neither the auth block nor a hook authenticates.
func checkHooks(ctx context.Context, cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var points sdk.Points
	for _, check := range configChecks {
		d, p := check(ctx, cfg)
		diags = append(diags, d...)
		points |= p
	}
	if !diags.HasErrors() && !cfg.Auth.HasAuthenticator() && !points.Has(sdk.Authenticate) {
		diags = append(diags, noAuthDiagnostic(cfg))
	}
	return diags
}

// noAuthDiagnostic is how validate and run report a configuration in
// which nothing authenticates.
func noAuthDiagnostic(cfg *config.Config) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No authentication configured",
		Detail: "No auth block authenticates and no script or plugin implements authentication: " +
			"createSession would refuse everyone. Configure auth { ... }, an on_authenticate function or an auth plugin.",
		Subject: &hcl.Range{Filename: cfg.Source, Start: hcl.InitialPos, End: hcl.InitialPos}}
}

// buildHooks assembles the interception chain from every source.
func buildHooks(ctx context.Context, cfg *config.Config, log hclog.Logger) (*intercept.Chain, func(), error) {
	var entries []intercept.Entry
	var closers []func()
	var chain atomic.Pointer[intercept.Chain]
	refresh := func() { chain.Load().Refresh() }
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	for _, src := range hookSources {
		es, closer, err := src(ctx, cfg, log, refresh)
		if closer != nil {
			closers = append(closers, closer)
		}
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		entries = append(entries, es...)
	}
	if len(entries) == 0 {
		return nil, closeAll, nil
	}
	c := intercept.New(entries, log.Named("hooks"))
	chain.Store(c)
	return c, closeAll, nil
}
