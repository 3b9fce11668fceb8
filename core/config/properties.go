package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// The Glacier2 properties FromProperties maps (Ice patterns: '*' stands
// for one or more characters). Every other Glacier2.* property Ice knows
// is ignored with a warning: those in ignoredGlacier2Properties say why,
// the others are not supported yet.
var mappedGlacier2Properties = []string{
	"Glacier2.InstanceName",
	"Glacier2.Client.Endpoints",
	"Glacier2.Client.PublishedEndpoints",
	"Glacier2.Client.ForwardContext",
	"Glacier2.Client.ACM.Timeout",
	"Glacier2.Client.ACM.Heartbeat",
	"Glacier2.Client.ACM.Close",
	"Glacier2.Client.MessageSizeMax",
	"Glacier2.Server.Endpoints",
	"Glacier2.Server.PublishedEndpoints",
	"Glacier2.Server.ForwardContext",
	"Glacier2.Server.ACM.Timeout",
	"Glacier2.Server.ACM.Heartbeat",
	"Glacier2.Server.ACM.Close",
	"Glacier2.Server.MessageSizeMax",
	"Glacier2.PermissionsVerifier",
	"Glacier2.CryptPasswords",
	"Glacier2.SessionManager",
	"Glacier2.SessionTimeout",
	"Glacier2.RoutingTable.MaxSize",
	"Glacier2.SSLPermissionsVerifier",
	"Glacier2.SSLSessionManager",
	"Glacier2.AddConnectionContext",
	"Glacier2.Client.Buffered",
	"Glacier2.Client.SleepTime",
	"Glacier2.Client.AlwaysBatch",
	"Glacier2.Server.Buffered",
	"Glacier2.Server.SleepTime",
	"Glacier2.Server.AlwaysBatch",
	"Glacier2.ReturnClientProxy",
	"Glacier2.Filter.Category.Accept",
	"Glacier2.Filter.Category.AcceptUser",
	"Glacier2.Filter.AdapterId.Accept",
	"Glacier2.Filter.Identity.Accept",
	"Glacier2.Trace.Session",
	"Glacier2.Trace.RoutingTable",
	"Glacier2.Client.Trace.Request",
	"Glacier2.Server.Trace.Request",
	"Glacier2.Client.Trace.Reject",
	"Glacier2.Client.Trace.Override",
	"Glacier2.Server.Trace.Override",
	"Glacier2.Filter.Address.Accept",
	"Glacier2.Filter.Address.Reject",
	"Glacier2.Filter.ProxySizeMax",
}

// floe's own properties: backend_connections, threads and threads_max.
const (
	backendConnectionsProperty = "Floe.BackendConnections"
	threadsProperty            = "Floe.Threads"
	threadsMaxProperty         = "Floe.ThreadsMax"
)

// floeProperties are every Floe.* name floe defines.
var floeProperties = []string{backendConnectionsProperty, threadsProperty, threadsMaxProperty}

// authProxies are the four proxy properties of Glacier2's authentication,
// which Glacier2 reads with propertyToProxy: each may have the proxy
// settings in proxySettings after it.
var authProxies = []string{"Glacier2.PermissionsVerifier", "Glacier2.SessionManager",
	"Glacier2.SSLPermissionsVerifier", "Glacier2.SSLSessionManager"}

// proxySettings are what propertyToProxy reads after a proxy property's
// name that floe maps into ProxyOptions.
var proxySettings = []string{".EndpointSelection", ".PreferSecure", ".LocatorCacheTimeout",
	".InvocationTimeout", ".Locator"}

func init() {
	for _, p := range authProxies {
		for _, s := range proxySettings {
			mappedGlacier2Properties = append(mappedGlacier2Properties, p+s)
		}
	}
}

