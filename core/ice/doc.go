// Package ice is floe's codec for the Ice protocol 1.0 with encodings 1.0 and
// 1.1: the primitive types, identities, contexts, encapsulations, proxies and
// endpoints, message framing, requests, replies, user exceptions, stringified
// proxies and Ice property files.
//
// Every decoder here works on a byte slice it was handed and never trusts a
// size it reads: a length that runs past the buffer, or a message larger than
// the configured maximum, is an error before anything is allocated for it.
// The request path decodes lazily: Request keeps offsets into the message so
// the router can forward params (and usually the whole message) untouched.
//
// This package imports nothing else of floe's.
package ice
