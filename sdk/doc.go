// Package sdk is floe's interception vocabulary: the points where the
// router lets code inspect, change or reject traffic, what that code sees
// there (connections, sessions, requests, authentication attempts, routes,
// replies), and what it may answer (continue, deny with a reason, or a
// patch). The router's kernel, its Lua engine and its plugin host all speak
// it, and plugin authors import it.
//
// It imports nothing else of floe, so it can become a module of its own.
package sdk
