package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// The scenarios' load: what runs against one started target, and what it
// measured.

// result is one scenario run against one target.
type result struct {
	ops     int64   // requests (or oneways, callbacks, sessions) completed in the window
	seconds float64 // the window
	bytes   int64   // message bytes both ways in the window, seen from the client
	hist    *histogram
	p50     time.Duration // when hist is nil (callbacks: measured by the backend)
	p99     time.Duration
	cpu     time.Duration // the measured process's CPU time in the window
	others  others        // the rest of the machine's CPU time in the window
	rssKB   int64         // its resident memory at the end of the window
	perSess float64       // idle sessions: KB of RSS per session
}

// errNotApplicable marks a scenario a target has no part in (idle sessions
// without any process in between).
var errNotApplicable = errors.New("not applicable")

// failures collects what went wrong in one run: the first error and how
// many requests failed.
type failures struct {
	mu    sync.Mutex
	n     int
	first error
}

func (f *failures) add(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n += n
	if f.first == nil {
		f.first = err
	}
}

func (f *failures) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first == nil {
		return nil
	}
	return fmt.Errorf("%d failed: first: %w", f.n, f.first)
}

// Phases of a run, read by the load workers on every reply.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// window runs the warm-up and the measured window and samples the measured
// process at its edges. atStart and atEnd run just inside the window.
type window struct {
	phase      atomic.Int32
	start, end time.Time
	before     usage
	after      usage
	// clientPID is the process that makes the load when it is not this
	// one (the Ice C++ client).
	clientPID    int
	othersBefore others
	othersAfter  others
}

func (w *window) run(ctx context.Context, e *env, t *running, atStart, atEnd func()) error {
	if err := sleep(ctx, e.cfg.warmup); err != nil {
		return err
	}
	w.othersBefore = readOthers(e, w.clientPID)
	w.before = t.usage()
	if atStart != nil {
		atStart()
	}
	w.start = time.Now()
	w.phase.Store(phaseMeasure)
	err := sleep(ctx, e.cfg.duration)
	w.phase.Store(phaseStop)
	w.end = time.Now()
	if atEnd != nil {
		atEnd()
	}
	w.after = t.usage()
	w.othersAfter = readOthers(e, w.clientPID)
	return err
}

func (w *window) fill(r *result) {
	r.seconds = w.end.Sub(w.start).Seconds()
	r.cpu = w.after.cpu - w.before.cpu
	r.rssKB = w.after.rssKB
	r.others = w.othersAfter.sub(w.othersBefore)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// usage samples the measured process (zero without one).
func (r *running) usage() usage {
	if r.proc == nil {
		return usage{}
	}
	u, _ := readUsage(r.proc.pid())
	return u
}

// drainTimeout bounds the wait for outstanding replies after a window.
const drainTimeout = 10 * time.Second

// setupTimeout bounds connecting and creating one session.
const setupTimeout = 30 * time.Second

// openConns opens n client connections to t concurrently, each a session
// with the backend in its routing table when t is a router.
func openConns(ctx context.Context, e *env, t *running, n int, callbacks bool, readBuffer int) ([]*iceConn, []routerSession, error) {
	conns := make([]*iceConn, n)
	sessions := make([]routerSession, n)
	var fails failures
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, setupTimeout)
			defer cancel()
			c, err := dialIce(cctx, t.addr, t.tls, t.ws, readBuffer)
			if err == nil && t.routed {
				sessions[i], err = c.openSession(cctx, instanceName, e.backendProxy, callbacks)
				if err != nil {
					c.close()
				}
			}
			if err != nil {
				fails.add(1, fmt.Errorf("opening session %d: %w", i, err))
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if err := fails.err(); err != nil {
		closeAll(conns)
		return nil, nil, fmt.Errorf("sessions: %w", err)
	}
	return conns, sessions, nil
}

func closeAll(conns []*iceConn) {
	for _, c := range conns {
		if c != nil {
			c.close()
		}
	}
}

// twoway keeps inflight twoway requests (msg, with its id patched) in
// flight on each of sessions connections, and measures the replies that
// arrive within the window. echo is the payload size a reply must at least
// carry.
func twoway(ctx context.Context, e *env, t *running, sessions, inflight int, msg []byte, echo int) (result, error) {
	conns, _, err := openConns(ctx, e, t, sessions, false, loadReadBuffer)
	if err != nil {
		return result{}, err
	}
	defer closeAll(conns)
	var w window
	var fails failures
	workers := make([]*twowayWorker, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		tw := &twowayWorker{c: c, msg: append([]byte(nil), msg...), sent: make([]time.Time, inflight), echo: echo}
		workers[i] = tw
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tw.run(&w.phase); err != nil {
				fails.add(tw.outstanding, err)
			}
		}()
	}
	werr := w.run(ctx, e, t, nil, nil)
	if !waitTimeout(&wg, drainTimeout) {
		closeAll(conns)
		wg.Wait()
		fails.add(0, fmt.Errorf("replies still missing %s after the window", drainTimeout))
	}
	if err := errors.Join(werr, fails.err()); err != nil {
		return result{}, err
	}
	r := result{hist: &histogram{}}
	w.fill(&r)
	for _, tw := range workers {
		r.ops += tw.count
		r.bytes += tw.bytes
		r.hist.merge(&tw.hist)
	}
	return r, nil
}

