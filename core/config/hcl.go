package config

import (
	"fmt"
	"github.com/floe-router/floe/core/ice"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// LoadFile reads and decodes the HCL configuration file at path. The
// Config is nil exactly when the diagnostics hold an error; warnings may
// come with a valid Config (and are also in its Warnings).
func LoadFile(path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration file",
			Detail:   err.Error(),
			Subject:  &hcl.Range{Filename: path},
		}}
	}
	return Parse(src, path)
}

// Parse decodes an HCL configuration; filename is used in diagnostics and
// as the Config's Source. Every problem found is reported, each with the
// range of the offending expression, sorted by position; syntax errors stop
// decoding (what follows them would only produce noise).
func Parse(src []byte, filename string) (*Config, hcl.Diagnostics) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, sortDiagnostics(diags)
	}
	d := &decoder{cfg: newConfig(filename)}
	d.diags = diags
	d.decode(file.Body.(*hclsyntax.Body))
	d.diags = sortDiagnostics(d.diags)
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	d.cfg.normalize()
	for _, diag := range d.diags {
		d.cfg.Warnings = append(d.cfg.Warnings, formatDiagnostic(diag, false))
	}
	return d.cfg, d.diags
}

var (
	topSchema = &hcl.BodySchema{
		Attributes: attributes("instance_name", "message_size_max", "print_adapter_ready", "allowed_backends",
			"default_host", "default_protocol", "default_timeout", "ipv4", "ipv6", "prefer_ipv6", "compress",
			"compression_level", "backend_connections", "threads", "threads_max").Attributes,
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "client"}, {Type: "server"}, {Type: "session"}, {Type: "auth"}, {Type: "log"},
			{Type: "locator"}, {Type: "ice_admin"}, {Type: "admin"}, {Type: "filter"}, {Type: "tls"}, {Type: "trace"},
			{Type: "script", LabelNames: []string{"name"}}, pluginLabel,
		},
	}
	clientSchema = attributes("endpoints", "published_endpoints", "forward_context", "acm_timeout", "acm_heartbeat", "acm_close",
		"message_size_max", "buffered", "sleep_time", "always_batch", "add_connection_context", "return_client_proxy")
	serverSchema = attributes("endpoints", "published_endpoints", "forward_context", "acm_timeout", "acm_heartbeat", "acm_close",
		"message_size_max", "buffered", "sleep_time", "always_batch")
	sessionSchema = attributes("timeout", "routing_table_size")
	authSchema    = &hcl.BodySchema{
		Attributes: attributes("passwords_file", "verifier", "session_manager", "allow_all",
			"ssl_verifier", "ssl_session_manager", "allow_all_ssl").Attributes,
		Blocks: []hcl.BlockHeaderSchema{{Type: "verifier_options"}, {Type: "session_manager_options"},
			{Type: "ssl_verifier_options"}, {Type: "ssl_session_manager_options"}},
	}
	proxyOptionsSchema = attributes("endpoint_selection", "prefer_secure", "locator_cache_timeout", "invocation_timeout",
		"locator")
	logSchema     = attributes("level", "json")
	locatorSchema = attributes("proxy", "cache_timeout")
	adminSchema   = attributes("endpoints", "instance_name", "facets")
	httpSchema    = attributes("listen")
	filterSchema  = attributes("categories", "accept_user", "identities", "adapter_ids",
		"address_accept", "address_reject", "proxy_size_max")
	traceSchema = attributes("session", "routing_table", "client_request", "server_request", "client_reject",
		"client_override", "server_override")
)

