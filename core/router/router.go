package router

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// Router is one running Glacier2-compatible router.
type Router struct {
	cfg *config.Config
	log hclog.Logger

	defaults ice.Defaults // Ice.Default.* for the strings in cfg
	routerID ice.Identity // <instance>/router
	finderID ice.Identity // Ice/RouterFinder

	clientOpts  transport.Options
	serverOpts  transport.Options
	backendOpts transport.Options

	clientMonitor  *transport.Monitor
	stats          routerStats
	serverMonitor  *transport.Monitor
	backendMonitor *transport.Monitor

	pool *transport.Pool

	auth           Authorizer // nil when only secure connections can create sessions
	sessionManager *ice.Proxy
	managerOptions *callOptions
	ssl            sslSessions
	locator        *locator            // nil without Ice.Default.Locator
	locators       map[string]*locator // per-proxy .Locator options, by proxy; under mu

	clientListeners []*transport.Listener
	serverListeners []*transport.Listener
	adminListeners  []*transport.Listener
	admin           *iceAdmin // nil without Ice.Admin.Endpoints

	// OnReady, when set before Start, is called with "Glacier2.Client",
	// "Glacier2.Server" and "Ice.Admin" once each listens, for
	// Ice.PrintAdapterReady.
	OnReady func(adapter string)

	shutdownRequested chan struct{}
	shutdownOnce      sync.Once

	// hooks is the interception chain (nil: none); set with SetHooks.
	hooks *intercept.Chain
	// Published endpoints put in the proxies the router hands out.
	clientPublished []ice.Endpoint
	serverPublished []ice.Endpoint

	sessions *sessionRegistry
	controls *controlRegistry

	filterIdentities []ice.Identity       // the configured identity filter
	allowedBackends  []config.BackendRule // where hooks may send requests
	addressFilter    *proxyVerifier       // Glacier2.Filter.Address.*, ProxySizeMax; nil: none

	ctx    context.Context // ends at shutdown; bounds the router's own calls
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	started  bool
	shutdown bool
	conns    map[*transport.Conn]struct{} // accepted connections, both sides
}

// maxInflightPerSession bounds the twoway requests of one session waiting
// for a reply; past it the router stops reading that client, which is the
// back-pressure Glacier2 lacks.
const maxInflightPerSession = 1024

// New validates cfg and prepares a router; it opens nothing until Start.
// clientParkIdleAfter is how long a client connection stays quiet before
// its reader parks (transport.Options.ParkIdleAfter).
const clientParkIdleAfter = time.Second

