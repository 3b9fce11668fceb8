package router

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
)

// These tests check what the kernel does with hook verdicts, with Go hooks
// and an in-process backend that records what reaches it. (Hooks through
// Lua and plugins, and real Ice peers, are tested where those live.)

// backend is a minimal server: it answers every twoway with an OK reply
// whose result is the name of the object called, and records each request's
// context and the connection it came on.
type backend struct {
	l        *transport.Listener
	mu       sync.Mutex
	contexts []ice.Context
	conns    []*transport.Conn
}

func (b *backend) Request(c *transport.Conn, m *transport.Message) {
	defer m.Release()
	req, err := ice.ParseRequest(m.Body())
	if err != nil {
		c.Abort(err)
		return
	}
	b.mu.Lock()
	b.contexts = append(b.contexts, req.Context())
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	if req.ID != 0 {
		e := ice.NewEncoder(nil)
		mk := e.StartEncapsulation(ice.Encoding11)
		e.WriteString(req.Identity().Name)
		e.EndEncapsulation(mk)
		_ = c.Post(transport.MessageFrom(ice.AppendReplyOK(nil, req.ID, e.Bytes())))
	}
}
func (b *backend) Heartbeat(*transport.Conn)     {}
func (b *backend) Closed(*transport.Conn, error) {}

func startBackend(t *testing.T) *backend {
	t.Helper()
	b := &backend{}
	l, err := transport.Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 5000},
		&transport.Options{MessageSizeMax: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.l = l
	go func() { _ = l.Serve(b, nil) }()
	t.Cleanup(func() { _ = l.Close() })
	return b
}

func (b *backend) proxy(name string) *ice.Proxy {
	return &ice.Proxy{Identity: ice.Identity{Name: name}, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: []ice.Endpoint{b.l.Endpoint}}
}

// received is how many requests reached the backend.
func (b *backend) received() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.contexts)
}

func (b *backend) lastContext() ice.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.contexts) == 0 {
		return nil
	}
	return b.contexts[len(b.contexts)-1]
}

// goHook is a Go hook built from functions.
type goHook struct {
	points  sdk.Points
	connect func(*sdk.Connection) sdk.Verdict
	auth    func(*sdk.AuthRequest) sdk.AuthResult
	session func(sdk.Point, *sdk.Session) sdk.Verdict
	request func(sdk.RequestView) (sdk.Verdict, error)
	replies chan *sdk.ReplyView
}

func (h *goHook) Points() sdk.Points { return h.points }
func (h *goHook) OnConnect(_ context.Context, c *sdk.Connection) (sdk.Verdict, error) {
	return h.connect(c), nil
}
func (h *goHook) OnAuthenticate(_ context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
	return h.auth(a), nil
}
func (h *goHook) OnSession(_ context.Context, p sdk.Point, s *sdk.Session) (sdk.Verdict, error) {
	return h.session(p, s), nil
}
func (h *goHook) OnRequest(_ context.Context, r sdk.RequestView) (sdk.Verdict, error) {
	return h.request(r)
}
func (h *goHook) OnReply(_ context.Context, _ sdk.RequestView, r *sdk.ReplyView) error {
	h.replies <- r
	return nil
}

func routerWithHooks(t *testing.T, cfg *config.Config, entries ...intercept.Entry) *Router {
	t.Helper()
	r, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.SetHooks(intercept.New(entries, nil))
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	})
	return r
}

func baseConfig() *config.Config {
	return &config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0"},
		Auth: config.Auth{AllowAll: true}, MessageSizeMax: 1 << 20}
}

// routed adds p to the session's routing table and calls it twoway with
// ctx, returning the reply.
func (c *rawClient) routed(id int32, p *ice.Proxy, ctx ice.Context) ice.Reply {
	c.t.Helper()
	rep := c.call(id, "addProxies", func(e *ice.Encoder) { e.WriteProxySeq([]*ice.Proxy{p}) })
	if rep.Status != ice.ReplyOK {
		c.t.Fatalf("addProxies: %s", rep.Status)
	}
	return c.send(ice.RequestSpec{ID: id + 1, Identity: p.Identity, Operation: "op", Context: ctx})
}

func resultString(t *testing.T, rep ice.Reply) string {
	t.Helper()
	d := ice.NewDecoder(rep.Payload)
	_, body, err := d.Encapsulation()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ice.NewDecoder(body).String()
	return s
}

// callingHook is a hook that answers no request at once, as a plugin
// without a cached verdict: every request is decided off the reader.
type callingHook struct{ *goHook }