// ignoredGlacier2Properties are the Glacier2 properties floe accepts and
// ignores on purpose, each pattern with the reason given in its warning.
var ignoredGlacier2Properties = func() [][2]string {
	var out [][2]string
	add := func(reason string, patterns ...string) {
		for _, p := range patterns {
			out = append(out, [2]string{p, reason})
		}
	}
	for _, side := range []string{"Glacier2.Client", "Glacier2.Server"} {
		add("floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them", side+".ThreadPool.*")
		add("floe does not register its endpoints with a locator", side+".AdapterId", side+".ReplicaGroupId",
			side+".Locator", side+".Locator.*")
		add("floe's endpoints cannot be reached through another router", side+".Router", side+".Router.*")
		add("the proxies floe hands out carry no extra proxy options", side+".ProxyOptions")
		add("Ice 3.7 reads only "+side+".ACM.Timeout, .Heartbeat and .Close for an object adapter", side+".ACM")
	}
	for _, p := range authProxies {
		add("floe keeps one connection per endpoint for all its calls, as Ice does with connection caching on", p+".ConnectionCached")
		add("nothing is collocated with the router", p+".CollocationOptimized")
		add("floe calls verifiers and session managers directly, never through another router", p+".Router")
		// Ice sends a proxy's context only with calls that give none, and
		// glacier2router gives each call the client's context (with the
		// connection's, per Glacier2.AddConnectionContext).
		add("glacier2router gives every call through it the client's own context, which replaces the proxy's in Ice", p+".Context.*")
	}
	return out
}()

// ignoredReason is why floe ignores a known Glacier2 property, "" when it
// is not one it ignores on purpose.
func ignoredReason(key string) string {
	for _, e := range ignoredGlacier2Properties {
		if matchPattern(key, e[0]) {
			return e[1]
		}
	}
	return ""
}

// isMappedGlacier2Property reports whether FromProperties maps key.
func isMappedGlacier2Property(key string) bool {
	return slices.ContainsFunc(mappedGlacier2Properties, func(p string) bool { return matchPattern(key, p) })
}

// FromProperties maps Glacier2 properties, as glacier2router reads them, to
// a Config with the same behaviour. Messages follow glacier2router's
// wording. Every problem that stops the router is in the error (one
// errors.Join of them); the others are in Config.Warnings: Glacier2
// properties floe ignores for now, unknown Glacier2 properties (typos), and
// what Ice itself would warn about.
//
// The Config is never nil: with an error, only its Warnings are meaningful,
// and they often explain the error (a misspelt property).
//
// Ice.* properties are read where they change what the router does (see
// honouredIceProperties); the others are accepted and ignored, as are
// properties of other prefixes. IceSSL.* properties are read when the
// IceSSL plugin is configured (see mapTLS).
func FromProperties(props *ice.Properties) (*Config, error) {
	return fromProperties(props, true)
}

// fromProperties is FromProperties; without checkFiles, the password file
// and the TLS files are not read, and a problem with them is only a
// warning (floe convert runs where the files may not be).
func fromProperties(props *ice.Properties, checkFiles bool) (*Config, error) {
	m := &propertyMapper{props: props, cfg: newConfig("properties"), checkFiles: checkFiles}
	m.mapProperties()
	m.checkNames()
	m.cfg.Warnings = append(m.cfg.Warnings, props.Warnings()...)
	if len(m.errs) > 0 {
		return &Config{Source: m.cfg.Source, Warnings: m.cfg.Warnings}, errors.Join(m.errs...)
	}
	return m.cfg, nil
}

type propertyMapper struct {
	props      *ice.Properties
	cfg        *Config
	errs       []error
	checkFiles bool
}

func (m *propertyMapper) errorf(format string, args ...any) {
	m.errs = append(m.errs, fmt.Errorf(format, args...))
}

func (m *propertyMapper) warnf(format string, args ...any) {
	m.cfg.Warnings = append(m.cfg.Warnings, fmt.Sprintf(format, args...))
}

// fileProblem reports a problem with a file the properties name: an error,
// or a warning when files are not checked.
func (m *propertyMapper) fileProblem(err error) {
	if m.checkFiles {
		m.errs = append(m.errs, err)
	} else {
		m.warnf("%v", err)
	}
}

// endpoints returns the endpoint list in key, checked; "" when unset.
func (m *propertyMapper) endpoints(key string) string {
	s := m.props.Get(key)
	if s != "" {
		if err := checkEndpoints(s); err != nil {
			m.errorf("invalid endpoints in property `%s': `%s': %w", key, s, err)
		}
	}
	return s
}

