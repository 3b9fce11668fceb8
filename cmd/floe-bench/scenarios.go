package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/floe-router/floe/core/ice"
)

// scenario is one row group of the results (issue 6's list).
type scenario struct {
	name string
	unit string // what the rate counts, per second
	// transport is how clients reach a router when not tcp: "ssl", "ws"
	// or "wss" (not applicable to direct and relay).
	transport string
	about     func(settings) string
	run       func(context.Context, *env, *running) (result, error)
}

func twowayScenario(sessions, inflight int) scenario {
	return scenario{
		name: fmt.Sprintf("twoway-%dx%d", sessions, inflight),
		unit: "req/s",
		about: func(settings) string {
			return fmt.Sprintf("empty twoway calls, %d session%s × %d in flight", sessions, plural(sessions), inflight)
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return twoway(ctx, e, t, sessions, inflight, requestMessage("ping", ice.Normal, nil), 0)
		},
	}
}

// iceTwowayScenario is twowayScenario with the real Ice C++ runtime as the
// client (backend/client.cpp, AMI calls): each session a communicator.
func iceTwowayScenario(sessions, inflight int) scenario {
	return scenario{
		name: fmt.Sprintf("ice-twoway-%dx%d", sessions, inflight),
		unit: "req/s",
		about: func(settings) string {
			return fmt.Sprintf("empty twoway calls from Ice C++ clients (AMI), %d session%s × %d in flight",
				sessions, plural(sessions), inflight)
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return iceTwoway(ctx, e, t, sessions, inflight)
		},
	}
}

// transportTwowayScenario is the 16×8 load with clients on another
// transport than tcp (routers only).
func transportTwowayScenario(transport, about string) scenario {
	return scenario{
		name:      transport + "-twoway-16x8",
		unit:      "req/s",
		transport: transport,
		about:     func(settings) string { return about },
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return twoway(ctx, e, t, 16, 8, requestMessage("ping", ice.Normal, nil), 0)
		},
	}
}

// idleOverScenario is idle-sessions with clients on another transport than
// tcp (routers only). RSS is read after settleAfterSlowOpening: a burst of
// handshakes leaves memory floe returns only at its next release.
func idleOverScenario(transport, over string) scenario {
	return scenario{
		name:      "idle-" + transport + "-sessions",
		unit:      "sessions/s",
		transport: transport,
		about: func(s settings) string {
			return fmt.Sprintf("idle-sessions over %s: %d sessions", over, s.idle)
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return idle(ctx, e, t, e.cfg.idle, settleAfterSlowOpening(e))
		},
	}
}

var allScenarios = []scenario{
	twowayScenario(1, 1),
	twowayScenario(16, 8),
	twowayScenario(256, 1),
	transportTwowayScenario("ws", "empty twoway calls over ws (as Ice for JavaScript sends them), 16 sessions × 8 in flight"),
	transportTwowayScenario("ssl", "empty twoway calls over ssl (TLS 1.3), 16 sessions × 8 in flight"),
	transportTwowayScenario("wss", "empty twoway calls over wss (WebSocket over TLS 1.3), 16 sessions × 8 in flight"),
	iceTwowayScenario(16, 8),
	iceTwowayScenario(256, 1),
	{
		name:  "echo-4x4",
		unit:  "req/s",
		about: func(s settings) string { return fmt.Sprintf("echo of %d bytes, 4 sessions × 4 in flight", s.echoSize) },
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			payload := make([]byte, e.cfg.echoSize)
			for i := range payload {
				payload[i] = byte(i)
			}
			msg := requestMessage("echo", ice.Normal, func(enc *ice.Encoder) {
				enc.WriteSize(len(payload))
				enc.WriteRaw(payload)
			})
			return twoway(ctx, e, t, 4, 4, msg, len(payload))
		},
	},
	{
		name: "oneway-flood",
		unit: "oneways/s",
		about: func(settings) string {
			return "oneway calls as fast as 4 sessions can write them, counted at the backend"
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return oneway(ctx, e, t, 4)
		},
	},
	{
		name: "idle-sessions",
		unit: "sessions/s",
		about: func(s settings) string {
			return fmt.Sprintf("%d idle sessions (each with the backend in its routing table); rate = how fast they opened", s.idle)
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return idle(ctx, e, t, e.cfg.idle, idleSettle)
		},
	},
	idleOverScenario("ssl", "ssl (TLS 1.3, ECDSA P-256 certificate, no client certificate)"),
	idleOverScenario("ws", "ws (WebSocket, as Ice for JavaScript in a browser)"),
	idleOverScenario("wss", "wss (WebSocket over TLS 1.3, as Ice for JavaScript on an https page)"),
	{
		name: "session-setup",
		unit: "sessions/s",
		about: func(s settings) string {
			return fmt.Sprintf("connect, createSession (null verifier), close; %d clients at once "+
				"(direct and relay: connect, first ping, close)", s.setupConc)
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return setup(ctx, e, t, e.cfg.setupConc)
		},
	},
	{
		name: "callbacks-4x8",
		unit: "callbacks/s",
		about: func(settings) string {
			return "server-to-client twoway callbacks, 4 sessions × 8 in flight (latency measured by the backend)"
		},
		run: func(ctx context.Context, e *env, t *running) (result, error) {
			return callbacks(ctx, e, t, 4, 8)
		},
	},
}

func findScenarios(names string) ([]scenario, error) {
	if strings.TrimSpace(names) == "" {
		return allScenarios, nil
	}
	var out []scenario
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		i := slices.IndexFunc(allScenarios, func(s scenario) bool { return s.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, scenarioNames())
		}
		out = append(out, allScenarios[i])
	}
	return out, nil
}

func scenarioNames() string {
	var names []string
	for _, s := range allScenarios {
		names = append(names, s.name)
	}
	return strings.Join(names, ", ")
}

func targetNames() string {
	var names []string
	for _, t := range allTargets {
		names = append(names, t.name)
	}
	return strings.Join(names, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
