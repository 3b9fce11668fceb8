package router

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// addressFilterCases is testdata/addressfilter.json: what glacier2router
// does with proxies under given rules, checked against the real router by
// test/interop's TestAddressFilter.
type addressFilterCases struct {
	Sets []struct {
		Name         string
		Accept       string
		Reject       string
		ProxySizeMax int
		IceSSL       bool
		Cases        []struct {
			Proxy string
			Want  string
			Note  string
		}
	}
}

// wireProxy parses s and passes it through the wire codec, so that the
// verifier sees the proxy as a router decodes it from addProxies.
func wireProxy(t testing.TB, s string) *ice.Proxy {
	t.Helper()
	p, err := ice.ParseProxy(s)
	if err != nil {
		t.Fatalf("ParseProxy(%q): %v", s, err)
	}
	var e ice.Encoder
	e.WriteProxy(p)
	d := ice.NewDecoder(e.Bytes())
	q, err := d.Proxy()
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return q
}

func TestProxyVerifierGlacier2Cases(t *testing.T) {
	data, err := os.ReadFile("testdata/addressfilter.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases addressFilterCases
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, set := range cases.Sets {
		t.Run(set.Name, func(t *testing.T) {
			v, err := newProxyVerifier(set.Accept, set.Reject, set.ProxySizeMax)
			if err != nil {
				t.Fatal(err)
			}
			v.opaqueTLS = !set.IceSSL
			for _, c := range set.Cases {
				p := wireProxy(t, c.Proxy)
				d := v.decide(p)
				if got := d.outcome.String(); got != c.Want {
					t.Errorf("%s: %s (%s); glacier2router: %s %s", c.Proxy, got, d.why, c.Want, c.Note)
				}
				ok, why := v.verify(p)
				if ok != (c.Want == "accept") || ok != (why == "") {
					t.Errorf("%s: verify = %v, %q; want accepted %v, and a reason only for a rejection", c.Proxy, ok, why, c.Want == "accept")
				}
			}
		})
	}
}

// hostProxy is a proxy with one tcp endpoint at host and port.
func hostProxy(host string, port int32) *ice.Proxy {
	return &ice.Proxy{Identity: ice.Identity{Name: "hello"}, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: []ice.Endpoint{{Type: ice.TCPEndpoint, Encoding: ice.Encoding11, Host: host, Port: port, Timeout: 60000}}}
}

// TestAddressRuleMatching applies one accept rule to one host, following
// each of Glacier2's matchers through its quirks.
func TestAddressRuleMatching(t *testing.T) {
	tests := []struct {
		rule, host string
		port       int32
		want       string
	}{
		// Plain text: an ends-with test.
		{"127.0.0.1", "127.0.0.1", 1, "accept"},
		{"127.0.0.1", "127.0.0.10", 1, "reject"},
		{"0.0.1", "127.0.0.1", 1, "accept"},
		{"example.com", "badexample.com", 1, "accept"},
		{"example.com", "example.co", 1, "reject"},
		{"long.example.com", "example.com", 1, "reject"},
		// Wildcards at the start, in the middle, at the end.
		{"*", "", 1, "reject"}, // an empty host prints no -h
		{"*", "x", 1, "accept"},
		{"**", "x", 1, "accept"},
		{"*.com", "a.com", 1, "accept"},
		{"*.com", ".com", 1, "accept"},
		{"*.com", "a.org", 1, "reject"},
		{"10.*", "10.1.2.3", 1, "accept"},
		{"10.*", "110.1.2.3", 1, "reject"},
		{"10.*", "10.", 1, "accept"},
		{"a*z", "az", 1, "accept"},
		{"a*z", "a", 1, "reject"},
		{"a*b*c", "abc", 1, "reject"}, // one character skipped after b
		{"a*b*c", "abxc", 1, "accept"},
		{"*b*", "b", 1, "accept"},
		{"*b*", "a", 1, "reject"},
		{"*b*b", "b", 1, "accept"},
		{"*b*b", "bb", 1, "reject"},
		{"*b*b", "bxb", 1, "accept"},
		{"*bc*", "abc", 1, "accept"},
		// Groups.
		{"10.0.0.[1-5]", "10.0.0.5", 1, "accept"},
		{"10.0.0.[1-5]", "10.0.0.6", 1, "reject"},
		{"10.0.0.[1-5]", "10.0.0.50", 1, "reject"},
		{"10.0.0.[1-5]", "10.0.0.5.evil", 1, "accept"},
		{"10.0.0.[1-5]", "10.0.0.x", 1, "reject"},
		{"10.0.0.[1,3,5-7]", "10.0.0.6", 1, "accept"},
		{"10.0.0.[1,3,5-7]", "10.0.0.4", 1, "reject"},
		{"10.0.0.[9-1]", "10.0.0.5", 1, "reject"}, // an empty range
		{"[1-3].example.com", "2.example.com", 1, "accept"},
		{"[1-3].example.com", "2xexample.com", 1, "reject"},
		{"[1-3].example.com", "2x.example.com", 1, "accept"}, // the text at the end is an ends-with test
		{"[1-3]", "1.2.3.4", 1, "accept"},
		{"[1-3]", "127.0.0.1", 1, "reject"},
		{"[1-3]", "\t2", 1, "accept"},
		{"[1-3]", " 2", 1, "reject"}, // the host is cut at the space
		{"[1-3]", "+2", 1, "accept"},
		{"[-3--1]", "-2", 1, "accept"},
		{"[2147483647]", "2147483647", 1, "accept"},
		{"[1-3]", "2147483648", 1, "reject"}, // does not fit an int
		{"[-2147483648]", "-2147483648", 1, "accept"},
		{"x[1-3]y[4-6]", "x2y5", 1, "reject"}, // y is compared with the start of the host
		{"x[1-3]x[4-6]", "x2x5", 1, "accept"},
		{"[1-3]2*", "2.x", 1, "accept"},
		{"[1[2]", "12", 1, "accept"},
		{"[1[2]", "13", 1, "reject"},
		{"*[1-3]", "a2b9c", 1, "accept"},
		{"*[1-3]", "abc", 1, "reject"},
		{"*[1-3]", "a9b", 1, "reject"},
		{"*b[1-3]", "b12", 1, "accept"},
		{"*b[1-3]", "bx2", 1, "accept"},
		{"*b[1-3]", "b2", 1, "reject"},
		// Ports.
		{"*:80", "x", 80, "accept"},
		{"*:80", "x", 8080, "reject"},
		{"*:[80,443]", "x", 443, "accept"},
		{"*:8000-8100", "x", 8080, "accept"},
		{"*:x[80]y", "x", 80, "accept"},
		{"*:+80", "x", 80, "accept"},
		{"*:90-80", "x", 85, "reject"},
		// Where glacier2router fails.
		{"*b[1-3]", "xb", 1, "throw"},
		{"*b[1-3]", "b", 1, "throw"},
		{"*b[1-3]", "bx", 1, "reject"},
		{"[1-3][4-5]", "2", 1, "throw"},
		{"*[1-3]", "a9", 1, "hang"},
		{"*[1-3]", "9", 1, "reject"}, // the position goes back to -1, and no digit is found from there
		{"*[1-3]", "a99999999999b", 1, "hang"},
		{"a*[1-3]", "a5", 1, "hang"},
	}
	for _, tt := range tests {
		v, err := newProxyVerifier(tt.rule, "", 0)
		if err != nil {
			t.Errorf("rule %q: %v", tt.rule, err)
			continue
		}
		d := v.decide(hostProxy(tt.host, tt.port))
		if got := d.outcome.String(); got != tt.want {
			t.Errorf("rule %q, host %q port %d: %s (%s); want %s", tt.rule, tt.host, tt.port, got, d.why, tt.want)
		}
	}
}

func TestProxyVerifierPrecedence(t *testing.T) {
	direct := hostProxy("10.0.0.1", 80)
	indirect := &ice.Proxy{Identity: ice.Identity{Name: "hello"}, AdapterID: "A"}
	tests := []struct {
		accept, reject string
		max            int
		p              *ice.Proxy
		want           bool
	}{
		{"", "", 0, direct, true},
		{"", "", 0, indirect, true},
		{"10.*", "", 0, direct, true},
		{"10.*", "", 0, indirect, false}, // accept rules alone: indirect proxies match none
		{"11.*", "", 0, direct, false},
		{"", "10.*", 0, direct, false},
		{"", "10.*", 0, indirect, true}, // reject rules alone: indirect proxies match none either
		{"", "11.*", 0, direct, true},
		{"10.*", "*:80", 0, direct, false}, // reject wins
		{"10.*", "*:81", 0, direct, true},
		{"11.*", "*:81", 0, direct, false},
		{"", "", 10, direct, false},
		{"", "", 100, direct, true},
		{"10.*", "", 100, direct, true},
		{"10.*", "", 10, direct, false},
		{"11.*", "", 100, direct, false},
		{"", "*:81", 10, direct, false},
	}
	for _, tt := range tests {
		v, err := newProxyVerifier(tt.accept, tt.reject, tt.max)
		if err != nil {
			t.Fatal(err)
		}
		if ok, why := v.verify(tt.p); ok != tt.want {
			t.Errorf("accept %q reject %q max %d, %s: %v (%s); want %v", tt.accept, tt.reject, tt.max, tt.p, ok, why, tt.want)
		}
	}
}

func TestProxyVerifierNil(t *testing.T) {
	v, err := newProxyVerifier("", "", 0)
	if err != nil || v != nil {
		t.Fatalf("newProxyVerifier with nothing configured = %v, %v; want nil, nil", v, err)
	}
	if ok, why := v.verify(hostProxy("x", 1)); !ok || why != "" {
		t.Errorf("nil verifier: %v, %q; want it to accept", ok, why)
	}
	if v, _ := newProxyVerifier("", "", -5); v != nil {
		t.Error("a negative ProxySizeMax is no limit")
	}
	w, _ := newProxyVerifier("x", "", 0)
	if ok, _ := w.verify(nil); !ok {
		t.Error("a null proxy is skipped, as Glacier2 does")
	}
}

func TestProxyVerifierReasons(t *testing.T) {
	v, _ := newProxyVerifier("10.*", "*:666", 60)
	for _, tt := range []struct {
		p    *ice.Proxy
		want string
	}{
		{hostProxy("11.0.0.1", 1), "no address accept rule matches"},
		{&ice.Proxy{Identity: ice.Identity{Name: "x"}, AdapterID: "A"}, "direct proxies only"},
		{hostProxy("10.0.0.1", 666), "reject rule `*:666'"},
		{hostProxy("10.0.0.1.very.long.host.name.example.com", 1), "more than the maximum proxy size of 60"},
	} {
		if ok, why := v.verify(tt.p); ok || !strings.Contains(why, tt.want) {
			t.Errorf("%s: %v, %q; want a rejection saying %q", tt.p, ok, why, tt.want)
		}
	}
	w, _ := newProxyVerifier("*[1-3]", "", 0)
	if _, why := w.verify(hostProxy("foo9", 1)); !strings.Contains(why, "loops forever") || !strings.Contains(why, "foo9") {
		t.Errorf("why = %q; want it to name the host and say glacier2router loops there", why)
	}
}

// TestParseAddressRulesErrors: the rules glacier2router refuses to start
// with, and its words for each (checked by hand with glacier2router 3.7.8).
func TestParseAddressRulesErrors(t *testing.T) {
	tests := []struct{ rules, want string }{
		{"[1", "unclosed group"},
		{"a]", "group close without group start"},
		{"*[*]", "wildcards not permitted in groups"},
		{"[1*]", "wildcards not permitted in groups"},
		{":80", "expected address information before ':'"},
		{"x:", "expected number"},
		{"x:[80", "unclosed group"},
		{"x:80,", "expected number"},
		{"x:80-", "Unterminated range"},
		{"x:80-90-100", "expected comma separator"},
		{"x:0x10", "unexpected trailing character"},
		{"x:80]", "unexpected trailing character"},
		{"x:80:90", "unexpected trailing character"},
		{"x:[]", "expected number"},
		{"[]", "empty group"},
		{"[a]", "expected number"},
		{"[1-]", "Unterminated range"},
		{"[1,]", "expected number"},
		{"x:99999999999", "expected number"},
		{"[1]]", "group close without group start"},
		{"ok [1", "unclosed group"},
		{"ok ", "whitespace after the last rule"},
		{" ", "whitespace after the last rule"},
		{"ok\t", "whitespace after the last rule"},
	}
	for _, tt := range tests {
		_, err := parseAddressRules(tt.rules)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseAddressRules(%q) = %v; want an error saying %q", tt.rules, err, tt.want)
		}
		if _, err := newProxyVerifier(tt.rules, "", 0); err == nil || !strings.Contains(err.Error(), "accept") {
			t.Errorf("newProxyVerifier(%q, \"\", 0) = %v; want an error naming the accept rules", tt.rules, err)
		}
		if _, err := newProxyVerifier("", tt.rules, 0); err == nil || !strings.Contains(err.Error(), "reject") {
			t.Errorf("newProxyVerifier(\"\", %q, 0) = %v; want an error naming the reject rules", tt.rules, err)
		}
	}
	_, err := parseAddressRules("a  b:1 c:x")
	var re *addressRuleError
	if !errors.As(err, &re) || re.Rule != "c:x" || re.Offset != 7 {
		t.Errorf("error %v; want it to name rule c:x at offset 7", err)
	}
}

