package ice

import "errors"

// This file is being written: the stringified forms of identities,
// endpoints and proxies, as Ice 3.7 parses and prints them.

var errNotYet = errors.New("ice: stringified proxies are not implemented yet")

// ParseIdentity parses a stringified identity ("category/name", with Ice's
// escapes).
func ParseIdentity(s string) (Identity, error) { return Identity{}, errNotYet }

// String prints the identity as Ice's identityToString does (Unicode mode).
func (id Identity) String() string { return id.Category + "/" + id.Name }

// ParseEndpoints parses one or more endpoints separated by ':' as in
// "tcp -h 0.0.0.0 -p 4063 : ssl -h 0.0.0.0 -p 4064".
func ParseEndpoints(s string) ([]Endpoint, error) { return nil, errNotYet }

// String prints the endpoint as Ice does ("tcp -h 127.0.0.1 -p 4063 -t 60000").
func (e *Endpoint) String() string { return "" }

// ParseProxy parses a stringified proxy ("hello -t -e 1.1:tcp -h h -p 1",
// "hello@Adapter", "hello"). An empty string is a nil proxy.
func ParseProxy(s string) (*Proxy, error) { return nil, errNotYet }

// String prints the proxy as Ice's proxyToString does.
func (p *Proxy) String() string { return "" }
