package config

import "github.com/zclconf/go-cty/cty"

// The HCL the converter writes, in the order written, each attribute with
// the properties it comes from (whose comments go with it).

var convertedAttributes = []hclAttribute{
	{"instance_name", []string{"Glacier2.InstanceName"}, func(c *Config) (cty.Value, bool) {
		return cty.StringVal(c.InstanceName), c.InstanceName != DefaultInstanceName
	}},
	{"message_size_max", []string{"Ice.MessageSizeMax"}, func(c *Config) (cty.Value, bool) {
		return intValue(kib(c.MessageSizeMax), DefaultMessageSizeMax/1024)
	}},
	{"print_adapter_ready", []string{"Ice.PrintAdapterReady"}, func(c *Config) (cty.Value, bool) {
		return boolValue(c.PrintAdapterReady, false)
	}},
	{"default_host", []string{"Ice.Default.Host"}, func(c *Config) (cty.Value, bool) { return strValue(c.DefaultHost) }},
	{"default_protocol", []string{"Ice.Default.Protocol"}, func(c *Config) (cty.Value, bool) { return strValue(c.DefaultProtocol) }},
	{"default_timeout", []string{"Ice.Default.Timeout"}, func(c *Config) (cty.Value, bool) {
		switch {
		case c.DefaultTimeout < 0:
			return cty.StringVal("infinite"), true
		case c.DefaultTimeout == 0:
			return cty.NilVal, false
		}
		return durationValue(c.DefaultTimeout)
	}},
	{"ipv4", []string{"Ice.IPv4"}, func(c *Config) (cty.Value, bool) { return boolValue(!c.DisableIPv4, true) }},
	{"ipv6", []string{"Ice.IPv6"}, func(c *Config) (cty.Value, bool) { return boolValue(!c.DisableIPv6, true) }},
	{"prefer_ipv6", []string{"Ice.PreferIPv6Address"}, func(c *Config) (cty.Value, bool) { return boolValue(c.PreferIPv6, false) }},
	{"compress", []string{"Ice.Override.Compress"}, func(c *Config) (cty.Value, bool) {
		if c.Compress == nil {
			return cty.NilVal, false
		}
		return cty.BoolVal(*c.Compress), true
	}},
	{"compression_level", []string{"Ice.Compression.Level"}, func(c *Config) (cty.Value, bool) {
		if c.CompressionLevel == 0 {
			return cty.NilVal, false
		}
		return intValue(c.CompressionLevel, 0)
	}},
	{"backend_connections", []string{backendConnectionsProperty}, func(c *Config) (cty.Value, bool) {
		return intValue(c.BackendConnections, 0)
	}},
	{"threads", []string{threadsProperty}, func(c *Config) (cty.Value, bool) { return intValue(c.Threads, 0) }},
	{"threads_max", []string{threadsMaxProperty}, func(c *Config) (cty.Value, bool) { return intValue(c.ThreadsMax, 0) }},
}

// sideAttributes are the attributes client and server share; get picks the
// side's settings from a Config (nil when there is no such side).
func sideAttributes(prefix string, get func(c *Config) *sideSettings) []hclAttribute {
	on := func(f func(s *sideSettings) (cty.Value, bool)) func(c *Config) (cty.Value, bool) {
		return func(c *Config) (cty.Value, bool) {
			s := get(c)
			if s == nil {
				return cty.NilVal, false
			}
			return f(s)
		}
	}
	return []hclAttribute{
		{"endpoints", []string{prefix + ".Endpoints"}, on(func(s *sideSettings) (cty.Value, bool) { return strValue(s.endpoints) })},
		{"published_endpoints", []string{prefix + ".PublishedEndpoints"}, on(func(s *sideSettings) (cty.Value, bool) {
			return strValue(s.published)
		})},
		{"forward_context", []string{prefix + ".ForwardContext"}, on(func(s *sideSettings) (cty.Value, bool) {
			return boolValue(s.forwardContext, false)
		})},
		{"acm_timeout", []string{prefix + ".ACM.Timeout", "Ice.ACM.Timeout", "Ice.ACM.Server", "Ice.ACM.Server.Timeout"},
			on(func(s *sideSettings) (cty.Value, bool) { return s.acmTimeout() })},
		{"acm_heartbeat", []string{prefix + ".ACM.Heartbeat", "Ice.ACM.Heartbeat", "Ice.ACM.Server.Heartbeat"},
			on(func(s *sideSettings) (cty.Value, bool) { return strValue(string(s.heartbeat)) })},
		{"acm_close", []string{prefix + ".ACM.Close", "Ice.ACM.Close", "Ice.ACM.Server.Close"},
			on(func(s *sideSettings) (cty.Value, bool) { return strValue(string(s.close)) })},
		{"message_size_max", []string{prefix + ".MessageSizeMax"}, on(func(s *sideSettings) (cty.Value, bool) {
			return sizeValue(s.messageSizeMax)
		})},
		{"buffered", []string{prefix + ".Buffered"}, on(func(s *sideSettings) (cty.Value, bool) {
			return boolValue(!s.buffering.Disabled, true)
		})},
		{"sleep_time", []string{prefix + ".SleepTime"}, on(func(s *sideSettings) (cty.Value, bool) {
			return cty.StringVal(durationText(s.buffering.SleepTime)), s.buffering.SleepTime != 0
		})},
		{"always_batch", []string{prefix + ".AlwaysBatch"}, on(func(s *sideSettings) (cty.Value, bool) {
			return boolValue(s.buffering.AlwaysBatch, false)
		})},
	}
}

