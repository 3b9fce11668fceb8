package plugin

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/floe-router/floe/sdk"
	pluginv1 "github.com/floe-router/floe/sdk/proto/floe/plugin/v1"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Server is the plugin side: it answers floe's calls with the hook that
// Plugin.New built.
type Server struct {
	pluginv1.UnimplementedPluginServer
	p   Plugin
	log hclog.Logger

	mu   sync.RWMutex
	hook sdk.Hook
}

// NewServer serves p over the protocol; Serve uses it, and so can tests
// that run a plugin in process (sdk/sdktest).
func NewServer(p Plugin, log hclog.Logger) *Server {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Server{p: p, log: log}
}

// Close closes the current hook, if it implements io.Closer.
func (s *Server) Close() {
	s.mu.Lock()
	h := s.hook
	s.hook = nil
	s.mu.Unlock()
	if h != nil {
		closeHook(h)
	}
}

func (s *Server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	return &pluginv1.DescribeResponse{ApiVersion: APIVersion, Points: pointNames(s.p.Points),
		Schema: schemaToProto(s.p.Schema)}, nil
}

func (s *Server) Configure(_ context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	h, err := s.p.New(sdk.Config{Instance: req.GetInstance(), JSON: req.GetConfigJson()}, s.log)
	if err == nil && h == nil {
		err = errors.New("the plugin's New returned no hook")
	}
	if err == nil {
		err = checkHandlers(h, s.p.Points)
	}
	if err != nil {
		resp := &pluginv1.ConfigureResponse{}
		for _, e := range configErrors(err) {
			resp.Errors = append(resp.Errors, &pluginv1.ConfigError{Path: e.Path, Message: e.Message})
		}
		return resp, nil
	}
	s.mu.Lock()
	old := s.hook
	s.hook = h
	s.mu.Unlock()
	if old != nil {
		closeHook(old)
	}
	return &pluginv1.ConfigureResponse{}, nil
}

// configErrors flattens err (possibly joined) into ConfigErrors; an error
// that is not one concerns the block as a whole.
func configErrors(err error) []*sdk.ConfigError {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*sdk.ConfigError
		for _, e := range joined.Unwrap() {
			out = append(out, configErrors(e)...)
		}
		return out
	}
	var ce *sdk.ConfigError
	if errors.As(err, &ce) {
		return []*sdk.ConfigError{ce}
	}
	return []*sdk.ConfigError{{Message: err.Error()}}
}

// checkHandlers verifies that h handles every point declared.
func checkHandlers(h sdk.Hook, ps sdk.Points) error {
	for p := sdk.Connect; p <= sdk.Reply; p++ {
		if !ps.Has(p) {
			continue
		}
		var ok bool
		switch p {
		case sdk.Authenticate:
			_, ok = h.(sdk.AuthenticateHandler)
		case sdk.Request, sdk.Callback:
			_, ok = h.(sdk.RequestHandler)
		case sdk.Route:
			_, ok = h.(sdk.RouteHandler)
		case sdk.SessionCreated, sdk.SessionDestroyed:
			_, ok = h.(sdk.SessionHandler)
		}
		if !ok {
			return fmt.Errorf("the hook does not implement the handler of the %s point it declares", p)
		}
	}
	return nil
}

func (s *Server) current() (sdk.Hook, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.hook == nil {
		return nil, status.Error(codes.FailedPrecondition, "plugin not configured")
	}
	return s.hook, nil
}

// fail turns a hook's error into a gRPC status the host reports.
func fail(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

func (s *Server) Authenticate(ctx context.Context, req *pluginv1.AuthenticateRequest) (*pluginv1.AuthenticateResponse, error) {
	h, err := s.current()
	if err != nil {
		return nil, err
	}
	a, ok := h.(sdk.AuthenticateHandler)
	if !ok || !s.p.Points.Has(sdk.Authenticate) {
		return nil, status.Error(codes.Unimplemented, "not an authenticator")
	}
	res, err := a.OnAuthenticate(ctx, &sdk.AuthRequest{User: req.GetUser(), Password: req.GetPassword(),
		Secure: req.GetSecure(), Connection: connectionFromProto(req.GetConnection()), Context: req.GetContext()})
	if err != nil {
		return nil, fail(err)
	}
	return &pluginv1.AuthenticateResponse{Decision: pluginv1.Decision(res.Decision), Reason: res.Reason,
		Attributes: res.Attributes}, nil
}

func (s *Server) FilterRequest(ctx context.Context, req *pluginv1.RequestView) (*pluginv1.Verdict, error) {
	h, err := s.current()
	if err != nil {
		return nil, err
	}
	v := newView(req)
	f, ok := h.(sdk.RequestHandler)
	if !ok || !s.p.Points.Has(v.point) {
		return nil, status.Error(codes.Unimplemented, "not a request filter at "+req.GetPoint())
	}
	verdict, err := f.OnRequest(ctx, v)
	if err != nil {
		return nil, fail(err)
	}
	return verdictToProto(verdict), nil
}

func (s *Server) Route(ctx context.Context, req *pluginv1.RouteRequest) (*pluginv1.RouteResponse, error) {
	h, err := s.current()
	if err != nil {
		return nil, err
	}
	r, ok := h.(sdk.RouteHandler)
	if !ok || !s.p.Points.Has(sdk.Route) {
		return nil, status.Error(codes.Unimplemented, "not an address rewriter")
	}
	res, err := r.OnRoute(ctx, &sdk.RouteRequest{
		Identity:  sdk.Identity{Name: req.GetIdentity().GetName(), Category: req.GetIdentity().GetCategory()},
		Facet:     req.GetFacet(),
		AdapterID: req.GetAdapterId(),
		Endpoints: req.GetEndpoints(),
		Session:   sessionFromProto(req.GetSession()),
	})
	if err != nil {
		return nil, fail(err)
	}
	return &pluginv1.RouteResponse{Endpoints: res.Endpoints}, nil
}

func (s *Server) ObserveSession(ctx context.Context, req *pluginv1.SessionEvent) (*pluginv1.Verdict, error) {
	h, err := s.current()
	if err != nil {
		return nil, err
	}
	p, _ := sdk.ParsePoint(req.GetPoint())
	o, ok := h.(sdk.SessionHandler)
	if !ok || !s.p.Points.Has(p) {
		return nil, status.Error(codes.Unimplemented, "not a session observer at "+req.GetPoint())
	}
	v, err := o.OnSession(ctx, p, sessionFromProto(req.GetSession()))
	if err != nil {
		return nil, fail(err)
	}
	return verdictToProto(v), nil
}