func (callingHook) QuickRequest(sdk.RequestView) (sdk.Verdict, bool, error) {
	return sdk.Verdict{}, false, nil
}

func TestRequestHookVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(*goHook) sdk.Hook
	}{
		{"on the reader", func(h *goHook) sdk.Hook { return h }},
		{"off the reader, as a plugin's call", func(h *goHook) sdk.Hook { return callingHook{h} }},
	} {
		t.Run(tc.name, func(t *testing.T) { testRequestHookVerdicts(t, tc.wrap) })
	}
}

func testRequestHookVerdicts(t *testing.T, wrap func(*goHook) sdk.Hook) {
	b := startBackend(t)
	other := startBackend(t)
	hook := &goHook{points: sdk.PointsOf(sdk.Request), request: func(r sdk.RequestView) (sdk.Verdict, error) {
		switch r.Identity().Name {
		case "denied":
			return sdk.Deny("not for you"), nil
		case "unknown":
			return sdk.Deny("go away"), nil
		case "tagged":
			return sdk.Verdict{SetContext: map[string]string{"user": r.Session().User}, RemoveContext: []string{"secret"}}, nil
		case "moved":
			return sdk.Verdict{Target: fmt.Sprintf("moved:tcp -h 127.0.0.1 -p %d", other.l.Endpoint.Port)}, nil
		case "escape":
			return sdk.Verdict{Target: "moved:tcp -h 10.9.9.9 -p 1"}, nil
		case "broken":
			return sdk.Verdict{}, errors.New("script error")
		}
		return sdk.Continue, nil
	}}
	cfg := baseConfig()
	cfg.AllowedBackends = []string{fmt.Sprintf("127.0.0.1/32:%d", other.l.Endpoint.Port)}
	r := routerWithHooks(t, cfg, intercept.Entry{Name: "guard", Hook: wrap(hook)})
	// A second router where the same hook denies as UnknownException.
	r2 := routerWithHooks(t, baseConfig(), intercept.Entry{Name: "guard", Hook: wrap(hook), DenyAs: intercept.DenyAsUnknown})

	c := dialRaw(t, r)
	c.createSession()
	rep := c.routed(10, b.proxy("plain"), nil)
	if rep.Status != ice.ReplyOK || resultString(t, rep) != "plain" {
		t.Fatalf("plain: %+v", rep)
	}
	if rep := c.routed(20, b.proxy("denied"), nil); rep.Status != ice.ReplyObjectNotExist || rep.Operation != "op" {
		t.Fatalf("denied: %+v", rep)
	}
	rep = c.routed(30, b.proxy("tagged"), ice.Context{"secret": "x", "keep": "y"})
	if rep.Status != ice.ReplyOK {
		t.Fatalf("tagged: %+v", rep)
	}
	// Client contexts are not forwarded (forward_context off), but what the
	// hook set is.
	if got := b.lastContext(); len(got) != 1 || got["user"] != "u" {
		t.Fatalf("backend saw context %v, want only user=u", got)
	}
	if rep := c.routed(40, b.proxy("moved"), nil); rep.Status != ice.ReplyOK || resultString(t, rep) != "moved" {
		t.Fatalf("moved: %+v", rep)
	}
	if rep := c.routed(50, b.proxy("escape"), nil); rep.Status != ice.ReplyUnknownLocalException ||
		!strings.Contains(rep.Unknown, "allowed_backends") {
		t.Fatalf("escape: %+v", rep)
	}
	if rep := c.routed(60, b.proxy("broken"), nil); rep.Status != ice.ReplyObjectNotExist {
		t.Fatalf("a failing hook fails closed: %+v", rep)
	}

	c2 := dialRaw(t, r2)
	c2.createSession()
	if rep := c2.routed(10, b.proxy("unknown"), nil); rep.Status != ice.ReplyUnknownException || rep.Unknown != "go away" {
		t.Fatalf("deny_as unknown: %+v", rep)
	}
	if s := r.hooks.Stats()["guard"]; s.Denies < 2 || s.Errors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// orderHook answers requests whose operation is "fast" at once and the
// others by a call. The calls wait until all of slow have been asked for at
// the same time (so they must be decided side by side: one after the
// other, the first would wait for its timeout and be denied), then return
// in reverse order.
type orderHook struct {
	point   sdk.Point
	slow    []string // the "n" context values of the requests that call
	arrived chan string
	done    map[string]chan struct{}
	release chan struct{} // closed once all have arrived
}

func newOrderHook(slow ...string) *orderHook {
	h := &orderHook{point: sdk.Request, slow: slow, arrived: make(chan string, len(slow)), done: map[string]chan struct{}{},
		release: make(chan struct{})}
	for _, n := range slow {
		h.done[n] = make(chan struct{})
	}
	go func() {
		for range slow {
			<-h.arrived
		}
		close(h.release)
	}()
	return h
}

func (h *orderHook) Points() sdk.Points { return sdk.PointsOf(h.point) }
func (h *orderHook) QuickRequest(v sdk.RequestView) (sdk.Verdict, bool, error) {
	return sdk.Continue, v.Operation() == "fast", nil
}
func (h *orderHook) OnRequest(ctx context.Context, v sdk.RequestView) (sdk.Verdict, error) {
	n, _ := v.ContextValue("n")
	h.arrived <- n
	select {
	case <-h.release:
	case <-ctx.Done():
		return sdk.Verdict{}, ctx.Err()
	}
	if i := slices.Index(h.slow, n); i+1 < len(h.slow) {
		<-h.done[h.slow[i+1]]
	}
	close(h.done[n])
	return sdk.Continue, nil
}

// writeOneway sends a oneway request without waiting.
func (c *rawClient) writeOneway(id ice.Identity, op, n string) {
	c.t.Helper()
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{Identity: id, Operation: op, Context: ice.Context{"n": n},
		Params: []byte{6, 0, 0, 0, 1, 1}})
	if _, err := c.nc.Write(msg); err != nil {
		c.t.Fatal(err)
	}
}