func (m *propertyMapper) mapProperties() {
	p, c := m.props, m.cfg
	c.InstanceName = p.GetWithDefault("Glacier2.InstanceName", DefaultInstanceName)
	m.mapIceDefaults()

	if p.Get("Glacier2.Client.Endpoints") == "" {
		m.errorf("property `Glacier2.Client.Endpoints' is not set")
	}
	c.Client.Endpoints = m.endpoints("Glacier2.Client.Endpoints")
	c.Client.PublishedEndpoints = m.endpoints("Glacier2.Client.PublishedEndpoints")
	c.Client.ForwardContext = p.GetAsInt("Glacier2.Client.ForwardContext") > 0
	c.Client.Buffering = m.buffering("Glacier2.Client")
	c.Client.MessageSizeMax = m.adapterMessageSizeMax("Glacier2.Client")

	// Glacier2 creates the server adapter only when it has endpoints.
	if p.Get("Glacier2.Server.Endpoints") != "" {
		c.Server = &Server{
			Endpoints:          m.endpoints("Glacier2.Server.Endpoints"),
			PublishedEndpoints: m.endpoints("Glacier2.Server.PublishedEndpoints"),
			ForwardContext:     p.GetAsInt("Glacier2.Server.ForwardContext") > 0,
			Buffering:          m.buffering("Glacier2.Server"),
			MessageSizeMax:     m.adapterMessageSizeMax("Glacier2.Server"),
		}
		s := c.Server
		s.ACMTimeout = m.acmTimeout("Glacier2.Server")
		if s.ACMTimeout == 0 {
			s.ACMTimeout = ACMDisabled
		} else if s.ACMTimeout == unsetACMTimeout {
			s.ACMTimeout = 0
		}
		s.ACMHeartbeat, s.ACMClose = m.acmPolicies("Glacier2.Server")
	} else {
		for _, k := range p.Keys() {
			if strings.HasPrefix(k, "Glacier2.Server.") && k != "Glacier2.Server.Endpoints" && isMappedGlacier2Property(k) {
				m.warnf("property `%s' is ignored: `Glacier2.Server.Endpoints' is not set", k)
			}
		}
	}

	timeout := p.GetAsInt("Glacier2.SessionTimeout")
	if timeout < 0 {
		m.warnf("property `Glacier2.SessionTimeout' is negative: sessions never time out")
		timeout = 0
	}
	c.Session.Timeout = time.Duration(timeout) * time.Second
	m.mapClientACM(timeout)

	switch size := p.GetAsIntWithDefault("Glacier2.RoutingTable.MaxSize", DefaultRoutingTableSize); {
	case size < 1:
		// Glacier2 would start and evict every proxy as soon as it is added,
		// so no request could ever be routed.
		m.errorf("property `Glacier2.RoutingTable.MaxSize' must be at least 1, not %d", size)
	default:
		c.Session.RoutingTableSize = int(size)
	}

	// Ice.MessageSizeMax is in KiB; below 1, or above what 32 bits hold in
	// bytes, means no limit.
	c.MessageSizeMax = messageSizeMax(p.GetAsIntWithDefault("Ice.MessageSizeMax", DefaultMessageSizeMax/1024))
	// floe's own properties: glacier2router does not warn about a prefix
	// that is not Ice's, so one property file serves both.
	if n, ok := m.count(backendConnectionsProperty, 1, MaxBackendConnections); ok && n > 1 {
		c.BackendConnections = n
	}
	m.threads(c)

	if v := p.Get("Ice.Default.Locator"); v != "" {
		if _, err := checkProxy(v); err != nil {
			m.errorf("locator `%s' is invalid: %w", v, err)
		} else {
			t := p.GetAsIntWithDefault("Ice.Default.LocatorCacheTimeout", -1)
			c.Locator = &Locator{Proxy: v, CacheTimeout: time.Duration(t) * time.Second}
			if t < 0 {
				c.Locator.CacheTimeout = -1
			}
		}
	}

	c.ReturnClientProxy = p.GetAsInt("Glacier2.ReturnClientProxy") > 0
	if p.Get("Ice.Override.Compress") != "" {
		on := p.GetAsInt("Ice.Override.Compress") > 0
		c.Compress = &on
	}
	if p.Get("Ice.Compression.Level") != "" {
		// Ice brings the level into bzip2's range without a word.
		c.CompressionLevel = int(max(1, min(9, p.GetAsIntWithDefault("Ice.Compression.Level", 1))))
	}
	m.mapFilters()
	m.mapAddressFilter()
	// A negative trace level is off, as zero.
	level := func(key string) int { return int(max(p.GetAsInt(key), 0)) }
	c.Trace = Trace{
		Session:        level("Glacier2.Trace.Session"),
		RoutingTable:   level("Glacier2.Trace.RoutingTable"),
		ClientRequest:  level("Glacier2.Client.Trace.Request"),
		ServerRequest:  level("Glacier2.Server.Trace.Request"),
		ClientReject:   level("Glacier2.Client.Trace.Reject"),
		ClientOverride: level("Glacier2.Client.Trace.Override"),
		ServerOverride: level("Glacier2.Server.Trace.Override"),
	}
	m.mapIceAdmin()
	c.PrintAdapterReady = p.GetAsInt("Ice.PrintAdapterReady") > 0
	c.Properties = make(map[string]string)
	for _, k := range p.Keys() {
		c.Properties[k] = p.Get(k)
	}
	// glacier2router sets these itself before creating its client adapter,
	// and its Properties facet shows them.
	if timeout > 0 && p.Get("Glacier2.Client.ACM.Timeout") == "" {
		c.Properties["Glacier2.Client.ACM.Timeout"] = strconv.Itoa(int(timeout))
	}
	if p.Get("Glacier2.Client.ACM.Close") == "" {
		c.Properties["Glacier2.Client.ACM.Close"] = "4"
	}

	m.mapAuth()
	m.mapTLS()
	c.normalize()
}

