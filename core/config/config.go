// Package config is floe's configuration model, filled either from an HCL
// file (with diagnostics at file:line:col) or from Glacier2 properties, and
// the embedded development default. It must not import gopher-lua or
// go-plugin.
package config

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// Config is everything the router needs to start. Both front ends (HCL and
// Glacier2 properties) produce it; the kernel reads only this.
type Config struct {
	// InstanceName is the category of the router's well-known objects:
	// clients address the router as <InstanceName>/router. Default "Glacier2".
	InstanceName string

	Client Client
	// Server is nil when no server endpoints are configured: then there are
	// no callbacks and no SessionControl objects.
	Server *Server

	Session Session
	Auth    Auth
	Filter  Filter
	// TLS configures the ssl transport; nil when not configured.
	TLS *TLS
	// Locator, when set, resolves indirect proxies (obj@Adapter) and
	// well-known objects, as Ice.Default.Locator does (an IceGrid registry).
	Locator *Locator
	// Scripts are the Lua scripts of the interception chain, in
	// configuration order.
	Scripts []Script
	// AllowedBackends are the only addresses a hook, script or plugin may
	// send requests to ("10.0.0.0/8:10000-10100", "192.168.1.7:443",
	// "::1/128:*"); empty means rewriting is refused.
	AllowedBackends []string
	// BackendConnections is how many connections floe opens to each backend
	// endpoint (1, Glacier2's one shared connection, when 0). Each session
	// keeps to one of them, so its requests stay in order; more let a
	// server read several at once, since Ice reads one connection with one
	// thread at a time.
	BackendConnections int
	// Threads and ThreadsMax bound how many threads run floe's code at once
	// (Go's GOMAXPROCS), as Ice.ThreadPool.Size and SizeMax bound an Ice
	// thread pool: floe starts with Threads (1 when 0) and grows towards
	// ThreadsMax (every CPU it may use when 0) while they are all busy.
	Threads, ThreadsMax int
	// Plugins are the out-of-process plugins, in configuration order.
	Plugins []Plugin
	// IceAdmin is the Ice admin object (Ice.Admin.*), nil when disabled.
	IceAdmin *IceAdmin
	// Admin is the HTTP admin endpoint (metrics, health, sessions), nil
	// when disabled. Glacier2 has no equivalent property.
	Admin *Admin
	// Trace turns on Glacier2's trace categories (Glacier2.Trace.*,
	// Glacier2.Client.Trace.*, Glacier2.Server.Trace.*): what they cover is
	// logged at info level, whatever the log level.
	Trace Trace
	// ReturnClientProxy makes getClientProxy return a proxy at the client
	// endpoints instead of null, for pre-3.2 clients
	// (Glacier2.ReturnClientProxy).
	ReturnClientProxy bool
	// Compress overrides every proxy's compression (Ice.Override.Compress):
	// nil follows the proxies, true always compresses, false never does.
	Compress *bool
	// CompressionLevel is the bzip2 block size, 1-9 (Ice.Compression.Level).
	CompressionLevel int
	// PrintAdapterReady prints "<adapter> ready" on stdout once each side
	// listens (Ice.PrintAdapterReady), as scripts around glacier2router
	// expect.
	PrintAdapterReady bool
	// Properties are the Ice properties the configuration came from, in
	// property mode; the admin object's Properties facet serves them.
	Properties map[string]string

	// DefaultHost is Ice.Default.Host: the host Ice gives to endpoints
	// written without -h (not to "-h *", which means every interface). It is
	// applied where endpoints are parsed for use; the endpoint strings in
	// this model are kept as the user wrote them.
	DefaultHost string
	// DefaultProtocol is Ice.Default.Protocol: what an endpoint written as
	// "default" is; empty means tcp.
	DefaultProtocol string
	// DefaultTimeout is Ice.Default.Timeout: the timeout of tcp, ssl, ws
	// and wss endpoints written without -t. Zero means Ice's 60s;
	// TimeoutInfinite (negative) means none (-t infinite). Whole
	// milliseconds. IceDefaults gives it, with the host and protocol, in
	// the form core/ice parses with.
	DefaultTimeout time.Duration

	// DisableIPv4 and DisableIPv6 turn one IP version off (Ice.IPv4=0,
	// Ice.IPv6=0): endpoints resolve to, and listen on, addresses of the
	// other only. Both cannot be set.
	DisableIPv4, DisableIPv6 bool
	// PreferIPv6 makes a host name that resolves to both IPv4 and IPv6
	// addresses try the IPv6 ones first (Ice.PreferIPv6Address).
	PreferIPv6 bool

	// MessageSizeMax is the largest message accepted, in bytes
	// (Ice.MessageSizeMax is in KiB). Default 1 MiB; 0 in Ice means no
	// limit, which floe maps to math.MaxInt32.
	MessageSizeMax int

	Log Log

	// Source says where this configuration came from: a file path,
	// "properties" or "embedded default".
	Source string
	// Warnings are problems that do not stop floe from starting (the
	// development default, unknown Glacier2 properties); they are logged at
	// start.
	Warnings []string
}