func New(cfg *config.Config, log hclog.Logger) (*Router, error) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if cfg.Client.Endpoints == "" {
		return nil, errors.New("router: no client endpoints configured")
	}
	instance := cfg.InstanceName
	if instance == "" {
		instance = config.DefaultInstanceName
	}
	max := cfg.MessageSizeMax
	if max <= 0 {
		max = math.MaxInt32
	}
	r := &Router{
		cfg:      cfg,
		log:      log,
		routerID: ice.Identity{Category: instance, Name: "router"},
		finderID: ice.Identity{Category: "Ice", Name: "RouterFinder"},
		conns:    make(map[*transport.Conn]struct{}),
		defaults: cfg.IceDefaults(),

		shutdownRequested: make(chan struct{}),
	}
	r.sessions = newSessionRegistry()
	r.controls = newControlRegistry()
	for _, s := range cfg.Filter.Identities {
		id, err := ice.ParseIdentity(s)
		if err != nil {
			return nil, fmt.Errorf("router: identity filter %q: %w", s, err)
		}
		r.filterIdentities = append(r.filterIdentities, id)
	}
	ipNet := ipNetwork(cfg)
	r.clientOpts = transport.Options{
		MessageSizeMax: sizeMax(cfg.ClientMessageSizeMax()),
		WriteTimeout:   60 * time.Second,
		// Glacier2 closes idle client connections forcefully (ACM close 4),
		// after the session timeout when no ACM timeout is set.
		ACM:     transportACM(cfg.ClientACM()),
		Network: ipNet,
		Log:     log.Named("client"),
		// Most client connections of a large deployment are idle most of
		// the time; a parked one costs no goroutine stack.
		ParkIdleAfter: clientParkIdleAfter,
	}
	r.serverOpts = transport.Options{MessageSizeMax: sizeMax(cfg.ServerMessageSizeMax()), WriteTimeout: 60 * time.Second,
		ACM: transportACM(cfg.ServerACM()), Network: ipNet, Log: log.Named("server")}
	r.backendOpts = transport.Options{MessageSizeMax: max, WriteTimeout: 60 * time.Second, ACM: transport.ClientACM,
		Network: ipNet, PreferIPv6: cfg.PreferIPv6, Log: log.Named("backend")}

	if err := r.setupSSL(cfg); err != nil {
		return nil, err
	}
	var err error
	if r.auth, err = newAuthorizer(r, cfg); err != nil {
		return nil, err
	}
	if r.addressFilter, err = newAddressFilter(cfg); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	if r.allowedBackends, err = parseAllowedBackends(cfg.AllowedBackends); err != nil {
		return nil, fmt.Errorf("router: allowed_backends: %w", err)
	}
	if cfg.Locator != nil {
		if r.locator, err = newLocator(r, cfg.Locator); err != nil {
			return nil, err
		}
	}
	if cfg.Auth.SessionManager != "" {
		r.managerOptions = &callOptions{ProxyOptions: cfg.Auth.SessionManagerOptions,
			cacheDefault: config.DefaultSessionManagerLocatorCacheTimeout}
		if r.sessionManager, err = r.defaults.ParseProxy(cfg.Auth.SessionManager); err != nil {
			return nil, fmt.Errorf("router: session manager %q: %w", cfg.Auth.SessionManager, err)
		}
	}
	return r, nil
}