// mapIceAdmin follows Ice 3.7: the admin object exists when
// Ice.Admin.Endpoints is set and Ice.Admin.Enabled is not 0; its category
// is Ice.Admin.InstanceName, or a UUID when unset.
func (m *propertyMapper) mapIceAdmin() {
	p := m.props
	eps := p.Get("Ice.Admin.Endpoints")
	if eps == "" || p.GetAsIntWithDefault("Ice.Admin.Enabled", 1) <= 0 {
		return
	}
	a := &IceAdmin{Endpoints: m.endpoints("Ice.Admin.Endpoints"), InstanceName: p.Get("Ice.Admin.InstanceName")}
	a.Facets = strings.FieldsFunc(p.Get("Ice.Admin.Facets"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	m.cfg.IceAdmin = a
}

// mapFilters reads Glacier2.Filter.*: whitespace-separated lists in which
// quotes group a value containing spaces, as Glacier2 splits them.
func (m *propertyMapper) mapFilters() {
	p, f := m.props, &m.cfg.Filter
	f.Categories = splitQuoted(p.Get("Glacier2.Filter.Category.Accept"))
	switch v := p.GetAsInt("Glacier2.Filter.Category.AcceptUser"); v {
	case 0, 1, 2:
		f.AcceptUser = int(v)
	default:
		m.errorf("property `Glacier2.Filter.Category.AcceptUser' must be 0, 1 or 2, not %d", v)
	}
	f.AdapterIDs = splitQuoted(p.Get("Glacier2.Filter.AdapterId.Accept"))
	for _, id := range splitQuoted(p.Get("Glacier2.Filter.Identity.Accept")) {
		if _, err := ice.ParseIdentity(id); err != nil {
			m.errorf("property `Glacier2.Filter.Identity.Accept': invalid identity `%s': %w", id, err)
			continue
		}
		f.Identities = append(f.Identities, id)
	}
}

// mapAddressFilter maps Glacier2's ProxyVerifier properties; a bad rule or
// size stops the router, as glacier2router refuses to start with one.
func (m *propertyMapper) mapAddressFilter() {
	f := &m.cfg.Filter.Address
	for _, rules := range []struct {
		key string
		dst *string
	}{{"Glacier2.Filter.Address.Accept", &f.Accept}, {"Glacier2.Filter.Address.Reject", &f.Reject}} {
		v := m.props.Get(rules.key)
		if v == "" {
			continue
		}
		if CheckAddressRules != nil {
			if err := CheckAddressRules(v); err != nil {
				m.errorf("invalid `%s' property: %w", rules.key, err)
				continue
			}
		}
		*rules.dst = v
	}
	if v := m.props.Get("Glacier2.Filter.ProxySizeMax"); v != "" {
		n, problem := parseProxySizeMax(v)
		if problem != "" {
			m.errorf("invalid `Glacier2.Filter.ProxySizeMax' property: `%s': %s", v, problem)
		}
		f.ProxySizeMax = n
	}
}

// parseProxySizeMax reads Glacier2.Filter.ProxySizeMax as glacier2router
// does, with `istream >> unsigned long' that must use the whole value:
// leading whitespace and a sign are allowed, and a negative value wraps
// around to a huge one. A limit no proxy can reach is returned as 0, no
// limit. problem, when not "", is glacier2router's complaint.
func parseProxySizeMax(s string) (n int, problem string) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := i < len(s) && s[i] == '-'
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	u, err := strconv.ParseUint(s[i:], 10, 64)
	if err != nil {
		return 0, "Error parsing ProxySizeMax property"
	}
	if neg {
		u = -u
	}
	switch {
	case u == 0:
		return 0, "ProxySizeMax must be greater than 1" // sic: 1 is allowed
	case u > math.MaxInt32:
		return 0, ""
	}
	return int(u), ""
}

// splitQuoted splits s at spaces and tabs; a part in single or double
// quotes may contain them (the quotes are dropped).
func splitQuoted(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				out = append(out, s[i+1:])
				return out
			}
			out = append(out, s[i+1:i+1+end])
			i += end + 2
		default:
			end := strings.IndexAny(s[i:], " \t")
			if end < 0 {
				end = len(s) - i
			}
			out = append(out, s[i:i+end])
			i += end
		}
	}
	return out
}

