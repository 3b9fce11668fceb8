package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/plugins/host"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/prometheus/client_golang/prometheus"
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
			return nil, stopAll, &configError{diags}
		}
		started = append(started, p)
		entries = append(entries, p.Entry())
	}
	runningPlugins.Store(&started)
	return entries, stopAll, nil
}

// runningPlugins are the plugins floe run started, for the admin endpoint's
// metrics (one router per process).
var runningPlugins atomic.Pointer[[]*host.Plugin]

// pluginCollector reports the running plugins' supervision and verdict
// cache counters on the admin endpoint.
type pluginCollector struct{}

var (
	pluginLabels       = []string{"plugin"}
	pluginUp           = prometheus.NewDesc("floe_plugin_up", "1 while the plugin's process runs and answers, 0 while it is restarting or its circuit breaker is open.", pluginLabels, nil)
	pluginStarts       = prometheus.NewDesc("floe_plugin_starts_total", "Starts of the plugin's process, the first one included.", pluginLabels, nil)
	pluginCrashes      = prometheus.NewDesc("floe_plugin_crashes_total", "Times the plugin's process exited or stopped answering health checks.", pluginLabels, nil)
	pluginFailedStarts = prometheus.NewDesc("floe_plugin_failed_starts_total", "Starts that failed.", pluginLabels, nil)
	pluginBreakerOpens = prometheus.NewDesc("floe_plugin_breaker_opens_total", "Times the circuit breaker opened after failed starts in a row.", pluginLabels, nil)
	pluginCacheHits    = prometheus.NewDesc("floe_plugin_cache_hits_total", "Requests answered from the plugin's cached verdicts, with no call.", pluginLabels, nil)
	pluginCacheMisses  = prometheus.NewDesc("floe_plugin_cache_misses_total", "Requests that needed a call to the plugin.", pluginLabels, nil)
)

func (pluginCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pluginUp, pluginStarts, pluginCrashes, pluginFailedStarts, pluginBreakerOpens,
		pluginCacheHits, pluginCacheMisses} {
		ch <- d
	}
}

func (pluginCollector) Collect(ch chan<- prometheus.Metric) {
	running := runningPlugins.Load()
	if running == nil {
		return
	}
	for _, p := range *running {
		st := p.Stats()
		up := 0.0
		if st.State == host.Running {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(pluginUp, prometheus.GaugeValue, up, p.Name())
		for d, v := range map[*prometheus.Desc]uint64{pluginStarts: st.Starts, pluginCrashes: st.Crashes,
			pluginFailedStarts: st.FailedStarts, pluginBreakerOpens: st.BreakerOpens, pluginCacheHits: st.CacheHits,
			pluginCacheMisses: st.CacheMisses} {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), p.Name())
		}
	}
}

// checkPlugins starts each plugin to check its config block against the
// schema it declares, then stops it: floe validate.
func checkPlugins(ctx context.Context, cfg *config.Config) (hcl.Diagnostics, sdk.Points) {
	var diags hcl.Diagnostics
	var points sdk.Points
	for _, pc := range cfg.Plugins {
		p := host.New(pc, nil, host.DefaultSupervision)
		d := p.Check(ctx)
		diags = append(diags, d...)
		if desc := p.Description(); desc != nil && !d.HasErrors() {
			points |= desc.Points
		}
	}
	return diags, points
}

// configError is a mistake in the configuration found only while starting
// (a plugin's config block, a script): floe run prints its diagnostics as
// floe validate does and exits as for any bad configuration.
type configError struct{ diags hcl.Diagnostics }

// Error is the diagnostics as floe validate prints them, source lines
// included.
func (e *configError) Error() string {
	var b bytes.Buffer
	_ = config.WriteDiagnostics(&b, e.diags, nil)
	return "\n" + strings.TrimRight(b.String(), "\n")
}
