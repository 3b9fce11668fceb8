package router

import (
	"fmt"
	"strings"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// This file is Glacier2's ProxyVerifier: the address rules
// (Glacier2.Filter.Address.Accept and .Reject) and the maximum stringified
// proxy size (Glacier2.Filter.ProxySizeMax) that glacier2router 3.7 applies
// to every proxy a client passes to addProxies. A rejected proxy makes
// Glacier2 close the client's connection forcefully and raise
// ObjectNotExistException; nothing of that call enters the routing table.
//
// It reproduces glacier2router's decisions exactly, including those that
// look wrong (each is pinned by a case in testdata/addressfilter.json, which
// test/interop checks against the real glacier2router):
//
//   - A rule matches a proxy only when it matches every one of its
//     endpoints. A proxy without endpoints (adapter id or well-known) matches
//     no rule, and so does one with an endpoint that has no host or whose
//     transport the router does not know (opaque endpoints; ssl and wss
//     without the IceSSL plugin). So with reject rules alone, an indirect
//     proxy, or a direct one with one more endpoint that the rule does not
//     match, passes.
//   - Host and port are cut out of the endpoint's printed form ("tcp -h H -p
//     P -t T"): the text after the first "-h " and the first "-p ", up to a
//     space. An IPv6 host prints in double quotes, and the rule sees the
//     quotes; a rule cannot name an IPv6 address, as its first ':' starts the
//     port.
//   - A rule without '*' or '[' matches the end of the host: "0.0.1" matches
//     127.0.0.1, "example.com" matches badexample.com.
//   - Text after a group and before '*' or '[' is compared with the start of
//     the host, not where the group ended, so "10.0.[0-9].*" matches nothing.
//     Text at the end of a rule is a suffix test wherever the previous part
//     ended ("[1-3]x" matches "2abcx").
//   - After text between wildcards ("*b*", "*b[1-3]") matching resumes one
//     character past it: "*b*c" does not match "bc", "*b[1-3]" matches "b12"
//     but not "b2".
//   - A group reads a whole decimal number (sign and leading whitespace
//     allowed) where it stands and does not need the host to end there:
//     "10.0.0.[1-5]" matches 10.0.0.1.evil.com.
//   - Some rules make glacier2router fail rather than decide: after text
//     found at the very end of the host, a following group raises
//     std::out_of_range (the client gets UnknownException and keeps its
//     connection); and a group after '*' ("*[1-3]", "a*[80]") loops forever
//     on a host that ends with a number not in the group (unless the number
//     is the whole host), or that holds a number too big for an int, which
//     stalls the whole router. floe rejects such a proxy instead, and says
//     why.
//   - ProxySizeMax counts the bytes of the proxy's stringified form
//     (proxyToString, e.g. "hello -t -e 1.1:tcp -h 10.0.0.1 -p 4061 -t
//     60000"); longer proxies are rejected.
//   - With only accept rules, a proxy must match one. With only reject rules
//     (ProxySizeMax counts as one), it must match none. With both, it must
//     match an accept rule and no reject rule: reject wins.

func init() {
	// core/config cannot import this package (it imports core/config), so
	// it checks the rules' syntax through this hook: `floe validate` and
	// the Glacier2 property front end then refuse a bad rule, as
	// glacier2router refuses to start.
	config.CheckAddressRules = func(rules string) error {
		_, err := parseAddressRules(rules)
		return err
	}
}

// proxyVerifier decides which proxies a client may add to its routing
// table. A nil *proxyVerifier accepts every proxy.
type proxyVerifier struct {
	accept, reject []addressRule
	// sizeMax is the maximum length of a stringified proxy in bytes; 0 means
	// no limit.
	sizeMax int
	// opaqueTLS makes ssl and wss endpoints match no rule, as in a
	// glacier2router without the IceSSL plugin, which keeps them as opaque
	// endpoints that have no host.
	opaqueTLS bool
}

// newProxyVerifier parses Glacier2.Filter.Address.Accept (accept),
// Glacier2.Filter.Address.Reject (reject) and Glacier2.Filter.ProxySizeMax
// (proxySizeMax; 0 or less means no limit). An empty rule string means no
// rules. With nothing configured it returns nil, which accepts everything.
// A rule glacier2router would refuse to start with is an error that names
// the rule and says what is wrong with it.
func newProxyVerifier(accept, reject string, proxySizeMax int) (*proxyVerifier, error) {
	v := &proxyVerifier{sizeMax: max(proxySizeMax, 0)}
	var err error
	if v.accept, err = parseAddressRules(accept); err != nil {
		return nil, fmt.Errorf("address accept rules: %w", err)
	}
	if v.reject, err = parseAddressRules(reject); err != nil {
		return nil, fmt.Errorf("address reject rules: %w", err)
	}
	if len(v.accept) == 0 && len(v.reject) == 0 && v.sizeMax == 0 {
		return nil, nil
	}
	return v, nil
}

// newAddressFilter is newProxyVerifier for cfg.Filter.Address. ssl and wss
// endpoints match no rule unless TLS is configured: glacier2router knows
// them only with its IceSSL plugin, which is what configures TLS.
func newAddressFilter(cfg *config.Config) (*proxyVerifier, error) {
	a := cfg.Filter.Address
	v, err := newProxyVerifier(a.Accept, a.Reject, a.ProxySizeMax)
	if v != nil {
		v.opaqueTLS = cfg.TLS == nil
	}
	return v, err
}

// verify reports whether a client may add p to its routing table, as
// glacier2router's ProxyVerifier decides; when not, why says which rule
// stopped it, for the log. A nil p (a null proxy, which Glacier2 skips) is
// accepted.
func (v *proxyVerifier) verify(p *ice.Proxy) (ok bool, why string) {
	d := v.decide(p)
	return d.outcome == proxyAccepted, d.why
}

// proxyOutcome is what glacier2router does with one proxy of addProxies.
type proxyOutcome uint8

const (
	proxyAccepted proxyOutcome = iota
	proxyRejected              // connection closed, ObjectNotExistException
	proxyThrows                // std::out_of_range escapes: UnknownException
	proxyLoops                 // the matcher never returns
)

func (o proxyOutcome) String() string {
	return [...]string{"accept", "reject", "throw", "hang"}[o]
}

type proxyDecision struct {
	outcome proxyOutcome
	why     string
}

// decide is verify with the difference between a rejection and the ways
// glacier2router fails to decide kept apart, for the tests.
func (v *proxyVerifier) decide(p *ice.Proxy) proxyDecision {
	if v == nil || p == nil {
		return proxyDecision{}
	}
	hasReject := len(v.reject) > 0 || v.sizeMax > 0
	if len(v.accept) > 0 {
		rule, res, host := v.matchAny(v.accept, p)
		if res != ruleMatches {
			return rejection(rule, res, host, p, "no address accept rule matches all of its endpoints")
		}
		if !hasReject {
			return proxyDecision{}
		}
	}
	rule, res, host := v.matchAny(v.reject, p)
	if res == ruleMatches {
		return proxyDecision{proxyRejected, fmt.Sprintf("address reject rule `%s' matches all of its endpoints", rule.text)}
	}
	if res != ruleMisses {
		return rejection(rule, res, host, p, "")
	}
	if v.sizeMax > 0 {
		if n := len(p.String()); n > v.sizeMax {
			return proxyDecision{proxyRejected, fmt.Sprintf("its stringified form is %d bytes long, more than the maximum proxy size of %d", n, v.sizeMax)}
		}
	}
	return proxyDecision{}
}

// rejection explains a rule result that rejects the proxy: a miss of every
// accept rule, or a rule glacier2router fails on when applied to host.
func rejection(rule *addressRule, res ruleResult, host string, p *ice.Proxy, miss string) proxyDecision {
	switch res {
	case ruleThrows:
		return proxyDecision{proxyThrows, fmt.Sprintf("address rule `%s' cannot be applied to its host `%s' (glacier2router raises std::out_of_range there)", rule.text, host)}
	case ruleLoops:
		return proxyDecision{proxyLoops, fmt.Sprintf("address rule `%s' cannot be applied to its host `%s' (glacier2router loops forever there)", rule.text, host)}
	}
	if p.IsIndirect() {
		miss += " (it has none: address rules match direct proxies only)"
	}
	return proxyDecision{proxyRejected, miss}
}

// matchAny applies rules in order until one matches p or fails to decide,
// and returns that rule with the result, and the host it failed on.
func (v *proxyVerifier) matchAny(rules []addressRule, p *ice.Proxy) (*addressRule, ruleResult, string) {
	for i := range rules {
		r := &rules[i]
		if res, host := r.check(p, v.opaqueTLS); res != ruleMisses {
			return r, res, host
		}
	}
	return nil, ruleMisses, ""
}

// ruleResult is the result of applying one rule (or one of its parts).
type ruleResult uint8

const (
	ruleMisses ruleResult = iota
	ruleMatches
	ruleThrows // glacier2router raises std::out_of_range
	ruleLoops  // glacier2router never returns
)

// addressRule is one rule: matchers for the host, applied in order, and an
// optional one for the port.
type addressRule struct {
	text string
	host []hostMatcher
	port *numberGroup // nil: any port
}

// check applies the rule to every endpoint of p, in order; it matches when
// it matches them all. host is the one it stopped on.
func (r *addressRule) check(p *ice.Proxy, opaqueTLS bool) (res ruleResult, host string) {
	if len(p.Endpoints) == 0 {
		return ruleMisses, ""
	}
	for i := range p.Endpoints {
		host, port, ok := endpointHostPort(&p.Endpoints[i], opaqueTLS)
		if !ok {
			return ruleMisses, host
		}
		if r.port != nil {
			var pos uint64
			if res := r.port.matchAt(port, &pos); res != ruleMatches {
				return res, host
			}
		}
		var pos uint64
		for j := range r.host {
			if res := r.host[j].match(host, &pos); res != ruleMatches {
				return res, host
			}
		}
	}
	return ruleMatches, ""
}

// endpointHostPort cuts host and port out of the endpoint's printed form
// as Glacier2 does: the text after the first "-h " and after the first
// "-p ", each up to the next space. ok is false when either is missing: an
// endpoint without a host, an opaque one, or (with opaqueTLS) ssl and wss.
func endpointHostPort(e *ice.Endpoint, opaqueTLS bool) (host, port string, ok bool) {
	if !e.Known() || opaqueTLS && e.Secure() {
		return "", "", false // "opaque -t N -e 1.1 -v ..." has neither
	}
	s := e.String()
	if host, ok = printedOption(s, "-h "); !ok {
		return "", "", false
	}
	if port, ok = printedOption(s, "-p "); !ok {
		return "", "", false
	}
	return host, port, true
}

func printedOption(s, opt string) (string, bool) {
	i := strings.Index(s, opt)
	if i < 0 {
		return "", false
	}
	s = s[i+len(opt):]
	if j := strings.IndexByte(s, ' '); j >= 0 {
		s = s[:j]
	}
	return s, true
}

// hostMatcherKind is one of Glacier2's address matchers.
type hostMatcherKind uint8

const (
	// matchAll is a rule of just "*".
	matchAll hostMatcherKind = iota
	// matchPrefix compares text with the start of the host, wherever the
	// previous matcher stopped (Glacier2's StartsWithString, and its
	// MatchesString for text after a group), then moves past its length.
	matchPrefix
	// matchSuffix tests that the host ends with text, provided at least
	// that many characters remain (EndsWithString).
	matchSuffix
	// matchContains finds text from the current position and moves one
	// character past it (ContainsString).
	matchContains
	// matchNumber reads a number at the current position (MatchesNumber).
	matchNumber
	// matchContainsNumber tries each number from the current position
	// (ContainsNumberMatch).
	matchContainsNumber
)

type hostMatcher struct {
	kind  hostMatcherKind
	text  string
	group *numberGroup
}

// match applies the matcher to host at *pos and moves *pos on. Positions
// are C++ size_t values: they can pass the end of the host, and wrap.
func (m *hostMatcher) match(host string, pos *uint64) ruleResult {
	switch m.kind {
	case matchAll:
		return ruleMatches
	case matchPrefix:
		if !cPrefix(host, m.text) {
			return ruleMisses
		}
		*pos += uint64(len(m.text))
		return ruleMatches
	case matchSuffix:
		size := uint64(len(host))
		if size-*pos < uint64(len(m.text)) {
			return ruleMisses
		}
		// With *pos past the end the difference wraps and the test passes;
		// Glacier2 then compares from the end of the host even past its
		// start, which reads outside the string: never equal in practice.
		if len(m.text) > len(host) || !strings.HasSuffix(host, m.text) {
			return ruleMisses
		}
		return ruleMatches
	case matchContains:
		if *pos > uint64(len(host)) {
			return ruleMisses
		}
		i := strings.Index(host[*pos:], m.text)
		if i < 0 {
			return ruleMisses
		}
		*pos += uint64(i+len(m.text)) + 1
		return ruleMatches
	case matchNumber:
		return m.group.matchAt(host, pos)
	default: // matchContainsNumber
		tried := make(map[uint64]bool)
		for {
			i := firstDigit(host, *pos)
			if i < 0 {
				return ruleMisses
			}
			*pos = uint64(i)
			if tried[*pos] {
				// Glacier2 would read the same number again, forever.
				return ruleLoops
			}
			tried[*pos] = true
			if m.group.matchAt(host, pos) == ruleMatches {
				return ruleMatches
			}
		}
	}
}

// cPrefix is strncmp(s.c_str(), prefix.c_str(), len(prefix)) == 0: the
// comparison stops at a NUL byte present in both.
func cPrefix(s, prefix string) bool {
	for i := 0; i < len(prefix); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
		}
		if c != prefix[i] {
			return false
		}
		if c == 0 {
			return true
		}
	}
	return true
}

