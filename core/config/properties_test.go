package config

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
)

func props(t *testing.T, kv ...string) *ice.Properties {
	t.Helper()
	p := ice.NewProperties()
	for _, line := range kv {
		if !p.ParseLine(line) {
			t.Fatalf("bad line %q", line)
		}
	}
	return p
}

const (
	clientEndpoints = "Glacier2.Client.Endpoints=tcp -h 127.0.0.1 -p 4063"
	verifier        = "Glacier2.PermissionsVerifier=Verifier:tcp -h 10.0.0.2 -p 10000"
)

func TestFromProperties(t *testing.T) {
	base := func(change func(c *Config)) *Config {
		c := newConfig("properties")
		c.Client.Endpoints = "tcp -h 127.0.0.1 -p 4063"
		c.Auth.Verifier = "Verifier:tcp -h 10.0.0.2 -p 10000"
		if change != nil {
			change(c)
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  *Config
	}{{
		name:  "the two required properties, every default",
		lines: []string{clientEndpoints, verifier},
		want:  base(nil),
	}, {
		name: "everything mapped",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.InstanceName=DemoGlacier2",
			"Glacier2.Client.PublishedEndpoints=tcp -h router.example.com -p 4063",
			"Glacier2.Client.ForwardContext=1",
			"Glacier2.Server.Endpoints=tcp -h 10.0.0.1",
			"Glacier2.Server.PublishedEndpoints=tcp -h 10.0.0.1 -p 4070",
			"Glacier2.Server.ForwardContext=2",
			"Glacier2.SessionManager=SessionManager:tcp -h 10.0.0.2 -p 10001",
			"Glacier2.SessionTimeout=30",
			"Glacier2.Client.ACM.Timeout=45",
			"Glacier2.RoutingTable.MaxSize=500",
			"Ice.MessageSizeMax=2048",
			"Ice.Default.Host=10.0.0.9",
			"Floe.BackendConnections=3",
			"Floe.Threads=2",
		},
		want: base(func(c *Config) {
			c.InstanceName = "DemoGlacier2"
			c.Client.PublishedEndpoints = "tcp -h router.example.com -p 4063"
			c.Client.ForwardContext = true
			c.Client.ACMTimeout = 45 * time.Second
			c.Server = &Server{Endpoints: "tcp -h 10.0.0.1", PublishedEndpoints: "tcp -h 10.0.0.1 -p 4070", ForwardContext: true}
			c.Auth.SessionManager = "SessionManager:tcp -h 10.0.0.2 -p 10001"
			c.Session = Session{Timeout: 30 * time.Second, RoutingTableSize: 500}
			c.MessageSizeMax = 2048 * 1024
			c.DefaultHost = "10.0.0.9"
			c.BackendConnections = 3
			c.Threads = 2
		}),
	}, {
		name:  "ForwardContext is on only for a number above 0",
		lines: []string{clientEndpoints, verifier, "Glacier2.Client.ForwardContext=0", "Glacier2.Server.Endpoints=tcp", "Glacier2.Server.ForwardContext=-1"},
		want:  base(func(c *Config) { c.Server = &Server{Endpoints: "tcp"} }),
	}, {
		// ACMTimeout stays zero: EffectiveACMTimeout derives the session
		// timeout from it, so HCL without acm_timeout means the same.
		name:  "the session timeout becomes the ACM timeout when that is unset",
		lines: []string{clientEndpoints, verifier, "Glacier2.SessionTimeout=30", "Ice.ACM.Timeout=10"},
		want: base(func(c *Config) {
			c.Session.Timeout = 30 * time.Second
		}),
	}, {
		name:  "Glacier2.Client.ACM.Timeout=0 turns ACM off",
		lines: []string{clientEndpoints, verifier, "Glacier2.SessionTimeout=30", "Glacier2.Client.ACM.Timeout=0"},
		want: base(func(c *Config) {
			c.Session.Timeout = 30 * time.Second
			c.Client.ACMTimeout = ACMDisabled
		}),
	}, {
		name:  "without a session timeout, the communicator's server ACM timeout",
		lines: []string{clientEndpoints, verifier, "Ice.ACM.Timeout=10", "Ice.ACM.Server.Timeout=20"},
		want:  base(func(c *Config) { c.Client.ACMTimeout = 20 * time.Second }),
	}, {
		name:  "Ice.ACM.Timeout",
		lines: []string{clientEndpoints, verifier, "Ice.ACM.Timeout=10"},
		want:  base(func(c *Config) { c.Client.ACMTimeout = 10 * time.Second }),
	}, {
		name:  "the deprecated Ice.ACM.Server",
		lines: []string{clientEndpoints, verifier, "Ice.ACM.Timeout=10", "Ice.ACM.Server=15"},
		want:  base(func(c *Config) { c.Client.ACMTimeout = 15 * time.Second }),
	}, {
		name:  "a negative ACM timeout falls back, with Ice's warning",
		lines: []string{clientEndpoints, verifier, "Ice.ACM.Timeout=10", "Glacier2.Client.ACM.Timeout=-1"},
		want: base(func(c *Config) {
			c.Client.ACMTimeout = 10 * time.Second
			c.Warnings = []string{"invalid value for property `Glacier2.Client.ACM.Timeout', default value will be used instead"}
		}),
	}, {
		name:  "a negative session timeout is none",
		lines: []string{clientEndpoints, verifier, "Glacier2.SessionTimeout=-5"},
		want: base(func(c *Config) {
			c.Warnings = []string{"property `Glacier2.SessionTimeout' is negative: sessions never time out"}
		}),
	}, {
		name:  "Ice.MessageSizeMax 0 is no limit",
		lines: []string{clientEndpoints, verifier, "Ice.MessageSizeMax=0"},
		want:  base(func(c *Config) { c.MessageSizeMax = math.MaxInt32 }),
	}, {
		name:  "Ice.MessageSizeMax beyond 2 GiB is no limit",
		lines: []string{clientEndpoints, verifier, "Ice.MessageSizeMax=2097152"},
		want:  base(func(c *Config) { c.MessageSizeMax = math.MaxInt32 }),
	}, {
		name:  "non-numeric values default, with Ice's warning",
		lines: []string{clientEndpoints, verifier, "Ice.MessageSizeMax=1MB", "Glacier2.SessionTimeout=30s"},
		want: base(func(c *Config) {
			c.Warnings = []string{
				"numeric property Glacier2.SessionTimeout set to non-numeric value, defaulting to 0",
				"numeric property Ice.MessageSizeMax set to non-numeric value, defaulting to 1024",
			}
		}),
	}, {
		name:  "the null permissions verifier as an identity means allow all",
		lines: []string{clientEndpoints, "Glacier2.PermissionsVerifier=Glacier2/NullPermissionsVerifier"},
		want: base(func(c *Config) {
			c.Auth = Auth{AllowAll: true}
			c.Warnings = []string{"permissions verifier `Glacier2/NullPermissionsVerifier' accepts every user and password: use it for development only"}
		}),
	}, {
		name:  "the null verifier's category is the instance name",
		lines: []string{clientEndpoints, "Glacier2.InstanceName=Demo", "Glacier2.PermissionsVerifier=Demo/NullPermissionsVerifier"},
		want: base(func(c *Config) {
			c.InstanceName = "Demo"
			c.Auth = Auth{AllowAll: true}
			c.Warnings = []string{"permissions verifier `Demo/NullPermissionsVerifier' accepts every user and password: use it for development only"}
		}),
	}, {
		name:  "another instance's null verifier is an ordinary verifier",
		lines: []string{clientEndpoints, "Glacier2.PermissionsVerifier=Glacier2/NullPermissionsVerifier:tcp -p 1", "Glacier2.InstanceName=Demo"},
		want: base(func(c *Config) {
			c.InstanceName = "Demo"
			c.Auth.Verifier = "Glacier2/NullPermissionsVerifier:tcp -p 1"
		}),
	}, {
		name: "Glacier2 properties floe ignores: known, and typos",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.SessionManager.Context.x=y",
			"Glacier2.Client.ThreadPool.Size=4",
			"Glacier2.client.endpoints=tcp -p 1",
			"Glacier2.SessionTimeOut=30",
			"Glacier2.Nonsense=1",
			"Ice.Trace.Network=3",
			"IceSSL.DefaultDir=certs",
			"MyApp.Setting=1",
			"Floe.backendconnections=2",
			"Floe.Connections=2",
			"Floe.threadsmax=2",
		},
		want: base(func(c *Config) {
			c.Warnings = []string{
				"unknown property `Floe.Connections', ignored (floe's own properties are `Floe.BackendConnections', `Floe.Threads', `Floe.ThreadsMax')",
				"unknown property `Floe.backendconnections', ignored; did you mean `Floe.BackendConnections'?",
				"unknown property `Floe.threadsmax', ignored; did you mean `Floe.ThreadsMax'?",
				"property `Glacier2.Client.ThreadPool.Size' is ignored: floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them",
				"unknown property `Glacier2.Nonsense', ignored",
				"property `Glacier2.SessionManager.Context.x' is ignored: glacier2router gives every call through it the client's own context, which replaces the proxy's in Ice",
				"unknown property `Glacier2.SessionTimeOut', ignored; did you mean `Glacier2.SessionTimeout'?",
				"unknown property `Glacier2.client.endpoints', ignored; did you mean `Glacier2.Client.Endpoints'?",
			}
		}),
	}, {
		name: "the address filter",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.Filter.Address.Accept=127.0.0.1 *:[80,443]",
			"Glacier2.Filter.Address.Reject=10.*",
			"Glacier2.Filter.ProxySizeMax=256",
		},
		want: base(func(c *Config) {
			c.Filter.Address = AddressFilter{Accept: "127.0.0.1 *:[80,443]", Reject: "10.*", ProxySizeMax: 256}
		}),
	}, {
		name:  "a negative ProxySizeMax wraps around in Glacier2: no limit",
		lines: []string{clientEndpoints, verifier, "Glacier2.Filter.ProxySizeMax=-5"},
		want:  base(nil),
	}, {
		name:  "server settings without server endpoints are ignored, as in Glacier2",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.ForwardContext=1", "Glacier2.Server.PublishedEndpoints=tcp -p 1"},
		want: base(func(c *Config) {
			c.Warnings = []string{
				"property `Glacier2.Server.ForwardContext' is ignored: `Glacier2.Server.Endpoints' is not set",
				"property `Glacier2.Server.PublishedEndpoints' is ignored: `Glacier2.Server.Endpoints' is not set",
			}
		}),
	}, {
		name:  "client ACM heartbeat and close",
		lines: []string{clientEndpoints, verifier, "Glacier2.Client.ACM.Heartbeat=3", "Glacier2.Client.ACM.Close=0"},
		want:  base(func(c *Config) { c.Client.ACMHeartbeat, c.Client.ACMClose = HeartbeatAlways, CloseOff }),
	}, {
		// glacier2router sets Glacier2.Client.ACM.Close=4 when unset, so
		// Ice.ACM.Close reaches only the server side.
		name: "Ice.ACM heartbeat and close: both sides' heartbeat, the server side's close",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.Endpoints=tcp", "Ice.ACM.Heartbeat=2", "Ice.ACM.Close=1",
			"Ice.ACM.Server.Heartbeat=0"},
		want: base(func(c *Config) {
			c.Client.ACMHeartbeat = HeartbeatOff
			c.Server = &Server{Endpoints: "tcp", ACMHeartbeat: HeartbeatOff, ACMClose: CloseOnIdle}
		}),
	}, {
		name:  "an invalid client close falls back to the server default, not Glacier2's",
		lines: []string{clientEndpoints, verifier, "Glacier2.Client.ACM.Close=9", "Glacier2.Client.ACM.Heartbeat=-1"},
		want: base(func(c *Config) {
			c.Client.ACMClose = CloseOnInvocation
			c.Warnings = []string{
				"invalid value for property `Glacier2.Client.ACM.Heartbeat', default value will be used instead",
				"invalid value for property `Glacier2.Client.ACM.Close', default value will be used instead",
			}
		}),
	}, {
		name: "server ACM",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.Endpoints=tcp", "Glacier2.Server.ACM.Timeout=30",
			"Glacier2.Server.ACM.Heartbeat=1", "Glacier2.Server.ACM.Close=4"},
		want: base(func(c *Config) {
			c.Server = &Server{Endpoints: "tcp", ACMTimeout: 30 * time.Second, ACMHeartbeat: HeartbeatOnDispatch, ACMClose: CloseOnIdleForceful}
		}),
	}, {
		name:  "server ACM off, and the communicator's server timeout on both sides",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.Endpoints=tcp", "Glacier2.Server.ACM.Timeout=0", "Ice.ACM.Server.Timeout=20"},
		want: base(func(c *Config) {
			c.Client.ACMTimeout = 20 * time.Second
			c.Server = &Server{Endpoints: "tcp", ACMTimeout: ACMDisabled}
		}),
	}, {
		name: "per-side message size limits, in KiB, 0 meaning none",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.Endpoints=tcp", "Glacier2.Client.MessageSizeMax=64",
			"Glacier2.Server.MessageSizeMax=0"},
		want: base(func(c *Config) {
			c.Client.MessageSizeMax = 64 * 1024
			c.Server = &Server{Endpoints: "tcp", MessageSizeMax: math.MaxInt32}
		}),
	}, {
		name:  "Ice.Default.Protocol and Ice.Default.Timeout",
		lines: []string{clientEndpoints, verifier, "Ice.Default.Protocol=ssl", "Ice.Default.Timeout=5000"},
		want:  base(func(c *Config) { c.DefaultProtocol, c.DefaultTimeout = "ssl", 5*time.Second }),
	}, {
		name:  "Ice.Default.Timeout -1 is infinite",
		lines: []string{clientEndpoints, verifier, "Ice.Default.Timeout=-1"},
		want:  base(func(c *Config) { c.DefaultTimeout = TimeoutInfinite }),
	}, {
		name:  "invalid Ice defaults, with warnings",
		lines: []string{clientEndpoints, verifier, "Ice.Default.Protocol=bt", "Ice.Default.Timeout=0"},
		want: base(func(c *Config) {
			c.Warnings = []string{
				"property `Ice.Default.Protocol' names an unknown protocol `bt', ignored (floe knows tcp, ssl, ws, wss, udp)",
				"invalid value for Ice.Default.Timeout `0': defaulting to 60000",
			}
		}),
	}, {
		name:  "IP versions",
		lines: []string{clientEndpoints, verifier, "Ice.IPv4=0", "Ice.PreferIPv6Address=1"},
		want:  base(func(c *Config) { c.DisableIPv4, c.PreferIPv6 = true, true }),
	}, {
		name:  "Ice.IPv6=0",
		lines: []string{clientEndpoints, verifier, "Ice.IPv6=0"},
		want:  base(func(c *Config) { c.DisableIPv6 = true }),
	}, {
		name: "the proxy settings of the verifiers and session managers",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.PermissionsVerifier.EndpointSelection=Ordered",
			"Glacier2.PermissionsVerifier.PreferSecure=1",
			"Glacier2.PermissionsVerifier.InvocationTimeout=2500",
			"Glacier2.SessionManager=SM:tcp -p 1",
			"Glacier2.SessionManager.LocatorCacheTimeout=-1",
			"Glacier2.SessionManager.Locator=IceGrid/Locator:tcp -p 4061",
			"Glacier2.SessionManager.EndpointSelection=Random",
			"Glacier2.SSLPermissionsVerifier=SSLV:tcp -p 2",
			"Glacier2.SSLPermissionsVerifier.LocatorCacheTimeout=30",
			"Glacier2.SSLSessionManager=SSLSM:tcp -p 3",
			"Glacier2.SSLSessionManager.InvocationTimeout=-1",
			"Glacier2.SSLSessionManager.LocatorCacheTimeout=0",
		},
		want: base(func(c *Config) {
			forever, thirty, zero := LocatorCacheForever, 30*time.Second, time.Duration(0)
			c.Auth.VerifierOptions = ProxyOptions{OrderedEndpoints: true, PreferSecure: true, InvocationTimeout: 2500 * time.Millisecond}
			c.Auth.SessionManager = "SM:tcp -p 1"
			c.Auth.SessionManagerOptions = ProxyOptions{LocatorCacheTimeout: &forever, Locator: "IceGrid/Locator:tcp -p 4061"}
			c.Auth.SSLVerifier = "SSLV:tcp -p 2"
			c.Auth.SSLVerifierOptions = ProxyOptions{LocatorCacheTimeout: &thirty}
			c.Auth.SSLSessionManager = "SSLSM:tcp -p 3"
			c.Auth.SSLSessionManagerOptions = ProxyOptions{LocatorCacheTimeout: &zero}
		}),
	}, {
		name: "proxy settings Ice corrects, those floe ignores, and those of a proxy not set",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.PermissionsVerifier.LocatorCacheTimeout=-5",
			"Glacier2.PermissionsVerifier.InvocationTimeout=0",
			"Glacier2.PermissionsVerifier.ConnectionCached=0",
			"Glacier2.PermissionsVerifier.Router=Other/router:tcp -p 1",
			"Glacier2.PermissionsVerifier.CollocationOptimized=0",
			"Glacier2.SessionManager.PreferSecure=1",
		},
		want: base(func(c *Config) {
			forever := LocatorCacheForever
			c.Auth.VerifierOptions = ProxyOptions{LocatorCacheTimeout: &forever}
			c.Warnings = []string{
				"invalid value for Glacier2.PermissionsVerifier.LocatorCacheTimeout`-5': defaulting to -1",
				"invalid value for Glacier2.PermissionsVerifier.InvocationTimeout`0': defaulting to -1",
				"property `Glacier2.SessionManager.PreferSecure' is ignored: `Glacier2.SessionManager' is not a proxy floe calls",
				"property `Glacier2.PermissionsVerifier.CollocationOptimized' is ignored: nothing is collocated with the router",
				"property `Glacier2.PermissionsVerifier.ConnectionCached' is ignored: floe keeps one connection per endpoint for all its calls, as Ice does with connection caching on",
				"property `Glacier2.PermissionsVerifier.Router' is ignored: floe calls verifiers and session managers directly, never through another router",
			}
		}),
	}, {
		name: "Glacier2 properties floe ignores on purpose",
		lines: []string{clientEndpoints, verifier, "Glacier2.Server.Endpoints=tcp",
			"Glacier2.Client.AdapterId=RouterClient",
			"Glacier2.Server.Router=Other/router:tcp -p 1",
			"Glacier2.Client.ProxyOptions=-t",
			"Glacier2.Server.ACM=30",
			"Glacier2.Client.Locator.EndpointSelection=Ordered",
		},
		want: base(func(c *Config) {
			c.Server = &Server{Endpoints: "tcp"}
			c.Warnings = []string{
				"property `Glacier2.Client.AdapterId' is ignored: floe does not register its endpoints with a locator",
				"property `Glacier2.Client.Locator.EndpointSelection' is ignored: floe does not register its endpoints with a locator",
				"property `Glacier2.Client.ProxyOptions' is ignored: the proxies floe hands out carry no extra proxy options",
				"property `Glacier2.Server.ACM' is ignored: Ice 3.7 reads only Glacier2.Server.ACM.Timeout, .Heartbeat and .Close for an object adapter",
				"property `Glacier2.Server.Router' is ignored: floe's endpoints cannot be reached through another router",
			}
		}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromProperties(props(t, tc.lines...))
			if err != nil {
				t.Fatal(err)
			}
			// Every property set is kept for the admin Properties facet,
			// with the client ACM settings glacier2router adds.
			for _, line := range tc.lines {
				k, v, _ := strings.Cut(line, "=")
				if got.Properties[k] != v {
					t.Errorf("property %s kept as %q, want %q", k, got.Properties[k], v)
				}
			}
			if got.Properties["Glacier2.Client.ACM.Close"] == "" {
				t.Errorf("Glacier2.Client.ACM.Close not added: %v", got.Properties)
			}
			got.Properties = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
				t.Logf("warnings: %q", got.Warnings)
			}
		})
	}
}

func TestFromPropertiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lines    []string
		want     []string
		warnings []string
	}{{
		name: "nothing set: both of glacier2router's refusals at once",
		want: []string{
			"property `Glacier2.Client.Endpoints' is not set",
			"Glacier2 requires a permissions verifier or password file",
		},
	}, {
		name:  "a session manager is no verifier",
		lines: []string{clientEndpoints, "Glacier2.SessionManager=SM:tcp -p 1"},
		want:  []string{"Glacier2 requires a permissions verifier or password file"},
	}, {
		name: "bad strings",
		lines: []string{
			"Glacier2.Client.Endpoints=bad",
			"Glacier2.Client.PublishedEndpoints=tcp : bad",
			"Glacier2.Server.Endpoints=bad -p 1",
			"Glacier2.Server.PublishedEndpoints=bad",
			"Glacier2.PermissionsVerifier=bad",
			"Glacier2.SessionManager=bad:tcp",
		},
		want: []string{
			"invalid endpoints in property `Glacier2.Client.Endpoints': `bad': stub: bad endpoint",
			"invalid endpoints in property `Glacier2.Client.PublishedEndpoints': `tcp : bad': stub: bad endpoint",
			"invalid endpoints in property `Glacier2.Server.Endpoints': `bad -p 1': stub: bad endpoint",
			"invalid endpoints in property `Glacier2.Server.PublishedEndpoints': `bad': stub: bad endpoint",
			"permissions verifier `bad' is invalid: stub: bad proxy",
			"session manager `bad:tcp' is invalid: stub: bad proxy",
		},
	}, {
		name:     "the warnings that explain an error are kept",
		lines:    []string{"Glacier2.client.endpoints=tcp -p 1", verifier},
		want:     []string{"property `Glacier2.Client.Endpoints' is not set"},
		warnings: []string{"unknown property `Glacier2.client.endpoints', ignored; did you mean `Glacier2.Client.Endpoints'?"},
	}, {
		name:  "no IP version left",
		lines: []string{clientEndpoints, verifier, "Ice.IPv4=0", "Ice.IPv6=0"},
		want:  []string{"both IPv4 and IPv6 support cannot be disabled (Ice.IPv4=0 and Ice.IPv6=0)"},
	}, {
		name: "bad proxy settings",
		lines: []string{clientEndpoints, verifier, "Glacier2.PermissionsVerifier.EndpointSelection=ordered",
			"Glacier2.PermissionsVerifier.Locator=bad"},
		want: []string{
			"permissions verifier `Verifier:tcp -h 10.0.0.2 -p 10000' is invalid: illegal value `ordered' in `Glacier2.PermissionsVerifier.EndpointSelection'; expected `Random' or `Ordered'",
			"permissions verifier `Verifier:tcp -h 10.0.0.2 -p 10000' is invalid: locator `bad' in `Glacier2.PermissionsVerifier.Locator' is invalid: stub: bad proxy",
		},
	}, {
		name: "address rules and proxy sizes glacier2router refuses to start with",
		lines: []string{clientEndpoints, verifier,
			"Glacier2.Filter.Address.Accept=bad[",
			"Glacier2.Filter.Address.Reject=10.* bad",
			"Glacier2.Filter.ProxySizeMax=0",
		},
		want: []string{
			"invalid `Glacier2.Filter.Address.Accept' property: stub: bad rule",
			"invalid `Glacier2.Filter.Address.Reject' property: stub: bad rule",
			"invalid `Glacier2.Filter.ProxySizeMax' property: `0': ProxySizeMax must be greater than 1",
		},
	}, {
		name:  "a routing table that can hold nothing",
		lines: []string{clientEndpoints, verifier, "Glacier2.RoutingTable.MaxSize=0"},
		want:  []string{"property `Glacier2.RoutingTable.MaxSize' must be at least 1, not 0"},
	}, {
		name:  "no backend connection",
		lines: []string{clientEndpoints, verifier, "Floe.BackendConnections=0"},
		want:  []string{"property `Floe.BackendConnections' must be between 1 and 64, not 0"},
	}, {
		name:  "too many backend connections",
		lines: []string{clientEndpoints, verifier, "Floe.BackendConnections=65"},
		want:  []string{"property `Floe.BackendConnections' must be between 1 and 64, not 65"},
	}, {
		name:  "no threads",
		lines: []string{clientEndpoints, verifier, "Floe.Threads=0", "Floe.ThreadsMax=2000"},
		want: []string{"property `Floe.Threads' must be between 1 and 1024, not 0",
			"property `Floe.ThreadsMax' must be between 1 and 1024, not 2000"},
	}, {
		name:  "ThreadsMax below Threads",
		lines: []string{clientEndpoints, verifier, "Floe.Threads=4", "Floe.ThreadsMax=2"},
		want:  []string{"property `Floe.ThreadsMax' (2) must be at least `Floe.Threads' (4)"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := FromProperties(props(t, tc.lines...))
			if err == nil || cfg.Client.Endpoints != "" {
				t.Fatalf("got %+v, %v", cfg, err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tc.want)
			}
			if !reflect.DeepEqual(cfg.Warnings, tc.warnings) {
				t.Errorf("warnings\n got %q\nwant %q", cfg.Warnings, tc.warnings)
			}
		})
	}
}

