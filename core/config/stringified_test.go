package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	cfg, diags := Default()
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%s", diagLines(diags))
	}
	want := newConfig(DefaultSource)
	want.Client.Endpoints = "tcp -h 127.0.0.1 -p 4063"
	want.Auth.AllowAll = true
	if cfg.Source != want.Source || cfg.Client != want.Client || !reflect.DeepEqual(cfg.Auth, want.Auth) || cfg.Server != nil ||
		cfg.Session != want.Session || cfg.InstanceName != want.InstanceName || cfg.MessageSizeMax != want.MessageSizeMax {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "for development only") ||
		!strings.Contains(cfg.Warnings[0], "accepts every user and password") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
}

// TestWithStringifiedProxyParser holds every test of this package that
// runs core/ice's real ParseEndpoints and ParseProxy (the others stand in
// for them, see TestMain). It fails until those parsers are implemented.
func TestWithStringifiedProxyParser(t *testing.T) {
	useRealParsers(t)

	t.Run("embedded default", TestDefault)

	t.Run("full example", func(t *testing.T) {
		if _, diags := LoadFile("testdata/full.hcl"); len(diags) > 0 {
			t.Errorf("diagnostics:\n%s", diagLines(diags))
		}
	})

	t.Run("bad endpoint and proxy strings", func(t *testing.T) {
		src := "client {\n  endpoints = \"tcp -p notaport\"\n}\nauth {\n  verifier = \"Verifier:tcp -h\"\n}\n"
		_, diags := Parse([]byte(src), "test.hcl")
		lines := strings.Split(strings.TrimSpace(diagLines(diags)), "\n")
		if len(lines) != 2 ||
			!strings.HasPrefix(lines[0], `test.hcl:2:15: error: Invalid endpoints; "tcp -p notaport" is not a valid endpoint list: `) ||
			!strings.HasPrefix(lines[1], `test.hcl:5:14: error: Invalid verifier proxy; "Verifier:tcp -h" is not a valid proxy: `) {
			t.Errorf("diagnostics:\n%s", strings.Join(lines, "\n"))
		}
	})

	t.Run("a Glacier2 configuration file", func(t *testing.T) {
		TestFromPropertiesFile(t)
	})

	t.Run("the null verifier in every form Glacier2 accepts", func(t *testing.T) {
		for _, tc := range []struct{ instance, verifier string }{
			{"Glacier2", "Glacier2/NullPermissionsVerifier"},
			{"Glacier2", "Glacier2/NullPermissionsVerifier:tcp -h 127.0.0.1 -p 4063"},
			{"Glacier2", "Glacier2/NullPermissionsVerifier -t -e 1.1"},
			{"Glacier2", `"Glacier2/NullPermissionsVerifier"`},
			// A category with a space is no valid proxy: Glacier2 then
			// compares the stringified identity.
			{"My Router", "My Router/NullPermissionsVerifier"},
		} {
			cfg, err := FromProperties(props(t, clientEndpoints,
				"Glacier2.InstanceName="+tc.instance, "Glacier2.PermissionsVerifier="+tc.verifier))
			if err != nil || !cfg.Auth.AllowAll || cfg.Auth.Verifier != "" {
				t.Errorf("%s with instance %q: %+v, %v", tc.verifier, tc.instance, cfg, err)
			}
		}
		cfg, err := FromProperties(props(t, clientEndpoints, "Glacier2.PermissionsVerifier=Other/NullPermissionsVerifier:tcp -p 1"))
		if err != nil || cfg.Auth.AllowAll || cfg.Auth.Verifier == "" {
			t.Errorf("another category's verifier: %+v, %v", cfg, err)
		}
	})

	t.Run("ACM and session timeouts through the real parsers", func(t *testing.T) {
		cfg, err := FromProperties(props(t, clientEndpoints, verifier, "Glacier2.SessionTimeout=30"))
		if err != nil || cfg.EffectiveACMTimeout() != 30*time.Second {
			t.Errorf("%+v, %v", cfg, err)
		}
	})
}