// buffering reads <prefix>.Buffered (on by default, as in Glacier2 3.7),
// .SleepTime (milliseconds) and .AlwaysBatch.
func (m *propertyMapper) buffering(prefix string) Buffering {
	p := m.props
	b := Buffering{
		Disabled:    p.GetAsIntWithDefault(prefix+".Buffered", 1) <= 0,
		AlwaysBatch: p.GetAsInt(prefix+".AlwaysBatch") > 0,
	}
	if ms := p.GetAsInt(prefix + ".SleepTime"); ms > 0 {
		b.SleepTime = time.Duration(ms) * time.Millisecond
	}
	return b
}

// messageSizeMax is a message size limit in KiB as Ice reads it, in bytes:
// below 1, or above what 32 bits hold in bytes, means no limit.
func messageSizeMax(kib int32) int {
	if kib < 1 || kib > maxMessageSizeKiB {
		return math.MaxInt32
	}
	return int(kib) * 1024
}

// adapterMessageSizeMax reads <adapter>.MessageSizeMax (KiB), which
// overrides Ice.MessageSizeMax for that adapter's connections; 0 when
// unset.
func (m *propertyMapper) adapterMessageSizeMax(adapter string) int {
	key := adapter + ".MessageSizeMax"
	if m.props.Get(key) == "" {
		return 0
	}
	return messageSizeMax(m.props.GetAsIntWithDefault(key, int32(m.cfg.MessageSizeMax/1024)))
}

// unsetACMTimeout is what acmTimeout returns when no property sets the
// timeout.
const unsetACMTimeout time.Duration = -2