// Client is the public side, where clients connect.
type Client struct {
	// Endpoints in Ice syntax, several joined by ':'. Required.
	Endpoints string
	// PublishedEndpoints, when set, are the endpoints put in proxies the
	// router hands out for its client side.
	PublishedEndpoints string
	// ForwardContext forwards the client's request context to servers.
	ForwardContext bool
	// ACMTimeout closes client connections idle for this long. Zero means
	// the session timeout when one is set, else Ice's default of 60s.
	// ACMDisabled (any negative value) turns the idle check off, as
	// Glacier2.Client.ACM.Timeout=0 does.
	ACMTimeout time.Duration
	// ACMHeartbeat and ACMClose are the rest of Ice's connection management
	// for client connections (Glacier2.Client.ACM.Heartbeat and .Close);
	// empty means Glacier2's: heartbeat on dispatch, and close idle
	// connections forcefully. See Config.ClientACM.
	ACMHeartbeat ACMHeartbeat
	ACMClose     ACMClose
	// MessageSizeMax is the largest message accepted from clients, in bytes
	// (Glacier2.Client.MessageSizeMax, in KiB there); zero means
	// Config.MessageSizeMax.
	MessageSizeMax int
	// AddConnectionContext is Glacier2.AddConnectionContext: above 0, the
	// client connection's facts (_con.type, _con.remoteAddress, ...,
	// _con.peerCert) are added to the context of the verifier and session
	// manager calls; at 1, to the requests forwarded for the session too.
	AddConnectionContext int
	// Buffering is the buffered mode of requests from clients to servers.
	Buffering Buffering
}

// Buffering is Glacier2's buffered mode for one direction: requests wait in
// a per-session queue, a oneway carrying an _ovrd context value replaces a
// queued oneway with the same value for the same object, and SleepTime
// paces the sending. floe bounds the queue (Glacier2 does not).
type Buffering struct {
	// Disabled forwards each request as it arrives and ignores _ovrd
	// (Glacier2.Client.Buffered=0 / Glacier2.Server.Buffered=0).
	Disabled bool
	// SleepTime is the pause after each flush of a session's queue
	// (Glacier2.*.SleepTime, in milliseconds there).
	SleepTime time.Duration
	// AlwaysBatch sends queued oneways as batch requests.
	AlwaysBatch bool
}

// Server is the private side, where servers send callbacks to clients.
type Server struct {
	Endpoints          string
	PublishedEndpoints string
	// ForwardContext forwards the server's callback context to clients.
	ForwardContext bool
	// Buffering is the buffered mode of callbacks from servers to clients.
	Buffering Buffering
	// ACMTimeout, ACMHeartbeat and ACMClose are Ice's connection
	// management for connections from servers (Glacier2.Server.ACM.*).
	// Zero values mean the defaults of Ice's object adapters: 60s,
	// heartbeat on dispatch, close on invocation; ACMDisabled turns the
	// idle check off. See Config.ServerACM.
	ACMTimeout   time.Duration
	ACMHeartbeat ACMHeartbeat
	ACMClose     ACMClose
	// MessageSizeMax is the largest message accepted from servers, in bytes
	// (Glacier2.Server.MessageSizeMax); zero means Config.MessageSizeMax.
	MessageSizeMax int
}

// Session holds per-session settings.
type Session struct {
	// Timeout destroys a session that has seen no request or heartbeat for
	// this long; zero means never. Always whole seconds: clients read it
	// with getSessionTimeout, which counts seconds.
	Timeout time.Duration
	// RoutingTableSize is the per-session LRU size. Default 1000.
	RoutingTableSize int
}

