package ice

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseEndpoints: ParseEndpoints never panics, fails only with a
// *ParseError, and the endpoints it parses print (FormatEndpoints) to a
// string that parses back to the same endpoints, unless Ice itself cannot
// read back what it prints for one of them.
func FuzzParseEndpoints(f *testing.F) {
	fx := loadFixtures(f)
	for _, c := range fx.AdapterEndpoints {
		f.Add(c.Input)
	}
	for _, c := range fx.Proxies {
		if i := strings.IndexByte(c.Input, ':'); i >= 0 {
			f.Add(c.Input[i+1:])
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		eps, err := ParseEndpoints(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		out := FormatEndpoints(eps)
		for i := range eps {
			if endpointCannotReread(&eps[i]) {
				_, _ = ParseEndpoints(out)
				return
			}
		}
		again, err := ParseEndpoints(out)
		if err != nil {
			t.Fatalf("%q prints %q, which does not parse: %v", s, out, err)
		}
		if !reflect.DeepEqual(eps, again) {
			t.Fatalf("%q prints %q, which parses to\n%#v\nnot\n%#v", s, out, again, eps)
		}
		if FormatEndpoints(again) != out {
			t.Fatalf("%q prints %q, then %q", s, out, FormatEndpoints(again))
		}
	})
}

// FuzzIdentityString: every identity prints to a string that parses back
// to it.
func FuzzIdentityString(f *testing.F) {
	for _, c := range loadFixtures(f).Identities {
		f.Add(c.Name, c.Category)
	}
	f.Fuzz(func(t *testing.T, name, category string) {
		id := Identity{Name: name, Category: category}
		got, err := ParseIdentity(id.String())
		if err != nil || got != id {
			t.Fatalf("%#v prints %q, which parses to %#v, %v", id, id.String(), got, err)
		}
	})
}

// What a router reads from Glacier2-style properties.
func TestRouterProperties(t *testing.T) {
	eps, err := ParseEndpoints("tcp -p 4063")
	if err != nil || len(eps) != 1 {
		t.Fatal(eps, err)
	}
	want := Endpoint{Type: TCPEndpoint, Port: 4063, Timeout: 60000}
	if !reflect.DeepEqual(eps[0], want) || eps[0].String() != "tcp -p 4063 -t 60000" {
		t.Errorf("Glacier2.Client.Endpoints: got %#v %q", eps[0], eps[0].String())
	}

	eps, err = ParseEndpoints("tcp -h 0.0.0.0 -p 4063 : ssl -h * -p 4064 : wss -h 0.0.0.0 -p 4065")
	if err != nil || FormatEndpoints(eps) != "tcp -h 0.0.0.0 -p 4063 -t 60000:ssl -p 4064 -t 60000:wss -h 0.0.0.0 -p 4065 -t 60000 -r /" {
		t.Errorf("got %q, %v", FormatEndpoints(eps), err)
	}

	p, err := ParseProxy("Verifier:tcp -h 10.0.0.2 -p 10000")
	if err != nil {
		t.Fatal(err)
	}
	wantP := &Proxy{
		Identity: Identity{Name: "Verifier"}, Protocol: Protocol10, Encoding: Encoding11,
		Endpoints: []Endpoint{{Type: TCPEndpoint, Host: "10.0.0.2", Port: 10000, Timeout: 60000}},
	}
	if !reflect.DeepEqual(p, wantP) || p.String() != "Verifier -t -e 1.1:tcp -h 10.0.0.2 -p 10000 -t 60000" {
		t.Errorf("got %#v %q", p, p.String())
	}

	// Ice.Default.Host, Ice.Default.Timeout, Ice.Default.Protocol and
	// Ice.Default.EncodingVersion.
	d := Defaults{Host: "10.0.0.1", Timeout: 5000, Protocol: "ssl", Encoding: Encoding10}
	p, err = d.ParseProxy("DemoGlacier2/router:default -p 4064")
	if err != nil || p.String() != "DemoGlacier2/router -t -e 1.0:ssl -h 10.0.0.1 -p 4064 -t 5000" {
		t.Errorf("with defaults: %q, %v", p.String(), err)
	}
	eps, err = d.ParseEndpoints("tcp -p 4063 : tcp -h * -p 4064")
	if err != nil || FormatEndpoints(eps) != "tcp -h 10.0.0.1 -p 4063 -t 5000:tcp -p 4064 -t 5000" {
		t.Errorf("adapter endpoints with defaults: %q, %v", FormatEndpoints(eps), err)
	}
	if eps, err := (Defaults{Timeout: -1}).ParseEndpoints("ws -p 80"); err != nil || eps[0].Timeout != -1 {
		t.Errorf("Ice.Default.Timeout=-1: %v, %v", eps, err)
	}
	if eps, err := (Defaults{Timeout: -5}).ParseEndpoints("ws -p 80"); err != nil || eps[0].Timeout != 60000 {
		t.Errorf("an invalid Ice.Default.Timeout is 60000, as in Ice: %v, %v", eps, err)
	}
}

func TestEndpointListKinds(t *testing.T) {
	for _, c := range []struct {
		in                   string
		want                 string // as printed, when accepted
		adapterOK, publishOK bool
	}{
		{in: "tcp -h * -p 1", want: "tcp -p 1 -t 60000", adapterOK: true},
		{in: "tcp -h h -p 1 --sourceAddress 10.0.0.1", want: "tcp -h h -p 1 -t 60000", publishOK: true},
		{in: "udp -h h -p 1 --interface *", want: "udp -h h -p 1", adapterOK: true},
		{in: "tcp -h h -p 1:ssl -h h -p 2", want: "tcp -h h -p 1 -t 60000:ssl -h h -p 2 -t 60000", adapterOK: true, publishOK: true},
		{in: "   ", want: "", adapterOK: true, publishOK: true},
		{in: "tcp -h h -p 1:foo -p 2"},
		{in: "tcp -h h -p 1::tcp -p 2"},
	} {
		eps, err := ParseEndpoints(c.in)
		if (err == nil) != c.adapterOK || err == nil && FormatEndpoints(eps) != c.want {
			t.Errorf("ParseEndpoints(%q) = %q, %v", c.in, FormatEndpoints(eps), err)
		}
		eps, err = ParsePublishedEndpoints(c.in)
		if (err == nil) != c.publishOK || err == nil && FormatEndpoints(eps) != c.want {
			t.Errorf("ParsePublishedEndpoints(%q) = %q, %v", c.in, FormatEndpoints(eps), err)
		}
	}
}

func TestParseEndpoint(t *testing.T) {
	e, err := ParseEndpoint(`ws -h "::1" -p 8080 -r /ice`)
	if err != nil || !reflect.DeepEqual(e, Endpoint{Type: WSEndpoint, Host: "::1", Port: 8080, Timeout: 60000, Resource: "/ice"}) {
		t.Errorf("got %#v, %v", e, err)
	}
	for _, bad := range []string{"foo -h x", "tcp -p 1:tcp -p 2", "tcp -h * -p 1", "", "tcp -p 1 -x"} {
		if _, err := ParseEndpoint(bad); err == nil {
			t.Errorf("ParseEndpoint(%q) accepted", bad)
		} else {
			checkParseError(t, err)
		}
	}
	// Opaque endpoints of unknown types are kept as bytes; of known types
	// they become that endpoint.
	e, err = ParseEndpoint("opaque -t 9 -e 1.1 -v AQID")
	if err != nil || e.Type != 9 || e.Encoding != Encoding11 || string(e.Raw) != "\x01\x02\x03" || e.String() != "opaque -t 9 -e 1.1 -v AQID" {
		t.Errorf("got %#v, %v", e, err)
	}
}

func TestIceBase64(t *testing.T) {
	for n := 0; n < 200; n++ {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(i*7 + n)
		}
		s := iceBase64Encode(raw)
		flat := strings.ReplaceAll(s, "\r\n", "")
		if flat != base64.StdEncoding.EncodeToString(raw) {
			t.Fatalf("%d bytes: %q", n, s)
		}
		for i, line := range strings.Split(s, "\r\n") {
			if len(line) > 76 || len(line) < 76 && (i+1)*76 < len(flat) {
				t.Fatalf("%d bytes: line %d is %d long", n, i, len(line))
			}
		}
		if got := iceBase64Decode(s); string(got) != string(raw) {
			t.Fatalf("%d bytes: decoded %x", n, got)
		}
	}
}