// Start opens the client (and server) endpoints and begins serving. It
// returns once every endpoint is listening.
func (r *Router) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("router: already started")
	}
	if r.auth == nil && r.cfg.Auth.SSLVerifier == "" && !r.cfg.Auth.AllowAllSSL && !r.hooks.Has(sdk.Authenticate) {
		r.mu.Unlock()
		return ErrNoAuthenticator
	}
	r.started = true
	r.mu.Unlock()
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.clientMonitor = transport.NewMonitor(r.clientOpts.ACM)
	r.serverMonitor = transport.NewMonitor(r.serverOpts.ACM)
	r.backendMonitor = transport.NewMonitor(r.backendOpts.ACM)
	r.pool = transport.NewPool(&r.backendOpts, backendHandler{r}, r.backendMonitor)

	clientEps, err := r.defaults.ParseEndpoints(r.cfg.Client.Endpoints)
	if err != nil {
		return fmt.Errorf("router: client endpoints %q: %w", r.cfg.Client.Endpoints, err)
	}
	var serverEps []ice.Endpoint
	if r.cfg.Server != nil && r.cfg.Server.Endpoints != "" {
		if serverEps, err = r.defaults.ParseEndpoints(r.cfg.Server.Endpoints); err != nil {
			return fmt.Errorf("router: server endpoints %q: %w", r.cfg.Server.Endpoints, err)
		}
	}
	for _, ep := range clientEps {
		l, err := transport.Listen(ep, &r.clientOpts, r.clientMonitor)
		if err != nil {
			r.closeListeners()
			return fmt.Errorf("router: client side: %w", err)
		}
		r.clientListeners = append(r.clientListeners, l)
	}
	for _, ep := range serverEps {
		l, err := transport.Listen(ep, &r.serverOpts, r.serverMonitor)
		if err != nil {
			r.closeListeners()
			return fmt.Errorf("router: server side: %w", err)
		}
		r.serverListeners = append(r.serverListeners, l)
	}
	if r.clientPublished, err = r.published(r.cfg.Client.PublishedEndpoints, r.clientListeners); err != nil {
		r.closeListeners()
		return fmt.Errorf("router: client published endpoints: %w", err)
	}
	if r.cfg.Server != nil {
		if r.serverPublished, err = r.published(r.cfg.Server.PublishedEndpoints, r.serverListeners); err != nil {
			r.closeListeners()
			return fmt.Errorf("router: server published endpoints: %w", err)
		}
	}
	if r.cfg.IceAdmin != nil {
		r.admin = newIceAdmin(r)
		eps, err := r.defaults.ParseEndpoints(r.cfg.IceAdmin.Endpoints)
		if err != nil {
			r.closeListeners()
			return fmt.Errorf("router: admin endpoints %q: %w", r.cfg.IceAdmin.Endpoints, err)
		}
		for _, ep := range eps {
			l, err := transport.Listen(ep, &r.serverOpts, r.serverMonitor)
			if err != nil {
				r.closeListeners()
				return fmt.Errorf("router: admin endpoints: %w", err)
			}
			r.adminListeners = append(r.adminListeners, l)
		}
	}
	// glacier2router's admin adapter is ready first, then the client and
	// server sides; scripts may wait for the lines in that order.
	for _, l := range r.adminListeners {
		r.serve(l, adminHandler{r}, nil)
		r.log.Info("admin object listening", "endpoint", l.Endpoint.String(), "identity", r.admin.id.String())
	}
	if len(r.adminListeners) > 0 {
		r.ready("Ice.Admin")
	}
	for _, l := range r.clientListeners {
		r.serve(l, clientHandler{r}, func(c *transport.Conn) {
			cc := newClientConn(r, c)
			c.Owner = cc
			r.stats.clientConns.Add(1)
			if r.hooks.Has(sdk.Connect) {
				if o := r.hooks.Connect(r.hookContext(), cc.connView()); o.Deny {
					r.log.Info("connection refused by hook", "hook", o.Hook, "reason", o.Reason,
						"remote", c.RemoteAddr().String())
					c.Abort(errors.New("refused by hook " + o.Hook + ": " + o.Reason))
				}
			}
		})
		r.log.Info("listening for clients", "endpoint", l.Endpoint.String())
	}
	r.ready("Glacier2.Client")
	for _, l := range r.serverListeners {
		r.serve(l, serverHandler{r}, func(c *transport.Conn) { c.Owner = &relay{c: c, r: r} })
		r.log.Info("listening for servers", "endpoint", l.Endpoint.String())
	}
	if len(r.serverListeners) > 0 {
		r.ready("Glacier2.Server")
	}
	if t := r.cfg.Session.Timeout; t > 0 {
		r.wg.Add(1)
		go r.expireSessions(t)
	}
	return nil
}

// transportACM turns the configured ACM into the transport's; the policy
// numbers are Ice's in both.
func transportACM(a config.ACM) transport.ACM {
	return transport.ACM{Timeout: a.Timeout, Heartbeat: transport.HeartbeatPolicy(max(0, a.Heartbeat.Ice())),
		Close: transport.ClosePolicy(max(0, a.Close.Ice()))}
}

// sizeMax maps Ice's "no limit" (0) to the largest size a header holds.
func sizeMax(n int) int {
	if n <= 0 {
		return math.MaxInt32
	}
	return n
}

// ipNetwork is the network sockets use: both IP versions, or one when
// Ice.IPv4 or Ice.IPv6 turns the other off.
func ipNetwork(cfg *config.Config) string {
	switch {
	case cfg.DisableIPv6:
		return "tcp4"
	case cfg.DisableIPv4:
		return "tcp6"
	}
	return "tcp"
}

// SetHooks installs the interception chain; call it before Start.
func (r *Router) SetHooks(c *intercept.Chain) { r.hooks = c }

// traceLog is where a Glacier2 trace category's events go: info when the
// category is on (Glacier2 prints its traces whatever else is configured),
// debug otherwise.
func (r *Router) traceLog(log hclog.Logger, on bool) func(msg string, args ...any) {
	if on {
		return log.Info
	}
	return log.Debug
}

func (r *Router) ready(adapter string) {
	if r.OnReady != nil {
		r.OnReady(adapter)
	}
}

