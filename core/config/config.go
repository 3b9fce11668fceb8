// Package config is floe's configuration model, filled either from an HCL
// file (with diagnostics at file:line:col) or from Glacier2 properties, and
// the embedded development default. It must not import gopher-lua or
// go-plugin.
package config

import "time"

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
	// AllowedBackends are the only addresses a hook, script or plugin may
	// send requests to ("10.0.0.0/8:10000-10100", "192.168.1.7:443",
	// "::1/128:*"); empty means rewriting is refused.
	AllowedBackends []string
	// Plugins are the out-of-process plugins, in configuration order.
	Plugins []Plugin
	// IceAdmin is the Ice admin object (Ice.Admin.*), nil when disabled.
	IceAdmin *IceAdmin
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
	// PasswordsFile is the path of a Glacier2 password file
	// (Glacier2.CryptPasswords): user ids and password hashes. From HCL it
	// is resolved against the configuration file's directory. Used only
	// when Verifier is empty, as in Glacier2.
	PasswordsFile string
	// SessionManager is the stringified proxy of a remote
	// Glacier2::SessionManager; its session proxy is returned to clients.
	SessionManager string

	// AllowAllSSL is the built-in <instance>/NullSSLPermissionsVerifier:
	// createSessionFromSecureConnection succeeds for every client of an
	// ssl endpoint. For development.
	AllowAllSSL bool
	// SSLVerifier is the stringified proxy of a remote
	// Glacier2::SSLPermissionsVerifier, which authorizes
	// createSessionFromSecureConnection from the client's certificate.
	SSLVerifier string
	// SSLSessionManager is the stringified proxy of a remote
	// Glacier2::SSLSessionManager, for sessions created from secure
	// connections.
	SSLSessionManager string
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

// ACMDisabled is the Client.ACMTimeout that turns the idle check off.
const ACMDisabled time.Duration = -1

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