func firstDigit(s string, from uint64) int {
	if from >= uint64(len(s)) {
		return -1
	}
	if i := strings.IndexAny(s[from:], "0123456789"); i >= 0 {
		return int(from) + i
	}
	return -1
}

// numberGroup is the content of a "[...]" group: numbers and ranges.
type numberGroup struct {
	values []int64
	ranges [][2]int64 // inclusive; a range whose start is above its end is empty
}

func (g *numberGroup) contains(n int64) bool {
	for _, v := range g.values {
		if v == n {
			return true
		}
	}
	for _, r := range g.ranges {
		if n >= r[0] && n <= r[1] {
			return true
		}
	}
	return false
}

// matchAt reads an int from s at *pos as an istringstream would and tests
// it. A number that runs to the end of s moves *pos back by one (Glacier2
// adds tellg(), which is -1 once the stream hit its end); an unreadable one
// leaves *pos alone.
func (g *numberGroup) matchAt(s string, pos *uint64) ruleResult {
	if *pos > uint64(len(s)) {
		return ruleThrows // substr(pos) with pos past the end
	}
	n, used, atEnd, ok := cReadInt(s[*pos:])
	if !ok {
		return ruleMisses
	}
	if atEnd {
		*pos--
	} else {
		*pos += uint64(used)
	}
	if g.contains(n) {
		return ruleMatches
	}
	return ruleMisses
}