// acmTimeout reads an object adapter's ACM timeout as Ice does: the
// communicator's server timeout (Ice.ACM.Timeout, then
// Ice.ACM.Server.Timeout or its deprecated form Ice.ACM.Server), then
// <adapter>.ACM.Timeout, each overriding the one before; a negative value
// is ignored with Ice's warning. It is in whole seconds, 0 meaning off, or
// unsetACMTimeout when none of them is set.
func (m *propertyMapper) acmTimeout(adapter string) time.Duration {
	server := "Ice.ACM.Server.Timeout"
	if m.props.Get(server) == "" && m.props.Get("Ice.ACM.Server") != "" {
		server = "Ice.ACM.Server"
	}
	acm := int32(DefaultACMTimeout / time.Second)
	set := false
	for _, key := range []string{"Ice.ACM.Timeout", server, adapter + ".ACM.Timeout"} {
		if m.props.Get(key) == "" {
			continue
		}
		if v := m.props.GetAsIntWithDefault(key, acm); v >= 0 {
			acm, set = v, true
		} else {
			m.warnf("invalid value for property `%s', default value will be used instead", key)
		}
	}
	if !set {
		return unsetACMTimeout
	}
	return time.Duration(acm) * time.Second
}

// acmPolicies reads an object adapter's ACM heartbeat and close policies
// as Ice does, from Ice.ACM.X, Ice.ACM.Server.X and <adapter>.ACM.X in
// turn; a value out of range is ignored with Ice's warning. An empty
// policy means none of them is set.
func (m *propertyMapper) acmPolicies(adapter string) (ACMHeartbeat, ACMClose) {
	var heartbeat ACMHeartbeat
	var close ACMClose
	for _, prefix := range []string{"Ice.ACM", "Ice.ACM.Server", adapter + ".ACM"} {
		if i, ok := m.acmEnum(prefix+".Heartbeat", len(acmHeartbeats)); ok {
			heartbeat = acmHeartbeats[i]
		}
		if i, ok := m.acmEnum(prefix+".Close", len(acmCloses)); ok {
			close = acmCloses[i]
		}
	}
	return heartbeat, close
}

// acmEnum reads a policy number below n; ok is false when key is unset or
// invalid (with Ice's warning).
func (m *propertyMapper) acmEnum(key string, n int) (int, bool) {
	if m.props.Get(key) == "" {
		return 0, false
	}
	v := m.props.GetAsIntWithDefault(key, -1)
	if v < 0 || int(v) >= n {
		m.warnf("invalid value for property `%s', default value will be used instead", key)
		return 0, false
	}
	return int(v), true
}

// mapClientACM follows Glacier2 and Ice for the client adapter: when
// Glacier2.Client.ACM.Timeout is unset and the session timeout is set,
// glacier2router sets the property to it; when Glacier2.Client.ACM.Close
// is unset, it sets it to 4 (forceful close on idle). The rest is Ice's
// adapter ACM (acmTimeout, acmPolicies).
func (m *propertyMapper) mapClientACM(sessionTimeout int32) {
	c := &m.cfg.Client
	if m.props.Get("Glacier2.Client.ACM.Timeout") != "" || sessionTimeout <= 0 {
		switch t := m.acmTimeout("Glacier2.Client"); t {
		case 0:
			c.ACMTimeout = ACMDisabled
		case unsetACMTimeout:
		default:
			c.ACMTimeout = t // normalize clears it if EffectiveACMTimeout derives it anyway
		}
	}
	heartbeat, close := m.acmPolicies("Glacier2.Client")
	c.ACMHeartbeat = heartbeat
	if m.props.Get("Glacier2.Client.ACM.Close") != "" {
		// An invalid value falls back to the communicator's server
		// default, not to Glacier2's 4.
		c.ACMClose = close
		if close == "" {
			c.ACMClose = CloseOnInvocation
		}
	}
}

// knownProtocols are the values Ice.Default.Protocol may take in floe.
var knownProtocols = []string{"tcp", "ssl", "ws", "wss", "udp"}

