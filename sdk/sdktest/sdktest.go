// Package sdktest runs a plugin in process, behind the real gRPC protocol,
// so that its author can unit-test it without floe:
//
//	func TestRefusesWrongPassword(t *testing.T) {
//		p := sdktest.Start(t, myPlugin(), map[string]any{"file": "testdata/passwords"})
//		res, err := p.OnAuthenticate(context.Background(), &sdk.AuthRequest{User: "alice", Password: "wrong"})
//		...
//	}
//
// The configuration is given as the config block would give it: strings,
// numbers, bools, []string, map[string]string, durations as strings, and
// nested blocks as []map[string]any. It is checked against the plugin's
// schema as floe checks it. Like all of sdk/, this package imports nothing
// else of floe.
package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	pluginv1 "github.com/floe-router/floe/sdk/proto/floe/plugin/v1"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// Plugin is a plugin running in process. Its handlers are the ones floe
// calls (through the same protocol); verdicts keep the plugin's CacheFor
// and CacheKey, which floe would use to skip later calls.
type Plugin struct {
	*plugin.Hook
	Description *plugin.Description
	client      *plugin.Client
}

// Start serves p in process, describes and configures it with cfg, and
// fails the test on any error. It stops when the test ends.
func Start(t testing.TB, p plugin.Plugin, cfg map[string]any) *Plugin {
	t.Helper()
	h, errs := start(t, p, cfg)
	if len(errs) > 0 {
		t.Fatalf("configuring the plugin: %s", joinErrors(errs))
	}
	return h
}

// Configure serves p in process and returns the configuration errors that
// floe would report for cfg (nil when there are none).
func Configure(t testing.TB, p plugin.Plugin, cfg map[string]any) []*sdk.ConfigError {
	t.Helper()
	_, errs := start(t, p, cfg)
	return errs
}

func start(t testing.TB, p plugin.Plugin, cfg map[string]any) (*Plugin, []*sdk.ConfigError) {
	t.Helper()
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	w := &testWriter{t: t}
	log := hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Debug, Output: w})
	// The plugin's gRPC service, in memory: what floe's host would reach
	// through go-plugin.
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	impl := plugin.NewServer(p, log)
	pluginv1.RegisterPluginServer(srv, impl)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///sdktest",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		impl.Close()
		w.done.Store(true) // what the plugin logs from now on has no test to go to
	})
	client := plugin.NewClient(pluginv1.NewPluginClient(conn))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	desc, err := client.Describe(ctx)
	if err != nil {
		t.Fatalf("describing the plugin: %v", err)
	}
	if errs := CheckConfig(desc.Schema, cfg); len(errs) > 0 {
		return nil, errs
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := client.Configure(ctx, sdk.Config{Instance: "test", JSON: js})
	if err != nil {
		t.Fatalf("configuring the plugin: %v", err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &Plugin{Hook: client.Hook(desc.Points), Description: desc, client: client}, nil
}

// Reconfigure hands the running plugin a new configuration, as floe does
// on reload.
func (p *Plugin) Reconfigure(t testing.TB, cfg map[string]any) []*sdk.ConfigError {
	t.Helper()
	if errs := CheckConfig(p.Description.Schema, cfg); len(errs) > 0 {
		return errs
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := p.client.Configure(context.Background(), sdk.Config{Instance: "test", JSON: js})
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// Request calls the plugin's request filter with r.
func (p *Plugin) Request(ctx context.Context, r Request) (sdk.Verdict, error) {
	return p.OnRequest(ctx, r.View())
}

type testWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func joinErrors(errs []*sdk.ConfigError) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "; ")
}

// CheckConfig checks cfg against schema as floe checks a config block:
// unknown attributes, missing required ones, wrong types, bad durations.
func CheckConfig(schema sdk.Schema, cfg map[string]any) []*sdk.ConfigError {
	errs := checkAttrs("", schema.Attributes, cfg, schema.Blocks)
	for _, b := range schema.Blocks {
		v, ok := cfg[b.Name]
		if !ok {
			if b.Required {
				errs = append(errs, sdk.ConfigErrorf(b.Name, "at least one %s block is required", b.Name))
			}
			continue
		}
		list, ok := v.([]map[string]any)
		if !ok {
			errs = append(errs, sdk.ConfigErrorf(b.Name, "blocks are given as []map[string]any, not %T", v))
			continue
		}
		for i, m := range list {
			errs = append(errs, checkAttrs(sdk.BlockPath(b.Name, i, ""), b.Attributes, m, nil)...)
		}
	}
	return errs
}

func checkAttrs(prefix string, attrs []sdk.Attribute, cfg map[string]any, blocks []sdk.BlockSchema) []*sdk.ConfigError {
	var errs []*sdk.ConfigError
	path := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	known := map[string]sdk.Attribute{}
	for _, a := range attrs {
		known[a.Name] = a
		if _, ok := cfg[a.Name]; !ok && a.Required {
			errs = append(errs, sdk.ConfigErrorf(path(a.Name), "the attribute %q is required", a.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cfg)) {
		a, ok := known[name]
		if !ok {
			if slices.ContainsFunc(blocks, func(b sdk.BlockSchema) bool { return b.Name == name }) {
				continue
			}
			errs = append(errs, sdk.ConfigErrorf(path(name), "no attribute %q in the schema", name))
			continue
		}
		if err := checkType(a.Type, cfg[name]); err != nil {
			errs = append(errs, sdk.ConfigErrorf(path(name), "%v", err))
		}
	}
	return errs
}

func checkType(t sdk.Type, v any) error {
	ok := false
	switch t {
	case sdk.TypeString:
		_, ok = v.(string)
	case sdk.TypeNumber:
		switch v.(type) {
		case int, int32, int64, uint, uint32, uint64, float32, float64:
			ok = true
		}
	case sdk.TypeBool:
		_, ok = v.(bool)
	case sdk.TypeDuration:
		s, isString := v.(string)
		if !isString {
			break
		}
		if _, err := time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not a duration", s)
		}
		ok = true
	case sdk.TypeStringList:
		_, ok = v.([]string)
	case sdk.TypeStringMap:
		_, ok = v.(map[string]string)
	}
	if !ok {
		return fmt.Errorf("a %s is required, not %T", t, v)
	}
	return nil
}
