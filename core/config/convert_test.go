package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/ice"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestConvertGolden")

// comparable clears what the two front ends are allowed to differ in
// (Source, Warnings, Properties), and checks then clears what
// reflect.DeepEqual cannot compare (the loaded certificates and pools).
func comparable(t *testing.T, a, b *Config) {
	t.Helper()
	for _, c := range []*Config{a, b} {
		c.Source, c.Warnings, c.Properties = "", nil, nil
	}
	if (a.TLS == nil) != (b.TLS == nil) {
		return
	}
	if a.TLS != nil {
		raw := func(tl *TLS) (out [][][]byte) {
			for _, c := range tl.Certificates {
				out = append(out, c.Certificate)
			}
			return out
		}
		if !reflect.DeepEqual(raw(a.TLS), raw(b.TLS)) {
			t.Errorf("certificates differ")
		}
		if (a.TLS.CAs == nil) != (b.TLS.CAs == nil) || a.TLS.CAs != nil && !a.TLS.CAs.Equal(b.TLS.CAs) {
			t.Errorf("trusted authorities differ: %v, %v", a.TLS.CAs, b.TLS.CAs)
		}
		a.TLS.Certificates, b.TLS.Certificates, a.TLS.CAs, b.TLS.CAs = nil, nil, nil, nil
	}
}

// TestConvertRoundTrip: for each Glacier2 configuration, the converted HCL
// decodes to the Config the properties give, so a router started with
// either behaves the same.
func TestConvertRoundTrip(t *testing.T) {
	useRealParsers(t)
	files, _ := filepath.Glob("testdata/convert/*.router")
	files = append(files, "testdata/glacier2/config.router")
	if len(files) < 8 {
		t.Fatalf("only %d configurations", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			props := ice.NewProperties()
			props.Parse(src, file)
			want, err := FromProperties(props)
			if err != nil {
				t.Fatalf("the properties do not start a router: %v", err)
			}
			out, warnings, err := ConvertProperties(src, file)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("converted:\n%s\nwarnings:\n%s", out, strings.Join(warnings, "\n"))
			got, diags := Parse(out, "converted.hcl")
			if diags.HasErrors() {
				t.Fatalf("the converted file does not validate:\n%s", diagLines(diags))
			}
			comparable(t, got, want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("converted HCL gives\n %+v\nthe properties\n %+v", got, want)
			}
		})
	}
}

