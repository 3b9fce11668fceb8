package config

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// minimal is the smallest valid configuration; tests add to it.
const minimal = `
client {
  endpoints = "tcp -p 4063"
}
auth {
  verifier = "Verifier:tcp -h 10.0.0.2 -p 10000"
}
`

func TestParseValid(t *testing.T) {
	base := func(change func(c *Config)) *Config {
		c := newConfig("test.hcl")
		c.Client.Endpoints = "tcp -p 4063"
		c.Auth.Verifier = "Verifier:tcp -h 10.0.0.2 -p 10000"
		if change != nil {
			change(c)
		}
		return c
	}
	for _, tc := range []struct {
		name string
		src  string
		want *Config
	}{{
		name: "minimal, with every default",
		src:  minimal,
		want: base(nil),
	}, {
		name: "top-level settings",
		src:  minimal + `instance_name = "DemoGlacier2"` + "\nmessage_size_max = 2048\n",
		want: base(func(c *Config) { c.InstanceName = "DemoGlacier2"; c.MessageSizeMax = 2048 * 1024 }),
	}, {
		name: "admin",
		src:  minimal + "admin {\n  listen = \"127.0.0.1:9090\"\n}\n",
		want: base(func(c *Config) { c.Admin = &Admin{Listen: "127.0.0.1:9090"} }),
	}, {
		name: "message_size_max 0 is no limit, as in Ice",
		src:  minimal + "message_size_max = 0\n",
		want: base(func(c *Config) { c.MessageSizeMax = math.MaxInt32 }),
	}, {
		name: "client",
		src: `client {
  endpoints = "tcp -p 4063"
  published_endpoints = "tcp -h router.example.com -p 4063"
  forward_context = true
  acm_timeout = "2m"
}
auth { verifier = "Verifier:tcp -h 10.0.0.2 -p 10000" }`,
		want: base(func(c *Config) {
			c.Client.PublishedEndpoints = "tcp -h router.example.com -p 4063"
			c.Client.ForwardContext = true
			c.Client.ACMTimeout = 2 * time.Minute
		}),
	}, {
		name: "the address filter",
		src: minimal + `filter {
  address_accept = "127.0.0.1 10.0.0.[1-9]:[10000-10100]"
  address_reject = "*:666"
  proxy_size_max = 512
}
`,
		want: base(func(c *Config) {
			c.Filter.Address = AddressFilter{Accept: "127.0.0.1 10.0.0.[1-9]:[10000-10100]", Reject: "*:666", ProxySizeMax: 512}
		}),
	}, {
		name: "acm_timeout 0s turns ACM off",
		src:  strings.Replace(minimal, `"tcp -p 4063"`, `"tcp -p 4063"`+"\n  acm_timeout = \"0s\"", 1),
		want: base(func(c *Config) { c.Client.ACMTimeout = ACMDisabled }),
	}, {
		name: "server, session, log",
		src: minimal + `
server {
  endpoints = "tcp -h 10.0.0.1"
  published_endpoints = "tcp -h 10.0.0.1 -p 4070"
  forward_context = true
}
session {
  timeout = "30s"
  routing_table_size = 10
}
log {
  level = "DEBUG"
  json = true
}`,
		want: base(func(c *Config) {
			c.Server = &Server{Endpoints: "tcp -h 10.0.0.1", PublishedEndpoints: "tcp -h 10.0.0.1 -p 4070", ForwardContext: true}
			c.Session = Session{Timeout: 30 * time.Second, RoutingTableSize: 10}
			c.Log = Log{Level: "debug", JSON: true}
		}),
	}, {
		name: "session manager, and null meaning unset",
		src: `client {
  endpoints = "tcp -p 4063"
  published_endpoints = null
}
auth {
  verifier = "Verifier:tcp -h 10.0.0.2 -p 10000"
  session_manager = "SessionManager:tcp -h 10.0.0.2 -p 10001"
}`,
		want: base(func(c *Config) { c.Auth.SessionManager = "SessionManager:tcp -h 10.0.0.2 -p 10001" }),
	}, {
		name: "HCL's own conversions: a bool and a number written as strings",
		src:  minimal + "session {\n  routing_table_size = \"20\"\n}\nlog {\n  json = \"true\"\n}\n",
		want: base(func(c *Config) { c.Session.RoutingTableSize = 20; c.Log.JSON = true }),
	}, {
		name: "allow_all, with its warning",
		src:  "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n  allow_all = true\n}\n",
		want: base(func(c *Config) {
			c.Auth = Auth{AllowAll: true}
			c.Warnings = []string{"test.hcl:5:15: Development setting; allow_all accepts every user and password: use it for development only."}
		}),
	}, {
		name: "ACM and message sizes of both sides, return_client_proxy",
		src: `client {
  endpoints = "tcp -p 4063"
  acm_heartbeat = "always"
  acm_close = "off"
  message_size_max = 64
  return_client_proxy = true
}
server {
  endpoints = "tcp -h 10.0.0.1"
  acm_timeout = "0s"
  acm_heartbeat = "on_idle"
  acm_close = "on_invocation_and_idle"
  message_size_max = 0
}
auth { verifier = "Verifier:tcp -h 10.0.0.2 -p 10000" }`,
		want: base(func(c *Config) {
			c.Client.ACMHeartbeat, c.Client.ACMClose, c.Client.MessageSizeMax = HeartbeatAlways, CloseOff, 64*1024
			c.ReturnClientProxy = true
			c.Server = &Server{Endpoints: "tcp -h 10.0.0.1", ACMTimeout: ACMDisabled, ACMHeartbeat: HeartbeatOnIdle,
				ACMClose: CloseOnInvocationAndIdle, MessageSizeMax: math.MaxInt32}
		}),
	}, {
		name: "server acm_timeout",
		src:  minimal + "server {\n  endpoints = \"tcp\"\n  acm_timeout = \"90s\"\n}\n",
		want: base(func(c *Config) { c.Server = &Server{Endpoints: "tcp", ACMTimeout: 90 * time.Second} }),
	}, {
		name: "Ice's runtime settings",
		src: minimal + `default_host = "10.0.0.9"
default_protocol = "ssl"
default_timeout = "2500ms"
ipv4 = false
ipv6 = true
prefer_ipv6 = true
compress = false
compression_level = 9
backend_connections = 4
threads = 2
threads_max = 4
`,
		want: base(func(c *Config) {
			c.DefaultHost, c.DefaultProtocol, c.DefaultTimeout = "10.0.0.9", "ssl", 2500*time.Millisecond
			c.DisableIPv4, c.PreferIPv6 = true, true
			off := false
			c.Compress, c.CompressionLevel = &off, 9
			c.BackendConnections = 4
			c.Threads, c.ThreadsMax = 2, 4
		}),
	}, {
		name: "infinite default timeout, IPv6 off, compression on",
		src:  minimal + "default_timeout = \"infinite\"\nipv6 = false\ncompress = true\n",
		want: base(func(c *Config) {
			on := true
			c.DefaultTimeout, c.DisableIPv6, c.Compress = TimeoutInfinite, true, &on
		}),
	}, {
		name: "trace",
		src: minimal + `trace {
  session = 1
  routing_table = 3
  client_request = 1
  server_request = 2
  client_reject = 1
  client_override = 1
  server_override = 1
}
`,
		want: base(func(c *Config) {
			c.Trace = Trace{Session: 1, RoutingTable: 3, ClientRequest: 1, ServerRequest: 2, ClientReject: 1, ClientOverride: 1, ServerOverride: 1}
		}),
	}, {
		name: "proxy options of the verifiers and session managers",
		src: `client { endpoints = "tcp -p 4063" }
auth {
  verifier = "Verifier:tcp -h 10.0.0.2 -p 10000"
  verifier_options {
    endpoint_selection = "ordered"
    prefer_secure = true
    invocation_timeout = "2500ms"
  }
  session_manager = "SM:tcp -p 1"
  session_manager_options {
    locator_cache_timeout = "forever"
    locator = "IceGrid/Locator:tcp -p 4061"
  }
  ssl_verifier = "SSLV:tcp -p 2"
  ssl_verifier_options {
    locator_cache_timeout = "30s"
    endpoint_selection = "random"
  }
  ssl_session_manager = "SSLSM:tcp -p 3"
  ssl_session_manager_options {
    locator_cache_timeout = "0s"
  }
}`,
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
		name: "locator cache forever",
		src:  minimal + "locator {\n  proxy = \"IceGrid/Locator:tcp -p 4061\"\n  cache_timeout = \"forever\"\n}\n",
		want: base(func(c *Config) {
			c.Locator = &Locator{Proxy: "IceGrid/Locator:tcp -p 4061", CacheTimeout: LocatorCacheForever}
		}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := Parse([]byte(tc.src), "test.hcl")
			if diags.HasErrors() {
				t.Fatalf("unexpected diagnostics:\n%s", diagLines(diags))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseFullExample(t *testing.T) {
	got, diags := LoadFile("testdata/full.hcl")
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", diagLines(diags))
	}
	want := &Config{
		InstanceName: "DemoGlacier2",
		Client: Client{
			Endpoints:            "tcp -h 0.0.0.0 -p 4063 : ssl -h 0.0.0.0 -p 4064 : wss -h 0.0.0.0 -p 4065",
			PublishedEndpoints:   "tcp -h router.example.com -p 4063",
			ForwardContext:       true,
			ACMTimeout:           45 * time.Second,
			AddConnectionContext: 1,
		},
		Server:  &Server{Endpoints: "tcp -h 10.0.0.1", PublishedEndpoints: "tcp -h 10.0.0.1 -p 4070", ForwardContext: true},
		Session: Session{Timeout: 30 * time.Second, RoutingTableSize: 500},
		Auth: Auth{Verifier: "Verifier:tcp -h 10.0.0.2 -p 10000", SessionManager: "SessionManager:tcp -h 10.0.0.2 -p 10001",
			SSLVerifier: "SSLVerifier:tcp -h 10.0.0.2 -p 10000", SSLSessionManager: "SSLSessionManager:tcp -h 10.0.0.2 -p 10001"},
		TLS: &TLS{CertFile: []string{"testdata/tls/server.p12"}, Password: "password", CAFile: "testdata/tls/ca.pem",
			VerifyPeer: 1, CheckCertName: true, VerifyDepthMax: 5},
		MessageSizeMax: 2048 * 1024,
		Log:            Log{Level: "debug", JSON: true},
		Source:         "testdata/full.hcl",
	}
	checkLoaded(t, got.TLS, "CN=router,O=floe tests", 2)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func diagLines(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(formatDiagnostic(d, true))
		b.WriteByte('\n')
	}
	return b.String()
}

// TestParseDiagnostics checks each mistake's diagnostic, with its position,
// and that all of a file's mistakes are reported together.
func TestParseDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{{
		name: "syntax error",
		src:  "client {\n  endpoints = \"tcp\n}\n",
		want: []string{
			`test.hcl:2:19: error: Invalid multi-line string; Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \n escape to represent a newline character or use the "heredoc" multi-line template syntax.`,
			`test.hcl:2:19: error: Unterminated template string; No closing marker was found for the string.`,
			`test.hcl:3:2: error: Invalid multi-line string; Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \n escape to represent a newline character or use the "heredoc" multi-line template syntax.`,
		},
	}, {
		name: "empty file",
		src:  "",
		want: []string{
			`test.hcl:1:1: error: Missing client endpoints; A client block with endpoints is required: it says where clients connect, for example client { endpoints = "tcp -p 4063" }.`,
			`test.hcl:1:1: error: No authentication configured; ` + noAuthDetail,
		},
	}, {
		name: "client block without endpoints, auth block without a verifier",
		src:  "client {\n}\nauth {\n  session_manager = \"SM:tcp -p 1\"\n}\n",
		want: []string{
			`test.hcl:1:1: error: Missing client endpoints; The client block needs endpoints: where clients connect, for example endpoints = "tcp -p 4063".`,
			`test.hcl:3:1: error: No authentication configured; ` + noAuthDetail,
		},
	}, {
		name: "unknown attributes and blocks",
		src:  minimal + "instance = \"x\"\nclient_config {}\nlog {\n  levle = \"info\"\n}\n",
		want: []string{
			`test.hcl:8:1: error: Unsupported argument; An argument named "instance" is not expected here.`,
			`test.hcl:9:1: error: Unsupported block type; Blocks of type "client_config" are not expected here.`,
			`test.hcl:11:3: error: Unsupported argument; An argument named "levle" is not expected here. Did you mean "level"?`,
		},
	}, {
		name: "every block with an error is reported: script, plugin, admin",
		src: minimal + `filter {
  categories = ["c1"]
}
allowed_backends = ["10.0.0.0/8:10000-10100"]
script "guard" {
  file = "guard.lua"
}
plugin "passwd" {
  path = "bin/p"
  config {
    file = "passwords"
  }
}
admin {
  listen = "localhost"
}
admin {
}
`,
		want: []string{
			`test.hcl:13:10: error: Cannot read script; stat guard.lua: no such file or directory.`,
			`test.hcl:16:10: error: Invalid plugin path; The plugin's executable bin/p does not exist.`,
			`test.hcl:22:12: error: Invalid admin address; listen = "localhost" is not a host:port address; write for example listen = "127.0.0.1:9090".`,
			`test.hcl:24:1: error: Duplicate admin block; A admin block was already defined at test.hcl:21:1; put all its settings in one block.`,
		},
	}, {
		name: "an admin block without an address",
		src:  minimal + "admin {\n}\n",
		want: []string{
			`test.hcl:8:1: error: Missing admin address; An admin block needs listen, for example listen = "127.0.0.1:9090".`,
		},
	}, {
		name: "address rules and proxy sizes glacier2router refuses",
		src: minimal + `filter {
  address_accept = "127.0.0.1 bad["
  address_reject = ["10.*"]
  proxy_size_max = 0
}
`,
		want: []string{
			`test.hcl:9:20: error: Invalid address rule; address_accept: stub: bad rule.`,
			`test.hcl:10:20: error: Incorrect attribute value type; Inappropriate value for attribute "address_reject": a string is required.`,
			`test.hcl:11:20: error: Number out of range; proxy_size_max must be between 1 and 2147483647 bytes, not 0.`,
		},
	}, {
		name: "a passwords_file that does not load is not also reported as no authentication",
		src:  "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n  passwords_file = \"testdata/missing\"\n}\n",
		want: []string{
			"test.hcl:5:20: error: Invalid password file; cannot open `testdata/missing' for reading: No such file or directory.",
		},
	}, {
		name: "wrong types",
		src: `client {
  endpoints = ["tcp -p 4063"]
  forward_context = "yes"
}
auth {
  verifier = "V:tcp -p 1"
}
session {
  routing_table_size = "many"
}
`,
		want: []string{
			`test.hcl:2:15: error: Incorrect attribute value type; Inappropriate value for attribute "endpoints": a string is required.`,
			`test.hcl:3:21: error: Incorrect attribute value type; Inappropriate value for attribute "forward_context": a bool is required.`,
			`test.hcl:9:24: error: Incorrect attribute value type; Inappropriate value for attribute "routing_table_size": a number is required.`,
		},
	}, {
		name: "durations",
		src: minimal + `session {
  timeout = "30"
}
client {
  endpoints = "tcp -p 1"
  acm_timeout = "-5s"
}
server {
  endpoints = "tcp -p 2"
}
`,
		want: []string{
			`test.hcl:9:13: error: Invalid duration; "30" is not a duration; write a number and a unit, as "30s" or "5m".`,
			`test.hcl:11:1: error: Duplicate client block; A client block was already defined at test.hcl:2:1; put all its settings in one block.`,
		},
	}, {
		name: "negative and fractional durations",
		src: strings.Replace(minimal, `"tcp -p 4063"`, `"tcp -p 4063"`+"\n  acm_timeout = \"-5s\"", 1) +
			"session {\n  timeout = \"1500ms\"\n}\n",
		want: []string{
			`test.hcl:4:17: error: Negative duration; acm_timeout cannot be negative ("-5s").`,
			`test.hcl:10:13: error: Invalid duration; timeout must be a whole number of seconds ("1500ms"): Ice and Glacier2 count it in seconds.`,
		},
	}, {
		name: "sizes",
		src:  minimal + "message_size_max = -1\nsession {\n  routing_table_size = 0\n}\n",
		want: []string{
			`test.hcl:8:20: error: Negative size; message_size_max cannot be negative (-1).`,
			`test.hcl:10:24: error: Number out of range; routing_table_size must be between 1 and 2147483647 proxies, not 0.`,
		},
	}, {
		name: "sizes out of range and fractional",
		src:  minimal + "message_size_max = 4194304\nsession {\n  routing_table_size = 1.5\n}\n",
		want: []string{
			`test.hcl:8:20: error: Number out of range; message_size_max must be between 0 and 2097151 KiB, not 4194304.`,
			`test.hcl:10:24: error: Invalid number; routing_table_size must be a whole number, not 1.5.`,
		},
	}, {
		name: "bad endpoint and proxy strings",
		src: `client {
  endpoints = "tcp -p 4063 : bad -p 1"
  published_endpoints = "bad"
}
server {
  endpoints = ""
}
auth {
  verifier = "bad:tcp -p 1"
  session_manager = "  "
}
`,
		want: []string{
			`test.hcl:2:15: error: Invalid endpoints; "tcp -p 4063 : bad -p 1" is not a valid endpoint list: stub: bad endpoint.`,
			`test.hcl:3:25: error: Invalid endpoints; "bad" is not a valid endpoint list: stub: bad endpoint.`,
			`test.hcl:6:15: error: Empty endpoints; endpoints cannot be empty.`,
			`test.hcl:9:14: error: Invalid verifier proxy; "bad:tcp -p 1" is not a valid proxy: stub: bad proxy.`,
			`test.hcl:10:21: error: Invalid session manager proxy; "  " is not a valid proxy: empty proxy.`,
		},
	}, {
		name: "server block without endpoints, empty instance name, bad log level",
		src:  minimal + "instance_name = \"\"\nserver {\n  forward_context = true\n}\nlog {\n  level = \"verbose\"\n}\n",
		want: []string{
			`test.hcl:8:17: error: Empty instance name; instance_name is the category of the router's objects (<instance_name>/router) and cannot be empty; remove it for the default "Glacier2".`,
			`test.hcl:9:1: error: Missing server endpoints; The server block needs endpoints, where servers send callbacks, for example endpoints = "tcp -h 10.0.0.1"; remove the block to run without callbacks.`,
			`test.hcl:13:11: error: Invalid log level; "verbose" is not a log level; use one of trace, debug, info, warn, error.`,
		},
	}, {
		name: "allow_all with a verifier",
		src:  strings.Replace(minimal, "auth {", "auth {\n  allow_all = true", 1),
		want: []string{
			`test.hcl:6:15: error: Conflicting authentication; allow_all accepts every user the verifier would refuse; set either verifier or allow_all, not both.`,
		},
	}, {
		name: "variables and functions are not allowed",
		src:  strings.Replace(minimal, `"tcp -p 4063"`, `var.endpoints`, 1) + "instance_name = upper(\"x\")\n",
		want: []string{
			`test.hcl:3:15: error: Variables not allowed; Variables may not be used here.`,
			`test.hcl:8:17: error: Function calls not allowed; Functions may not be called here.`,
		},
	}, {
		name: "bad ACM policies, message sizes, trace levels",
		src: `client {
  endpoints = "tcp -p 4063"
  acm_heartbeat = "sometimes"
  acm_close = 4
  message_size_max = -1
}
server {
  endpoints = "tcp"
  acm_timeout = "1500ms"
}
auth { allow_all = true }
trace {
  session = -1
}
`,
		want: []string{
			`test.hcl:3:19: error: Invalid ACM heartbeat; "sometimes" is not one of "off", "on_dispatch", "on_idle", "always".`,
			`test.hcl:4:15: error: Invalid ACM close; "4" is not one of "off", "on_idle", "on_invocation", "on_invocation_and_idle", "on_idle_forceful".`,
			`test.hcl:5:22: error: Negative size; message_size_max cannot be negative (-1).`,
			`test.hcl:9:17: error: Invalid duration; acm_timeout must be a whole number of seconds ("1500ms"): Ice and Glacier2 count it in seconds.`,
			`test.hcl:11:20: warning: Development setting; allow_all accepts every user and password: use it for development only.`,
			`test.hcl:13:13: error: Negative size; session cannot be negative (-1).`,
		},
	}, {
		name: "bad Ice runtime settings",
		src: minimal + `default_protocol = "bt"
default_timeout = "0s"
ipv4 = false
ipv6 = false
compression_level = 10
backend_connections = 0
`,
		want: []string{
			`test.hcl:8:20: error: Invalid protocol; "bt" is not one of "tcp", "ssl", "ws", "wss", "udp".`,
			`test.hcl:9:19: error: Invalid timeout; default_timeout cannot be 0; write "infinite" for endpoints without a timeout.`,
			`test.hcl:11:8: error: No IP version left; ipv4 and ipv6 cannot both be false.`,
			`test.hcl:12:21: error: Number out of range; compression_level must be between 1 and 9 (bzip2 block size), not 10.`,
			`test.hcl:13:23: error: Number out of range; backend_connections must be between 1 and 64 connections, not 0.`,
		},
	}, {
		name: "no threads",
		src:  minimal + "threads = 0\nthreads_max = 1025\n",
		want: []string{
			`test.hcl:8:11: error: Number out of range; threads must be between 1 and 1024 threads, not 0.`,
			`test.hcl:9:15: error: Number out of range; threads_max must be between 1 and 1024 threads, not 1025.`,
		},
	}, {
		name: "threads_max below threads",
		src:  minimal + "threads = 4\nthreads_max = 2\n",
		want: []string{
			`test.hcl:9:15: error: Fewer threads than the least; threads_max (2) must be at least threads (4).`,
		},
	}, {
		name: "bad proxy options",
		src: `client { endpoints = "tcp -p 4063" }
auth {
  verifier = "V:tcp -p 1"
  verifier_options {
    endpoint_selection = "Ordered"
    invocation_timeout = "1.5ms"
    locator_cache_timeout = "always"
    locator = "bad"
  }
  verifier_options {}
  session_manager_options {
    prefer_secure = true
  }
}
`,
		want: []string{
			`test.hcl:5:26: error: Invalid endpoint selection; "Ordered" is not one of "random", "ordered".`,
			`test.hcl:6:26: error: Invalid duration; invocation_timeout must be a whole number of milliseconds ("1.5ms"): Ice and Glacier2 count it in milliseconds.`,
			`test.hcl:7:29: error: Invalid duration; "always" is not a duration; write a number and a unit, as "30s" or "5m", or "forever".`,
			`test.hcl:8:15: error: Invalid locator proxy; "bad" is not a valid proxy: stub: bad proxy.`,
			`test.hcl:10:3: error: Duplicate verifier_options block; A verifier_options block was already defined at test.hcl:4:3; put all its settings in one block.`,
			`test.hcl:11:3: error: Options without a proxy; session_manager_options are settings of the session_manager proxy: set session_manager too, or remove the block.`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := Parse([]byte(tc.src), "test.hcl")
			if cfg != nil {
				t.Errorf("a Config came with errors: %+v", cfg)
			}
			got := strings.Split(strings.TrimSuffix(diagLines(diags), "\n"), "\n")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("diagnostics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLoadFileCannotRead(t *testing.T) {
	cfg, diags := LoadFile("testdata/nonexistent.hcl")
	if cfg != nil || len(diags) != 1 {
		t.Fatalf("got %v, %v", cfg, diags)
	}
	var b bytes.Buffer
	if err := WriteDiagnostics(&b, diags, nil); err != nil {
		t.Fatal(err)
	}
	want := "testdata/nonexistent.hcl: error: Cannot read configuration file; open testdata/nonexistent.hcl: no such file or directory\n"
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestWriteDiagnostics(t *testing.T) {
	src := "client {\n\tendpoints = \"tcp\"\n  acm_timeout = \"é5x\" # comment\n}\n"
	rng := func(line, col, byteStart, byteEnd int) *hcl.Range {
		return &hcl.Range{Filename: "f.hcl",
			Start: hcl.Pos{Line: line, Column: col, Byte: byteStart},
			End:   hcl.Pos{Line: line, Column: col + byteEnd - byteStart, Byte: byteEnd}}
	}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Tab", Detail: "detail.", Subject: rng(2, 14, 22, 27)},
		{Severity: hcl.DiagError, Summary: "Multibyte", Subject: rng(3, 17, 44, 50)},
		{Severity: hcl.DiagWarning, Summary: "Empty range", Detail: "no snippet.", Subject: rng(1, 1, 0, 0)},
		{Severity: hcl.DiagError, Summary: "No subject", Detail: "at all."},
	}
	var b bytes.Buffer
	if err := WriteDiagnostics(&b, diags, map[string][]byte{"f.hcl": []byte(src)}); err != nil {
		t.Fatal(err)
	}
	want := `f.hcl:2:14: error: Tab; detail.
    	endpoints = "tcp"
    	            ^^^^^
f.hcl:3:17: error: Multibyte
      acm_timeout = "é5x" # comment
                    ^^^^^
f.hcl:1:1: warning: Empty range; no snippet.
error: No subject; at all.
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// FuzzParseConfig: decoding never panics, and a Config comes back exactly
// when there is no error.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("filter {}\nscript \"x\" {}\nclient { endpoints = 1 }\nauth { allow_all = \"x\" }\n"))
	f.Add([]byte("session {\n  timeout = \"1h\"\n  routing_table_size = 1e300\n}\nmessage_size_max = -0.5\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Parse(src, "fuzz.hcl")
		if (cfg == nil) != diags.HasErrors() {
			t.Fatalf("config %v with diagnostics %v", cfg, diags)
		}
		_ = WriteDiagnostics(&bytes.Buffer{}, diags, map[string][]byte{"fuzz.hcl": src})
	})
}

// TestNullElements: a null inside a list or map is a diagnostic.
func TestNullElements(t *testing.T) {
	for _, src := range []string{
		minimal + "filter {\n  categories = [\"a\", null]\n}\n",
		minimal + "allowed_backends = [null]\n",
	} {
		cfg, diags := Parse([]byte(src), "test.hcl")
		if cfg != nil || !diags.HasErrors() || !strings.Contains(diagLines(diags), "Null element") {
			t.Errorf("%s: got %+v, %s", src, cfg, diagLines(diags))
		}
	}
}

// A number too large or small for any setting is refused wherever it is
// written, before anything writes it out in decimal (which for 1e60333333
// took minutes).
func TestHugeNumbersAreRefused(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"session {\n  routing_table_size = 1e60333333\n}\n", "about 1e60333333"},
		{"session {\n  routing_table_size = \"1e60333333\"\n}\n", "about 1e60333333"},
		{"session {\n  routing_table_size = 1e-60333333\n}\n", "about 1e-60333333"},
		{"session {\n  timeout = 1e60333333\n}\n", "about 1e60333333"},
		{"filter {\n  categories = [\"a\", 1e60333333]\n}\n", "about 1e60333333"},
	} {
		_, diags := Parse([]byte(minimal+tc.src), "test.hcl")
		if got := diagLines(diags); !strings.Contains(got, "Number out of range") || !strings.Contains(got, tc.want) {
			t.Errorf("%q: got\n%s", tc.src, got)
		}
	}
}