// sideSettings are the settings client and server share, as the
// converter writes them.
type sideSettings struct {
	endpoints, published string
	forwardContext       bool
	acmTimeout           func() (cty.Value, bool)
	heartbeat            ACMHeartbeat
	close                ACMClose
	messageSizeMax       int
	buffering            Buffering
}

func clientSettings(c *Config) *sideSettings {
	cl := &c.Client
	return &sideSettings{endpoints: cl.Endpoints, published: cl.PublishedEndpoints, forwardContext: cl.ForwardContext,
		acmTimeout: func() (cty.Value, bool) {
			if cl.ACMTimeout == 0 {
				// Written as what EffectiveACMTimeout derives: Parse
				// clears it again.
				v, _ := durationValue(c.EffectiveACMTimeout())
				return v, false
			}
			return acmTimeoutValue(cl.ACMTimeout)
		},
		heartbeat: cl.ACMHeartbeat, close: cl.ACMClose, messageSizeMax: cl.MessageSizeMax, buffering: cl.Buffering}
}

func serverSettings(c *Config) *sideSettings {
	s := c.Server
	if s == nil {
		return nil
	}
	return &sideSettings{endpoints: s.Endpoints, published: s.PublishedEndpoints, forwardContext: s.ForwardContext,
		acmTimeout: func() (cty.Value, bool) { return acmTimeoutValue(s.ACMTimeout) },
		heartbeat:  s.ACMHeartbeat, close: s.ACMClose, messageSizeMax: s.MessageSizeMax, buffering: s.Buffering}
}

// proxyOptionsBlock is the <name>_options block of an auth proxy.
func proxyOptionsBlock(name, property string, get func(a *Auth) (string, *ProxyOptions)) hclBlock {
	on := func(f func(o *ProxyOptions) (cty.Value, bool)) func(c *Config) (cty.Value, bool) {
		return func(c *Config) (cty.Value, bool) {
			proxy, o := get(&c.Auth)
			if proxy == "" {
				return cty.NilVal, false
			}
			return f(o)
		}
	}
	return hclBlock{name: name + "_options", attributes: []hclAttribute{
		{"endpoint_selection", []string{property + ".EndpointSelection"}, on(func(o *ProxyOptions) (cty.Value, bool) {
			if o.OrderedEndpoints {
				return cty.StringVal("ordered"), true
			}
			return cty.StringVal("random"), false
		})},
		{"prefer_secure", []string{property + ".PreferSecure"}, on(func(o *ProxyOptions) (cty.Value, bool) {
			return boolValue(o.PreferSecure, false)
		})},
		{"locator_cache_timeout", []string{property + ".LocatorCacheTimeout"}, on(func(o *ProxyOptions) (cty.Value, bool) {
			if o.LocatorCacheTimeout == nil {
				return cty.NilVal, false
			}
			return cacheTimeoutValue(*o.LocatorCacheTimeout), true
		})},
		{"invocation_timeout", []string{property + ".InvocationTimeout"}, on(func(o *ProxyOptions) (cty.Value, bool) {
			return durationValue(o.InvocationTimeout)
		})},
		{"locator", []string{property + ".Locator"}, on(func(o *ProxyOptions) (cty.Value, bool) { return strValue(o.Locator) })},
	}}
}

