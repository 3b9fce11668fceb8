// Package router is floe's Glacier2 kernel: sessions (one per client
// connection), the per-session routing table, forwarding of client requests
// to servers and of server callbacks to clients, and the Glacier2::Router,
// Ice::Router and Ice::RouterFinder servants, reproducing Glacier2 3.7's
// observable behaviour for unmodified Ice clients and servers.
//
// It builds on core/ice (codec) and core/transport (connections) and is
// configured by core/config. It must not import gopher-lua or go-plugin.
package router