// TestParseProxySizeMax: glacier2router reads the value with `>> unsigned
// long' and wants all of it used (its answers checked by hand).
func TestParseProxySizeMax(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		problem string
	}{
		{"53", 53, ""},
		{"+53", 53, ""},
		{" 53", 53, ""},
		{"1", 1, ""},
		{"-5", 0, ""}, // 2^64-5: no proxy is that long
		{"99999999999", 0, ""},
		{"18446744073709551615", 0, ""},
		{"-18446744073709551615", 1, ""},
		{"0", 0, "ProxySizeMax must be greater than 1"},
		{"-0", 0, "ProxySizeMax must be greater than 1"},
		{"53x", 0, "Error parsing ProxySizeMax property"},
		{"53 ", 0, "Error parsing ProxySizeMax property"},
		{"0x10", 0, "Error parsing ProxySizeMax property"},
		{"abc", 0, "Error parsing ProxySizeMax property"},
		{"- 5", 0, "Error parsing ProxySizeMax property"},
		{"18446744073709551616", 0, "Error parsing ProxySizeMax property"},
	} {
		n, problem := parseProxySizeMax(tc.in)
		if n != tc.want || problem != tc.problem {
			t.Errorf("parseProxySizeMax(%q) = %d, %q; want %d, %q", tc.in, n, problem, tc.want, tc.problem)
		}
	}
}

