package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/ice"
)

// TestMain stands in for core/ice's stringified-form parsers in every test
// but TestWithStringifiedProxyParser, so that these tests are about this
// package alone: the stand-ins reject any string containing "bad" and read
// a proxy's identity as what precedes the first ':', ' ' or '@'. The
// address rule check (core/router's, not linked into these tests) gets a
// stand-in of the same kind.
func TestMain(m *testing.M) {
	parseEndpoints = func(s string) ([]ice.Endpoint, error) {
		if strings.Contains(s, "bad") {
			return nil, errors.New("stub: bad endpoint")
		}
		return []ice.Endpoint{{Type: ice.TCPEndpoint}}, nil
	}
	parseProxy = func(s string) (*ice.Proxy, error) {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return nil, nil
		case strings.Contains(s, "bad"):
			return nil, errors.New("stub: bad proxy")
		}
		id := s[:strings.IndexAny(s+":", ": @")]
		category, name, ok := strings.Cut(id, "/")
		if !ok {
			category, name = "", id
		}
		return &ice.Proxy{Identity: ice.Identity{Category: category, Name: name}}, nil
	}
	CheckAddressRules = func(s string) error {
		if strings.Contains(s, "bad") {
			return errors.New("stub: bad rule")
		}
		return nil
	}
	os.Exit(m.Run())
}

// useRealParsers puts core/ice's parsers back for the rest of the test.
func useRealParsers(t *testing.T) {
	endpoints, proxy := parseEndpoints, parseProxy
	parseEndpoints, parseProxy = ice.ParseEndpoints, ice.ParseProxy
	t.Cleanup(func() { parseEndpoints, parseProxy = endpoints, proxy })
}