// Auth selects how createSession is authorized.
type Auth struct {
	// AllowAll is the built-in <instance>/NullPermissionsVerifier: every
	// user and password is accepted. For development.
	AllowAll bool
	// Verifier is the stringified proxy of a remote
	// Glacier2::PermissionsVerifier.
	Verifier string
	// VerifierOptions are the proxy settings of Verifier
	// (Glacier2.PermissionsVerifier.*); each of the four proxies below has
	// its own.
	VerifierOptions ProxyOptions
	// PasswordsFile is the path of a Glacier2 password file
	// (Glacier2.CryptPasswords): user ids and password hashes. From HCL it
	// is resolved against the configuration file's directory. Used only
	// when Verifier is empty, as in Glacier2.
	PasswordsFile string
	// SessionManager is the stringified proxy of a remote
	// Glacier2::SessionManager; its session proxy is returned to clients.
	SessionManager        string
	SessionManagerOptions ProxyOptions

	// AllowAllSSL is the built-in <instance>/NullSSLPermissionsVerifier:
	// createSessionFromSecureConnection succeeds for every client of an
	// ssl endpoint. For development.
	AllowAllSSL bool
	// SSLVerifier is the stringified proxy of a remote
	// Glacier2::SSLPermissionsVerifier, which authorizes
	// createSessionFromSecureConnection from the client's certificate.
	SSLVerifier        string
	SSLVerifierOptions ProxyOptions
	// SSLSessionManager is the stringified proxy of a remote
	// Glacier2::SSLSessionManager, for sessions created from secure
	// connections.
	SSLSessionManager        string
	SSLSessionManagerOptions ProxyOptions
}

// ProxyOptions are the settings Ice reads next to a proxy property
// (propertyToProxy: <property>.EndpointSelection, .PreferSecure, ...) that
// change the router's own calls through that proxy. Zero values are Ice's
// defaults.
type ProxyOptions struct {
	// OrderedEndpoints tries the proxy's endpoints in the order written
	// (EndpointSelection=Ordered) instead of a random order.
	OrderedEndpoints bool
	// PreferSecure tries ssl endpoints before the others.
	PreferSecure bool
	// LocatorCacheTimeout is how long the endpoints of an indirect proxy,
	// once resolved, are reused: nil means the default (the locator's
	// cache timeout for verifiers, 600s for session managers, as in
	// glacier2router), LocatorCacheForever (negative) never expires them,
	// zero never caches them. Whole seconds.
	LocatorCacheTimeout *time.Duration
	// InvocationTimeout bounds each call through the proxy; zero means no
	// bound. Whole milliseconds.
	InvocationTimeout time.Duration
	// Locator resolves this proxy instead of the default locator
	// (Config.Locator); a stringified proxy.
	Locator string
}

// LocatorCacheForever is the cache timeout that never expires resolved
// endpoints (Ice's -1).
const LocatorCacheForever time.Duration = -1

// DefaultSessionManagerLocatorCacheTimeout is glacier2router's locator
// cache timeout for its session managers.
const DefaultSessionManagerLocatorCacheTimeout = 600 * time.Second

// EffectiveLocatorCacheTimeout is o.LocatorCacheTimeout, or def when it is
// not set.
func (o ProxyOptions) EffectiveLocatorCacheTimeout(def time.Duration) time.Duration {
	if o.LocatorCacheTimeout != nil {
		return *o.LocatorCacheTimeout
	}
	return def
}

// Filter holds the static request filters every session starts with
// (Glacier2.Filter.*). A session manager can edit a session's copy through
// SessionControl. The lists are OR-ed; empty lists let everything through.
type Filter struct {
	// Categories accepts requests whose identity category is listed.
	Categories []string
	// AcceptUser adds the session's user id (1) or "_" + user id (2) to the
	// accepted categories (Glacier2.Filter.Category.AcceptUser).
	AcceptUser int
	// Identities accepts the listed identities, in stringified form.
	Identities []string
	// AdapterIDs accepts requests for proxies with the listed adapter ids.
	AdapterIDs []string

	// Address checks every proxy a client adds with addProxies.
	Address AddressFilter
}

// Locator names the Ice locator the router resolves indirect proxies with.
type Locator struct {
	// Proxy is the locator's stringified proxy, e.g.
	// "IceGrid/Locator:tcp -h registry -p 4061".
	Proxy string
	// CacheTimeout is how long resolved endpoints are reused; negative
	// means forever (Ice's default), zero means never cached.
	CacheTimeout time.Duration
}

// Admin configures the HTTP admin endpoint: Prometheus metrics at
// /metrics, health at /healthz, the live sessions at /sessions.
type Admin struct {
	Listen string // host:port
}

