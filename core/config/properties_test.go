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
		c.Client.ACMTimeout = 60 * time.Second
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
		}),
	}, {
		name:  "ForwardContext is on only for a number above 0",
		lines: []string{clientEndpoints, verifier, "Glacier2.Client.ForwardContext=0", "Glacier2.Server.Endpoints=tcp", "Glacier2.Server.ForwardContext=-1"},
		want:  base(func(c *Config) { c.Server = &Server{Endpoints: "tcp"} }),
	}, {
		name:  "the session timeout becomes the ACM timeout when that is unset",
		lines: []string{clientEndpoints, verifier, "Glacier2.SessionTimeout=30", "Ice.ACM.Timeout=10"},
		want: base(func(c *Config) {
			c.Session.Timeout = 30 * time.Second
			c.Client.ACMTimeout = 30 * time.Second
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
			"Glacier2.Client.ACM.Heartbeat=3",
			"Glacier2.client.endpoints=tcp -p 1",
			"Glacier2.SessionTimeOut=30",
			"Glacier2.Nonsense=1",
			"Ice.Trace.Network=3",
			"IceSSL.DefaultDir=certs",
			"MyApp.Setting=1",
		},
		want: base(func(c *Config) {
			c.Warnings = []string{
				"property `Glacier2.Client.ACM.Heartbeat' is not supported yet, ignored",
				"unknown property `Glacier2.Nonsense', ignored",
				"property `Glacier2.SessionManager.Context.x' is not supported yet, ignored",
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
				"property `Glacier2.Server.PublishedEndpoints' is ignored: `Glacier2.Server.Endpoints' is not set",
				"property `Glacier2.Server.ForwardContext' is ignored: `Glacier2.Server.Endpoints' is not set",
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
	want.Client = Client{Endpoints: "tcp -p 4063 -h 127.0.0.1", ForwardContext: true, ACMTimeout: time.Minute}
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