// mapIceDefaults reads Ice.Default.Host, .Protocol and .Timeout, and the
// IP versions (Ice.IPv4, Ice.IPv6, Ice.PreferIPv6Address), as Ice does.
func (m *propertyMapper) mapIceDefaults() {
	p, c := m.props, m.cfg
	c.DefaultHost = p.Get("Ice.Default.Host")
	if v := p.Get("Ice.Default.Protocol"); v != "" {
		if slices.Contains(knownProtocols, v) {
			c.DefaultProtocol = v
		} else {
			m.warnf("property `Ice.Default.Protocol' names an unknown protocol `%s', ignored (floe knows %s)", v, strings.Join(knownProtocols, ", "))
		}
	}
	if p.Get("Ice.Default.Timeout") != "" {
		switch t := p.GetAsIntWithDefault("Ice.Default.Timeout", 60000); {
		case t == -1:
			c.DefaultTimeout = TimeoutInfinite
		case t < 1:
			m.warnf("invalid value for Ice.Default.Timeout `%s': defaulting to 60000", p.Get("Ice.Default.Timeout"))
		default:
			c.DefaultTimeout = time.Duration(t) * time.Millisecond
		}
	}
	c.DisableIPv4 = p.GetAsIntWithDefault("Ice.IPv4", 1) <= 0
	c.DisableIPv6 = p.GetAsIntWithDefault("Ice.IPv6", 1) <= 0
	if c.DisableIPv4 && c.DisableIPv6 {
		m.errorf("both IPv4 and IPv6 support cannot be disabled (Ice.IPv4=0 and Ice.IPv6=0)")
	}
	c.PreferIPv6 = p.GetAsInt("Ice.PreferIPv6Address") > 0
}

// proxyOptions reads the settings propertyToProxy reads after the proxy
// property key (key.EndpointSelection, ...). what names the proxy in
// messages.
func (m *propertyMapper) proxyOptions(key, what string) ProxyOptions {
	p := m.props
	var o ProxyOptions
	switch v := p.Get(key + ".EndpointSelection"); v {
	case "", "Random":
	case "Ordered":
		o.OrderedEndpoints = true
	default:
		m.errorf("%s `%s' is invalid: illegal value `%s' in `%s.EndpointSelection'; expected `Random' or `Ordered'", what, p.Get(key), v, key)
	}
	o.PreferSecure = p.GetAsInt(key+".PreferSecure") > 0
	if k := key + ".LocatorCacheTimeout"; p.Get(k) != "" {
		v := p.GetAsIntWithDefault(k, -1)
		if v < -1 {
			m.warnf("invalid value for %s`%s': defaulting to -1", k, p.Get(k))
			v = -1
		}
		t := time.Duration(v) * time.Second
		if v == -1 {
			t = LocatorCacheForever
		}
		o.LocatorCacheTimeout = &t
	}
	if k := key + ".InvocationTimeout"; p.Get(k) != "" {
		switch v := p.GetAsIntWithDefault(k, -1); {
		case v == -1:
		case v < 1:
			m.warnf("invalid value for %s`%s': defaulting to -1", k, p.Get(k))
		default:
			o.InvocationTimeout = time.Duration(v) * time.Millisecond
		}
	}
	if v := p.Get(key + ".Locator"); v != "" {
		if _, err := checkProxy(v); err != nil {
			m.errorf("%s `%s' is invalid: locator `%s' in `%s.Locator' is invalid: %w", what, p.Get(key), v, key, err)
		} else {
			o.Locator = v
		}
	}
	return o
}

// warnUnusedProxyOptions warns about the proxy settings of key when key is
// not set (or names a built-in verifier), as nothing reads them then.
func (m *propertyMapper) warnUnusedProxyOptions(key string) {
	for _, k := range m.props.Keys() {
		if strings.HasPrefix(k, key+".") && isMappedGlacier2Property(k) {
			m.warnf("property `%s' is ignored: `%s' is not a proxy floe calls", k, key)
		}
	}
}