// IceAdmin configures the Ice admin object: <InstanceName>/admin at
// Endpoints, with the Process facet (shutdown, writeMessage) and the
// Properties facet.
type IceAdmin struct {
	Endpoints    string
	InstanceName string
	// Facets limits the facets served (Ice.Admin.Facets); empty means all.
	Facets []string
}

// Trace holds Glacier2's trace levels; zero is off.
type Trace struct {
	Session        int // sessions created, destroyed, expired
	RoutingTable   int // 1 proxies added, 2 evictions, 3 both
	ClientRequest  int // requests routed from clients
	ServerRequest  int // callbacks routed from servers
	ClientReject   int // client requests rejected (filters, no session)
	ClientOverride int // client requests replaced by _ovrd
	ServerOverride int // callbacks replaced by _ovrd
}

// AddressFilter is Glacier2's ProxyVerifier: a client that adds a proxy
// these rules reject loses its connection. All empty: every proxy passes.
type AddressFilter struct {
	// Accept and Reject are Glacier2.Filter.Address.Accept and .Reject:
	// whitespace-separated rules `address[:port]`, with '*' wildcards and
	// [a,b-c] number groups, matched against every endpoint of the proxy.
	// Reject wins over Accept; with Accept set, a proxy must match one of
	// its rules.
	Accept, Reject string
	// ProxySizeMax is the maximum length of a stringified proxy, in bytes
	// (Glacier2.Filter.ProxySizeMax); 0 means no limit.
	ProxySizeMax int
}

// CheckAddressRules reports what is wrong with an AddressFilter rule
// string. The rule grammar lives with the verifier in core/router, which
// imports this package and sets the hook; when it is nil (router not
// linked in) the rules are checked only when the router starts.
var CheckAddressRules func(rules string) error

// Log configures logging.
type Log struct {
	// Level is trace, debug, info, warn or error. Default info.
	Level string
	// JSON switches to JSON lines.
	JSON bool
}

// Defaults applied by both front ends.
const (
	DefaultInstanceName     = "Glacier2"
	DefaultRoutingTableSize = 1000
	DefaultMessageSizeMax   = 1 << 20
	DefaultACMTimeout       = 60 * time.Second
	DefaultLogLevel         = "info"
	// MaxBackendConnections bounds backend_connections: past a few, a
	// server gains nothing and each connection costs it a file descriptor
	// and floe its share of batching.
	MaxBackendConnections = 64
	// MaxThreads bounds threads and threads_max.
	MaxThreads = 1024
)

// newConfig returns a Config with every default filled in, for the front
// ends to change.
func newConfig(source string) *Config {
	return &Config{
		InstanceName:   DefaultInstanceName,
		Session:        Session{RoutingTableSize: DefaultRoutingTableSize},
		MessageSizeMax: DefaultMessageSizeMax,
		Log:            Log{Level: DefaultLogLevel},
		Source:         source,
	}
}

// ACMDisabled is the Client.ACMTimeout (or Server.ACMTimeout) that turns
// the idle check off.
const ACMDisabled time.Duration = -1

// TimeoutInfinite is the DefaultTimeout of endpoints without a timeout.
const TimeoutInfinite time.Duration = -1

// ACMHeartbeat is Ice's ACM heartbeat policy (Ice's Ice::ACMHeartbeat);
// the empty value means the side's default.
type ACMHeartbeat string

// The heartbeat policies, in Ice's order (the property values 0 to 3).
const (
	HeartbeatOff        ACMHeartbeat = "off"
	HeartbeatOnDispatch ACMHeartbeat = "on_dispatch"
	HeartbeatOnIdle     ACMHeartbeat = "on_idle"
	HeartbeatAlways     ACMHeartbeat = "always"
)

// ACMClose is Ice's ACM close policy (Ice::ACMClose); the empty value
// means the side's default.
type ACMClose string

// The close policies, in Ice's order (the property values 0 to 4).
const (
	CloseOff                 ACMClose = "off"
	CloseOnIdle              ACMClose = "on_idle"
	CloseOnInvocation        ACMClose = "on_invocation"
	CloseOnInvocationAndIdle ACMClose = "on_invocation_and_idle"
	CloseOnIdleForceful      ACMClose = "on_idle_forceful"
)

var (
	acmHeartbeats = []ACMHeartbeat{HeartbeatOff, HeartbeatOnDispatch, HeartbeatOnIdle, HeartbeatAlways}
	acmCloses     = []ACMClose{CloseOff, CloseOnIdle, CloseOnInvocation, CloseOnInvocationAndIdle, CloseOnIdleForceful}
)