// ShutdownRequested is closed when the admin object's Process.shutdown was
// called; the owner of the router then shuts it down.
func (r *Router) ShutdownRequested() <-chan struct{} { return r.shutdownRequested }

func (r *Router) requestShutdown() { r.shutdownOnce.Do(func() { close(r.shutdownRequested) }) }

func (r *Router) serve(l *transport.Listener, h transport.Handler, setup func(*transport.Conn)) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = l.Serve(h, func(c *transport.Conn) {
			if setup != nil {
				setup(c)
			}
			r.mu.Lock()
			if r.shutdown {
				r.mu.Unlock()
				c.Abort(transport.ErrClosed)
				return
			}
			r.conns[c] = struct{}{}
			r.mu.Unlock()
		})
	}()
}

func (r *Router) forgetConn(c *transport.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

func (r *Router) closeListeners() {
	for _, l := range r.clientListeners {
		_ = l.Close()
	}
	for _, l := range r.serverListeners {
		_ = l.Close()
	}
	for _, l := range r.adminListeners {
		_ = l.Close()
	}
}

// ClientEndpoints are the endpoints the client side listens on (with the
// ports the OS chose).
func (r *Router) ClientEndpoints() []ice.Endpoint {
	eps := make([]ice.Endpoint, len(r.clientListeners))
	for i, l := range r.clientListeners {
		eps[i] = l.Endpoint
	}
	return eps
}

// ServerEndpoints are the endpoints the server side listens on.
func (r *Router) ServerEndpoints() []ice.Endpoint {
	eps := make([]ice.Endpoint, len(r.serverListeners))
	for i, l := range r.serverListeners {
		eps[i] = l.Endpoint
	}
	return eps
}

// RouterProxy is the proxy clients use as Ice.Default.Router.
func (r *Router) RouterProxy() *ice.Proxy {
	return &ice.Proxy{Identity: r.routerID, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: r.clientPublished}
}

// Shutdown stops accepting, closes client connections gracefully (replies
// in progress are delivered first), destroys every session and closes the
// backend connections, all within ctx. It is safe to call more than once.
func (r *Router) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.started || r.shutdown {
		r.mu.Unlock()
		return nil
	}
	r.shutdown = true
	conns := make([]*transport.Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()

	r.closeListeners()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Close(ctx)
		}()
	}
	wg.Wait()
	for _, s := range r.sessions.all() {
		r.destroySession(s, "router shutdown")
	}
	r.pool.Close(ctx)
	r.cancel()
	r.clientMonitor.Stop()
	r.serverMonitor.Stop()
	r.backendMonitor.Stop()
	r.wg.Wait()
	return ctx.Err()
}

// published returns the configured published endpoints, or the listening
// endpoints with wildcard hosts replaced by this machine's addresses, as an
// Ice object adapter publishes them.
func (r *Router) published(configured string, ls []*transport.Listener) ([]ice.Endpoint, error) {
	if configured != "" {
		return r.defaults.ParsePublishedEndpoints(configured)
	}
	var out []ice.Endpoint
	for _, l := range ls {
		ep := l.Endpoint
		if ep.Host != "" && ep.Host != "*" && ep.Host != "0.0.0.0" && ep.Host != "::" {
			out = append(out, ep)
			continue
		}
		for _, h := range localHosts(ep.Host == "::") {
			e := ep
			e.Host = h
			out = append(out, e)
		}
	}
	return out, nil
}

// localHosts lists the machine's addresses, loopback only when there is
// nothing else, as Ice does for wildcard endpoints.
func localHosts(v6 bool) []string {
	addrs, _ := net.InterfaceAddrs()
	var hosts, loop []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip := ipn.IP
		if ip.To4() == nil && !v6 {
			continue
		}
		if ip.IsLinkLocalUnicast() {
			continue
		}
		if ip.IsLoopback() {
			loop = append(loop, ip.String())
		} else {
			hosts = append(hosts, ip.String())
		}
	}
	if len(hosts) == 0 {
		return loop
	}
	return hosts
}