// writeBatch sends the requests as one BatchRequest message.
func (c *rawClient) writeBatch(id ice.Identity, op string, ns ...string) {
	c.t.Helper()
	var members []byte
	for _, n := range ns {
		msg := ice.AppendRequestMessage(nil, ice.RequestSpec{Identity: id, Operation: op, Context: ice.Context{"n": n},
			Params: []byte{6, 0, 0, 0, 1, 1}})
		members = append(members, msg[ice.HeaderSize+4:]...) // a batch member has no request id
	}
	msg := ice.AppendHeader(nil, ice.BatchRequestMsg, 0, ice.HeaderSize+4+len(members))
	msg = binary.LittleEndian.AppendUint32(msg, uint32(len(ns)))
	if _, err := c.nc.Write(append(msg, members...)); err != nil {
		c.t.Fatal(err)
	}
}

func TestHooksThatCallOutKeepTheOrder(t *testing.T) {
	b := startBackend(t)
	cfg := baseConfig()
	cfg.Client.ForwardContext = true
	hook := newOrderHook("0", "1", "3", "4", "5", "6", "7")
	r := routerWithHooks(t, cfg, intercept.Entry{Name: "order", Hook: hook, Timeout: 10 * time.Second})
	c := dialRaw(t, r)
	c.createSession()
	p := b.proxy("o")
	if rep := c.call(2, "addProxies", func(e *ice.Encoder) { e.WriteProxySeq([]*ice.Proxy{p}) }); rep.Status != ice.ReplyOK {
		t.Fatalf("addProxies: %s", rep.Status)
	}
	for _, n := range []string{"0", "1"} {
		c.writeOneway(p.Identity, "slow", n)
	}
	c.writeOneway(p.Identity, "fast", "2") // answered at once, but behind 0 and 1
	for _, n := range []string{"3", "4", "5"} {
		c.writeOneway(p.Identity, "slow", n)
	}
	c.writeBatch(p.Identity, "slow", "6", "7")
	// A twoway answered at once, behind them all: its reply says they have
	// all reached the backend.
	rep := c.send(ice.RequestSpec{ID: 3, Identity: p.Identity, Operation: "fast", Context: ice.Context{"n": "8"}})
	if rep.Status != ice.ReplyOK {
		t.Fatalf("last request: %+v", rep)
	}
	b.mu.Lock()
	var got []string
	for _, ctx := range b.contexts {
		got = append(got, ctx["n"])
	}
	b.mu.Unlock()
	if want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8"}; !slices.Equal(got, want) {
		t.Fatalf("the backend got %v, want %v", got, want)
	}
}

