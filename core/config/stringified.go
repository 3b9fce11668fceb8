package config

import (
	"errors"
	"strings"

	"github.com/floe-router/floe/core/ice"
)

// The stringified-form parsers of core/ice. They are variables only so that
// this package's tests can stand in for them where a test is about
// something else than endpoint or proxy syntax.
var (
	parseEndpoints = ice.ParseEndpoints
	parseProxy     = ice.ParseProxy
)

// checkEndpoints reports whether s is a valid endpoint list in Ice syntax.
func checkEndpoints(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("no endpoint")
	}
	_, err := parseEndpoints(s)
	return err
}

// checkProxy reports whether s is a valid, non-null stringified proxy.
func checkProxy(s string) (*ice.Proxy, error) {
	p, err := parseProxy(s)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("empty proxy")
	}
	return p, nil
}

// The names of Glacier2's built-in accept-all verifiers,
// <InstanceName>/NullPermissionsVerifier and
// <InstanceName>/NullSSLPermissionsVerifier.
const (
	nullVerifierName    = "NullPermissionsVerifier"
	nullSSLVerifierName = "NullSSLPermissionsVerifier"
)

// isNullVerifier reports whether a Glacier2.PermissionsVerifier value names
// the built-in accept-all verifier, as Glacier2's
// setupNullPermissionsVerifier decides: a proxy with that identity (with or
// without endpoints), or, when the value is no valid proxy (typically
// because the instance name holds a space), the stringified identity itself.
func isNullVerifier(value, instanceName string) bool {
	return isBuiltinVerifier(value, instanceName, nullVerifierName)
}

// isBuiltinVerifier is isNullVerifier for the built-in verifier name.
func isBuiltinVerifier(value, instanceName, name string) bool {
	null := ice.Identity{Category: instanceName, Name: name}
	if p, err := parseProxy(value); err == nil {
		return p != nil && p.Identity == null
	}
	return value == null.String()
}