// TestConvertGolden checks the converter's output, comments and all,
// against testdata/convert/*.hcl (go test -run TestConvertGolden -update
// rewrites them).
func TestConvertGolden(t *testing.T) {
	useRealParsers(t)
	for _, name := range []string{"full", "acm"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata/convert", name+".router")
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, warnings, err := ConvertProperties(src, file)
			if err != nil {
				t.Fatal(err)
			}
			got := append(out, []byte("\n# warnings:\n# "+strings.Join(warnings, "\n# ")+"\n")...)
			golden := filepath.Join("testdata/convert", name+".hcl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestConvertComments checks where comments go, and the other line
// forms of a property file.
func TestConvertComments(t *testing.T) {
	const endpoints, verifier = "Glacier2.Client.Endpoints=tcp -p 4063\n", "Glacier2.PermissionsVerifier=V:tcp -p 1\n"
	for _, tc := range []struct {
		name, src, want string
		warnings        []string
	}{{
		name: "a header, then comments above properties and at line ends",
		src: "# header\n# more header\n\n# where clients connect\n" + endpoints + "\n# the verifier\n\n# and its timeout\n" + verifier +
			"Glacier2.PermissionsVerifier.InvocationTimeout=500 # half a second\n# the end\n",
		want: `# header
# more header

client {
  # where clients connect
  endpoints = "tcp -p 4063"
}

auth {
  # the verifier

  # and its timeout
  verifier = "V:tcp -p 1"
  verifier_options {
    invocation_timeout = "500ms" # half a second
  }
}

# the end
`,
	}, {
		name: "the first comment directly above a property goes with it",
		src:  "# the verifier\r\n" + verifier + endpoints,
		want: "client {\n  endpoints = \"tcp -p 4063\"\n}\n\nauth {\n  # the verifier\n  verifier = \"V:tcp -p 1\"\n}\n",
	}, {
		name: "a property set twice: the last value, every comment; an escaped # is no comment",
		src:  "# first\nGlacier2.InstanceName=A\n" + endpoints + verifier + "# second\nGlacier2.InstanceName=B\\#1 # really\n",
		want: "# first\n# second\ninstance_name = \"B#1\" # really\n\nclient {\n  endpoints = \"tcp -p 4063\"\n}\n\nauth {\n  verifier = \"V:tcp -p 1\"\n}\n",
	}, {
		name: "invalid lines, properties floe ignores, an unset property, another prefix",
		src: endpoints + verifier + "not a property\n# pools\nGlacier2.Server.ThreadPool.Size=2 # two\nGlacier2.SessionTimeout=30\n" +
			"Glacier2.SessionTimeout=\nMyApp.Color=blue\nIceSSL.Password=secret\n",
		want: `client {
  endpoints = "tcp -p 4063"
}

auth {
  verifier = "V:tcp -p 1"
}

# Properties with no HCL equivalent, which floe ignores:
# (invalid line, ignored by Ice) not a property
# pools
# two
# Glacier2.Server.ThreadPool.Size=2: ignored: floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them
# Glacier2.SessionTimeout=: set to nothing, which unsets it
# MyApp.Color=blue: not a property floe reads
# IceSSL.Password=...: ignored: the IceSSL plugin is not configured (Ice.Plugin.IceSSL)
`,
		warnings: []string{
			`f.router:3: invalid config file entry "not a property", ignored as Ice does; kept as a comment`,
			"f.router:5: property `Glacier2.Server.ThreadPool.Size' has no HCL equivalent (ignored: floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them); kept as a comment",
			"f.router:7: property `Glacier2.SessionTimeout' has no HCL equivalent (set to nothing, which unsets it); kept as a comment",
			"f.router:8: property `MyApp.Color' has no HCL equivalent (not a property floe reads); kept as a comment",
			"f.router:9: property `IceSSL.Password' has no HCL equivalent (ignored: the IceSSL plugin is not configured (Ice.Plugin.IceSSL)); kept as a comment",
		},
	}, {
		name: "floe's own property",
		src:  endpoints + verifier + "# spread the sessions\nFloe.BackendConnections=4\nFloe.Threads=2\nFloe.ThreadsMax=8\n",
		want: "# spread the sessions\nbackend_connections = 4\nthreads = 2\nthreads_max = 8\n\nclient {\n  endpoints = \"tcp -p 4063\"\n}\n\nauth {\n  verifier = \"V:tcp -p 1\"\n}\n",
	}, {
		name: "settings at their default are kept when the file sets them",
		src:  endpoints + verifier + "Glacier2.Client.ForwardContext=0\nGlacier2.Client.ACM.Timeout=60\nGlacier2.RoutingTable.MaxSize=1000\n",
		want: "client {\n  endpoints = \"tcp -p 4063\"\n  forward_context = false\n  acm_timeout = \"1m\"\n}\n\nsession {\n  routing_table_size = 1000\n}\n\nauth {\n  verifier = \"V:tcp -p 1\"\n}\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, warnings, err := ConvertProperties([]byte(tc.src), "f.router")
			if err != nil {
				t.Fatal(err)
			}
			if want := string(hclwriteFormat(tc.want)); string(out) != want {
				t.Errorf("got:\n%s\nwant:\n%s", out, want)
			}
			if !reflect.DeepEqual(warnings, tc.warnings) {
				t.Errorf("warnings\n got %q\nwant %q", warnings, tc.warnings)
			}
			if _, diags := Parse(out, "f.hcl"); diags.HasErrors() {
				t.Errorf("output does not validate:\n%s", diagLines(diags))
			}
		})
	}
}

func hclwriteFormat(s string) []byte { return hclwrite.Format([]byte(s)) }

// TestConvertPaths: relative paths, which Ice reads from the current
// directory, still name the same files from the HCL file's directory.
func TestConvertPaths(t *testing.T) {
	src := []byte("Glacier2.Client.Endpoints=ssl -p 4064\nGlacier2.CryptPasswords=testdata/passwords\n" +
		"Ice.Plugin.IceSSL=1\nIceSSL.DefaultDir=testdata/tls\nIceSSL.CertFile=server.p12\nIceSSL.Password=password\n" +
		"IceSSL.CAs=/etc/ssl/ca.pem\n")
	dir := t.TempDir()
	out, warnings, err := ConvertPropertiesIn(src, "f.router", dir)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	rel := func(p string) string { r, _ := filepath.Rel(dir, filepath.Join(wd, p)); return r }
	for _, want := range []string{
		`passwords_file = "` + rel("testdata/passwords") + `"`,
		`cert_file = "` + rel("testdata/tls/server.p12") + `"`,
		`ca_file = "/etc/ssl/ca.pem"`,
	} {
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// The CA file is not here: a warning, not an error.
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "/etc/ssl/ca.pem") }) {
		t.Errorf("no warning about the missing CA file: %q", warnings)
	}
}

func TestConvertErrors(t *testing.T) {
	_, _, err := ConvertProperties([]byte("Glacier2.client.endpoints=tcp\n"), "f.router")
	if err == nil || !strings.Contains(err.Error(), "property `Glacier2.Client.Endpoints' is not set") {
		t.Errorf("got %v", err)
	}
}

// FuzzConvertProperties: converting never panics, and what it writes is
// always HCL that parses. The seeds are small and name no files (reading
// certificates and password files is tested elsewhere).
func FuzzConvertProperties(f *testing.F) {
	for _, file := range []string{"testdata/convert/defaults.router", "testdata/convert/session.router"} {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("# c\nGlacier2.Client.Endpoints=tcp\\#x # y\nGlacier2.PermissionsVerifier=V:tcp\nGlacier2.Server.Endpoints=tcp\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, _, err := ConvertProperties(src, "fuzz.router")
		if err != nil {
			return
		}
		if _, diags := hclsyntax.ParseConfig(out, "fuzz.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("converted output does not parse:\n%s\n%s", out, diagLines(diags))
		}
	})
}
