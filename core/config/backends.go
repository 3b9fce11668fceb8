package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// BackendRule is one allowed_backends entry: the addresses of a prefix and
// a range of ports.
type BackendRule struct {
	Prefix netip.Prefix
	Lo, Hi int
}

// Allows reports whether the rule admits address a and port.
func (r BackendRule) Allows(a netip.Addr, port int) bool {
	return r.Prefix.Contains(a.Unmap()) && port >= r.Lo && port <= r.Hi
}

// ParseAllowedBackend parses "ADDRESS[/BITS]:PORTS", PORTS being a port,
// "LO-HI" or "*": "10.0.0.0/8:10000-10100", "192.168.1.7:443", "[::1]:*".
func ParseAllowedBackend(s string) (BackendRule, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return BackendRule{}, fmt.Errorf("%q: want ADDRESS/BITS:PORTS, for example 10.0.0.0/8:10000-10100", s)
	}
	addr, ports := strings.Trim(s[:i], "[]"), s[i+1:]
	var r BackendRule
	var err error
	if strings.Contains(addr, "/") {
		r.Prefix, err = netip.ParsePrefix(addr)
	} else {
		var a netip.Addr
		if a, err = netip.ParseAddr(addr); err == nil {
			r.Prefix = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return BackendRule{}, fmt.Errorf("%q: %v", s, err)
	}
	r.Prefix = r.Prefix.Masked()
	if ports == "*" {
		r.Lo, r.Hi = 0, 65535
		return r, nil
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	var err2 error
	r.Lo, err = strconv.Atoi(lo)
	r.Hi = r.Lo
	if isRange {
		r.Hi, err2 = strconv.Atoi(hi)
	}
	if err != nil || err2 != nil || r.Lo < 0 || r.Hi > 65535 || r.Lo > r.Hi {
		return BackendRule{}, fmt.Errorf("%q: ports must be N, LO-HI (0-65535) or *", s)
	}
	return r, nil
}
