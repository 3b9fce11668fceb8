// Package host runs floe's out-of-process plugins: it checks a plugin's
// sha256 pin, launches it with hashicorp/go-plugin (gRPC, AutoMTLS),
// decodes its config block against the schema it declares (mistakes at
// file:line:col in the user's file), forwards its logs under its name,
// checks its health, restarts it with exponential backoff behind a circuit
// breaker when it exits or stops answering, and adapts it to sdk.Hook for
// the interception chain, caching the verdicts it marks cacheable. While a
// plugin is down its calls fail at once, so its on_error policy applies.
//
// It may import go-plugin; core/ never imports this package (cmd/floe
// wires it in).
package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/hcl/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Supervision tunes how a plugin is watched and restarted.
type Supervision struct {
	// StartTimeout bounds a launch: the handshake, Describe and Configure.
	StartTimeout time.Duration
	// HealthInterval is how often the plugin is asked whether it serves;
	// HealthTimeout bounds each answer. HealthFailures missed answers in a
	// row mean it stopped answering: it is killed and restarted.
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	HealthFailures int
	// MinBackoff is the wait before the first restart; each failed start
	// doubles it, up to MaxBackoff. A plugin that served StableAfter before
	// it failed starts again from MinBackoff.
	MinBackoff, MaxBackoff time.Duration
	StableAfter            time.Duration
	// BreakerFailures failed starts in a row open the circuit breaker: no
	// start is tried for BreakerCooldown, then one is (half open).
	BreakerFailures int
	BreakerCooldown time.Duration
	// CacheSize bounds the cached verdicts.
	CacheSize int
}

// DefaultSupervision is what floe runs plugins with.
var DefaultSupervision = Supervision{
	StartTimeout:    10 * time.Second,
	HealthInterval:  time.Second,
	HealthTimeout:   time.Second,
	HealthFailures:  2,
	MinBackoff:      100 * time.Millisecond,
	MaxBackoff:      30 * time.Second,
	StableAfter:     10 * time.Second,
	BreakerFailures: 5,
	BreakerCooldown: time.Minute,
	CacheSize:       100000,
}

// exitPoll is how often the supervisor looks whether the process exited.
const exitPoll = 20 * time.Millisecond

// ErrDown is the error of calls made while the plugin is not running.
var ErrDown = errors.New("plugin is not running")

// State is where a plugin is in its life.
type State int32

const (
	Stopped State = iota
	Running
	Restarting  // down, a restart is due
	BreakerOpen // down, starts failed too often: waiting out the cooldown
)

func (s State) String() string {
	return [...]string{"stopped", "running", "restarting", "breaker open"}[s]
}

// Stats counts a plugin's life and its cache.
type Stats struct {
	State                          State
	Starts, Crashes, FailedStarts  uint64
	BreakerOpens, Hung             uint64
	CacheHits, CacheMisses, Cached uint64
}

// Plugin is one configured plugin.
type Plugin struct {
	cfg  config.Plugin
	log  hclog.Logger
	sup  Supervision
	desc *plugin.Description
	conf *decoded

	inst  atomic.Pointer[instance] // nil while down
	state atomic.Int32
	cache *verdictCache

	starts, crashes, failedStarts, breakerOpens, hung atomic.Uint64
	cacheHits, cacheMisses                            atomic.Uint64

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// instance is one run of the plugin's process.
type instance struct {
	client    *goplugin.Client
	rpc       *goplugin.GRPCClient
	hook      *plugin.Hook
	rpcClient *plugin.Client
	pid       int
	started   time.Time
}

// New prepares a plugin; nothing starts until Start.
func New(cfg config.Plugin, log hclog.Logger, sup Supervision) *Plugin {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Plugin{cfg: cfg, log: log.Named("plugin").Named(cfg.Name), sup: sup,
		cache: newVerdictCache(sup.CacheSize), stop: make(chan struct{}), done: make(chan struct{})}
}

// Name is the plugin's name in the configuration.
func (p *Plugin) Name() string { return p.cfg.Name }

// Description is what the plugin declared (nil before Start).
func (p *Plugin) Description() *plugin.Description { return p.desc }

// diag makes an error diagnostic about the plugin block.
func (p *Plugin) diag(summary, format string, args ...any) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary,
		Detail: fmt.Sprintf("plugin %q: ", p.cfg.Name) + fmt.Sprintf(format, args...), Subject: p.cfg.Range.Ptr()}}
}

