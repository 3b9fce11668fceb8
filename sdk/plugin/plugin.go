// Package plugin is both halves of floe's plugin protocol over
// hashicorp/go-plugin (gRPC only): Serve, all that a plugin's main calls,
// and Client, which floe's plugin host and sdk/sdktest use to talk to a
// plugin. A plugin is a main package:
//
//	func main() {
//		plugin.Serve(plugin.Plugin{
//			Points: sdk.PointsOf(sdk.Authenticate),
//			Schema: sdk.Schema{Attributes: []sdk.Attribute{{Name: "file", Type: sdk.TypeString, Required: true}}},
//			New:    newAuthenticator,
//		})
//	}
//
// It lives apart from package sdk so that floe's kernel, which imports
// sdk, does not import go-plugin. Like all of sdk/, it imports nothing else
// of floe.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/floe-router/floe/sdk"
	pluginv1 "github.com/floe-router/floe/sdk/proto/floe/plugin/v1"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// APIVersion is the version of the plugin protocol this package speaks.
const APIVersion = 1

// Handshake is what floe and its plugins agree on before anything else: a
// binary started by something other than floe refuses to run.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "FLOE_PLUGIN",
	MagicCookieValue: "b8f6d0a2-ice-router-plugin",
}

// Name is the plugin's name in go-plugin's plugin set.
const Name = "floe"

// Points are the interception points a plugin may declare. (Connect and
// reply are called too often, and say too little, to cross a process.)
const Points = sdk.Points(1<<sdk.Authenticate | 1<<sdk.Request | 1<<sdk.Callback | 1<<sdk.Route |
	1<<sdk.SessionCreated | 1<<sdk.SessionDestroyed)

// Plugin is what a plugin serves.
type Plugin struct {
	// Points are the interception points the plugin's hook is called at;
	// they are its capabilities: authenticate (Authenticator), request and
	// callback (RequestFilter), route (AddressRewriter), session_created
	// and session_destroyed (SessionObserver). The hook New returns must
	// implement the handler of each.
	Points sdk.Points
	// Schema is the plugin's config block.
	Schema sdk.Schema
	// New builds the hook from the configuration, which floe has checked
	// against Schema. An error made with sdk.ConfigErrorf (several may be
	// joined with errors.Join) is reported at the attribute it names. New
	// is called again when floe reconfigures the plugin; a previous hook
	// that implements io.Closer is then closed.
	New func(cfg sdk.Config, log hclog.Logger) (sdk.Hook, error)
}

// Capabilities names the capabilities a set of points amounts to.
func Capabilities(p sdk.Points) []string {
	var caps []string
	if p.Has(sdk.Authenticate) {
		caps = append(caps, "Authenticator")
	}
	if p.Has(sdk.Request) || p.Has(sdk.Callback) {
		caps = append(caps, "RequestFilter")
	}
	if p.Has(sdk.Route) {
		caps = append(caps, "AddressRewriter")
	}
	if p.Has(sdk.SessionCreated) || p.Has(sdk.SessionDestroyed) {
		caps = append(caps, "SessionObserver")
	}
	return caps
}

// Check reports what is wrong with p's declaration.
func (p *Plugin) Check() error {
	if p.New == nil {
		return errors.New("plugin: New is nil")
	}
	if p.Points == 0 {
		return errors.New("plugin: no interception point declared")
	}
	if p.Points&^Points != 0 {
		return fmt.Errorf("plugin: points %s cannot be served by a plugin (only %s)", p.Points&^Points, Points)
	}
	return checkSchema(p.Schema)
}

func checkSchema(s sdk.Schema) error {
	seen := map[string]bool{}
	check := func(where string, as []sdk.Attribute) error {
		for _, a := range as {
			if a.Name == "" || seen[where+a.Name] {
				return fmt.Errorf("plugin: schema: attribute %q empty or declared twice", where+a.Name)
			}
			seen[where+a.Name] = true
			if a.Type < sdk.TypeString || a.Type > sdk.TypeStringMap {
				return fmt.Errorf("plugin: schema: attribute %q has no valid type", where+a.Name)
			}
		}
		return nil
	}
	if err := check("", s.Attributes); err != nil {
		return err
	}
	for _, b := range s.Blocks {
		if b.Name == "" || seen[b.Name] {
			return fmt.Errorf("plugin: schema: block %q empty or declared twice", b.Name)
		}
		seen[b.Name] = true
		if err := check(b.Name+".", b.Attributes); err != nil {
			return err
		}
	}
	return nil
}

// Serve runs the plugin until floe stops it. It never returns: a plugin
// that cannot serve exits with status 1. Run by hand rather than by floe,
// the binary says so and exits.
func Serve(p Plugin) {
	log := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace, // floe filters by its own level
		Output:     os.Stderr,
		JSONFormat: true, // go-plugin forwards JSON lines to floe's log, under the plugin's name
	})
	if err := p.Check(); err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	srv := NewServer(p, log)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{Name: &GRPCPlugin{Impl: srv}},
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger:          log,
	})
	srv.Close()
	os.Exit(0)
}

// GRPCPlugin is the go-plugin side of the protocol: the plugin serves with
// Impl set, the host dispenses a *Client.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl pluginv1.PluginServer
}

// GRPCServer implements goplugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pluginv1.RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient implements goplugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewClient(pluginv1.NewPluginClient(c)), nil
}

// closeHook closes a replaced hook that holds resources.
func closeHook(h sdk.Hook) {
	if c, ok := h.(io.Closer); ok {
		_ = c.Close()
	}
}