// Ice is the policy's number in Ice (its property value, and the order of
// core/transport's HeartbeatPolicy); -1 for the empty value.
func (h ACMHeartbeat) Ice() int { return slices.Index(acmHeartbeats, h) }

// Ice is the policy's number in Ice (its property value, and the order of
// core/transport's ClosePolicy); -1 for the empty value.
func (c ACMClose) Ice() int { return slices.Index(acmCloses, c) }

// ACM is the connection management applied to one side's connections,
// with every default resolved.
type ACM struct {
	// Timeout is the idle period; zero turns ACM off.
	Timeout   time.Duration
	Heartbeat ACMHeartbeat
	Close     ACMClose
}

// ClientACM is what applies to client connections: EffectiveACMTimeout,
// and Glacier2's heartbeat on dispatch and forceful close on idle unless
// configured otherwise.
func (c *Config) ClientACM() ACM {
	return ACM{Timeout: c.EffectiveACMTimeout()}.policies(c.Client.ACMHeartbeat, c.Client.ACMClose,
		HeartbeatOnDispatch, CloseOnIdleForceful)
}

// ServerACM is what applies to connections from servers (the server
// endpoints): Ice's object adapter defaults (60s, heartbeat on dispatch,
// close on invocation) unless configured otherwise. The zero ACM when
// there is no server side.
func (c *Config) ServerACM() ACM {
	if c.Server == nil {
		return ACM{}
	}
	a := ACM{Timeout: c.Server.ACMTimeout}
	switch {
	case a.Timeout < 0:
		a.Timeout = 0
	case a.Timeout == 0:
		a.Timeout = DefaultACMTimeout
	}
	return a.policies(c.Server.ACMHeartbeat, c.Server.ACMClose, HeartbeatOnDispatch, CloseOnInvocation)
}

// policies sets a's heartbeat and close policies, each from the
// configured value or, when that is empty, the default.
func (a ACM) policies(heartbeat ACMHeartbeat, close ACMClose, defHeartbeat ACMHeartbeat, defClose ACMClose) ACM {
	a.Heartbeat, a.Close = cmp.Or(heartbeat, defHeartbeat), cmp.Or(close, defClose)
	return a
}

// ClientMessageSizeMax is the largest message accepted from clients, in
// bytes.
func (c *Config) ClientMessageSizeMax() int {
	if c.Client.MessageSizeMax > 0 {
		return c.Client.MessageSizeMax
	}
	return c.MessageSizeMax
}

// ServerMessageSizeMax is the largest message accepted from servers on the
// server endpoints, in bytes.
func (c *Config) ServerMessageSizeMax() int {
	if c.Server != nil && c.Server.MessageSizeMax > 0 {
		return c.Server.MessageSizeMax
	}
	return c.MessageSizeMax
}

// IceDefaults are the Ice.Default.* settings endpoint and proxy strings of
// this configuration are parsed with.
func (c *Config) IceDefaults() ice.Defaults {
	d := ice.Defaults{Host: c.DefaultHost, Protocol: c.DefaultProtocol}
	switch {
	case c.DefaultTimeout < 0:
		d.Timeout = -1
	case c.DefaultTimeout > 0:
		d.Timeout = int32(min(c.DefaultTimeout/time.Millisecond, math.MaxInt32))
	}
	return d
}

// normalize keeps Client.ACMTimeout zero when it is what
// EffectiveACMTimeout derives anyway (the session timeout, else Ice's 60s),
// so that HCL and properties give the same Config for the same behaviour.
func (c *Config) normalize() {
	derived := DefaultACMTimeout
	if c.Session.Timeout > 0 {
		derived = c.Session.Timeout
	}
	if c.Client.ACMTimeout == derived {
		c.Client.ACMTimeout = 0
	}
}

// EffectiveACMTimeout is the idle timeout applied to client connections;
// zero means client connections are never closed for being idle.
func (c *Config) EffectiveACMTimeout() time.Duration {
	switch {
	case c.Client.ACMTimeout < 0:
		return 0
	case c.Client.ACMTimeout > 0:
		return c.Client.ACMTimeout
	case c.Session.Timeout > 0:
		return c.Session.Timeout
	}
	return DefaultACMTimeout
}

// HasAuthenticator reports whether a built-in authenticator is configured
// (a verifier, a password file, an SSL verifier, or one of the allow-all
// settings); without one, scripts or plugins must authenticate.
func (a *Auth) HasAuthenticator() bool {
	return a.Verifier != "" || a.PasswordsFile != "" || a.AllowAll || a.hasSSLAuth()
}
