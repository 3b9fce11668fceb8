// Command testplugin is a RequestFilter plugin for floe's own tests (the
// plugin host's and the interop tests): it denies the operations it is
// told to, requires session attributes, hangs or caches on demand, and
// writes its pid where a test can find it to kill it. Like every plugin,
// it imports only sdk/.
package main

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/hashicorp/go-hclog"
)

type config struct {
	DenyOperations    []string          `json:"deny_operations"`
	RequireAttributes map[string]string `json:"require_attributes"`
	HangOperations    []string          `json:"hang_operations"`
	CacheFor          sdk.Duration      `json:"cache_for"`
	PidFile           string            `json:"pid_file"`
	FailStartIfExists string            `json:"fail_start_if_exists"`
	Rules             []struct {
		Name string `json:"name"`
	} `json:"rule"`
}

type filter struct {
	cfg config
	log hclog.Logger
}

func (f *filter) Points() sdk.Points { return sdk.PointsOf(sdk.Request) }

func (f *filter) OnRequest(ctx context.Context, r sdk.RequestView) (sdk.Verdict, error) {
	op := r.Operation()
	if slices.Contains(f.cfg.HangOperations, op) {
		<-ctx.Done() // until floe gives up
		time.Sleep(100 * time.Millisecond)
		return sdk.Continue, nil
	}
	v := sdk.Continue
	if slices.Contains(f.cfg.DenyOperations, op) {
		v = sdk.Deny("operation " + op + " is not allowed")
	}
	for k, want := range f.cfg.RequireAttributes {
		s := r.Session()
		if s == nil || !slices.Contains(strings.Split(s.Attributes[k], ","), want) {
			v = sdk.Deny("session attribute " + k + " lacks " + want)
		}
	}
	if f.cfg.CacheFor > 0 {
		v.CacheFor = time.Duration(f.cfg.CacheFor)
		v.CacheKey = []string{sdk.KeyOperation, sdk.KeyUser, sdk.KeyAttribute + "groups"}
	}
	return v, nil
}

func newFilter(c sdk.Config, log hclog.Logger) (sdk.Hook, error) {
	f := &filter{log: log}
	if err := c.Decode(&f.cfg); err != nil {
		return nil, err
	}
	for i, r := range f.cfg.Rules {
		if r.Name == "bad" {
			return nil, sdk.ConfigErrorf(sdk.BlockPath("rule", i, "name"), "a rule may not be named %q", r.Name)
		}
	}
	if p := f.cfg.FailStartIfExists; p != "" {
		if _, err := os.Stat(p); err == nil {
			return nil, sdk.ConfigErrorf("fail_start_if_exists", "%s exists", p)
		}
	}
	if f.cfg.PidFile != "" {
		tmp := f.cfg.PidFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, f.cfg.PidFile); err != nil {
			return nil, err
		}
	}
	log.Info("configured", "deny", strings.Join(f.cfg.DenyOperations, ","))
	return f, nil
}

func main() {
	plugin.Serve(plugin.Plugin{
		Points: sdk.PointsOf(sdk.Request),
		Schema: sdk.Schema{
			Attributes: []sdk.Attribute{
				{Name: "deny_operations", Type: sdk.TypeStringList},
				{Name: "require_attributes", Type: sdk.TypeStringMap},
				{Name: "hang_operations", Type: sdk.TypeStringList},
				{Name: "cache_for", Type: sdk.TypeDuration},
				{Name: "pid_file", Type: sdk.TypeString},
				{Name: "fail_start_if_exists", Type: sdk.TypeString},
			},
			Blocks: []sdk.BlockSchema{{Name: "rule", Attributes: []sdk.Attribute{{Name: "name", Type: sdk.TypeString, Required: true}}}},
		},
		New: newFilter,
	})
}