func (m *propertyMapper) mapAuth() {
	p, c := m.props, m.cfg
	if v := p.Get("Glacier2.PermissionsVerifier"); v != "" {
		if isNullVerifier(v, c.InstanceName) {
			c.Auth.AllowAll = true
			m.warnf("permissions verifier `%s' accepts every user and password: use it for development only", v)
		} else if _, err := checkProxy(v); err != nil {
			m.errorf("permissions verifier `%s' is invalid: %w", v, err)
		} else {
			c.Auth.Verifier = v
			c.Auth.VerifierOptions = m.proxyOptions("Glacier2.PermissionsVerifier", "permissions verifier")
		}
	}
	if c.Auth.Verifier == "" {
		m.warnUnusedProxyOptions("Glacier2.PermissionsVerifier")
	}
	if v := p.Get("Glacier2.SessionManager"); v != "" {
		if _, err := checkProxy(v); err != nil {
			m.errorf("session manager `%s' is invalid: %w", v, err)
		} else {
			c.Auth.SessionManager = v
			c.Auth.SessionManagerOptions = m.proxyOptions("Glacier2.SessionManager", "session manager")
		}
	} else {
		m.warnUnusedProxyOptions("Glacier2.SessionManager")
	}
	m.mapSSLAuth()
	// As glacier2router, the password file is read only when there is no
	// verifier.
	switch passwords := p.Get("Glacier2.CryptPasswords"); {
	case passwords != "" && p.Get("Glacier2.PermissionsVerifier") != "":
		m.warnf("property `Glacier2.CryptPasswords' is ignored: `Glacier2.PermissionsVerifier' is set")
	case passwords != "":
		c.Auth.PasswordsFile = passwords
		users, problems := checkPasswordFile(passwords)
		for _, problem := range problems {
			m.fileProblem(errors.New(problem))
		}
		if len(problems) == 0 && users == 0 {
			m.warnf("password file `%s' has no users: every createSession will be refused", passwords)
		}
	case p.Get("Glacier2.PermissionsVerifier") == "" && p.Get("Glacier2.SSLPermissionsVerifier") == "":
		m.errs = append(m.errs, errors.New("Glacier2 requires a permissions verifier or password file"))
	}
}

// checkFloeName warns about a Floe.* name floe does not define, with the
// one it differs from only in case.
func (m *propertyMapper) checkFloeName(key string) {
	for _, name := range floeProperties {
		switch {
		case key == name:
			return
		case strings.EqualFold(key, name):
			m.warnf("unknown property `%s', ignored; did you mean `%s'?", key, name)
			return
		}
	}
	m.warnf("unknown property `%s', ignored (floe's own properties are `%s')", key,
		strings.Join(floeProperties, "', `"))
}

// count reads one of floe's counts, def when unset: false, with an error,
// when it is not between 1 and most.
func (m *propertyMapper) count(name string, def, most int32) (int, bool) {
	n := m.props.GetAsIntWithDefault(name, def)
	if n < 1 || n > most {
		m.errorf("property `%s' must be between 1 and %d, not %d", name, most, n)
		return 0, false
	}
	return int(n), true
}

// threads reads Floe.Threads and Floe.ThreadsMax (threads and threads_max).
func (m *propertyMapper) threads(c *Config) {
	read := func(name string) (int, bool) {
		if m.props.Get(name) == "" {
			return 0, false
		}
		return m.count(name, 0, MaxThreads)
	}
	least, ok := read(threadsProperty)
	most, okMax := read(threadsMaxProperty)
	if ok && okMax && most < least {
		m.errorf("property `%s' (%d) must be at least `%s' (%d)", threadsMaxProperty, most, threadsProperty, least)
		return
	}
	c.Threads, c.ThreadsMax = least, most
}

// checkNames warns about every Glacier2.* property floe does not map:
// known to Glacier2 but not implemented yet, or unknown (a typo); and
// about Floe.* names floe does not define.
func (m *propertyMapper) checkNames() {
	for _, key := range m.props.Keys() {
		if strings.HasPrefix(strings.ToUpper(key), "FLOE.") {
			m.checkFloeName(key)
			continue
		}
		if !strings.HasPrefix(strings.ToUpper(key), "GLACIER2.") {
			continue
		}
		if isMappedGlacier2Property(key) {
			continue
		}
		switch pattern, exact := knownGlacier2Property(key); {
		case exact && ignoredReason(key) != "":
			m.warnf("property `%s' is ignored: %s", key, ignoredReason(key))
		case exact:
			m.warnf("property `%s' is not supported yet, ignored", key)
		case pattern != "":
			m.warnf("unknown property `%s', ignored; did you mean `%s'?", key, pattern)
		default:
			m.warnf("unknown property `%s', ignored", key)
		}
	}
}
