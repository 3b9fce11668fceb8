package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// iceTwoway is the twoway load from the real Ice C++ runtime: the client
// process backend/client.cpp with sessions communicators, each keeping
// inflight AMI calls outstanding. The bench's own load generator sends
// exactly what an Ice client sends, but not at an Ice client's CPU cost;
// on a machine shared by client, router and backend that cost decides
// how much CPU is left for the router, so both are measured.
func iceTwoway(ctx context.Context, e *env, t *running, sessions, inflight int) (result, error) {
	at, err := backendProxy(t.addr) // the backend's object, at the target's address
	if err != nil {
		return result{}, err
	}
	router, target := "-", at.String()
	if t.routed {
		router = instanceName + "/router:" + at.Endpoints[0].String()
		target = e.backendProxy.String()
	}
	p, err := startProcess("ice client", e.iceClient, router, target, strconv.Itoa(sessions), strconv.Itoa(inflight))
	if err != nil {
		return result{}, err
	}
	defer p.stop()
	if _, err := p.waitLine("READY", setupTimeout); err != nil {
		return result{}, err
	}
	signal := func(sig syscall.Signal) func() {
		return func() { _ = syscall.Kill(p.pid(), sig) }
	}
	w := window{clientPID: p.pid()}
	if err := w.run(ctx, e, t, signal(syscall.SIGUSR1), signal(syscall.SIGUSR2)); err != nil {
		return result{}, err
	}
	line, err := p.waitLine("RESULT ", drainTimeout+5*time.Second)
	if err != nil {
		return result{}, err
	}
	var calls, failed, p50, p99 int64
	if _, err := fmt.Sscanf(line, "RESULT %d %d %d %d", &calls, &failed, &p50, &p99); err != nil {
		return result{}, fmt.Errorf("ice client printed %q: %w", line, err)
	}
	if failed > 0 {
		first, _ := p.waitLine("ERROR ", time.Second)
		return result{}, fmt.Errorf("%d failed: first: %s", failed, strings.TrimPrefix(first, "ERROR "))
	}
	r := result{ops: calls, p50: time.Duration(p50), p99: time.Duration(p99),
		bytes: calls * int64(len(requestMessage("ping", ice.Normal, nil))+len(emptyReply(1)))}
	w.fill(&r)
	return r, nil
}
