package ice

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestParseFileMatchesIce compares the parser with what the real Ice 3.7
// runtime reads from the same file (testdata/properties/*.json, written by
// gen_expected.py with python3-zeroc-ice).
func TestParseFileMatchesIce(t *testing.T) {
	cfgs, err := filepath.Glob("testdata/properties/*.cfg")
	if err != nil || len(cfgs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, cfg := range cfgs {
		t.Run(filepath.Base(cfg), func(t *testing.T) {
			raw, err := os.ReadFile(strings.TrimSuffix(cfg, ".cfg") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]string
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			p := NewProperties()
			if err := p.Load(cfg); err != nil {
				t.Fatal(err)
			}
			if got := p.ForPrefix(""); !reflect.DeepEqual(got, want) {
				for k := range union(got, want) {
					if got[k] != want[k] {
						t.Errorf("%q: got %q, Ice reads %q", k, got[k], want[k])
					}
				}
			}
		})
	}
}

func union(a, b map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func TestParseWarnsAboutInvalidLines(t *testing.T) {
	p := NewProperties()
	if err := p.Load("testdata/properties/edge.cfg"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`testdata/properties/edge.cfg:29: invalid config file entry: "no equals sign"`,
		`testdata/properties/edge.cfg:30: invalid config file entry: "=no key"`,
	}
	if got := p.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line, key, value string
		ok               bool
	}{
		{"", "", "", true},
		{"   ", "", "", true},
		{"# comment", "", "", true},
		{"a=b", "a", "b", true},
		{"a = b ", "a", "b", true},
		{"a=", "a", "", true},
		{"a", "", "", false},
		{"=b", "", "", false},
		{" = ", "", "", false},
		{"a#=b", "", "", false}, // the comment hides the '='
		{`a\#=b`, "a#", "b", true},
		{`a=b\`, "a", `b\`, true},
		{`a\`, "", "", false},
		{`a=\ `, "a", " ", true},
		{`a=\ \ `, "a", "  ", true},
		{`a=b \ `, "a", "b ", true},
		{`a=x\ \`, "a", `x \ `, true}, // Ice's quirk: escaped blanks on both sides
		{`a=\ \`, "a", ` \ `, true},
		{`a=b\ #c`, "a", "b ", true},
		{`a=\x`, "a", `\x`, true},
		{`\ a=b`, "a", "b", true},
		{`a\ =b`, "a", "b", true},
		{`a\ b=c`, "a b", "c", true},
		{"a=b\r", "a", "b", true},
		{"a\t=\tb\tc\t", "a", "b\tc", true},
	} {
		key, value, ok := parseLine(tc.line)
		if key != tc.key || value != tc.value || ok != tc.ok {
			t.Errorf("parseLine(%q) = %q, %q, %v; want %q, %q, %v",
				tc.line, key, value, ok, tc.key, tc.value, tc.ok)
		}
	}
}

func TestSetAndGet(t *testing.T) {
	p := NewProperties()
	if err := p.Set("  ", "x"); err == nil {
		t.Error("empty key accepted")
	}
	if err := p.Set(" A.B ", "v"); err != nil {
		t.Fatal(err)
	}
	if got := p.Get("A.B"); got != "v" {
		t.Errorf("Get = %q", got)
	}
	if got := p.GetWithDefault("A.C", "d"); got != "d" {
		t.Errorf("GetWithDefault = %q", got)
	}
	_ = p.Set("A.B", "")
	if got := p.GetWithDefault("A.B", "d"); got != "d" {
		t.Errorf("empty value did not remove the property: %q", got)
	}
	_ = p.Set("B.x", "1")
	_ = p.Set("A.x", "2")
	if got := p.Keys(); !slices.Equal(got, []string{"A.x", "B.x"}) {
		t.Errorf("Keys = %q", got)
	}
	if got := p.ForPrefix("A."); !reflect.DeepEqual(got, map[string]string{"A.x": "2"}) {
		t.Errorf("ForPrefix = %v", got)
	}
}

func TestGetAsInt(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int32
		warn  bool
	}{
		{"42", 42, false},
		{"-7", -7, false},
		{"+7", 7, false},
		{" \t12", 12, false},
		{"0", 0, false},
		{"2147483647", 2147483647, false},
		{"-2147483648", -2147483648, false},
		{"2147483648", 99, true},
		{"12 ", 99, true},
		{"1.5", 99, true},
		{"0x10", 99, true},
		{"abc", 99, true},
		{"+-1", 99, true},
		{"-", 99, true},
		{`"5"`, 99, true},
	} {
		p := NewProperties()
		_ = p.Set("N", tc.value)
		got := p.GetAsIntWithDefault("N", 99)
		warned := len(p.Warnings()) > 0
		if got != tc.want || warned != tc.warn {
			t.Errorf("%q: got %d (warned %v), want %d (warn %v)", tc.value, got, warned, tc.want, tc.warn)
		}
	}
	p := NewProperties()
	if got := p.GetAsInt("Unset"); got != 0 || len(p.Warnings()) != 0 {
		t.Errorf("unset: %d %q", got, p.Warnings())
	}
	_ = p.Set("Ice.MessageSizeMax", "abc")
	p.GetAsIntWithDefault("Ice.MessageSizeMax", 1024)
	want := "numeric property Ice.MessageSizeMax set to non-numeric value, defaulting to 1024"
	if w := p.Warnings(); len(w) != 1 || w[0] != want {
		t.Errorf("warning %q, want %q", w, want)
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseCommandLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a.cfg", "Glacier2.InstanceName=FromA\nGlacier2.Client.Endpoints=tcp -p 1\nOnlyA=1\n")
	b := write("b, c.cfg", "Glacier2.InstanceName=FromB\n")

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want map[string]string
		rest []string
	}{{
		name: "arguments override the files whatever their order",
		args: []string{"--Glacier2.InstanceName=Arg", "--Ice.Config=" + a},
		want: map[string]string{"Glacier2.InstanceName": "Arg", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a},
	}, {
		name: "files load in order, quoted names may hold the separator",
		args: []string{"--Ice.Config=" + a + `,"` + b + `"`},
		want: map[string]string{"Glacier2.InstanceName": "FromB", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a + `,"` + b + `"`},
	}, {
		name: "the last --Ice.Config wins",
		args: []string{"--Ice.Config=" + b, "--Ice.Config=" + a},
		want: map[string]string{"Glacier2.InstanceName": "FromA", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a},
	}, {
		name: "ICE_CONFIG when there is no --Ice.Config",
		env:  map[string]string{"ICE_CONFIG": a},
		want: map[string]string{"Glacier2.InstanceName": "FromA", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a},
	}, {
		name: "a bare --Ice.Config means ICE_CONFIG",
		args: []string{"--Ice.Config"},
		env:  map[string]string{"ICE_CONFIG": a},
		want: map[string]string{"Glacier2.InstanceName": "FromA", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a},
	}, {
		name: "the value never comes from the next argument",
		args: []string{"--Ice.Config", "cfg", "--Glacier2.InstanceName", "X"},
		env:  map[string]string{"ICE_CONFIG": a},
		want: map[string]string{"Glacier2.InstanceName": "1", "Glacier2.Client.Endpoints": "tcp -p 1",
			"OnlyA": "1", "Ice.Config": a},
		rest: []string{"cfg", "X"},
	}, {
		name: "values read with the line grammar: trimmed, '#' comments, escapes",
		args: []string{"--Glacier2.Client.Endpoints=  tcp -p 2  # comment", `--Glacier2.InstanceName=a\#b`},
		want: map[string]string{"Glacier2.Client.Endpoints": "tcp -p 2", "Glacier2.InstanceName": "a#b"},
	}, {
		name: "quotes that reach Ice are kept",
		args: []string{`--Glacier2.Client.Endpoints="tcp -p 4063"`},
		want: map[string]string{"Glacier2.Client.Endpoints": `"tcp -p 4063"`},
	}, {
		name: "an empty value removes what a file set",
		args: []string{"--Ice.Config=" + a, "--OnlyA=", "--Glacier2.Client.Endpoints="},
		want: map[string]string{"Glacier2.InstanceName": "FromA", "OnlyA": "1", "Ice.Config": a},
		rest: []string{"--OnlyA="},
	}, {
		name: "unknown prefixes and other arguments are left in order",
		args: []string{"-v", "--Foo.Bar=1", "--nowarn", "--IceSSL.Ciphers=x", "--Glacier2", "pos"},
		want: map[string]string{"IceSSL.Ciphers": "x"},
		rest: []string{"-v", "--Foo.Bar=1", "--nowarn", "--Glacier2", "pos"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			props, rest, err := ParseCommandLine(tc.args, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := props.ForPrefix(""); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("properties\n got %q\nwant %q", got, tc.want)
			}
			if !slices.Equal(rest, tc.rest) {
				t.Errorf("rest %q, want %q", rest, tc.rest)
			}
		})
	}
}

func TestParseCommandLineErrors(t *testing.T) {
	_, _, err := ParseCommandLine([]string{"--Ice.Config=/nonexistent/floe.cfg"}, env(nil))
	if !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrBareIceConfig) {
		t.Errorf("missing file: %v", err)
	}
	// As glacier2router: "--Ice.Config FILE" loads the file named "1".
	t.Chdir(t.TempDir())
	_, _, err = ParseCommandLine([]string{"--Ice.Config", "config.router"}, env(nil))
	if !errors.Is(err, ErrBareIceConfig) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "1") {
		t.Errorf("bare --Ice.Config: %v", err)
	}
	_, _, err = ParseCommandLine([]string{"--Ice.Config", "config.router"}, env(map[string]string{"ICE_CONFIG": "/nonexistent"}))
	if !errors.Is(err, ErrBareIceConfig) {
		t.Errorf("bare --Ice.Config with a bad ICE_CONFIG: %v", err)
	}
}