func TestCallbackHooksThatCallOutKeepTheOrder(t *testing.T) {
	cfg := baseConfig()
	cfg.Server = &config.Server{Endpoints: "tcp -h 127.0.0.1 -p 0", ForwardContext: true}
	hook := newOrderHook("0", "1", "3", "4")
	hook.point = sdk.Callback
	r := routerWithHooks(t, cfg, intercept.Entry{Name: "order", Hook: hook, Timeout: 10 * time.Second})
	c := dialRaw(t, r)
	c.createSession()
	category := resultString(t, c.call(2, "getCategoryForClient", nil))
	ep := r.ServerEndpoints()[0]
	nc, err := net.Dial("tcp", net.JoinHostPort(ep.Host, itoa(ep.Port)))
	if err != nil {
		t.Fatal(err)
	}
	server := newRawClient(t, nc)
	id := ice.Identity{Category: category, Name: "receiver"}
	server.writeOneway(id, "slow", "0")
	server.writeOneway(id, "slow", "1")
	server.writeOneway(id, "fast", "2") // answered at once, but behind 0 and 1
	server.writeBatch(id, "slow", "3", "4")
	// A twoway answered at once, behind them all, which the client answers.
	last := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 7, Identity: id, Operation: "fast",
		Context: ice.Context{"n": "5"}, Params: []byte{6, 0, 0, 0, 1, 1}})
	if _, err := server.nc.Write(last); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 6 {
		h, body := c.readMessage()
		if h.Type != ice.RequestMsg {
			continue
		}
		req, err := ice.ParseRequest(body)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, req.Context()["n"])
		if req.ID != 0 {
			if _, err := c.nc.Write(ice.AppendReplyOK(nil, req.ID, []byte{6, 0, 0, 0, 1, 1})); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{"0", "1", "2", "3", "4", "5"}; !slices.Equal(got, want) {
		t.Fatalf("the client got callbacks %v, want %v", got, want)
	}
	for {
		h, body := server.readMessage()
		if h.Type != ice.ReplyMsg {
			continue
		}
		if rep, err := ice.ParseReply(body); err != nil || rep.Status != ice.ReplyOK || rep.ID != 7 {
			t.Fatalf("the server got %+v, %v", rep, err)
		}
		break
	}
}

// heldHook is a router whose request hook calls out and holds each call
// until release is closed, with a client in session whose routing table has
// a proxy p to backend b.
type heldHook struct {
	b        *backend
	r        *Router
	c        *rawClient
	p        *ice.Proxy
	arrived  chan struct{} // a value as each call starts
	release  chan struct{}
	returned sync.WaitGroup // Add before the calls
}

func newHeldHook(t *testing.T) *heldHook {
	t.Helper()
	h := &heldHook{b: startBackend(t), arrived: make(chan struct{}, 16), release: make(chan struct{})}
	hook := &goHook{points: sdk.PointsOf(sdk.Request), request: func(sdk.RequestView) (sdk.Verdict, error) {
		defer h.returned.Done()
		h.arrived <- struct{}{}
		<-h.release
		return sdk.Continue, nil
	}}
	h.r = routerWithHooks(t, baseConfig(), intercept.Entry{Name: "held", Hook: callingHook{hook}, Timeout: 10 * time.Second})
	h.c = dialRaw(t, h.r)
	h.c.createSession()
	h.p = h.b.proxy("o")
	if rep := h.c.call(2, "addProxies", func(e *ice.Encoder) { e.WriteProxySeq([]*ice.Proxy{h.p}) }); rep.Status != ice.ReplyOK {
		t.Fatalf("addProxies: %s", rep.Status)
	}
	return h
}

func TestHookedRequestsOfAClosedConnectionAreDropped(t *testing.T) {
	h := newHeldHook(t)
	b, r, c, p := h.b, h.r, h.c, h.p
	sessions := r.sessions.all()
	if len(sessions) != 1 {
		t.Fatalf("%d sessions", len(sessions))
	}
	s := sessions[0]
	h.returned.Add(3)
	for _, n := range []string{"0", "1", "2"} {
		c.writeOneway(p.Identity, "op", n)
	}
	for range 3 {
		<-h.arrived
	}
	c.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !s.destroyed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the session outlived its connection")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(h.release)
	h.returned.Wait()
	// The queue empties once the decided requests are dropped.
	for s.client.hookedBusy() {
		if time.Now().After(deadline) {
			t.Fatal("the hooked requests were never dropped")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.forwarded.Load(); n != 0 {
		t.Fatalf("%d requests forwarded after their connection closed", n)
	}
	if n := b.received(); n != 0 {
		t.Fatalf("the backend got %d requests", n)
	}
}

// A twoway request whose session is destroyed while a hook decides gets an
// answer all the same: the client must not wait for it forever.
func TestHookedRequestOfADestroyedSessionIsAnswered(t *testing.T) {
	h := newHeldHook(t)
	b, c, p := h.b, h.c, h.p
	h.returned.Add(1)
	held := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 3, Identity: p.Identity, Operation: "op",
		Params: []byte{6, 0, 0, 0, 1, 1}})
	if _, err := c.nc.Write(held); err != nil {
		t.Fatal(err)
	}
	<-h.arrived
	if rep := c.call(4, "destroySession", nil); rep.Status != ice.ReplyOK || rep.ID != 4 {
		t.Fatalf("destroySession: %+v", rep)
	}
	close(h.release)
	mh, body := c.readMessage()
	rep, err := ice.ParseReply(body)
	if mh.Type != ice.ReplyMsg || err != nil || rep.ID != 3 || rep.Status != ice.ReplyObjectNotExist {
		t.Fatalf("the held request got %s %+v %v, want ObjectNotExistException", mh.Type, rep, err)
	}
	if n := b.received(); n != 0 {
		t.Fatalf("the backend got %d requests", n)
	}
}