func attributes(names ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range names {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// maxMessageSizeKiB is the largest Ice.MessageSizeMax Ice honours: larger
// values mean 2 GiB, the most a message size field can say.
const maxMessageSizeKiB = math.MaxInt32 / 1024

var logLevels = []string{"trace", "debug", "info", "warn", "error"}

type decoder struct {
	cfg   *Config
	diags hcl.Diagnostics
	// emptyAuth is the auth block when it configures no authenticator.
	emptyAuth *hcl.Range
}

func (d *decoder) errorf(rng hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) hcl.Attributes {
	content, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	return content.Attributes
}

func (d *decoder) decode(body *hclsyntax.Body) {
	content, diags := body.Content(topSchema)
	d.diags = append(d.diags, diags...)
	file := body.MissingItemRange()

	if s, ok := d.str(content.Attributes["instance_name"]); ok {
		if s == "" {
			d.errorf(content.Attributes["instance_name"].Expr.Range(), "Empty instance name",
				"instance_name is the category of the router's objects (<instance_name>/router) and cannot be empty; remove it for the default %q.", DefaultInstanceName)
		} else {
			d.cfg.InstanceName = s
		}
	}
	if n, ok := d.integer(content.Attributes["message_size_max"], 0, maxMessageSizeKiB, "KiB"); ok {
		d.cfg.MessageSizeMax = int(n) * 1024
		if n == 0 {
			d.cfg.MessageSizeMax = math.MaxInt32
		}
	}

	d.cfg.PrintAdapterReady, _ = d.boolean(content.Attributes["print_adapter_ready"])
	d.iceSettings(content.Attributes)
	if a := content.Attributes["allowed_backends"]; a != nil {
		for _, b := range d.strings(a) {
			if _, err := ParseAllowedBackend(b); err != nil {
				d.errorf(a.Expr.Range(), "Invalid allowed backend", "%v.", err)
				continue
			}
			d.cfg.AllowedBackends = append(d.cfg.AllowedBackends, b)
		}
	}

	if n, ok := d.integer(content.Attributes["backend_connections"], 1, MaxBackendConnections, "connections"); ok {
		d.cfg.BackendConnections = int(n)
	}
	d.threads(content.Attributes["threads"], content.Attributes["threads_max"])

	var single hcl.Blocks
	for _, b := range content.Blocks {
		if b.Type == "script" { // one block per script
			d.script(b)
			continue
		}
		if b.Type == "plugin" { // one block per plugin
			d.plugin(b)
			continue
		}
		single = append(single, b)
	}
	blocks, unique := d.uniqueBlocks(single)
	for _, b := range unique {
		switch b.Type {
		case "client":
			d.client(b)
		case "server":
			d.server(b)
		case "session":
			d.session(b)
		case "auth":
			d.auth(b)
		case "log":
			d.log(b)
		case "tls":
			d.tls(b)
		case "locator":
			d.locator(b)
		case "ice_admin":
			d.iceAdmin(b)
		case "admin":
			d.admin(b)
		case "filter":
			d.filter(b)
		case "trace":
			d.trace(b)
		}
	}
	d.checkSSLEndpoints(blocks)

	if blocks["client"] == nil {
		d.errorf(file, "Missing client endpoints",
			`A client block with endpoints is required: it says where clients connect, for example client { endpoints = "tcp -p 4063" }.`)
	}
	// Scripts and plugins may authenticate: Start refuses a router in
	// which nothing does, and floe validate says so.
	if len(d.cfg.Scripts) == 0 && len(d.cfg.Plugins) == 0 {
		switch {
		case blocks["auth"] == nil:
			d.errorf(file, "No authentication configured", noAuthDetail)
		case d.emptyAuth != nil:
			d.errorf(*d.emptyAuth, "No authentication configured", noAuthDetail)
		}
	}
}

// uniqueBlocks reports every block of a type already seen, and returns
// the others by type and in order.
func (d *decoder) uniqueBlocks(list hcl.Blocks) (map[string]*hcl.Block, hcl.Blocks) {
	byType := map[string]*hcl.Block{}
	var unique hcl.Blocks
	for _, b := range list {
		if first, dup := byType[b.Type]; dup {
			d.errorf(b.DefRange, "Duplicate "+b.Type+" block",
				"A %s block was already defined at %s; put all its settings in one block.", b.Type, position(first.DefRange))
			continue
		}
		byType[b.Type] = b
		unique = append(unique, b)
	}
	return byType, unique
}

const noAuthDetail = `Glacier2 requires a permissions verifier or password file: set auth { verifier = "..." } to a Glacier2::PermissionsVerifier proxy, auth { passwords_file = "..." } to a Glacier2 password file, or auth { allow_all = true } for development.`

func (d *decoder) client(b *hcl.Block) {
	attrs := d.content(b.Body, clientSchema)
	c := &d.cfg.Client
	if a := attrs["endpoints"]; isAbsent(a) {
		d.errorf(b.DefRange, "Missing client endpoints",
			`The client block needs endpoints: where clients connect, for example endpoints = "tcp -p 4063".`)
	} else {
		c.Endpoints, _ = d.endpoints(a, true)
	}
	c.PublishedEndpoints, _ = d.endpoints(attrs["published_endpoints"], false)
	c.ForwardContext, _ = d.boolean(attrs["forward_context"])
	c.ACMTimeout, c.ACMHeartbeat, c.ACMClose = d.acm(attrs)
	c.MessageSizeMax = d.sideMessageSizeMax(attrs["message_size_max"])
	if n, ok := d.integer(attrs["add_connection_context"], 0, 2, "(0 none, 1 all, 2 authentication only)"); ok {
		c.AddConnectionContext = int(n)
	}
	c.Buffering = d.buffering(attrs)
	d.cfg.ReturnClientProxy, _ = d.boolean(attrs["return_client_proxy"])
}

// sideMessageSizeMax reads a client or server message_size_max, in KiB
// (0 meaning no limit), into bytes; 0 when absent.
func (d *decoder) sideMessageSizeMax(a *hcl.Attribute) int {
	n, ok := d.integer(a, 0, maxMessageSizeKiB, "KiB")
	if !ok {
		return 0
	}
	return messageSizeMax(int32(n))
}

// acm reads acm_timeout ("0s" is ACMDisabled, absent is zero),
// acm_heartbeat and acm_close.
func (d *decoder) acm(attrs hcl.Attributes) (time.Duration, ACMHeartbeat, ACMClose) {
	t, ok := d.duration(attrs["acm_timeout"])
	if ok && t == 0 {
		t = ACMDisabled
	}
	return t, enumValue(d, attrs["acm_heartbeat"], "ACM heartbeat", acmHeartbeats),
		enumValue(d, attrs["acm_close"], "ACM close", acmCloses)
}

// enumValue reads a string that must be one of values; "" when absent or
// wrong.
func enumValue[T ~string](d *decoder, a *hcl.Attribute, what string, values []T) T {
	s, ok := d.str(a)
	if !ok {
		return ""
	}
	if !slices.Contains(values, T(s)) {
		names := make([]string, len(values))
		for i, v := range values {
			names[i] = strconv.Quote(string(v))
		}
		d.errorf(a.Expr.Range(), "Invalid "+what, "%q is not one of %s.", s, strings.Join(names, ", "))
		return ""
	}
	return T(s)
}

// buffering reads buffered (default true), sleep_time and always_batch.
func (d *decoder) buffering(attrs hcl.Attributes) Buffering {
	var b Buffering
	if on, ok := d.boolean(attrs["buffered"]); ok {
		b.Disabled = !on
	}
	if a := attrs["sleep_time"]; a != nil {
		if s, ok := d.str(a); ok {
			t, err := time.ParseDuration(s)
			switch {
			case err != nil:
				d.errorf(a.Expr.Range(), "Invalid duration", `%q is not a duration; write a number and a unit, as "50ms".`, s)
			case t < 0 || t%time.Millisecond != 0:
				d.errorf(a.Expr.Range(), "Invalid sleep time", "sleep_time must be a whole, non-negative number of milliseconds (%q).", s)
			default:
				b.SleepTime = t
			}
		}
	}
	b.AlwaysBatch, _ = d.boolean(attrs["always_batch"])
	return b
}

func (d *decoder) server(b *hcl.Block) {
	attrs := d.content(b.Body, serverSchema)
	s := &Server{}
	if a := attrs["endpoints"]; isAbsent(a) {
		d.errorf(b.DefRange, "Missing server endpoints",
			`The server block needs endpoints, where servers send callbacks, for example endpoints = "tcp -h 10.0.0.1"; remove the block to run without callbacks.`)
	} else {
		s.Endpoints, _ = d.endpoints(a, true)
	}
	s.PublishedEndpoints, _ = d.endpoints(attrs["published_endpoints"], false)
	s.ForwardContext, _ = d.boolean(attrs["forward_context"])
	s.Buffering = d.buffering(attrs)
	s.ACMTimeout, s.ACMHeartbeat, s.ACMClose = d.acm(attrs)
	s.MessageSizeMax = d.sideMessageSizeMax(attrs["message_size_max"])
	d.cfg.Server = s
}

// iceSettings reads the top-level settings of Ice's runtime: default_host,
// default_protocol, default_timeout, ipv4, ipv6, prefer_ipv6, compress and
// compression_level.
func (d *decoder) iceSettings(attrs hcl.Attributes) {
	c := d.cfg
	if s, ok := d.str(attrs["default_host"]); ok {
		c.DefaultHost = s
	}
	c.DefaultProtocol = enumValue(d, attrs["default_protocol"], "protocol", knownProtocols)
	if a := attrs["default_timeout"]; a != nil {
		if s, ok := d.str(a); ok && s == "infinite" {
			c.DefaultTimeout = TimeoutInfinite
		} else if t, ok := d.durationIn(a, time.Millisecond, "milliseconds", `, or "infinite"`); ok {
			if t == 0 {
				d.errorf(a.Expr.Range(), "Invalid timeout", `default_timeout cannot be 0; write "infinite" for endpoints without a timeout.`)
			}
			c.DefaultTimeout = t
		}
	}
	ipv4, ok4 := d.boolean(attrs["ipv4"])
	ipv6, ok6 := d.boolean(attrs["ipv6"])
	c.DisableIPv4, c.DisableIPv6 = ok4 && !ipv4, ok6 && !ipv6
	if c.DisableIPv4 && c.DisableIPv6 {
		d.errorf(attrs["ipv6"].Expr.Range(), "No IP version left", "ipv4 and ipv6 cannot both be false.")
	}
	c.PreferIPv6, _ = d.boolean(attrs["prefer_ipv6"])
	if on, ok := d.boolean(attrs["compress"]); ok {
		c.Compress = &on
	}
	if n, ok := d.integer(attrs["compression_level"], 1, 9, "(bzip2 block size)"); ok {
		c.CompressionLevel = int(n)
	}
}

// trace reads Glacier2's trace levels.
func (d *decoder) trace(b *hcl.Block) {
	attrs := d.content(b.Body, traceSchema)
	t := &d.cfg.Trace
	for name, level := range map[string]*int{"session": &t.Session, "routing_table": &t.RoutingTable,
		"client_request": &t.ClientRequest, "server_request": &t.ServerRequest, "client_reject": &t.ClientReject,
		"client_override": &t.ClientOverride, "server_override": &t.ServerOverride} {
		if n, ok := d.integer(attrs[name], 0, math.MaxInt32, "(0 is off)"); ok {
			*level = int(n)
		}
	}
}

func (d *decoder) session(b *hcl.Block) {
	attrs := d.content(b.Body, sessionSchema)
	if t, ok := d.duration(attrs["timeout"]); ok {
		d.cfg.Session.Timeout = t
	}
	if n, ok := d.integer(attrs["routing_table_size"], 1, math.MaxInt32, "proxies"); ok {
		d.cfg.Session.RoutingTableSize = int(n)
	}
}

// locator reads locator { proxy = "...", cache_timeout = "60s" }; without
// cache_timeout resolved endpoints are kept until a connection to them
// fails, as Ice does by default.
func (d *decoder) locator(b *hcl.Block) {
	attrs := d.content(b.Body, locatorSchema)
	l := &Locator{CacheTimeout: -1}
	if s, ok := d.str(attrs["proxy"]); ok {
		if _, err := checkProxy(s); err != nil {
			d.errorf(attrs["proxy"].Expr.Range(), "Invalid locator proxy", "%q is not a valid proxy: %v.", s, err)
		}
		l.Proxy = s
	} else if attrs["proxy"] == nil {
		d.errorf(b.DefRange, "Missing locator proxy",
			`A locator block needs the locator's proxy, for example proxy = "IceGrid/Locator:tcp -h registry -p 4061".`)
	}
	if t, ok := d.cacheTimeout(attrs["cache_timeout"]); ok {
		l.CacheTimeout = t
	}
	d.cfg.Locator = l
}

// iceAdmin reads ice_admin { endpoints = "tcp -h 127.0.0.1 -p 9999",
// instance_name = "RouterAdmin", facets = ["Process"] }: the Ice admin object
// (Ice.Admin.*), which Ice tools talk to; the HTTP admin is the admin block.
func (d *decoder) iceAdmin(b *hcl.Block) {
	attrs := d.content(b.Body, adminSchema)
	a := &IceAdmin{}
	if s, ok := d.endpoints(attrs["endpoints"], true); ok {
		a.Endpoints = s
	} else if attrs["endpoints"] == nil {
		d.errorf(b.DefRange, "Missing admin endpoints", `An ice_admin block needs endpoints, for example endpoints = "tcp -h 127.0.0.1 -p 9999".`)
	}
	if s, ok := d.str(attrs["instance_name"]); ok {
		a.InstanceName = s
	}
	a.Facets = d.strings(attrs["facets"])
	d.cfg.IceAdmin = a
}

// admin reads admin { listen = "127.0.0.1:9090" }: the HTTP endpoint for
// metrics, health and sessions.
func (d *decoder) admin(b *hcl.Block) {
	attrs := d.content(b.Body, httpSchema)
	a := &Admin{}
	if s, ok := d.str(attrs["listen"]); ok {
		if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
			d.errorf(attrs["listen"].Expr.Range(), "Invalid admin address",
				`listen = %q is not a host:port address; write for example listen = "127.0.0.1:9090".`, s)
		}
		a.Listen = s
	} else if attrs["listen"] == nil {
		d.errorf(b.DefRange, "Missing admin address", `An admin block needs listen, for example listen = "127.0.0.1:9090".`)
	}
	d.cfg.Admin = a
}

// filter reads the static request filters (Glacier2.Filter.*).
func (d *decoder) filter(b *hcl.Block) {
	attrs := d.content(b.Body, filterSchema)
	f := &d.cfg.Filter
	f.Categories = d.strings(attrs["categories"])
	f.AdapterIDs = d.strings(attrs["adapter_ids"])
	for i, id := range d.strings(attrs["identities"]) {
		if _, err := ice.ParseIdentity(id); err != nil {
			d.errorf(attrs["identities"].Expr.Range(), "Invalid identity", "identities[%d] %q is not a valid identity: %v.", i, id, err)
			continue
		}
		f.Identities = append(f.Identities, id)
	}
	if s, ok := d.str(attrs["accept_user"]); ok {
		switch s {
		case "user":
			f.AcceptUser = 1
		case "_user":
			f.AcceptUser = 2
		case "":
		default:
			d.errorf(attrs["accept_user"].Expr.Range(), "Invalid accept_user",
				`accept_user is "user" (accept the session's user id as a category) or "_user" (the user id prefixed with "_"), not %q.`, s)
		}
	}
	f.Address.Accept = d.addressRules(attrs["address_accept"])
	f.Address.Reject = d.addressRules(attrs["address_reject"])
	if n, ok := d.integer(attrs["proxy_size_max"], 1, math.MaxInt32, "bytes"); ok {
		f.Address.ProxySizeMax = int(n)
	}
}

// addressRules reads Glacier2.Filter.Address.Accept or .Reject rules,
// checked as glacier2router checks them at start-up.
func (d *decoder) addressRules(a *hcl.Attribute) string {
	s, ok := d.str(a)
	if !ok || s == "" {
		return ""
	}
	if CheckAddressRules != nil {
		if err := CheckAddressRules(s); err != nil {
			d.errorf(a.Expr.Range(), "Invalid address rule", "%s: %v.", a.Name, err)
		}
	}
	return s
}

// strings reads a list of strings.
func (d *decoder) strings(a *hcl.Attribute) []string {
	v, ok := d.value(a, cty.List(cty.String), "a list of strings")
	if !ok {
		return nil
	}
	var out []string
	for _, e := range v.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out
}

func (d *decoder) auth(b *hcl.Block) {
	content, diags := b.Body.Content(authSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	a := &d.cfg.Auth
	passwords := attrs["passwords_file"]
	path, ok := d.str(passwords)
	if ok && path != "" {
		a.PasswordsFile = d.passwordsFile(passwords, path)
	}
	noPasswords := isAbsent(passwords) || ok && path == ""
	a.Verifier = d.proxy(attrs["verifier"], "verifier")
	a.SessionManager = d.proxy(attrs["session_manager"], "session manager")
	options, _ := d.uniqueBlocks(content.Blocks)
	a.VerifierOptions = d.proxyOptions(options["verifier_options"], "verifier", a.Verifier)
	a.SessionManagerOptions = d.proxyOptions(options["session_manager_options"], "session_manager", a.SessionManager)
	conflict := "allow_all accepts every user the verifier would refuse; set either verifier or allow_all, not both."
	if a.PasswordsFile != "" {
		conflict = "allow_all accepts every user the password file would refuse; set either passwords_file or allow_all, not both."
	}
	a.AllowAll = d.allowAll(attrs["allow_all"], a.Verifier != "" || a.PasswordsFile != "", conflict,
		"allow_all accepts every user and password: use it for development only.")
	if a.Verifier != "" && a.PasswordsFile != "" {
		d.errorf(passwords.Expr.Range(), "Conflicting authentication",
			"Glacier2 would use the verifier and ignore the password file; set either verifier or passwords_file, not both.")
	}
	d.sslAuth(attrs)
	a.SSLVerifierOptions = d.proxyOptions(options["ssl_verifier_options"], "ssl_verifier", a.SSLVerifier)
	a.SSLSessionManagerOptions = d.proxyOptions(options["ssl_session_manager_options"], "ssl_session_manager", a.SSLSessionManager)
	if a.Verifier == "" && noPasswords && !a.hasSSLAuth() && !a.AllowAll {
		d.emptyAuth = b.DefRange.Ptr()
	}
}

// proxy reads a stringified proxy; what names it in the diagnostic.
func (d *decoder) proxy(a *hcl.Attribute, what string) string {
	s, ok := d.str(a)
	if !ok || s == "" {
		return ""
	}
	if _, err := checkProxy(s); err != nil {
		d.errorf(a.Expr.Range(), "Invalid "+what+" proxy", "%q is not a valid proxy: %v.", s, err)
	}
	return s
}

// proxyOptions reads a <proxy>_options block (nil when absent): the proxy
// settings Ice reads after a proxy property. proxy is the value of the
// attribute it belongs to, which must be set.
func (d *decoder) proxyOptions(b *hcl.Block, name, proxy string) ProxyOptions {
	var o ProxyOptions
	if b == nil {
		return o
	}
	attrs := d.content(b.Body, proxyOptionsSchema)
	if proxy == "" {
		d.errorf(b.DefRange, "Options without a proxy",
			"%s_options are settings of the %s proxy: set %s too, or remove the block.", name, name, name)
	}
	o.OrderedEndpoints = enumValue(d, attrs["endpoint_selection"], "endpoint selection", []string{"random", "ordered"}) == "ordered"
	o.PreferSecure, _ = d.boolean(attrs["prefer_secure"])
	if t, ok := d.cacheTimeout(attrs["locator_cache_timeout"]); ok {
		o.LocatorCacheTimeout = &t
	}
	if t, ok := d.durationIn(attrs["invocation_timeout"], time.Millisecond, "milliseconds", ""); ok {
		o.InvocationTimeout = t
	}
	o.Locator = d.proxy(attrs["locator"], "locator")
	return o
}

// allowAll reads a development setting that accepts everyone: an error
// (conflict) next to a configured verifier, a warning (warning) otherwise.
func (d *decoder) allowAll(a *hcl.Attribute, withVerifier bool, conflict, warning string) bool {
	on, _ := d.boolean(a)
	switch {
	case on && withVerifier:
		d.errorf(a.Expr.Range(), "Conflicting authentication", "%s", conflict)
	case on:
		d.diags = append(d.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Development setting",
			Detail:   warning,
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	return on
}

// passwordsFile resolves the passwords_file path s against the directory
// of the configuration file and checks that the file loads: an error for
// each problem, a warning when it has no users.
func (d *decoder) passwordsFile(a *hcl.Attribute, s string) string {
	path := s
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.cfg.Source), path)
	}
	users, problems := checkPasswordFile(path)
	for _, p := range problems {
		d.errorf(a.Expr.Range(), "Invalid password file", "%s.", p)
	}
	if len(problems) == 0 && users == 0 {
		d.diags = append(d.diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Empty password file",
			Detail:   fmt.Sprintf("%s has no users: every createSession will be refused.", path),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	return path
}

func (d *decoder) log(b *hcl.Block) {
	attrs := d.content(b.Body, logSchema)
	if s, ok := d.str(attrs["level"]); ok {
		if l := strings.ToLower(s); slices.Contains(logLevels, l) {
			d.cfg.Log.Level = l
		} else {
			d.errorf(attrs["level"].Expr.Range(), "Invalid log level",
				"%q is not a log level; use one of %s.", s, strings.Join(logLevels, ", "))
		}
	}
	d.cfg.Log.JSON, _ = d.boolean(attrs["json"])
}

// isAbsent reports whether an attribute is missing or set to null, which
// HCL users write to mean "not set".
func isAbsent(a *hcl.Attribute) bool {
	if a == nil {
		return true
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}

// value evaluates a (nil when absent) without variables or functions and
// converts it to ty. ok is false when the attribute is absent or null, or
// when it is wrong (then with a diagnostic).
func (d *decoder) value(a *hcl.Attribute, ty cty.Type, what string) (cty.Value, bool) {
	if a == nil {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	cv, huge, err := ConvertBounded(v, ty)
	switch {
	case huge != "":
		d.errorf(a.Expr.Range(), "Number out of range", "%s holds a number far too large or small for any setting (%s).", a.Name, huge)
		return cty.NilVal, false
	case err != nil:
		d.errorf(a.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s required.", a.Name, what)
		return cty.NilVal, false
	}
	if cv.CanIterateElements() {
		for it := cv.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.IsNull() {
				d.errorf(a.Expr.Range(), "Null element", "The elements of %s cannot be null.", a.Name)
				return cty.NilVal, false
			}
		}
	}
	return cv, true
}

func (d *decoder) str(a *hcl.Attribute) (string, bool) {
	v, ok := d.value(a, cty.String, "a string is")
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (d *decoder) boolean(a *hcl.Attribute) (bool, bool) {
	v, ok := d.value(a, cty.Bool, "a bool is")
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer reads a whole number within [lo, hi]; unit names what it counts.
func (d *decoder) integer(a *hcl.Attribute, lo, hi int64, unit string) (int64, bool) {
	v, ok := d.value(a, cty.Number, "a number is")
	if !ok {
		return 0, false
	}
	f := v.AsBigFloat()
	n, acc := f.Int64()
	text := f.Text('g', -1)
	if acc == big.Exact {
		text = strconv.FormatInt(n, 10)
	}
	switch {
	case !f.IsInt():
		d.errorf(a.Expr.Range(), "Invalid number", "%s must be a whole number, not %s.", a.Name, text)
	case f.Sign() < 0 && lo >= 0:
		d.errorf(a.Expr.Range(), "Negative size", "%s cannot be negative (%s).", a.Name, text)
	case acc != big.Exact || n < lo || n > hi:
		d.errorf(a.Expr.Range(), "Number out of range", "%s must be between %d and %d %s, not %s.", a.Name, lo, hi, unit, text)
	default:
		return n, true
	}
	return 0, false
}

// threads reads threads and threads_max, the least and the most threads
// running floe's code at once.
func (d *decoder) threads(least, most *hcl.Attribute) {
	n, ok := d.integer(least, 1, MaxThreads, "threads")
	if ok {
		d.cfg.Threads = int(n)
	}
	m, okMax := d.integer(most, 1, MaxThreads, "threads")
	if !okMax {
		return
	}
	if ok && m < n {
		d.errorf(most.Expr.Range(), "Fewer threads than the least",
			"threads_max (%d) must be at least threads (%d).", m, n)
		return
	}
	d.cfg.ThreadsMax = int(m)
}

// duration reads a Go duration string ("30s", "5m"). Most of floe's
// durations are ones Glacier2 counts in seconds, so they must be whole
// seconds.
func (d *decoder) duration(a *hcl.Attribute) (time.Duration, bool) {
	return d.durationIn(a, time.Second, "seconds", "")
}

// durationIn reads a non-negative duration that is a whole number of unit
// (named units); also names other values the attribute accepts.
func (d *decoder) durationIn(a *hcl.Attribute, unit time.Duration, units, also string) (time.Duration, bool) {
	s, ok := d.str(a)
	if !ok {
		return 0, false
	}
	t, err := time.ParseDuration(s)
	switch {
	case err != nil:
		d.errorf(a.Expr.Range(), "Invalid duration", `%q is not a duration; write a number and a unit, as "30s" or "5m"%s.`, s, also)
	case t < 0:
		d.errorf(a.Expr.Range(), "Negative duration", "%s cannot be negative (%q).", a.Name, s)
	case t%unit != 0:
		d.errorf(a.Expr.Range(), "Invalid duration",
			"%s must be a whole number of %s (%q): Ice and Glacier2 count it in %s.", a.Name, units, s, units)
	default:
		return t, true
	}
	return 0, false
}

// cacheTimeout reads a locator cache timeout: whole seconds, or "forever"
// (LocatorCacheForever).
func (d *decoder) cacheTimeout(a *hcl.Attribute) (time.Duration, bool) {
	if s, ok := d.str(a); ok && s == "forever" {
		return LocatorCacheForever, true
	}
	return d.durationIn(a, time.Second, "seconds", `, or "forever"`)
}

// endpoints reads an endpoint list and checks its syntax. An empty string
// is an error when required, else the same as absent.
func (d *decoder) endpoints(a *hcl.Attribute, required bool) (string, bool) {
	s, ok := d.str(a)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		if required {
			d.errorf(a.Expr.Range(), "Empty endpoints", "%s cannot be empty.", a.Name)
		}
		return "", false
	}
	if err := checkEndpoints(s); err != nil {
		d.errorf(a.Expr.Range(), "Invalid endpoints", "%q is not a valid endpoint list: %v.", s, err)
		return s, false
	}
	return s, true
}

// sortDiagnostics orders diagnostics by file and position, those without a
// position first, keeping the order of equal ones.
func sortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return -1
		case b.Subject == nil:
			return 1
		}
		if c := strings.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
			return c
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	return diags
}
