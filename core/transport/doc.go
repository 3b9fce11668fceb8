// Package transport carries Ice protocol messages over connections: it
// accepts and dials, frames messages (checking the size limit before any
// allocation), validates new connections, sends and answers heartbeats (ACM),
// closes gracefully with CloseConnection, numbers outgoing requests and
// matches their replies, and keeps one pooled outgoing connection per backend
// endpoint shared by every session.
//
// Writes go through a bounded per-connection queue drained by a writer
// goroutine that exists only while there is something to write, so an idle
// connection costs one parked reader goroutine and no buffers, and a slow
// peer gives its senders back-pressure instead of unbounded memory.
//
// Transports: tcp in endpoint.go, ws and wss (Ice over WebSocket, framing by
// github.com/coder/websocket) in ws.go.
//
// The package knows nothing of sessions or routing; of floe it imports
// core/ice only.
package transport
