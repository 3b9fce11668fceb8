// Command floe-plugin-rewrite is floe's address rewriting plugin: an
// AddressRewriter whose rules send targets, matched by identity category,
// identity name or adapter id, to backend endpoints, so clients can call
// well-known identities (or adapter ids) with no endpoints at all.
//
//	plugin "rewrite" {
//	  path = "bin/floe-plugin-rewrite"
//	  config {
//	    rule {
//	      category  = "printers"                 # and/or name, adapter_id
//	      match     = "exact"                    # or "prefix", "glob" (default)
//	      endpoints = ["tcp -h 10.0.0.5 -p 10000", "tcp -h 10.0.0.6 -p 10000"]
//	      strategy  = "hash_user"                # or "round_robin" (default)
//	    }
//	  }
//	}
//
// The first rule that matches chooses; each entry of endpoints is one
// backend (several endpoints of one backend are joined with ":"). floe
// checks every endpoint chosen against allowed_backends: a rule cannot
// reach past it. Like every floe plugin it imports only floe's sdk/.
package main

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/hashicorp/go-hclog"
)

func main() { plugin.Serve(Plugin()) }

// Plugin is the plugin's declaration.
func Plugin() plugin.Plugin {
	return plugin.Plugin{
		Points: sdk.PointsOf(sdk.Route),
		Schema: sdk.Schema{Blocks: []sdk.BlockSchema{{
			Name:     "rule",
			Required: true,
			Attributes: []sdk.Attribute{
				{Name: "category", Type: sdk.TypeString, Description: "pattern for the identity's category"},
				{Name: "name", Type: sdk.TypeString, Description: "pattern for the identity's name"},
				{Name: "adapter_id", Type: sdk.TypeString, Description: "pattern for the proxy's adapter id"},
				{Name: "match", Type: sdk.TypeString, Description: `how patterns match: "exact", "prefix" or "glob" (* and ?; the default)`},
				{Name: "endpoints", Type: sdk.TypeStringList, Required: true, Description: "the backends, one per entry"},
				{Name: "strategy", Type: sdk.TypeString, Description: `"round_robin" (the default) or "hash_user": the same user always reaches the same backend`},
			},
		}}},
		New: newRewriter,
	}
}

type ruleConfig struct {
	Category  *string  `json:"category"`
	Name      *string  `json:"name"`
	AdapterID *string  `json:"adapter_id"`
	Match     string   `json:"match"`
	Endpoints []string `json:"endpoints"`
	Strategy  string   `json:"strategy"`
}

type rule struct {
	category, name, adapterID *pattern
	endpoints                 []string
	hashUser                  bool
	next                      atomic.Uint64
}

type rewriter struct {
	rules []*rule
	log   hclog.Logger
}

func newRewriter(c sdk.Config, log hclog.Logger) (sdk.Hook, error) {
	var cfg struct {
		Rules []ruleConfig `json:"rule"`
	}
	if err := c.Decode(&cfg); err != nil {
		return nil, err
	}
	rw := &rewriter{log: log}
	var errs []error
	for i, rc := range cfg.Rules {
		r, err := compile(i, rc)
		if err != nil {
			errs = append(errs, err...)
			continue
		}
		rw.rules = append(rw.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rw, nil
}

// transports are the endpoint types a backend may be reached with.
var transports = []string{"tcp", "ssl", "ws", "wss"}

func compile(i int, rc ruleConfig) (*rule, []error) {
	var errs []error
	at := func(attr string) string { return sdk.BlockPath("rule", i, attr) }
	mode := rc.Match
	switch mode {
	case "":
		mode = "glob"
	case "exact", "prefix", "glob":
	default:
		errs = append(errs, sdk.ConfigErrorf(at("match"), `match is "exact", "prefix" or "glob", not %q`, mode))
	}
	r := &rule{endpoints: rc.Endpoints}
	if rc.Category == nil && rc.Name == nil && rc.AdapterID == nil {
		errs = append(errs, sdk.ConfigErrorf(at(""), "a rule needs at least one of category, name and adapter_id"))
	}
	if rc.Category != nil {
		r.category = &pattern{mode: mode, text: *rc.Category}
	}
	if rc.Name != nil {
		r.name = &pattern{mode: mode, text: *rc.Name}
	}
	if rc.AdapterID != nil {
		r.adapterID = &pattern{mode: mode, text: *rc.AdapterID}
	}
	switch rc.Strategy {
	case "", "round_robin":
	case "hash_user":
		r.hashUser = true
	default:
		errs = append(errs, sdk.ConfigErrorf(at("strategy"), `strategy is "round_robin" or "hash_user", not %q`, rc.Strategy))
	}
	if len(rc.Endpoints) == 0 {
		errs = append(errs, sdk.ConfigErrorf(at("endpoints"), "a rule needs at least one backend"))
	}
	for j, e := range rc.Endpoints {
		for _, ep := range strings.Split(e, ":") {
			fields := strings.Fields(ep)
			if len(fields) == 0 || !slices.Contains(transports, fields[0]) || !slices.Contains(fields, "-p") {
				errs = append(errs, sdk.ConfigErrorf(at("endpoints"),
					`endpoints[%d] %q is not a backend endpoint such as "tcp -h 10.0.0.5 -p 10000"`, j, e))
				break
			}
		}
	}
	return r, errs
}

func (rw *rewriter) Points() sdk.Points { return sdk.PointsOf(sdk.Route) }

// OnRoute chooses the backend of the first rule that matches; no match
// leaves the target as it is.
func (rw *rewriter) OnRoute(_ context.Context, r *sdk.RouteRequest) (sdk.RouteResult, error) {
	for _, rl := range rw.rules {
		if !rl.matches(r) {
			continue
		}
		var i int
		if rl.hashUser && r.Session != nil {
			i = rendezvous(r.Session.User, rl.endpoints)
		} else {
			i = int((rl.next.Add(1) - 1) % uint64(len(rl.endpoints)))
		}
		return sdk.RouteResult{Endpoints: []string{rl.endpoints[i]}}, nil
	}
	return sdk.RouteResult{}, nil
}

func (rl *rule) matches(r *sdk.RouteRequest) bool {
	return rl.category.matches(r.Identity.Category) && rl.name.matches(r.Identity.Name) &&
		rl.adapterID.matches(r.AdapterID)
}

// rendezvous picks the backend with the highest hash of (user, backend):
// each user always gets the same one, users spread evenly, and removing a
// backend moves only its own users.
func rendezvous(user string, backends []string) int {
	best, bestScore := 0, uint64(0)
	for i, b := range backends {
		h := fnv.New64a()
		h.Write([]byte(user))
		h.Write([]byte{0})
		h.Write([]byte(b))
		if s := mix(h.Sum64()); i == 0 || s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// mix is a 64-bit finalizer (splitmix64): FNV alone spreads similar inputs
// poorly in its high bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// pattern matches one field; a nil pattern matches anything.
type pattern struct {
	mode, text string
}

func (p *pattern) matches(s string) bool {
	if p == nil {
		return true
	}
	switch p.mode {
	case "exact":
		return s == p.text
	case "prefix":
		return strings.HasPrefix(s, p.text)
	}
	return glob([]rune(p.text), []rune(s))
}

// glob matches s against a pattern where * is any run of characters and ?
// any one character.
func glob(pat, s []rune) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pat) && (pat[px] == '?' || pat[px] == s[sx]):
			px++
			sx++
		case px < len(pat) && pat[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}