// Check starts the plugin, checks its configuration and stops it: what
// floe validate does. The diagnostics are those Start would give.
func (p *Plugin) Check(ctx context.Context) hcl.Diagnostics {
	inst, diags := p.launchAndConfigure(ctx)
	if inst != nil {
		inst.stop()
	}
	return diags
}

// Start launches the plugin, decodes and hands it its configuration, and
// supervises it until ctx ends or Stop. Diagnostics with errors mean it
// did not start.
func (p *Plugin) Start(ctx context.Context) hcl.Diagnostics {
	inst, diags := p.launchAndConfigure(ctx)
	if diags.HasErrors() {
		if inst != nil {
			inst.stop()
		}
		close(p.done)
		return diags
	}
	p.up(inst)
	go p.supervise(ctx, inst)
	return diags
}

// launchAndConfigure is the first start: the configuration is decoded
// against the schema the plugin declares.
func (p *Plugin) launchAndConfigure(ctx context.Context) (*instance, hcl.Diagnostics) {
	inst, desc, err := p.launch(ctx)
	if err != nil {
		return nil, p.diag("Plugin did not start", "%v", err)
	}
	p.desc = desc
	conf, diags := decodeConfig(p.cfg.Name, desc.Schema, p.cfg.Config, p.cfg.Range)
	if diags.HasErrors() {
		return inst, diags
	}
	p.conf = conf
	cerrs, err := p.configure(ctx, inst)
	if err != nil {
		return inst, p.diag("Plugin did not start", "configuring it: %v", err)
	}
	for _, e := range cerrs {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin configuration",
			Detail: fmt.Sprintf("plugin %q: %s", p.cfg.Name, e.Error()), Subject: conf.rangeOf(e.Path)})
	}
	return inst, diags
}

// checkSHA256 compares the executable with the pin.
func (p *Plugin) checkSHA256() error {
	if p.cfg.SHA256 == "" {
		return nil
	}
	f, err := os.Open(p.cfg.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.cfg.SHA256 {
		return fmt.Errorf("%s has sha256 %s, not the %s the configuration pins: not started", p.cfg.Path, got, p.cfg.SHA256)
	}
	return nil
}

// launch starts the process, handshakes and asks what the plugin is.
func (p *Plugin) launch(ctx context.Context) (*instance, *plugin.Description, error) {
	if err := p.checkSHA256(); err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(p.cfg.Path)
	cmd.Dir = p.cfg.Dir
	setPdeathsig(cmd)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		Plugins:          goplugin.PluginSet{plugin.Name: &plugin.GRPCPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     p.sup.StartTimeout,
		Logger:           p.log,
	})
	inst := &instance{client: client, started: time.Now()}
	fail := func(err error) (*instance, *plugin.Description, error) {
		inst.kill()
		return nil, nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		return fail(err)
	}
	inst.rpc = rpc.(*goplugin.GRPCClient)
	if rc := client.ReattachConfig(); rc != nil {
		inst.pid = rc.Pid
	}
	raw, err := rpc.Dispense(plugin.Name)
	if err != nil {
		return fail(err)
	}
	c := raw.(*plugin.Client)
	dctx, cancel := context.WithTimeout(ctx, p.sup.StartTimeout)
	defer cancel()
	desc, err := c.Describe(dctx)
	if err != nil {
		return fail(fmt.Errorf("describing it: %w", err))
	}
	if p.desc != nil && desc.Points != p.desc.Points {
		return fail(fmt.Errorf("it declared %s when first started and now %s", p.desc.Points, desc.Points))
	}
	inst.hook = c.Hook(desc.Points)
	inst.rpcClient = c
	return inst, desc, nil
}

func (p *Plugin) configure(ctx context.Context, inst *instance) ([]*sdk.ConfigError, error) {
	cctx, cancel := context.WithTimeout(ctx, p.sup.StartTimeout)
	defer cancel()
	return inst.rpcClient.Configure(cctx, sdk.Config{Instance: p.cfg.Name, JSON: p.conf.json})
}

// restart is a later start: same binary pin, same points, same
// configuration.
func (p *Plugin) restart(ctx context.Context) (*instance, error) {
	inst, _, err := p.launch(ctx)
	if err != nil {
		return nil, err
	}
	cerrs, err := p.configure(ctx, inst)
	if err == nil && len(cerrs) > 0 {
		err = fmt.Errorf("configuring it: %w", cerrs[0])
	}
	if err != nil {
		inst.stop()
		return nil, err
	}
	return inst, nil
}

