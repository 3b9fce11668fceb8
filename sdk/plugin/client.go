package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/floe-router/floe/sdk"
	pluginv1 "github.com/floe-router/floe/sdk/proto/floe/plugin/v1"
)

// Client is the host side of the protocol: it describes and configures a
// plugin and adapts it to sdk.Hook.
type Client struct {
	c pluginv1.PluginClient
}

// NewClient wraps a gRPC client of the protocol.
func NewClient(c pluginv1.PluginClient) *Client { return &Client{c: c} }

// Description is what a plugin says it is.
type Description struct {
	APIVersion uint32
	Points     sdk.Points
	Schema     sdk.Schema
}

// Describe asks the plugin what it is, and checks the answer.
func (c *Client) Describe(ctx context.Context) (*Description, error) {
	resp, err := c.c.Describe(ctx, &pluginv1.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	if resp.GetApiVersion() != APIVersion {
		return nil, fmt.Errorf("the plugin speaks version %d of the plugin protocol; this floe speaks %d",
			resp.GetApiVersion(), APIVersion)
	}
	d := &Description{APIVersion: resp.GetApiVersion(), Schema: schemaFromProto(resp.GetSchema())}
	for _, name := range resp.GetPoints() {
		p, ok := sdk.ParsePoint(name)
		if !ok || !Points.Has(p) {
			return nil, fmt.Errorf("the plugin declares the point %q, which plugins cannot use", name)
		}
		d.Points |= sdk.PointsOf(p)
	}
	if d.Points == 0 {
		return nil, errors.New("the plugin declares no interception point")
	}
	if err := checkSchema(d.Schema); err != nil {
		return nil, err
	}
	return d, nil
}

// Configure hands the plugin its configuration; the problems it finds are
// returned as ConfigErrors, a failure to ask as err.
func (c *Client) Configure(ctx context.Context, cfg sdk.Config) ([]*sdk.ConfigError, error) {
	resp, err := c.c.Configure(ctx, &pluginv1.ConfigureRequest{ConfigJson: cfg.JSON, Instance: cfg.Instance})
	if err != nil {
		return nil, err
	}
	var out []*sdk.ConfigError
	for _, e := range resp.GetErrors() {
		out = append(out, &sdk.ConfigError{Path: e.GetPath(), Message: e.GetMessage()})
	}
	return out, nil
}

// Hook adapts the plugin to sdk.Hook at points; it implements every
// handler, so callers (the interception chain) call it only at the points
// it declares.
func (c *Client) Hook(points sdk.Points) *Hook { return &Hook{c: c.c, points: points} }

// Hook is a plugin as the interception chain sees it. Verdicts carry the
// plugin's CacheFor and CacheKey; caching them is the caller's business.
type Hook struct {
	c      pluginv1.PluginClient
	points sdk.Points
}

// Points implements sdk.Hook.
func (h *Hook) Points() sdk.Points { return h.points }

// OnAuthenticate implements sdk.AuthenticateHandler.
func (h *Hook) OnAuthenticate(ctx context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
	resp, err := h.c.Authenticate(ctx, &pluginv1.AuthenticateRequest{User: a.User, Password: a.Password,
		Secure: a.Secure, Connection: connectionToProto(a.Connection), Context: a.Context})
	if err != nil {
		return sdk.AuthResult{}, err
	}
	d := sdk.AuthDecision(resp.GetDecision())
	if d > sdk.Refuse {
		return sdk.AuthResult{}, fmt.Errorf("the plugin answered an unknown decision %d", resp.GetDecision())
	}
	return sdk.AuthResult{Decision: d, Reason: resp.GetReason(), Attributes: resp.GetAttributes()}, nil
}

// OnRequest implements sdk.RequestHandler.
func (h *Hook) OnRequest(ctx context.Context, v sdk.RequestView) (sdk.Verdict, error) {
	resp, err := h.c.FilterRequest(ctx, requestToProto(v))
	if err != nil {
		return sdk.Verdict{}, err
	}
	return verdictFromProto(resp), nil
}

// OnRoute implements sdk.RouteHandler.
func (h *Hook) OnRoute(ctx context.Context, r *sdk.RouteRequest) (sdk.RouteResult, error) {
	resp, err := h.c.Route(ctx, &pluginv1.RouteRequest{
		Identity:  &pluginv1.Identity{Name: r.Identity.Name, Category: r.Identity.Category},
		Facet:     r.Facet,
		AdapterId: r.AdapterID,
		Endpoints: r.Endpoints,
		Session:   sessionToProto(r.Session),
	})
	if err != nil {
		return sdk.RouteResult{}, err
	}
	return sdk.RouteResult{Endpoints: resp.GetEndpoints()}, nil
}

// OnSession implements sdk.SessionHandler.
func (h *Hook) OnSession(ctx context.Context, p sdk.Point, s *sdk.Session) (sdk.Verdict, error) {
	resp, err := h.c.ObserveSession(ctx, &pluginv1.SessionEvent{Point: p.String(), Session: sessionToProto(s)})
	if err != nil {
		return sdk.Verdict{}, err
	}
	return verdictFromProto(resp), nil
}