// twowayWorker drives one connection: it sends a request per slot, and
// sends the slot's next request as soon as its reply arrives.
type twowayWorker struct {
	c           *iceConn
	msg         []byte
	sent        []time.Time // per slot (request id - 1)
	echo        int
	outstanding int

	count int64
	bytes int64
	hist  histogram
}

func (tw *twowayWorker) run(phase *atomic.Int32) error {
	if raw, err := tw.runRaw(phase); raw {
		return err
	}
	for i := range tw.sent {
		if err := tw.send(int32(i + 1)); err != nil {
			return err
		}
	}
	for tw.outstanding > 0 {
		h, body, err := tw.c.read()
		if err != nil {
			return err
		}
		id, send, err := tw.reply(h, body, phase)
		if err != nil {
			return err
		}
		if send {
			if err := tw.send(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// reply takes one message from the connection: a reply is checked and
// counted, and send says whether its slot (id) gets its next request.
func (tw *twowayWorker) reply(h ice.Header, body []byte, phase *atomic.Int32) (id int32, send bool, err error) {
	switch h.Type {
	case ice.ValidateConnectionMsg:
		return 0, false, nil // a heartbeat
	case ice.ReplyMsg:
	default:
		return 0, false, fmt.Errorf("unexpected %s message", h.Type)
	}
	if len(body) < 5 {
		return 0, false, errors.New("short reply")
	}
	id = int32(binary.LittleEndian.Uint32(body))
	if id < 1 || int(id) > len(tw.sent) {
		return 0, false, fmt.Errorf("reply with unknown request id %d", id)
	}
	if ice.ReplyStatus(body[4]) != ice.ReplyOK {
		rep, err := ice.ParseReply(body)
		if err != nil {
			return 0, false, err
		}
		return 0, false, replyError("request", rep)
	}
	if len(body) < tw.echo {
		return 0, false, fmt.Errorf("echo reply of %d bytes for a %d-byte payload", len(body), tw.echo)
	}
	tw.outstanding--
	switch phase.Load() {
	case phaseMeasure:
		tw.count++
		tw.bytes += int64(len(tw.msg) + h.Size)
		tw.hist.record(time.Since(tw.sent[id-1]))
	case phaseStop:
		return id, false, nil
	}
	return id, true, nil
}

// stamp readies the slot's request (id) and notes when it is sent.
func (tw *twowayWorker) stamp(id int32) []byte {
	setRequestID(tw.msg, id)
	tw.sent[id-1] = time.Now()
	return tw.msg
}

func (tw *twowayWorker) send(id int32) error {
	if _, err := tw.c.nc.Write(tw.stamp(id)); err != nil {
		return err
	}
	tw.outstanding++
	return nil
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// oneway floods oneway note calls on each of sessions connections and
// counts what reaches the backend (read over a direct control connection)
// within the window. Every oneway sent must arrive eventually.
func oneway(ctx context.Context, e *env, t *running, sessions int) (result, error) {
	ctrl, err := dialIce(ctx, e.backendAddr, nil, false, loadReadBuffer)
	if err != nil {
		return result{}, fmt.Errorf("control connection to the backend: %w", err)
	}
	defer ctrl.close()
	var ctrlID int32
	noted := func() (int64, error) {
		ctrlID++
		cctx, cancel := context.WithTimeout(ctx, drainTimeout)
		defer cancel()
		rep, err := ctrl.invoke(cctx, ctrlID, benchIdentity, "noted", ice.Normal, nil)
		if err != nil {
			return 0, err
		}
		d, err := resultDecoder(rep)
		if err != nil {
			return 0, err
		}
		return d.Int64()
	}
	base, err := noted()
	if err != nil {
		return result{}, err
	}
	conns, _, err := openConns(ctx, e, t, sessions, false, loadReadBuffer)
	if err != nil {
		return result{}, err
	}
	defer closeAll(conns)
	msg := requestMessage("note", ice.Normal, func(e *ice.Encoder) { e.WriteInt32(1) })
	setRequestID(msg, 0)
	var w window
	var fails failures
	var stopped atomic.Bool // the load is over: reader errors are the close
	sent := make([]int64, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bw := bufio.NewWriterSize(c.nc, 16<<10)
			for w.phase.Load() != phaseStop {
				if _, err := bw.Write(msg); err != nil {
					fails.add(1, err)
					return
				}
				sent[i]++
			}
			if err := bw.Flush(); err != nil {
				fails.add(1, err)
			}
		}()
		go func() {
			// Nothing but heartbeats is expected back; a close is a failure.
			for {
				h, _, err := c.read()
				if err != nil {
					if !stopped.Load() {
						fails.add(0, fmt.Errorf("connection %d: %w", i, err))
					}
					return
				}
				if h.Type != ice.ValidateConnectionMsg {
					fails.add(0, fmt.Errorf("connection %d: unexpected %s message", i, h.Type))
				}
			}
		}()
	}
	var atStart, atEnd int64
	var cerr error
	werr := w.run(ctx, e, t, func() {
		var err error
		atStart, err = noted()
		cerr = errors.Join(cerr, err)
	}, func() {
		var err error
		atEnd, err = noted()
		cerr = errors.Join(cerr, err)
	})
	wg.Wait()
	var total int64
	for _, n := range sent {
		total += n
	}
	// Every oneway sent must reach the backend; routers may still be
	// working through a queue, so wait while the count moves.
	last, lastMove := base, time.Now()
	for cerr == nil && werr == nil {
		n, err := noted()
		if err != nil {
			cerr = err
			break
		}
		if n-base >= total {
			break
		}
		if n != last {
			last, lastMove = n, time.Now()
		} else if time.Since(lastMove) > drainTimeout {
			fails.add(int(total-(n-base)), fmt.Errorf("%d of %d oneways never reached the backend", total-(n-base), total))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped.Store(true)
	if err := errors.Join(werr, cerr, fails.err()); err != nil {
		return result{}, err
	}
	r := result{ops: atEnd - atStart}
	w.fill(&r)
	r.bytes = r.ops * int64(len(msg))
	return r, nil
}

// How long the idle sessions stay quiet before the memory reading: long
// enough for a router to settle into whatever it does with quiet
// connections. floe parks their readers after a second and then returns the
// freed memory to the system, at most every 10 s. Opening 10,000 sessions
// over TLS takes about 5 s, and the sessions opened first already park and
// set off a return meanwhile, so the ssl and ws scenarios wait past the
// next one. Every target gets the same wait.
const (
	idleSettle     = 5 * time.Second
	idleSettleLong = 12 * time.Second
)

// settleAfterSlowOpening is the ssl and ws scenarios' wait; a smoke test's few
// sessions open at once.
func settleAfterSlowOpening(e *env) time.Duration {
	if e.cfg.quick {
		return idleSettle
	}
	return idleSettleLong
}

// idle opens n sessions that then do nothing for settle, and reports the
// measured process's resident memory per session.
func idle(ctx context.Context, e *env, t *running, n int, settle time.Duration) (result, error) {
	if t.proc == nil {
		return result{}, fmt.Errorf("%w: no process between client and backend", errNotApplicable)
	}
	if need := uint64(2*n + 100); !t.routed && e.fileLimit < need {
		return result{}, fmt.Errorf("%w: the relay holds two descriptors per connection (%d) and the open file "+
			"limit is %d", errNotApplicable, need, e.fileLimit)
	}
	// One busy session first, so the backend connection and the router's
	// steady state are in the baseline.
	first, _, err := openConns(ctx, e, t, 1, false, loadReadBuffer)
	if err != nil {
		return result{}, err
	}
	defer closeAll(first)
	cctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	if _, err := first[0].invoke(cctx, 100, benchIdentity, "ping", ice.Normal, nil); err != nil {
		return result{}, err
	}
	if err := sleep(ctx, 200*time.Millisecond); err != nil {
		return result{}, err
	}
	before := t.usage()
	start := time.Now()
	conns, _, err := openConns(ctx, e, t, n, false, setupReadBuffer)
	if err != nil {
		return result{}, err
	}
	defer closeAll(conns)
	setup := time.Since(start)
	if err := sleep(ctx, settle); err != nil {
		return result{}, err
	}
	after := t.usage()
	// The idle sessions still work: ping a sample of them.
	for i := 0; i < len(conns); i += max(1, len(conns)/50) {
		cctx, cancel := context.WithTimeout(ctx, setupTimeout)
		_, err := conns[i].invoke(cctx, 100, benchIdentity, "ping", ice.Normal, nil)
		cancel()
		if err != nil {
			return result{}, fmt.Errorf("idle session %d after the measurement: %w", i, err)
		}
	}
	return result{ops: int64(n), seconds: setup.Seconds(), cpu: after.cpu - before.cpu, rssKB: after.rssKB,
		perSess: float64(after.rssKB-before.rssKB) / float64(n)}, nil
}

// setup has conc workers each open a session (connect, ValidateConnection,
// createSession; direct and through the relay, where there is no session,
// a first ping instead) and close it again, over and over.
func setup(ctx context.Context, e *env, t *running, conc int) (result, error) {
	var w window
	var fails failures
	var wg sync.WaitGroup
	type counts struct {
		n    int64
		hist histogram
	}
	all := make([]counts, conc)
	routerID := ice.Identity{Category: instanceName, Name: "router"}
	for i := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w.phase.Load() != phaseStop {
				cctx, cancel := context.WithTimeout(ctx, setupTimeout)
				t0 := time.Now()
				c, err := dialIce(cctx, t.addr, t.tls, t.ws, setupReadBuffer)
				if err == nil {
					if t.routed {
						_, err = c.invoke(cctx, 1, routerID, "createSession", ice.Normal, func(e *ice.Encoder) {
							e.WriteString("bench")
							e.WriteString("bench")
						})
					} else {
						_, err = c.invoke(cctx, 1, benchIdentity, "ping", ice.Normal, nil)
					}
					if err == nil && w.phase.Load() == phaseMeasure {
						all[i].n++
						all[i].hist.record(time.Since(t0))
					}
					c.closeGracefully()
				}
				cancel()
				if err != nil {
					fails.add(1, err)
					return
				}
			}
		}()
	}
	werr := w.run(ctx, e, t, nil, nil)
	if !waitTimeout(&wg, setupTimeout+drainTimeout) {
		fails.add(0, errors.New("session setup still running long after the window"))
	}
	if err := errors.Join(werr, fails.err()); err != nil {
		return result{}, err
	}
	r := result{hist: &histogram{}}
	w.fill(&r)
	for i := range all {
		r.ops += all[i].n
		r.hist.merge(&all[i].hist)
	}
	return r, nil
}

// callbacks has the backend call back each of sessions clients with
// inflight twoway callbacks outstanding; the clients answer them on their
// own connection. The backend measures the calls and their latency.
func callbacks(ctx context.Context, e *env, t *running, sessions, inflight int) (result, error) {
	conns, rss, err := openConns(ctx, e, t, sessions, true, loadReadBuffer)
	if err != nil {
		return result{}, err
	}
	defer closeAll(conns)
	rcvs := make([]*callbackReceiver, len(conns))
	for i, c := range conns {
		rcv := &callbackReceiver{c: c, replies: make(chan replyOrErr, 1)}
		rcv.proxy = &ice.Proxy{Identity: ice.Identity{Category: "bench", Name: "receiver"},
			Protocol: ice.Protocol10, Encoding: ice.Encoding11}
		if t.routed {
			rcv.proxy.Identity.Category = rss[i].category
			rcv.proxy.Endpoints = rss[i].server.Endpoints
		}
		rcvs[i] = rcv
		go rcv.serve()
	}
	// flood asks every backend session for a flood of millis and gathers
	// the results.
	flood := func(millis int) ([]callbackResult, error) {
		for i, rcv := range rcvs {
			if err := rcv.request(int32(10+i), inflight, millis); err != nil {
				return nil, err
			}
		}
		out := make([]callbackResult, len(rcvs))
		var errs []error
		for i, rcv := range rcvs {
			select {
			case r := <-rcv.replies:
				if r.err != nil {
					errs = append(errs, fmt.Errorf("session %d: %w", i, r.err))
					continue
				}
				cr, err := decodeCallbackResult(r.rep)
				if err != nil {
					errs = append(errs, fmt.Errorf("session %d: %w", i, err))
				}
				out[i] = cr
			case <-time.After(time.Duration(millis)*time.Millisecond + drainTimeout):
				errs = append(errs, fmt.Errorf("session %d: no answer to callbacks within %s after the window", i, drainTimeout))
			}
		}
		return out, errors.Join(errs...)
	}
	if _, err := flood(int(e.cfg.warmup / time.Millisecond)); err != nil {
		return result{}, fmt.Errorf("warm-up: %w", err)
	}
	before := t.usage()
	atEnd := make(chan usage, 1)
	time.AfterFunc(e.cfg.duration, func() { atEnd <- t.usage() })
	results, err := flood(int(e.cfg.duration / time.Millisecond))
	after := <-atEnd
	if err != nil {
		return result{}, err
	}
	var fails failures
	r := result{seconds: e.cfg.duration.Seconds(), cpu: after.cpu - before.cpu, rssKB: after.rssKB}
	var samples [][]int64
	var weights []float64
	for i, cr := range results {
		if cr.failures > 0 {
			fails.add(int(cr.failures), fmt.Errorf("session %d: %s", i, cr.firstError))
		}
		r.ops += int64(cr.calls)
		samples = append(samples, cr.sample)
		weights = append(weights, float64(cr.calls))
		r.bytes += int64(cr.calls) * (rcvs[i].requestSize.Load() + int64(len(emptyReply(0))))
	}
	if err := fails.err(); err != nil {
		return result{}, err
	}
	r.p50 = weightedQuantile(samples, weights, 0.50)
	r.p99 = weightedQuantile(samples, weights, 0.99)
	return r, nil
}

// callbackReceiver is a client connection that answers the backend's
// callbacks and hands the reply to its own callbacks request over.
type callbackReceiver struct {
	c           *iceConn
	proxy       *ice.Proxy
	mu          sync.Mutex // serializes writes
	replies     chan replyOrErr
	requestSize atomic.Int64
}

type replyOrErr struct {
	rep ice.Reply
	err error
}

func (rc *callbackReceiver) request(id int32, inflight, millis int) error {
	msg := requestMessage("callbacks", ice.Normal, func(e *ice.Encoder) {
		e.WriteProxy(rc.proxy)
		e.WriteInt32(int32(inflight))
		e.WriteInt32(int32(millis))
	})
	setRequestID(msg, id)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_, err := rc.c.nc.Write(msg)
	return err
}

func (rc *callbackReceiver) serve() {
	reply := emptyReply(0)
	for {
		h, body, err := rc.c.read()
		if err != nil {
			rc.deliver(replyOrErr{err: err})
			return
		}
		switch h.Type {
		case ice.RequestMsg:
			req, err := ice.ParseRequest(body)
			if err != nil {
				rc.deliver(replyOrErr{err: err})
				return
			}
			rc.requestSize.Store(int64(h.Size))
			if req.ID == 0 {
				continue
			}
			binary.LittleEndian.PutUint32(reply[ice.HeaderSize:], uint32(req.ID))
			rc.mu.Lock()
			_, err = rc.c.nc.Write(reply)
			rc.mu.Unlock()
			if err != nil {
				rc.deliver(replyOrErr{err: err})
				return
			}
		case ice.ReplyMsg:
			rep, err := ice.ParseReply(body)
			if err == nil {
				err = replyError("callbacks", rep)
			}
			if err == nil {
				// The payload points into the read buffer: keep a copy.
				rep.Payload = append([]byte(nil), rep.Payload...)
			}
			rc.deliver(replyOrErr{rep: rep, err: err})
		}
	}
}

func (rc *callbackReceiver) deliver(r replyOrErr) {
	select {
	case rc.replies <- r:
	default:
	}
}

// callbackResult is FloeBench::CallbackResult.
type callbackResult struct {
	calls, failures int32
	firstError      string
	sample          []int64
}

func decodeCallbackResult(rep ice.Reply) (callbackResult, error) {
	var r callbackResult
	d, err := resultDecoder(rep)
	if err != nil {
		return r, err
	}
	if r.calls, err = d.Int32(); err != nil {
		return r, err
	}
	if r.failures, err = d.Int32(); err != nil {
		return r, err
	}
	if r.firstError, err = d.String(); err != nil {
		return r, err
	}
	n, err := d.SeqSize(8)
	if err != nil {
		return r, err
	}
	r.sample = make([]int64, n)
	for i := range r.sample {
		if r.sample[i], err = d.Int64(); err != nil {
			return r, err
		}
	}
	return r, nil
}