func (p *Plugin) up(inst *instance) {
	p.starts.Add(1)
	p.inst.Store(inst)
	p.state.Store(int32(Running))
	p.log.Info("plugin running", "pid", inst.pid, "points", p.desc.Points.String(),
		"capabilities", fmt.Sprint(plugin.Capabilities(p.desc.Points)))
}

// kill ends the process at once (it may be hung: no graceful shutdown is
// asked of it) and cleans up after go-plugin.
func (i *instance) kill() {
	if i.pid > 0 {
		_ = syscall.Kill(i.pid, syscall.SIGKILL)
	}
	i.client.Kill()
}

// stop asks a healthy process to exit (go-plugin kills it if it has not
// within 2 s).
func (i *instance) stop() { i.client.Kill() }

// supervise watches the running instance and restarts it when it exits or
// stops answering, until ctx ends or Stop.
func (p *Plugin) supervise(ctx context.Context, inst *instance) {
	defer close(p.done)
	backoff := p.sup.MinBackoff
	for {
		reason := p.watch(ctx, inst)
		p.inst.Store(nil)
		if reason == "" { // stopping
			p.state.Store(int32(Stopped))
			inst.stop()
			return
		}
		p.state.Store(int32(Restarting))
		p.crashes.Add(1)
		inst.kill()
		p.cache.reset()
		if time.Since(inst.started) >= p.sup.StableAfter {
			backoff = p.sup.MinBackoff
		}
		p.log.Error("plugin failed; its hooks apply on_error until it is back", "reason", reason, "restart_in", backoff.String())
		next, ok := p.restartLoop(ctx, &backoff)
		if !ok {
			p.state.Store(int32(Stopped))
			return
		}
		inst = next
	}
}

// restartLoop starts the plugin again, waiting *backoff before each try
// and doubling it after each failure; after BreakerFailures failures in a
// row the breaker opens for BreakerCooldown, then one try is made (half
// open) and a failure opens it again. ok is false when stopping.
func (p *Plugin) restartLoop(ctx context.Context, backoff *time.Duration) (inst *instance, ok bool) {
	wait, failures, halfOpen := *backoff, 0, false
	for {
		if !p.sleep(ctx, wait) {
			return nil, false
		}
		p.state.Store(int32(Restarting))
		next, err := p.restart(ctx)
		if err == nil {
			p.up(next)
			*backoff = min(*backoff*2, p.sup.MaxBackoff)
			if halfOpen {
				// Back from an open breaker, still suspect: should it
				// fail soon, it waits the longest backoff.
				*backoff = p.sup.MaxBackoff
			}
			return next, true
		}
		failures++
		p.failedStarts.Add(1)
		if failures >= p.sup.BreakerFailures {
			p.breakerOpens.Add(1)
			p.state.Store(int32(BreakerOpen))
			p.log.Error("plugin does not start; circuit breaker open", "failures", failures, "error", err,
				"retry_in", p.sup.BreakerCooldown.String())
			wait, halfOpen = p.sup.BreakerCooldown, true
			failures = p.sup.BreakerFailures - 1 // one more failure reopens it
			continue
		}
		*backoff = min(*backoff*2, p.sup.MaxBackoff)
		wait = *backoff
		p.log.Warn("plugin restart failed", "error", err, "retry_in", wait.String())
	}
}

// watch returns why inst must be replaced, or "" when stopping.
func (p *Plugin) watch(ctx context.Context, inst *instance) string {
	exit := time.NewTicker(exitPoll)
	defer exit.Stop()
	health := time.NewTicker(p.sup.HealthInterval)
	defer health.Stop()
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-p.stop:
			return ""
		case <-exit.C:
			if inst.client.Exited() {
				return "the plugin exited"
			}
		case <-health.C:
			if err := inst.ping(ctx, p.sup.HealthTimeout); err != nil {
				if ctx.Err() != nil {
					return ""
				}
				missed++
				p.log.Warn("plugin health check failed", "error", err, "missed", missed)
				if missed >= p.sup.HealthFailures {
					p.hung.Add(1)
					return "the plugin stopped answering health checks"
				}
				continue
			}
			missed = 0
		}
	}
}

func (i *instance) ping(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := grpc_health_v1.NewHealthClient(i.rpc.Conn).Check(ctx,
		&grpc_health_v1.HealthCheckRequest{Service: goplugin.GRPCServiceName})
	return err
}

func (p *Plugin) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-p.stop:
		return false
	}
}