func TestIsPropertyArg(t *testing.T) {
	for arg, want := range map[string]bool{
		"--Ice.Config":          true,
		"--Ice.Config=x":        true,
		"--Ice.Trace.Network=1": true,
		"--Glacier2.Client.X":   true,
		"--Glacier2CryptPermissionsVerifier.Glacier2.PermissionsVerifier=p": true,
		"--IceSSL.Ciphers=x": true,
		"--Glacier2":         false,
		"--Foo.Bar=1":        false,
		"-Glacier2.X=1":      false,
		"Glacier2.X=1":       false,
		"--nowarn":           false,
	} {
		if got := IsPropertyArg(arg); got != want {
			t.Errorf("IsPropertyArg(%q) = %v", arg, got)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"a,b", []string{"a", "b"}, true},
		{",a,,b,", []string{"a", "b"}, true},
		{`"a,b",c`, []string{"a,b", "c"}, true},
		{`'a,"b',c`, []string{`a,"b`, "c"}, true},
		{`"a\"b"`, []string{`a"b`}, true},
		{`\"a,b`, []string{`"a`, "b"}, true},
		{`"a,b`, []string{"a,b"}, false},
		{"", nil, true},
	} {
		got, ok := splitQuoted(tc.in, ",")
		if !slices.Equal(got, tc.want) || ok != tc.ok {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseProperties: the file parser never panics, and what it sets is
// what a key lookup finds, with keys trimmed and values non-empty.
func FuzzParseProperties(f *testing.F) {
	if seed, err := os.ReadFile("testdata/properties/edge.cfg"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("a=b\n\\ \\=\\#\\\\=\\ x\\ \\\n#c\r\n=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewProperties()
		p.Parse(data, "fuzz")
		for _, k := range p.Keys() {
			if k == "" || strings.Trim(k, " \t\r\n") != k {
				t.Fatalf("bad key %q", k)
			}
			if p.Get(k) == "" {
				t.Fatalf("empty value kept for %q", k)
			}
		}
	})
}