func TestConnectAuthenticateAndSessionHooks(t *testing.T) {
	b := startBackend(t)
	var sawAttrs sync.Map
	hook := &goHook{
		points:  sdk.PointsOf(sdk.Connect, sdk.Authenticate, sdk.SessionCreated, sdk.Request, sdk.Reply),
		connect: func(c *sdk.Connection) sdk.Verdict { return sdk.Continue },
		auth: func(a *sdk.AuthRequest) sdk.AuthResult {
			switch a.User {
			case "mallory":
				return sdk.AuthResult{Decision: sdk.Refuse, Reason: "mallory is banned"}
			case "alice", "eve":
				return sdk.AuthResult{Decision: sdk.Allow, Attributes: map[string]string{"role": "admin"}}
			}
			return sdk.AuthResult{}
		},
		session: func(p sdk.Point, s *sdk.Session) sdk.Verdict {
			if s.User == "eve" {
				return sdk.Deny("eve may not have a session")
			}
			return sdk.Verdict{Attributes: map[string]string{"created": "yes"}}
		},
		request: func(r sdk.RequestView) (sdk.Verdict, error) {
			sawAttrs.Store(r.Session().User, r.Session().Attributes["role"]+"/"+r.Session().Attributes["created"])
			return sdk.Continue, nil
		},
		replies: make(chan *sdk.ReplyView, 10),
	}
	cfg := baseConfig()
	cfg.Auth = config.Auth{} // no built-in authenticator: the hook decides
	r := routerWithHooks(t, cfg, intercept.Entry{Name: "auth", Hook: hook})

	session := func(user string) ice.Reply {
		c := dialRaw(t, r)
		return c.call(1, "createSession", func(e *ice.Encoder) { e.WriteString(user); e.WriteString("pw") })
	}
	for _, tc := range []struct{ user, exc, reason string }{
		{"mallory", permissionDeniedID, "mallory is banned"},
		{"bob", permissionDeniedID, "no configured permissions verifier"},
		{"eve", permissionDeniedID, "eve may not have a session"},
	} {
		rep := session(tc.user)
		if rep.Status != ice.ReplyUserException {
			t.Fatalf("%s: %+v", tc.user, rep)
		}
		sl, err := ice.ParseUserException(rep.Payload)
		if err != nil || sl.TypeID != tc.exc {
			t.Fatalf("%s: %+v %v", tc.user, sl, err)
		}
		if reason, _ := ice.NewDecoder(sl.Members).String(); reason != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.user, reason, tc.reason)
		}
	}
	c := dialRaw(t, r)
	if rep := c.call(1, "createSession", func(e *ice.Encoder) { e.WriteString("alice"); e.WriteString("pw") }); rep.Status != ice.ReplyOK {
		t.Fatalf("alice: %+v", rep)
	}
	if rep := c.routed(10, b.proxy("x"), nil); rep.Status != ice.ReplyOK {
		t.Fatalf("routed: %+v", rep)
	}
	if v, _ := sawAttrs.Load("alice"); v != "admin/yes" {
		t.Errorf("request hook saw session attributes %v, want admin/yes", v)
	}
	select {
	case rv := <-hook.replies:
		if rv.Status != "ok" || rv.Latency <= 0 {
			t.Errorf("reply view %+v", rv)
		}
	case <-time.After(5 * time.Second):
		t.Error("no reply observed")
	}
}