// Stop ends the plugin and waits for its process to be gone.
func (p *Plugin) Stop() {
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

// Pid is the running process's id, 0 while down.
func (p *Plugin) Pid() int {
	if i := p.inst.Load(); i != nil {
		return i.pid
	}
	return 0
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	return Stats{State: State(p.state.Load()), Starts: p.starts.Load(), Crashes: p.crashes.Load(),
		FailedStarts: p.failedStarts.Load(), BreakerOpens: p.breakerOpens.Load(), Hung: p.hung.Load(),
		CacheHits: p.cacheHits.Load(), CacheMisses: p.cacheMisses.Load(), Cached: uint64(p.cache.len())}
}

// Entry is the plugin as an interception chain entry.
func (p *Plugin) Entry() intercept.Entry {
	e := intercept.Entry{Name: "plugin " + p.cfg.Name, Hook: &hook{p: p}, Timeout: p.cfg.Timeout}
	if p.cfg.FailOpen {
		e.OnError = intercept.FailOpen
	}
	if p.cfg.DenyAsUnknown {
		e.DenyAs = intercept.DenyAsUnknown
	}
	return e
}

// hook routes the chain's calls to the running instance.
type hook struct{ p *Plugin }

func (h *hook) Points() sdk.Points { return h.p.desc.Points }

// current is the running instance's hook, or ErrDown.
func (h *hook) current() (*plugin.Hook, error) {
	if i := h.p.inst.Load(); i != nil {
		return i.hook, nil
	}
	return nil, fmt.Errorf("plugin %s: %w (%s)", h.p.cfg.Name, ErrDown, State(h.p.state.Load()))
}

// callError makes a failed call's error say what happened; a deadline is
// reported as one, so the chain counts a timeout.
func (h *hook) callError(ctx context.Context, err error) error {
	if status.Code(err) == codes.DeadlineExceeded || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("plugin %s: %w", h.p.cfg.Name, context.DeadlineExceeded)
	}
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("plugin %s: %s", h.p.cfg.Name, s.Message())
	}
	return fmt.Errorf("plugin %s: %w", h.p.cfg.Name, err)
}

func (h *hook) OnAuthenticate(ctx context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
	c, err := h.current()
	if err != nil {
		return sdk.AuthResult{}, err
	}
	res, err := c.OnAuthenticate(ctx, a)
	if err != nil {
		return res, h.callError(ctx, err)
	}
	return res, nil
}

// QuickRequest answers from the cache, and fails at once while the plugin
// is down: only a call waits, and only then does the kernel take the
// request off the client connection's reader (intercept.QuickRequester).
var _ intercept.QuickRequester = (*hook)(nil)

func (h *hook) QuickRequest(v sdk.RequestView) (sdk.Verdict, bool, error) {
	if verdict, ok := h.p.cache.lookup(v, time.Now()); ok {
		h.p.cacheHits.Add(1)
		return verdict, true, nil
	}
	if _, err := h.current(); err != nil {
		return sdk.Verdict{}, true, err
	}
	return sdk.Verdict{}, false, nil
}

func (h *hook) OnRequest(ctx context.Context, v sdk.RequestView) (sdk.Verdict, error) {
	now := time.Now()
	if verdict, ok := h.p.cache.lookup(v, now); ok {
		h.p.cacheHits.Add(1)
		return verdict, nil
	}
	c, err := h.current()
	if err != nil {
		return sdk.Verdict{}, err
	}
	verdict, err := c.OnRequest(ctx, v)
	if err != nil {
		return verdict, h.callError(ctx, err)
	}
	if verdict.CacheFor > 0 {
		h.p.cacheMisses.Add(1)
		if !h.p.cache.store(v, verdict, now) {
			h.p.log.Warn("verdict not cached: unknown key field or too many key shapes", "cache_key", fmt.Sprint(verdict.CacheKey))
		}
	}
	return verdict, nil
}

func (h *hook) OnRoute(ctx context.Context, r *sdk.RouteRequest) (sdk.RouteResult, error) {
	c, err := h.current()
	if err != nil {
		return sdk.RouteResult{}, err
	}
	res, err := c.OnRoute(ctx, r)
	if err != nil {
		return res, h.callError(ctx, err)
	}
	return res, nil
}

func (h *hook) OnSession(ctx context.Context, pt sdk.Point, s *sdk.Session) (sdk.Verdict, error) {
	c, err := h.current()
	if err != nil {
		return sdk.Verdict{}, err
	}
	v, err := c.OnSession(ctx, pt, s)
	if err != nil {
		return v, h.callError(ctx, err)
	}
	return v, nil
}