// cSpace is isspace in the C locale.
func cSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// cReadInt is `stream >> int` in the C locale: leading whitespace, an
// optional sign, decimal digits. It fails without digits or when the value
// does not fit an int. atEnd says the stream hit its end (eofbit).
func cReadInt(s string) (n int64, used int, atEnd, ok bool) {
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if !overflow {
			n = n*10 + int64(s[i]-'0')
			overflow = n > 1<<31
		}
	}
	if i == start || overflow || !neg && n > 1<<31-1 {
		return 0, i, i == len(s), false
	}
	if neg {
		n = -n
	}
	return n, i, i == len(s), true
}

// addressRuleError is a rule glacier2router refuses to start with.
type addressRuleError struct {
	Rule   string // the rule, as written; "" for trailing whitespace
	Offset int    // of the rule in the rules string, in bytes
	Reason string // glacier2router's words, with where it found the fault
}

func (e *addressRuleError) Error() string {
	if e.Rule == "" {
		return "whitespace after the last rule (glacier2router: expected address information before ':')"
	}
	return fmt.Sprintf("rule `%s': %s", e.Rule, e.Reason)
}

// parseAddressRules parses a rule string as Glacier2 does: rules separated
// by whitespace; leading whitespace is skipped, but whitespace after the
// last rule (or a string of only whitespace) is an empty rule, which
// Glacier2 refuses. An empty string has no rules.
func parseAddressRules(s string) ([]addressRule, error) {
	if s == "" {
		return nil, nil
	}
	var rules []addressRule
	for i := 0; ; {
		for i < len(s) && cSpace(s[i]) {
			i++
		}
		start := i
		for i < len(s) && !cSpace(s[i]) {
			i++
		}
		r, reason := parseAddressRule(s[start:i])
		if reason != "" {
			return nil, &addressRuleError{Rule: s[start:i], Offset: start, Reason: reason}
		}
		rules = append(rules, r)
		if i == len(s) {
			return rules, nil
		}
	}
}

