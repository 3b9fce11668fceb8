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

// The Glacier2 properties FromProperties maps. Every other Glacier2.*
// property Ice knows is ignored with a warning until floe implements it.
var mappedGlacier2Properties = []string{
	"Glacier2.InstanceName",
	"Glacier2.Client.Endpoints",
	"Glacier2.Client.PublishedEndpoints",
	"Glacier2.Client.ForwardContext",
	"Glacier2.Client.ACM.Timeout",
	"Glacier2.Server.Endpoints",
	"Glacier2.Server.PublishedEndpoints",
	"Glacier2.Server.ForwardContext",
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
// Ice.* and IceSSL.* properties other than Ice.MessageSizeMax,
// Ice.Default.Host and the Ice.ACM timeouts are accepted and ignored for
// now, as are properties of other prefixes.
func FromProperties(props *ice.Properties) (*Config, error) {
	m := &propertyMapper{props: props, cfg: newConfig("properties")}
	m.mapProperties()
	m.checkNames()
	m.cfg.Warnings = append(m.cfg.Warnings, props.Warnings()...)
	if len(m.errs) > 0 {
		return &Config{Source: m.cfg.Source, Warnings: m.cfg.Warnings}, errors.Join(m.errs...)
	}
	return m.cfg, nil
}

type propertyMapper struct {
	props *ice.Properties
	cfg   *Config
	errs  []error
}

func (m *propertyMapper) errorf(format string, args ...any) {
	m.errs = append(m.errs, fmt.Errorf(format, args...))
}

func (m *propertyMapper) warnf(format string, args ...any) {
	m.cfg.Warnings = append(m.cfg.Warnings, fmt.Sprintf(format, args...))
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
	c.DefaultHost = p.Get("Ice.Default.Host")

	if p.Get("Glacier2.Client.Endpoints") == "" {
		m.errorf("property `Glacier2.Client.Endpoints' is not set")
	}
	c.Client.Endpoints = m.endpoints("Glacier2.Client.Endpoints")
	c.Client.PublishedEndpoints = m.endpoints("Glacier2.Client.PublishedEndpoints")
	c.Client.ForwardContext = p.GetAsInt("Glacier2.Client.ForwardContext") > 0
	c.Client.Buffering = m.buffering("Glacier2.Client")

	// Glacier2 creates the server adapter only when it has endpoints.
	if p.Get("Glacier2.Server.Endpoints") != "" {
		c.Server = &Server{
			Endpoints:          m.endpoints("Glacier2.Server.Endpoints"),
			PublishedEndpoints: m.endpoints("Glacier2.Server.PublishedEndpoints"),
			ForwardContext:     p.GetAsInt("Glacier2.Server.ForwardContext") > 0,
			Buffering:          m.buffering("Glacier2.Server"),
		}
	} else {
		for _, k := range []string{"Glacier2.Server.PublishedEndpoints", "Glacier2.Server.ForwardContext"} {
			if p.Get(k) != "" {
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
	c.Client.ACMTimeout = m.acmTimeout(timeout)

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
	switch kib := p.GetAsIntWithDefault("Ice.MessageSizeMax", DefaultMessageSizeMax/1024); {
	case kib < 1 || kib > maxMessageSizeKiB:
		c.MessageSizeMax = math.MaxInt32
	default:
		c.MessageSizeMax = int(kib) * 1024
	}

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
		c.CompressionLevel = int(p.GetAsInt("Ice.Compression.Level"))
	}
	m.mapFilters()
	m.mapAddressFilter()
	c.Trace = Trace{
		Session:        int(p.GetAsInt("Glacier2.Trace.Session")),
		RoutingTable:   int(p.GetAsInt("Glacier2.Trace.RoutingTable")),
		ClientRequest:  int(p.GetAsInt("Glacier2.Client.Trace.Request")),
		ServerRequest:  int(p.GetAsInt("Glacier2.Server.Trace.Request")),
		ClientReject:   int(p.GetAsInt("Glacier2.Client.Trace.Reject")),
		ClientOverride: int(p.GetAsInt("Glacier2.Client.Trace.Override")),
		ServerOverride: int(p.GetAsInt("Glacier2.Server.Trace.Override")),
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

// acmTimeout follows Glacier2 and Ice: Glacier2.Client.ACM.Timeout when
// set (0 turns ACM off); else the session timeout when there is one
// (glacier2router sets the property to it); else the communicator's server
// ACM timeout (Ice.ACM.Server.Timeout, its deprecated form Ice.ACM.Server,
// then Ice.ACM.Timeout), whose default is 60s. A negative value is ignored
// with Ice's warning.
func (m *propertyMapper) acmTimeout(sessionTimeout int32) time.Duration {
	if m.props.Get("Glacier2.Client.ACM.Timeout") == "" && sessionTimeout > 0 {
		return time.Duration(sessionTimeout) * time.Second
	}
	server := "Ice.ACM.Server.Timeout"
	if m.props.Get(server) == "" && m.props.Get("Ice.ACM.Server") != "" {
		server = "Ice.ACM.Server"
	}
	acm := int32(DefaultACMTimeout / time.Second)
	for _, key := range []string{"Ice.ACM.Timeout", server, "Glacier2.Client.ACM.Timeout"} {
		if m.props.Get(key) == "" {
			continue
		}
		if v := m.props.GetAsIntWithDefault(key, acm); v >= 0 {
			acm = v
		} else {
			m.warnf("invalid value for property `%s', default value will be used instead", key)
		}
	}
	if acm == 0 {
		return ACMDisabled
	}
	return time.Duration(acm) * time.Second
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
		}
	}
	if v := p.Get("Glacier2.SessionManager"); v != "" {
		if _, err := checkProxy(v); err != nil {
			m.errorf("session manager `%s' is invalid: %w", v, err)
		} else {
			c.Auth.SessionManager = v
		}
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
			m.errs = append(m.errs, errors.New(problem))
		}
		if len(problems) == 0 && users == 0 {
			m.warnf("password file `%s' has no users: every createSession will be refused", passwords)
		}
	case p.Get("Glacier2.PermissionsVerifier") == "" && p.Get("Glacier2.SSLPermissionsVerifier") == "":
		m.errs = append(m.errs, errors.New("Glacier2 requires a permissions verifier or password file"))
	}
}

// checkNames warns about every Glacier2.* property floe does not map:
// known to Glacier2 but not implemented yet, or unknown (a typo).
func (m *propertyMapper) checkNames() {
	for _, key := range m.props.Keys() {
		if !strings.HasPrefix(strings.ToUpper(key), "GLACIER2.") || slices.Contains(mappedGlacier2Properties, key) {
			continue
		}
		switch pattern, exact := knownGlacier2Property(key); {
		case exact:
			m.warnf("property `%s' is not supported yet, ignored", key)
		case pattern != "":
			m.warnf("unknown property `%s', ignored; did you mean `%s'?", key, pattern)
		default:
			m.warnf("unknown property `%s', ignored", key)
		}
	}
}
