package scripts

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// Limits bound what a script may do in one call, beyond its time budget.
type Limits struct {
	// MaxString is the largest string a script may build, in bytes.
	MaxString int
	// MaxBuilt bounds the bytes of all the strings a script builds in one
	// call.
	MaxBuilt int
	// CallDepth bounds nested Lua calls (recursion).
	CallDepth int
	// StackSlots bounds the values on a state's stack (unpack, select and
	// string.byte over huge ranges stop there).
	StackSlots int
}

// DefaultLimits are the limits of a script that sets none.
var DefaultLimits = Limits{MaxString: 1 << 20, MaxBuilt: 64 << 20, CallDepth: 200, StackSlots: 1 << 16}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxString > 0 {
		d.MaxString = l.MaxString
	}
	if l.MaxBuilt > 0 {
		d.MaxBuilt = l.MaxBuilt
	}
	if l.CallDepth > 0 {
		d.CallDepth = l.CallDepth
	}
	if l.StackSlots > 0 {
		d.StackSlots = l.StackSlots
	}
	return d
}

// removedGlobals are the functions of Lua's base library a script does not
// get: loading code or files, the module system, the garbage collector,
// changing environments, and printing to standard output (print is
// replaced by log.info).
var removedGlobals = []string{"dofile", "loadfile", "load", "loadstring", "require", "module",
	"collectgarbage", "_printregs", "setfenv", "getfenv", "newproxy", "print"}

// state is one Lua state running one version of a script. A state runs
// one call at a time; between calls it waits in its version's pool.
type state struct {
	L       *lua.LState
	s       *Script
	limits  Limits
	version *version

	// The call in progress.
	ctx   context.Context
	bctx  budgetContext
	built int
	call  *call

	reqMeta, identityMeta, verdictMeta *lua.LTable
	handler                            *lua.LFunction // passError
}

// newState makes a sandboxed state and runs the program's main chunk in it
// under ctx (its definitions of on_request and the others).
func (s *Script) newState(ctx context.Context, v *version) (*state, error) {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       s.limits.CallDepth,
		RegistrySize:        1024,
		RegistryMaxSize:     s.limits.StackSlots,
		RegistryGrowStep:    4096,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range removedGlobals {
		L.SetGlobal(name, lua.LNil)
	}
	st := &state{L: L, s: s, limits: s.limits, version: v}
	st.installBase()
	st.installStringLib()
	st.installAPI()
	st.begin(ctx, &call{point: 0})
	L.Push(L.NewFunctionFromProto(v.prog.proto))
	err := L.PCall(0, 0, L.NewFunction(passError))
	budgetErr := st.bctx.err
	st.end()
	if err != nil {
		L.Close()
		if budgetErr != nil {
			return nil, budgetErr
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, runtimeError(v.prog.File, err)
	}
	return st, nil
}

// begin prepares the state for a call under ctx.
func (st *state) begin(ctx context.Context, c *call) {
	st.ctx = ctx
	st.bctx.reset(ctx)
	st.built = 0
	st.call = c
	st.L.SetContext(&st.bctx)
}

func (st *state) end() {
	st.L.RemoveContext()
	st.ctx, st.call = nil, nil
	st.bctx.Context = nil
}

// version is one compiled version of a script with its pool of states.
// A reload replaces the script's version; the old one is retired and its
// states are closed as their calls finish.
type version struct {
	prog   *Program
	points uint16 // the sdk.Points whose function this version defines

	mu      sync.Mutex
	idle    []*state
	retired atomic.Bool
}

// maxIdle bounds the states kept per version.
var maxIdle = max(4, 2*runtime.GOMAXPROCS(0))

func (v *version) get(ctx context.Context, s *Script) (*state, error) {
	v.mu.Lock()
	if n := len(v.idle); n > 0 {
		st := v.idle[n-1]
		v.idle = v.idle[:n-1]
		v.mu.Unlock()
		return st, nil
	}
	v.mu.Unlock()
	return s.newState(ctx, v)
}

// put returns a state after a clean call; a state that failed or timed out
// is dropped instead, with whatever it left half done.
func (v *version) put(st *state) {
	if v.retired.Load() {
		st.L.Close()
		return
	}
	v.mu.Lock()
	if len(v.idle) < maxIdle {
		v.idle = append(v.idle, st)
		st = nil
	}
	v.mu.Unlock()
	if st != nil {
		st.L.Close()
	}
}

func (v *version) retire() {
	v.retired.Store(true)
	v.mu.Lock()
	idle := v.idle
	v.idle = nil
	v.mu.Unlock()
	for _, st := range idle {
		st.L.Close()
	}
}