// TestParseAddressRulesAccepted: odd rules glacier2router starts with.
func TestParseAddressRulesAccepted(t *testing.T) {
	for _, rules := range []string{
		"", "*", "**", "* *", " 127.0.0.1", "127.0.0.1\tlocalhost\nx:1", "[1[2]", "x:ab[80]cd", "x:[80]]",
		"x:+7", "x:-7", "x:90-80", "x:1,2,3-4,5", "\"*", "a*b*c", "[-5-5]", "x[1]y[2]z*",
	} {
		if _, err := parseAddressRules(rules); err != nil {
			t.Errorf("parseAddressRules(%q): %v", rules, err)
		}
	}
	if rules, _ := parseAddressRules("a  b\tc"); len(rules) != 3 {
		t.Errorf("%d rules in %q; want 3", len(rules), "a  b\tc")
	}
}

func TestNewAddressFilter(t *testing.T) {
	ssl := hostProxy("10.0.0.1", 1)
	ssl.Endpoints[0].Type = ice.SSLEndpoint
	cfg := &config.Config{Filter: config.Filter{Address: config.AddressFilter{Reject: "10.*"}}}
	v, err := newAddressFilter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := v.verify(ssl); !ok {
		t.Error("without TLS configured (glacier2router without IceSSL), an ssl endpoint matches no rule")
	}
	cfg.TLS = &config.TLS{}
	if v, _ = newAddressFilter(cfg); v == nil {
		t.Fatal("nil verifier")
	}
	if ok, _ := v.verify(ssl); ok {
		t.Error("with TLS configured, an ssl endpoint is checked like any other")
	}
	if v, err := newAddressFilter(&config.Config{}); v != nil || err != nil {
		t.Errorf("nothing configured: %v, %v; want nil, nil", v, err)
	}
	if _, err := newAddressFilter(&config.Config{Filter: config.Filter{Address: config.AddressFilter{Accept: "[1"}}}); err == nil {
		t.Error("a bad rule passed")
	}
}