func TestFromPropertiesFile(t *testing.T) {
	p, rest, err := ice.ParseCommandLine([]string{"--Ice.Config=testdata/glacier2/config.router", "--Glacier2.SessionTimeout=60"},
		func(string) string { return "" })
	if err != nil || len(rest) != 0 {
		t.Fatal(err, rest)
	}
	cfg, err := FromProperties(p)
	if err != nil {
		t.Fatal(err)
	}
	want := newConfig("properties")
	want.InstanceName = "DemoGlacier2"
	want.Client = Client{Endpoints: "tcp -p 4063 -h 127.0.0.1", ForwardContext: true}
	want.Server = &Server{Endpoints: "tcp -h 127.0.0.1"}
	want.Session.Timeout = time.Minute
	want.Auth.AllowAll = true
	want.Warnings = []string{
		"permissions verifier `DemoGlacier2/NullPermissionsVerifier' accepts every user and password: use it for development only",
	}
	want.Trace = Trace{Session: 1, ClientRequest: 1}
	if cfg.Properties["Glacier2.InstanceName"] != "DemoGlacier2" || cfg.Properties["Ice.Trace.Network"] != "1" {
		t.Errorf("properties not kept for the admin facet: %v", cfg.Properties)
	}
	cfg.Properties = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

func TestGlacier2PropertyNames(t *testing.T) {
	// Ice 3.7.8's PropertyNames.cpp lists 142 Glacier2 properties.
	if n := len(glacier2Properties); n != 142 {
		t.Errorf("%d Glacier2 properties, Ice 3.7 has 142", n)
	}
	for _, name := range mappedGlacier2Properties {
		if p, exact := knownGlacier2Property(name); !exact || p != name {
			t.Errorf("mapped property %s is not a Glacier2 property", name)
		}
	}
	// Every Glacier2 property is mapped or ignored on purpose.
	for _, name := range glacier2Properties {
		mapped, reason := isMappedGlacier2Property(name), ignoredReason(name)
		switch {
		case mapped && reason != "":
			t.Errorf("%s is both mapped and ignored (%s)", name, reason)
		case !mapped && reason == "":
			t.Errorf("%s is neither mapped nor ignored with a reason", name)
		}
	}
	for _, tc := range []struct {
		key, pattern string
		exact        bool
	}{
		{"Glacier2.Client.Endpoints", "Glacier2.Client.Endpoints", true},
		{"Glacier2.Server.Router.Context.a.b", "Glacier2.Server.Router.Context.*", true},
		{"Glacier2.Server.Router.Context.", "", false},
		{"GLACIER2.CLIENT.ENDPOINTS", "Glacier2.Client.Endpoints", false},
		{"Glacier2.Client.Trace.Reject", "Glacier2.Client.Trace.Reject", true},
		{"Glacier2.Server.Trace.Reject", "", false},
		{"Glacier2.Filter.Category.AcceptUser", "Glacier2.Filter.Category.AcceptUser", true},
	} {
		p, exact := knownGlacier2Property(tc.key)
		if p != tc.pattern || exact != tc.exact {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.key, p, exact, tc.pattern, tc.exact)
		}
	}
}