var convertedBlocks = []hclBlock{{
	name:       "client",
	present:    func(*Config) bool { return true },
	attributes: append(sideAttributes("Glacier2.Client", clientSettings), clientOnlyAttributes...),
}, {
	name:       "server",
	present:    func(c *Config) bool { return c.Server != nil },
	attributes: sideAttributes("Glacier2.Server", serverSettings),
}, {
	name: "session",
	attributes: []hclAttribute{
		{"timeout", []string{"Glacier2.SessionTimeout"}, func(c *Config) (cty.Value, bool) { return durationValue(c.Session.Timeout) }},
		{"routing_table_size", []string{"Glacier2.RoutingTable.MaxSize"}, func(c *Config) (cty.Value, bool) {
			return intValue(c.Session.RoutingTableSize, DefaultRoutingTableSize)
		}},
	},
}, {
	name:    "auth",
	present: func(*Config) bool { return true },
	attributes: []hclAttribute{
		{"passwords_file", []string{"Glacier2.CryptPasswords"}, func(c *Config) (cty.Value, bool) { return strValue(c.Auth.PasswordsFile) }},
		{"verifier", []string{"Glacier2.PermissionsVerifier"}, func(c *Config) (cty.Value, bool) { return strValue(c.Auth.Verifier) }},
		{"allow_all", []string{"Glacier2.PermissionsVerifier"}, func(c *Config) (cty.Value, bool) {
			return allowAllValue(c.Auth.AllowAll)
		}},
		{"session_manager", []string{"Glacier2.SessionManager"}, func(c *Config) (cty.Value, bool) { return strValue(c.Auth.SessionManager) }},
		{"ssl_verifier", []string{"Glacier2.SSLPermissionsVerifier"}, func(c *Config) (cty.Value, bool) { return strValue(c.Auth.SSLVerifier) }},
		{"allow_all_ssl", []string{"Glacier2.SSLPermissionsVerifier"}, func(c *Config) (cty.Value, bool) {
			return allowAllValue(c.Auth.AllowAllSSL)
		}},
		{"ssl_session_manager", []string{"Glacier2.SSLSessionManager"}, func(c *Config) (cty.Value, bool) {
			return strValue(c.Auth.SSLSessionManager)
		}},
	},
	blocks: []hclBlock{
		proxyOptionsBlock("verifier", "Glacier2.PermissionsVerifier", func(a *Auth) (string, *ProxyOptions) {
			return a.Verifier, &a.VerifierOptions
		}),
		proxyOptionsBlock("session_manager", "Glacier2.SessionManager", func(a *Auth) (string, *ProxyOptions) {
			return a.SessionManager, &a.SessionManagerOptions
		}),
		proxyOptionsBlock("ssl_verifier", "Glacier2.SSLPermissionsVerifier", func(a *Auth) (string, *ProxyOptions) {
			return a.SSLVerifier, &a.SSLVerifierOptions
		}),
		proxyOptionsBlock("ssl_session_manager", "Glacier2.SSLSessionManager", func(a *Auth) (string, *ProxyOptions) {
			return a.SSLSessionManager, &a.SSLSessionManagerOptions
		}),
	},
}, {
	name: "filter",
	attributes: []hclAttribute{
		{"categories", []string{"Glacier2.Filter.Category.Accept"}, func(c *Config) (cty.Value, bool) { return listValue(c.Filter.Categories) }},
		{"accept_user", []string{"Glacier2.Filter.Category.AcceptUser"}, func(c *Config) (cty.Value, bool) {
			return cty.StringVal([]string{"", "user", "_user"}[c.Filter.AcceptUser]), c.Filter.AcceptUser != 0
		}},
		{"identities", []string{"Glacier2.Filter.Identity.Accept"}, func(c *Config) (cty.Value, bool) { return listValue(c.Filter.Identities) }},
		{"adapter_ids", []string{"Glacier2.Filter.AdapterId.Accept"}, func(c *Config) (cty.Value, bool) { return listValue(c.Filter.AdapterIDs) }},
		{"address_accept", []string{"Glacier2.Filter.Address.Accept"}, func(c *Config) (cty.Value, bool) { return strValue(c.Filter.Address.Accept) }},
		{"address_reject", []string{"Glacier2.Filter.Address.Reject"}, func(c *Config) (cty.Value, bool) { return strValue(c.Filter.Address.Reject) }},
		{"proxy_size_max", []string{"Glacier2.Filter.ProxySizeMax"}, func(c *Config) (cty.Value, bool) {
			if c.Filter.Address.ProxySizeMax == 0 {
				return cty.NilVal, false
			}
			return intValue(c.Filter.Address.ProxySizeMax, 0)
		}},
	},
}, {
	name:    "tls",
	owners:  []string{"Ice.Plugin.IceSSL", "IceSSL.DefaultDir"},
	present: func(c *Config) bool { return c.TLS != nil },
	attributes: []hclAttribute{
		{"cert_file", []string{"IceSSL.CertFile"}, onTLS(func(t *TLS) (cty.Value, bool) { return pathsValue(t.CertFile) })},
		{"key_file", []string{"IceSSL.KeyFile"}, onTLS(func(t *TLS) (cty.Value, bool) { return pathsValue(t.KeyFile) })},
		{"password", []string{"IceSSL.Password"}, onTLS(func(t *TLS) (cty.Value, bool) { return strValue(t.Password) })},
		{"ca_file", []string{"IceSSL.CAs", "IceSSL.CertAuthFile", "IceSSL.CertAuthDir"}, onTLS(func(t *TLS) (cty.Value, bool) {
			return strValue(t.CAFile)
		})},
		{"use_platform_cas", []string{"IceSSL.UsePlatformCAs"}, onTLS(func(t *TLS) (cty.Value, bool) {
			if t.CAFile != "" {
				return cty.NilVal, false
			}
			return boolValue(t.CAs == nil, true)
		})},
		{"verify_peer", []string{"IceSSL.VerifyPeer"}, onTLS(func(t *TLS) (cty.Value, bool) { return intValue(t.VerifyPeer, DefaultVerifyPeer) })},
		{"check_cert_name", []string{"IceSSL.CheckCertName"}, onTLS(func(t *TLS) (cty.Value, bool) { return boolValue(t.CheckCertName, false) })},
		{"verify_depth_max", []string{"IceSSL.VerifyDepthMax"}, onTLS(func(t *TLS) (cty.Value, bool) {
			return intValue(t.VerifyDepthMax, DefaultVerifyDepthMax)
		})},
		{"protocols", []string{"IceSSL.Protocols"}, onTLS(func(t *TLS) (cty.Value, bool) {
			if t.MinVersion == 0 {
				return cty.NilVal, false
			}
			return listValue(protocolNames(t.MinVersion, t.MaxVersion))
		})},
	},
}, {
	name:    "locator",
	present: func(c *Config) bool { return c.Locator != nil },
	attributes: []hclAttribute{
		{"proxy", []string{"Ice.Default.Locator"}, func(c *Config) (cty.Value, bool) { return strValue(c.Locator.Proxy) }},
		{"cache_timeout", []string{"Ice.Default.LocatorCacheTimeout"}, func(c *Config) (cty.Value, bool) {
			return cacheTimeoutValue(c.Locator.CacheTimeout), c.Locator.CacheTimeout != LocatorCacheForever
		}},
	},
}, {
	name:    "ice_admin",
	owners:  []string{"Ice.Admin.Enabled"},
	present: func(c *Config) bool { return c.IceAdmin != nil },
	attributes: []hclAttribute{
		{"endpoints", []string{"Ice.Admin.Endpoints"}, func(c *Config) (cty.Value, bool) { return strValue(c.IceAdmin.Endpoints) }},
		{"instance_name", []string{"Ice.Admin.InstanceName"}, func(c *Config) (cty.Value, bool) { return strValue(c.IceAdmin.InstanceName) }},
		{"facets", []string{"Ice.Admin.Facets"}, func(c *Config) (cty.Value, bool) { return listValue(c.IceAdmin.Facets) }},
	},
}, {
	name: "trace",
	attributes: []hclAttribute{
		traceLevel("session", "Glacier2.Trace.Session", func(t *Trace) int { return t.Session }),
		traceLevel("routing_table", "Glacier2.Trace.RoutingTable", func(t *Trace) int { return t.RoutingTable }),
		traceLevel("client_request", "Glacier2.Client.Trace.Request", func(t *Trace) int { return t.ClientRequest }),
		traceLevel("server_request", "Glacier2.Server.Trace.Request", func(t *Trace) int { return t.ServerRequest }),
		traceLevel("client_reject", "Glacier2.Client.Trace.Reject", func(t *Trace) int { return t.ClientReject }),
		traceLevel("client_override", "Glacier2.Client.Trace.Override", func(t *Trace) int { return t.ClientOverride }),
		traceLevel("server_override", "Glacier2.Server.Trace.Override", func(t *Trace) int { return t.ServerOverride }),
	},
}}

var clientOnlyAttributes = []hclAttribute{
	{"add_connection_context", []string{"Glacier2.AddConnectionContext"}, func(c *Config) (cty.Value, bool) {
		return intValue(c.Client.AddConnectionContext, 0)
	}},
	{"return_client_proxy", []string{"Glacier2.ReturnClientProxy"}, func(c *Config) (cty.Value, bool) {
		return boolValue(c.ReturnClientProxy, false)
	}},
}

// allowAllValue is allow_all or allow_all_ssl: written only when on, as
// false next to a verifier says nothing.
func allowAllValue(on bool) (cty.Value, bool) {
	if !on {
		return cty.NilVal, false
	}
	return cty.True, true
}

func onTLS(f func(t *TLS) (cty.Value, bool)) func(c *Config) (cty.Value, bool) {
	return func(c *Config) (cty.Value, bool) {
		if c.TLS == nil {
			return cty.NilVal, false
		}
		return f(c.TLS)
	}
}

func traceLevel(name, property string, get func(t *Trace) int) hclAttribute {
	return hclAttribute{name, []string{property}, func(c *Config) (cty.Value, bool) { return intValue(get(&c.Trace), 0) }}
}