// TestCheckAddressRulesHook: core/config checks the rule syntax through
// this package.
func TestCheckAddressRulesHook(t *testing.T) {
	if config.CheckAddressRules == nil {
		t.Fatal("config.CheckAddressRules is not set")
	}
	if err := config.CheckAddressRules("10.* [1"); err == nil {
		t.Error("a bad rule passed config.CheckAddressRules")
	}
	if err := config.CheckAddressRules("10.* *:[80,443]"); err != nil {
		t.Error(err)
	}
}

// FuzzParseAddressRules: the parser never panics, and a parsed rule set
// applied to any host always comes to a decision.
func FuzzParseAddressRules(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1 localhost", "*:10000 127.0.0.1:[10001-10003,10005]", "10.0.0.[1-5] *:666", "*b*c *q*q",
		"*b[1-3] [1[2] [-5-5]", "[1-3][4-5]", "*[1-3]", "\"fe80*", "x:ab[80,8000-8100]cd", "[1", "x:80-90-100", " ",
	} {
		f.Add(s, "b12", int32(80))
	}
	f.Add("*[1-3]", "foo9", int32(1))
	f.Add("a*[1-3]", "a99999999999x", int32(1))
	f.Fuzz(func(t *testing.T, rules, host string, port int32) {
		v, err := newProxyVerifier(rules, rules, 0)
		if err != nil {
			var re *addressRuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not an *addressRuleError", err)
			}
			if re.Offset < 0 || re.Offset > len(rules) || rules[re.Offset:re.Offset+len(re.Rule)] != re.Rule {
				t.Fatalf("error %+v does not point at its rule in %q", re, rules)
			}
			return
		}
		if v == nil {
			return
		}
		for _, opaque := range []bool{false, true} {
			v.opaqueTLS = opaque
			v.decide(hostProxy(host, port))
			p := hostProxy(host, port)
			p.Endpoints[0].Type = ice.SSLEndpoint
			v.decide(p)
		}
	})
}
