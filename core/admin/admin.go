// Package admin is floe's HTTP admin endpoint (the admin block): Prometheus
// metrics at /metrics, health at /healthz, and the live sessions as JSON at
// /sessions. Everything is read when asked for, so serving it costs the
// forwarding path nothing.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/router"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source is what the endpoint reports on: the router, and the hooks'
// counters (nil without hooks).
type Source struct {
	Router *router.Router
	Hooks  *intercept.Chain
	// Extra are metrics of parts core does not know, such as the plugin
	// host's supervision.
	Extra []prometheus.Collector
}

// Server is a running admin endpoint.
type Server struct {
	srv      *http.Server
	ln       net.Listener
	stopping atomic.Bool
	done     chan struct{}
}

// Start listens on addr (host:port) and serves until Shutdown.
func Start(addr string, src Source, log hclog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&collector{src: src})
	for _, c := range src.Extra {
		if err := reg.Register(c); err != nil {
			ln.Close()
			return nil, fmt.Errorf("admin endpoint: %w", err)
		}
	}
	s := &Server{ln: ln, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// A load balancer stops sending clients before the router stops
		// taking them.
		if s.stopping.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /sessions", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(src.Router.SessionInfos())
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin endpoint stopped", "error", err)
		}
	}()
	log.Info("admin endpoint listening", "address", ln.Addr().String())
	return s, nil
}

// Addr is the address listened on (the port the OS chose for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stopping makes /healthz answer 503 from now on.
func (s *Server) Stopping() { s.stopping.Store(true) }

// Shutdown stops serving, letting requests in progress finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Stopping()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

// collector turns the router's and the hooks' counters into metrics at
// each scrape.
type collector struct{ src Source }

var (
	sessionsDesc  = prometheus.NewDesc("floe_sessions", "Sessions open now.", nil, nil)
	connsDesc     = prometheus.NewDesc("floe_client_connections", "Client connections open now, with or without a session.", nil, nil)
	parkedDesc    = prometheus.NewDesc("floe_client_connections_parked", "Client connections idle long enough to hold no reader goroutine or buffer (tcp, ssl, ws and wss).", nil, nil)
	backendsDesc  = prometheus.NewDesc("floe_backend_connections", "Connections to servers open now (per endpoint in use: one, or up to backend_connections).", nil, nil)
	createdDesc   = prometheus.NewDesc("floe_sessions_created_total", "Sessions created.", nil, nil)
	destroyedDesc = prometheus.NewDesc("floe_sessions_destroyed_total", "Sessions ended, for any reason.", nil, nil)
	forwardedDesc = prometheus.NewDesc("floe_requests_forwarded_total", "Requests forwarded from clients to servers (twoway, oneway, batched).", nil, nil)
	callbacksDesc = prometheus.NewDesc("floe_callbacks_forwarded_total", "Callbacks forwarded from servers to clients.", nil, nil)
	rejectedDesc  = prometheus.NewDesc("floe_requests_rejected_total", "Requests and callbacks a filter or a hook rejected.", nil, nil)

	hookLabels  = []string{"hook"}
	hookCalls   = prometheus.NewDesc("floe_hook_calls_total", "Calls of a hook (Lua script, plugin or Go hook).", hookLabels, nil)
	hookDenies  = prometheus.NewDesc("floe_hook_denies_total", "Verdicts of a hook that denied, its failures under on_error = \"deny\" included.", hookLabels, nil)
	hookErrors  = prometheus.NewDesc("floe_hook_errors_total", "Calls of a hook that failed with an error.", hookLabels, nil)
	hookTimeout = prometheus.NewDesc("floe_hook_timeouts_total", "Calls of a hook that did not answer within its timeout.", hookLabels, nil)
	hookOpen    = prometheus.NewDesc("floe_hook_fail_opens_total", "Failed calls of a hook let through by on_error = \"allow\".", hookLabels, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sessionsDesc, connsDesc, parkedDesc, backendsDesc, createdDesc, destroyedDesc, forwardedDesc,
		callbacksDesc, rejectedDesc, hookCalls, hookDenies, hookErrors, hookTimeout, hookOpen} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Router.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(sessionsDesc, float64(st.Sessions))
	gauge(connsDesc, float64(st.ClientConnections))
	gauge(parkedDesc, float64(st.ParkedClientConnections))
	gauge(backendsDesc, float64(st.BackendConnections))
	counter(createdDesc, st.SessionsCreated)
	counter(destroyedDesc, st.SessionsDestroyed)
	counter(forwardedDesc, st.Forwarded)
	counter(callbacksDesc, st.Callbacks)
	counter(rejectedDesc, st.Rejected)
	hooks := c.src.Hooks.Stats()
	names := make([]string, 0, len(hooks))
	for n := range hooks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := hooks[n]
		counter(hookCalls, h.Calls, n)
		counter(hookDenies, h.Denies, n)
		counter(hookErrors, h.Errors, n)
		counter(hookTimeout, h.Timeouts, n)
		counter(hookOpen, h.FailOpens, n)
	}
}