// matcherFactory is the state of Glacier2's rule parser: which matcher a
// piece of text or a group becomes depends on what came before it.
type matcherFactory uint8

const (
	atStart       matcherFactory = iota // nothing yet
	afterWildcard                       // after '*'
	afterGroup                          // after text followed by '[', or after ']'
)

func (f matcherFactory) text(s string) hostMatcher {
	if f == afterWildcard {
		return hostMatcher{kind: matchContains, text: s}
	}
	return hostMatcher{kind: matchPrefix, text: s}
}

func (f matcherFactory) group(g *numberGroup) hostMatcher {
	if f == afterWildcard {
		return hostMatcher{kind: matchContainsNumber, group: g}
	}
	return hostMatcher{kind: matchNumber, group: g}
}

// parseAddressRule parses one rule, `address[:port]`; reason is "" or why
// glacier2router refuses it.
func parseAddressRule(rule string) (r addressRule, reason string) {
	r.text = rule
	addr := rule
	if colon := strings.IndexByte(rule, ':'); colon >= 0 {
		addr = rule[:colon]
		port := rule[colon+1:]
		// Only what is inside the first [...] counts, if there is one.
		if open := strings.IndexByte(port, '['); open >= 0 {
			end := strings.IndexByte(port[open+1:], ']')
			if end < 0 {
				return r, "unclosed group in port `" + port + "'"
			}
			port = port[open+1 : open+1+end]
		}
		g, why := parseNumberGroup(port)
		if why != "" {
			return r, why + " in port `" + port + "'"
		}
		r.port = g
	}
	if addr == "" {
		return r, "expected address information before ':'"
	}
	if addr == "*" {
		r.host = []hostMatcher{{kind: matchAll}}
		return r, ""
	}
	f, mark, inGroup := atStart, 0, false
	for cur := 0; cur < len(addr); cur++ {
		switch addr[cur] {
		case '*':
			if inGroup {
				return r, "wildcards not permitted in groups"
			}
			if cur != mark {
				r.host = append(r.host, f.text(addr[mark:cur]))
			}
			f, mark = afterWildcard, cur+1
		case '[':
			// A '[' inside a group starts it again, the text before it
			// becoming a matcher of its own, as in Glacier2.
			if cur != mark {
				r.host = append(r.host, f.text(addr[mark:cur]))
				f = afterGroup
			}
			inGroup, mark = true, cur+1
		case ']':
			if !inGroup {
				return r, "group close without group start"
			}
			inGroup = false
			if mark == cur {
				return r, "empty group"
			}
			g, why := parseNumberGroup(addr[mark:cur])
			if why != "" {
				return r, why + " in group `[" + addr[mark:cur] + "]'"
			}
			r.host = append(r.host, f.group(g))
			f, mark = afterGroup, cur+1
		}
	}
	if inGroup {
		return r, "unclosed group"
	}
	if mark != len(addr) {
		r.host = append(r.host, hostMatcher{kind: matchSuffix, text: addr[mark:]})
	}
	return r, ""
}