func TestStreamIntAndVersions(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "+7": 7, "007": 7, " 5": 5, "\t\n-12": -12, "2147483647": 2147483647, "-2147483648": -2147483648,
		"": -1 << 40, "+": -1 << 40, "5 ": -1 << 40, "2147483648": -1 << 40, "0x10": -1 << 40, "1e3": -1 << 40, "- 1": -1 << 40,
	} {
		v, ok := streamInt(s)
		if ok != (want != -1<<40) || ok && int64(v) != want {
			t.Errorf("streamInt(%q) = %d, %v", s, v, ok)
		}
	}
	for s, want := range map[string]string{
		"1.1": "1.1", "+1.+1": "1.1", "01.01": "1.1", "1.-0": "1.0", "255.255": "255.255", " 1.0": "1.0",
		"1":     "malformed version value `1'",
		".1":    "invalid major version value `.1'",
		"1.":    "invalid minor version value `1.'",
		"0.1":   "range error in version `0.1'",
		"1.256": "range error in version `1.256'",
	} {
		v, err := parseIceVersion(s)
		if err != nil && err.Error() != want || err == nil && v.String() != want {
			t.Errorf("parseIceVersion(%q) = %v, %v; want %s", s, v, err, want)
		}
	}
}

func TestSourceAddressForms(t *testing.T) {
	for s, want := range map[string]string{
		"10.0.0.1": "10.0.0.1", "127.1": "127.0.0.1", "1": "0.0.0.1", "0x7f.1": "127.0.0.1", "010.0.0.1": "8.0.0.1",
		"1.2.65535": "1.2.255.255", "4294967295": "255.255.255.255", "::1": "::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4",
		"256.1": "", "1.2.3.4.5": "", "1.2.3.256": "", "4294967296": "", "08": "", "0x": "", " 1.2.3.4": "",
		"1.2.3.4 ": "", "host.example": "", "": "", "1..2": "", "1.2.3.": "",
	} {
		got, ok := numericAddress(s)
		if ok != (want != "") || got != want {
			t.Errorf("numericAddress(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
}
