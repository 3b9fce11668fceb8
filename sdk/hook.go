package sdk

import (
	"context"
	"strings"
	"time"
)

// Point is an interception point.
type Point uint8

const (
	// Connect: a new client connection, before anything is read from it.
	Connect Point = iota + 1
	// Authenticate: createSession or createSessionFromSecureConnection.
	Authenticate
	// SessionCreated and SessionDestroyed: a session's start and end.
	SessionCreated
	SessionDestroyed
	// Route: a target with no usable endpoints of its own, or one a route
	// hook may redirect: choose backend endpoints.
	Route
	// Request: each client-to-server request.
	Request
	// Callback: each server-to-client request.
	Callback
	// Reply: a reply to a twoway request or callback (observe only).
	Reply
)

var pointNames = [...]string{"", "connect", "authenticate", "session_created", "session_destroyed", "route",
	"request", "callback", "reply"}

func (p Point) String() string {
	if int(p) < len(pointNames) && p != 0 {
		return pointNames[p]
	}
	return "unknown"
}

// ParsePoint is the inverse of Point.String.
func ParsePoint(s string) (Point, bool) {
	for i, n := range pointNames {
		if i > 0 && n == s {
			return Point(i), true
		}
	}
	return 0, false
}

// Points is a set of interception points; a hook declares the ones it
// uses and is called nowhere else.
type Points uint16

// PointsOf makes a set.
func PointsOf(ps ...Point) Points {
	var s Points
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// Has reports whether p is in the set.
func (s Points) Has(p Point) bool { return s&(1<<p) != 0 }

func (s Points) String() string {
	var names []string
	for p := Connect; p <= Reply; p++ {
		if s.Has(p) {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, ",")
}

// Identity is an Ice object identity.
type Identity struct {
	Name     string
	Category string
}

// Mode is an Ice operation mode.
type Mode uint8

const (
	Normal      Mode = 0
	Nonmutating Mode = 1
	Idempotent  Mode = 2
)

func (m Mode) String() string {
	switch m {
	case Nonmutating:
		return "nonmutating"
	case Idempotent:
		return "idempotent"
	}
	return "normal"
}

// TLS describes the TLS side of a connection.
type TLS struct {
	// Subject and Issuer are the peer certificate's distinguished names, as
	// IceSSL prints them; empty without a client certificate.
	Subject string
	Issuer  string
	Cipher  string
	// PeerCertificates is the peer's chain, PEM-encoded, leaf first.
	PeerCertificates []string
}

// Connection describes a client connection.
type Connection struct {
	ID            uint64
	RemoteAddress string
	RemotePort    int
	LocalAddress  string
	LocalPort     int
	// Transport is "tcp", "ssl", "ws" or "wss".
	Transport string
	// TLS is nil on a connection without TLS.
	TLS *TLS
}

// Session is a client's session as hooks see it. Attributes are filled by
// authentication and session-created hooks and read-only afterwards.
type Session struct {
	ID         string
	User       string
	Category   string
	Attributes map[string]string
}

// RequestView is a request (or callback) being routed. Its fields are
// decoded on first use, so a hook pays only for what it reads.
type RequestView interface {
	// Point is Request or Callback.
	Point() Point
	Identity() Identity
	// IdentityString is the identity in Ice's stringified form.
	IdentityString() string
	Facet() string
	Operation() string
	Mode() Mode
	Oneway() bool
	// ContextValue returns one context entry, as patched by earlier hooks.
	ContextValue(key string) (string, bool)
	// Context returns a copy of the whole context, as patched so far.
	Context() map[string]string
	// Size is the size of the request's params, in bytes.
	Size() int
	// Target is the stringified proxy the request is routed to.
	Target() string
	Session() *Session
	Connection() *Connection
}

// Verdict is a hook's answer at the connect, session, request and callback
// points. The zero Verdict lets the traffic through unchanged.
type Verdict struct {
	// Deny rejects: the connection is closed, the request answered with an
	// exception, the session refused. Reason says why (logged, and shown to
	// the client where the point allows).
	Deny   bool
	Reason string
	// SetContext and RemoveContext patch the request context; later hooks
	// see the patched context, and the entries set are forwarded even when
	// the client's own context is not.
	SetContext    map[string]string
	RemoveContext []string
	// Target, when set, sends the request to this proxy instead (its
	// endpoints must be allowed backends).
	Target string
	// Attributes are added to the session (session-created point).
	Attributes map[string]string
	// CacheFor lets a caller reuse this verdict for requests that agree on
	// the fields named by CacheKey, for this long (plugins).
	CacheFor time.Duration
	CacheKey []string
}

// Continue is the zero Verdict.
var Continue = Verdict{}

// Deny returns a denying Verdict.
func Deny(reason string) Verdict { return Verdict{Deny: true, Reason: reason} }

// Patched reports whether the verdict changes the request.
func (v *Verdict) Patched() bool {
	return len(v.SetContext) > 0 || len(v.RemoveContext) > 0 || v.Target != ""
}

// AuthDecision is an authenticator's decision.
type AuthDecision uint8

const (
	// Abstain leaves the decision to the next authenticator.
	Abstain AuthDecision = iota
	Allow
	Refuse
)

// AuthRequest is an attempt to create a session.
type AuthRequest struct {
	User     string
	Password string
	// Secure is set for createSessionFromSecureConnection: User is then the
	// certificate's subject and Password empty.
	Secure     bool
	Connection *Connection
	// Context is the client's request context.
	Context map[string]string
}

// AuthResult is an authenticator's answer.
type AuthResult struct {
	Decision AuthDecision
	// Reason reaches the client in PermissionDeniedException on Refuse.
	Reason string
	// Attributes are given to the session on Allow (and kept from an
	// Abstain, for later authenticators to build on).
	Attributes map[string]string
}

// RouteRequest asks where a target lives.
type RouteRequest struct {
	Identity  Identity
	Facet     string
	AdapterID string
	// Endpoints are the target's own endpoints, stringified; empty for an
	// indirect or well-known proxy.
	Endpoints []string
	Session   *Session
}

// RouteResult names backend endpoints ("tcp -h 10.0.0.5 -p 10000" each),
// or none to leave the target as it is.
type RouteResult struct {
	Endpoints []string
}

// ReplyView is a reply as the reply point observes it.
type ReplyView struct {
	// Status is Ice's reply status: "ok", "user exception", "object not
	// exist", ..., or "failed" when the router could not deliver.
	Status  string
	Latency time.Duration
	Size    int
}

// Hook is anything that intercepts; it implements the handler of each
// point it declares.
type Hook interface {
	Points() Points
}

// The handlers, one per point. A Hook implements those of the points it
// declares. An error is not a verdict: the hook's failure policy decides.
type (
	ConnectHandler interface {
		OnConnect(ctx context.Context, c *Connection) (Verdict, error)
	}
	AuthenticateHandler interface {
		OnAuthenticate(ctx context.Context, a *AuthRequest) (AuthResult, error)
	}
	SessionHandler interface {
		// OnSession is called at SessionCreated (the verdict may deny the
		// session or add attributes) and SessionDestroyed (ignored).
		OnSession(ctx context.Context, p Point, s *Session) (Verdict, error)
	}
	RouteHandler interface {
		OnRoute(ctx context.Context, r *RouteRequest) (RouteResult, error)
	}
	RequestHandler interface {
		// OnRequest is called at Request and at Callback.
		OnRequest(ctx context.Context, r RequestView) (Verdict, error)
	}
	ReplyHandler interface {
		OnReply(ctx context.Context, r RequestView, reply *ReplyView) error
	}
)