// parseNumberGroup parses "a,b-c,..." as Glacier2's parseGroup reads it
// with an istringstream; why is "" or Glacier2's complaint.
func parseNumberGroup(s string) (g *numberGroup, why string) {
	g = &numberGroup{}
	in := cStream{s: s}
	for !in.eof {
		in.ws()
		v, ok := in.readInt()
		if !ok {
			return nil, "expected number"
		}
		in.ws()
		if in.eof {
			g.values = append(g.values, v)
			continue
		}
		switch in.readChar() {
		case ',':
			g.values = append(g.values, v)
		case '-':
			in.ws()
			if in.eof {
				return nil, "Unterminated range"
			}
			end, ok := in.readInt()
			if !ok {
				return nil, "expected number"
			}
			in.ws()
			if !in.eof && in.readChar() != ',' {
				return nil, "expected comma separator"
			}
			g.ranges = append(g.ranges, [2]int64{v, end})
		default:
			return nil, "unexpected trailing character"
		}
	}
	return g, ""
}

// cStream is the little of an istringstream that parseGroup uses.
type cStream struct {
	s   string
	i   int
	eof bool
}

func (c *cStream) ws() {
	for c.i < len(c.s) && cSpace(c.s[c.i]) {
		c.i++
	}
	if c.i == len(c.s) {
		c.eof = true
	}
}

func (c *cStream) readInt() (int64, bool) {
	if c.eof {
		return 0, false
	}
	n, used, atEnd, ok := cReadInt(c.s[c.i:])
	c.i += used
	c.eof = c.eof || atEnd
	return n, ok
}

// readChar reads the next byte; only called where one is there.
func (c *cStream) readChar() byte {
	b := c.s[c.i]
	c.i++
	return b
}