func TestConnectHookCanRefuse(t *testing.T) {
	hook := &goHook{points: sdk.PointsOf(sdk.Connect), connect: func(c *sdk.Connection) sdk.Verdict {
		if c.RemoteAddress == "127.0.0.1" && c.Transport == "tcp" {
			return sdk.Deny("no loopback clients")
		}
		return sdk.Continue
	}}
	r := routerWithHooks(t, baseConfig(), intercept.Entry{Name: "door", Hook: hook})
	ep := r.ClientEndpoints()[0]
	nc, err := dialTCP(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &rawClient{t: t, nc: nc}
	if !c.closed() {
		t.Fatal("connection not refused")
	}
}

// routeHook answers route requests from a map of identity name to
// endpoint.
type routeHook map[string]string

func (h routeHook) Points() sdk.Points { return sdk.PointsOf(sdk.Route) }
func (h routeHook) OnRoute(_ context.Context, r *sdk.RouteRequest) (sdk.RouteResult, error) {
	if ep, ok := h[r.Identity.Name]; ok {
		return sdk.RouteResult{Endpoints: []string{ep}}, nil
	}
	return sdk.RouteResult{}, nil
}

func TestRouteHookRewritesWithinAllowedBackends(t *testing.T) {
	b := startBackend(t)
	ep := fmt.Sprintf("tcp -h 127.0.0.1 -p %d", b.l.Endpoint.Port)
	cfg := baseConfig()
	cfg.AllowedBackends = []string{fmt.Sprintf("127.0.0.1:%d", b.l.Endpoint.Port)}
	r := routerWithHooks(t, cfg, intercept.Entry{Name: "rewrite", Hook: routeHook{
		"wellknown": ep,
		"public":    ep,
		"outside":   "tcp -h 192.0.2.1 -p 1",
	}})
	c := dialRaw(t, r)
	c.createSession()
	// A well-known proxy with no endpoints at all.
	wk := &ice.Proxy{Identity: ice.Identity{Name: "wellknown"}, Protocol: ice.Protocol10, Encoding: ice.Encoding11}
	if rep := c.routed(10, wk, nil); rep.Status != ice.ReplyOK || resultString(t, rep) != "wellknown" {
		t.Fatalf("well-known: %+v", rep)
	}
	// A proxy whose own endpoints are rewritten.
	pub := &ice.Proxy{Identity: ice.Identity{Name: "public"}, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: []ice.Endpoint{{Type: ice.TCPEndpoint, Host: "198.51.100.7", Port: 4000, Timeout: 100}}}
	if rep := c.routed(20, pub, nil); rep.Status != ice.ReplyOK || resultString(t, rep) != "public" {
		t.Fatalf("rewritten: %+v", rep)
	}
	// A rewrite outside allowed_backends is refused by floe.
	out := &ice.Proxy{Identity: ice.Identity{Name: "outside"}, Protocol: ice.Protocol10, Encoding: ice.Encoding11}
	if rep := c.routed(30, out, nil); rep.Status != ice.ReplyUnknownLocalException || !strings.Contains(rep.Unknown, "allowed_backends") {
		t.Fatalf("outside: %+v", rep)
	}
}

// silentBackend accepts requests and never answers them.
type silentBackend struct{ backend }

func (b *silentBackend) Request(_ *transport.Conn, m *transport.Message) { m.Release() }

func TestVerifierInvocationTimeout(t *testing.T) {
	sb := &silentBackend{}
	l, err := transport.Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 5000},
		&transport.Options{MessageSizeMax: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Serve(sb, nil) }()
	t.Cleanup(func() { _ = l.Close() })
	cfg := baseConfig()
	cfg.Auth = config.Auth{Verifier: fmt.Sprintf("verifier:tcp -h 127.0.0.1 -p %d", l.Endpoint.Port),
		VerifierOptions: config.ProxyOptions{InvocationTimeout: 200 * time.Millisecond}}
	r := routerWithHooks(t, cfg)
	c := dialRaw(t, r)
	start := time.Now()
	rep := c.call(1, "createSession", func(e *ice.Encoder) { e.WriteString("u"); e.WriteString("p") })
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("createSession took %s with a 200ms invocation timeout", took)
	}
	sl, err := ice.ParseUserException(rep.Payload)
	if err != nil || sl.TypeID != permissionDeniedID {
		t.Fatalf("got %+v %v", rep, err)
	}
	if reason, _ := ice.NewDecoder(sl.Members).String(); reason != "internal server error" {
		t.Fatalf("reason %q", reason)
	}
}
