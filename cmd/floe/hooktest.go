package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// floe hooktest runs request fixtures through the configured hooks (Lua
// scripts, and whatever else the configuration puts in the interception
// chain), with no network: users test their scripts in their own CI.

// caseFile is a file of hooktest cases, HCL or JSON (HCL's JSON syntax:
// {"case": {"NAME": {...}}}).
type caseFile struct {
	Cases []hookCase `hcl:"case,block"`
}

// hookCase is one fixture: what reaches the point, and what must come out.
type hookCase struct {
	Name  string `hcl:"name,label"`
	Point string `hcl:"point,optional"` // default "request"
	// Repeat runs the case this many times; each run must meet the
	// expectation (the store carries over, as between requests).
	Repeat int `hcl:"repeat,optional"`

	// The request or callback (request, callback, reply), or the route.
	Identity  string            `hcl:"identity,optional"`
	Facet     string            `hcl:"facet,optional"`
	Operation string            `hcl:"operation,optional"`
	Mode      string            `hcl:"mode,optional"`
	Oneway    bool              `hcl:"oneway,optional"`
	Context   map[string]string `hcl:"context,optional"`
	Size      int               `hcl:"size,optional"`
	Target    string            `hcl:"target,optional"`
	AdapterID string            `hcl:"adapter_id,optional"`
	Endpoints []string          `hcl:"endpoints,optional"`
	// The authentication attempt (authenticate).
	User     string `hcl:"user,optional"`
	Password string `hcl:"password,optional"`
	Secure   bool   `hcl:"secure,optional"`

	Session    *caseSession    `hcl:"session,block"`
	Connection *caseConnection `hcl:"connection,block"`
	Reply      *caseReply      `hcl:"reply,block"`
	Expect     *caseExpect     `hcl:"expect,block"`

	Range hcl.Range `hcl:",def_range"`
}

type caseSession struct {
	ID         string            `hcl:"id,optional"`
	User       string            `hcl:"user,optional"`
	Category   string            `hcl:"category,optional"`
	Attributes map[string]string `hcl:"attributes,optional"`
}

type caseConnection struct {
	RemoteAddress string `hcl:"remote_address,optional"`
	RemotePort    int    `hcl:"remote_port,optional"`
	LocalAddress  string `hcl:"local_address,optional"`
	LocalPort     int    `hcl:"local_port,optional"`
	Transport     string `hcl:"transport,optional"`
	TLSSubject    string `hcl:"tls_subject,optional"`
	TLSIssuer     string `hcl:"tls_issuer,optional"`
}

type caseReply struct {
	Status  string `hcl:"status,optional"`
	Latency string `hcl:"latency,optional"`
	Size    int    `hcl:"size,optional"`
}

// caseExpect is what must come out; what it leaves unset is not checked,
// except that no hook may fail unless failed = true.
type caseExpect struct {
	// Verdict: "allow" or "deny" (connect, session, request, callback,
	// route); "allow", "refuse" or "abstain" (authenticate).
	Verdict    string            `hcl:"verdict,optional"`
	Reason     *string           `hcl:"reason,optional"`
	Hook       string            `hcl:"hook,optional"`
	DenyAs     string            `hcl:"deny_as,optional"`
	Context    map[string]string `hcl:"context,optional"`
	Absent     []string          `hcl:"absent,optional"`
	Target     *string           `hcl:"target,optional"`
	Attributes map[string]string `hcl:"attributes,optional"`
	Endpoints  []string          `hcl:"endpoints,optional"`
	Failed     bool              `hcl:"failed,optional"`
}

// hooktest is "floe hooktest --config FILE CASES...".
func (c *cli) hooktest(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("floe hooktest", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	path := fs.String("config", "", "HCL configuration `FILE` whose hooks are tested")
	level := fs.String("log-level", "info", "level of the hooks' own log lines, on standard error")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "Usage: floe hooktest --config FILE [--log-level LEVEL] CASES...")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *path == "" || fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if !validLogLevel(*level) {
		fmt.Fprintf(c.stderr, "floe hooktest: invalid log level %q\n", *level)
		return exitUsage
	}
	cfg := c.load(*path, false)
	if cfg == nil {
		return exitUsage
	}
	var files [][]hookCase
	for _, name := range fs.Args() {
		cases, diags := loadCases(name)
		if diags.HasErrors() {
			_ = config.WriteDiagnostics(c.stderr, diags, nil)
			return exitUsage
		}
		files = append(files, cases)
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "floe", Level: hclog.LevelFromString(*level), Output: c.stderr})
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chain, closeHooks, err := buildHooks(hctx, cfg, log)
	if err != nil {
		fmt.Fprintf(c.stderr, "floe hooktest: %v\n", err)
		return exitUsage
	}
	defer closeHooks()
	failed, total := 0, 0
	for i, cases := range files {
		for _, tc := range cases {
			total++
			if !runCase(hctx, chain, tc, fs.Arg(i), c.stdout) {
				failed++
			}
		}
	}
	fmt.Fprintf(c.stdout, "%d passed, %d failed\n", total-failed, failed)
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

// loadCases decodes a case file: JSON when its name ends in .json, HCL
// otherwise.
func loadCases(name string) ([]hookCase, hcl.Diagnostics) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read cases", Detail: err.Error(),
			Subject: &hcl.Range{Filename: name}}}
	}
	return parseCases(src, name)
}

// parseCases decodes the cases in src, read from the file name.
func parseCases(src []byte, name string) ([]hookCase, hcl.Diagnostics) {
	var file *hcl.File
	var diags hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(name), ".json") {
		file, diags = hcljson.Parse(src, name)
		if !diags.HasErrors() {
			diags = append(diags, hugeJSONNumbers(src, name)...)
		}
	} else {
		file, diags = hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if !diags.HasErrors() {
			diags = append(diags, hugeNumberLiterals(file.Body.(*hclsyntax.Body))...)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	var cf caseFile
	diags = gohcl.DecodeBody(file.Body, nil, &cf)
	for i := range cf.Cases {
		tc := &cf.Cases[i]
		if tc.Point == "" {
			tc.Point = "request"
		}
		if _, ok := sdk.ParsePoint(tc.Point); !ok {
			diags = append(diags, caseError(tc, "Invalid point", "point is one of connect, authenticate, session_created, "+
				"session_destroyed, route, request, callback, reply; not %q.", tc.Point))
		}
		if tc.Identity != "" {
			if _, err := ice.ParseIdentity(tc.Identity); err != nil {
				diags = append(diags, caseError(tc, "Invalid identity", "%q: %v.", tc.Identity, err))
			}
		}
		if tc.Reply != nil && tc.Reply.Latency != "" {
			if _, err := time.ParseDuration(tc.Reply.Latency); err != nil {
				diags = append(diags, caseError(tc, "Invalid latency", "%q is not a duration.", tc.Reply.Latency))
			}
		}
		if tc.Expect == nil {
			tc.Expect = &caseExpect{}
		}
	}
	return cf.Cases, diags
}

// hugeNumberLiterals refuses numbers no case field can hold: decoding one
// into a string field would write it in decimal, which for 1e60333333
// takes minutes (see config.HugeNumber).
func hugeNumberLiterals(body *hclsyntax.Body) hcl.Diagnostics {
	return hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		lit, ok := n.(*hclsyntax.LiteralValueExpr)
		if !ok {
			return nil
		}
		if huge := config.HugeNumber(lit.Val); huge != "" {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Number out of range",
				Detail: fmt.Sprintf("A number far too large or small for any field (%s).", huge), Subject: lit.SrcRange.Ptr()}}
		}
		return nil
	})
}

// hugeJSONNumbers is hugeNumberLiterals for HCL's JSON syntax.
func hugeJSONNumbers(src []byte, name string) hcl.Diagnostics {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil // hcljson has reported it
	}
	var diags hcl.Diagnostics
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case json.Number:
			f, _, err := big.ParseFloat(string(v), 10, 64, big.ToNearestEven)
			if err != nil || diags.HasErrors() {
				return
			}
			if huge := config.HugeNumber(cty.NumberVal(f)); huge != "" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Number out of range",
					Detail:  fmt.Sprintf("A number far too large or small for any field (%s).", huge),
					Subject: &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}})
			}
		}
	}
	walk(doc)
	return diags
}

func caseError(tc *hookCase, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...),
		Subject: tc.Range.Ptr()}
}

// decision is what the chain decided for a case, in comparable form.
type decision struct {
	verdict    string
	reason     string
	hook       string
	denyAs     string
	context    map[string]string
	target     string
	attributes map[string]string
	endpoints  []string
	failures   uint64
}

func (d decision) String() string {
	var b strings.Builder
	b.WriteString(d.verdict)
	if d.reason != "" {
		fmt.Fprintf(&b, " %q", d.reason)
	}
	if d.hook != "" && d.verdict != "allow" {
		fmt.Fprintf(&b, " by %s", d.hook)
	}
	if d.verdict == "deny" {
		b.WriteString(" as " + d.denyAs)
	}
	if len(d.context) > 0 {
		b.WriteString(", context " + formatMap(d.context))
	}
	if d.target != "" {
		fmt.Fprintf(&b, ", target %q", d.target)
	}
	if len(d.attributes) > 0 {
		b.WriteString(", attributes " + formatMap(d.attributes))
	}
	if len(d.endpoints) > 0 {
		fmt.Fprintf(&b, ", endpoints %q", d.endpoints)
	}
	if d.failures > 0 {
		fmt.Fprintf(&b, ", %d hook failure(s)", d.failures)
	}
	return b.String()
}

func formatMap(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// runCase runs one case (repeat times) and prints its outcome.
func runCase(ctx context.Context, chain *intercept.Chain, tc hookCase, file string, out io.Writer) bool {
	runs := max(tc.Repeat, 1)
	for i := 1; i <= runs; i++ {
		d := decide(ctx, chain, tc)
		problems := tc.Expect.check(d)
		label := tc.Name
		if runs > 1 {
			label = fmt.Sprintf("%s (run %d of %d)", tc.Name, i, runs)
		}
		if len(problems) > 0 {
			fmt.Fprintf(out, "FAIL %s: %s %s -> %s\n", label, tc.Point, describeCase(tc), d)
			for _, p := range problems {
				fmt.Fprintf(out, "     %s:%d: %s\n", file, tc.Range.Start.Line, p)
			}
			return false
		}
		if i == runs {
			fmt.Fprintf(out, "ok   %s: %s %s -> %s\n", label, tc.Point, describeCase(tc), d)
		}
	}
	return true
}

func describeCase(tc hookCase) string {
	switch tc.Point {
	case "connect":
		if tc.Connection != nil {
			return tc.Connection.RemoteAddress
		}
		return ""
	case "authenticate":
		return tc.User
	case "session_created", "session_destroyed":
		if tc.Session != nil {
			return tc.Session.User
		}
		return ""
	case "route":
		return tc.Identity
	}
	return tc.Operation + " on " + tc.Identity
}

// decide runs the chain at the case's point.
func decide(ctx context.Context, chain *intercept.Chain, tc hookCase) decision {
	before := failures(chain)
	d := decision{verdict: "allow"}
	p, _ := sdk.ParsePoint(tc.Point)
	conn := tc.connection()
	sess := tc.session()
	outcome := func(o intercept.Outcome) {
		if o.Deny {
			d.verdict, d.reason, d.hook = "deny", o.Reason, o.Hook
			d.denyAs = "not_exist"
			if o.DenyAs == intercept.DenyAsUnknown {
				d.denyAs = "unknown"
			}
		}
	}
	switch p {
	case sdk.Connect:
		outcome(chain.Connect(ctx, conn))
	case sdk.Authenticate:
		res, hook := chain.Authenticate(ctx, &sdk.AuthRequest{User: tc.User, Password: tc.Password, Secure: tc.Secure,
			Connection: conn, Context: tc.Context})
		d.verdict = map[sdk.AuthDecision]string{sdk.Abstain: "abstain", sdk.Allow: "allow", sdk.Refuse: "refuse"}[res.Decision]
		d.reason, d.hook, d.attributes = res.Reason, hook, res.Attributes
	case sdk.SessionCreated, sdk.SessionDestroyed:
		if sess == nil {
			sess = &sdk.Session{}
		}
		orig := maps.Clone(sess.Attributes)
		outcome(chain.Session(ctx, p, sess))
		for k, v := range sess.Attributes {
			if o, ok := orig[k]; !ok || o != v {
				if d.attributes == nil {
					d.attributes = map[string]string{}
				}
				d.attributes[k] = v
			}
		}
	case sdk.Route:
		id, _ := ice.ParseIdentity(tc.Identity)
		res, o := chain.Route(ctx, &sdk.RouteRequest{Identity: sdk.Identity{Name: id.Name, Category: id.Category},
			Facet: tc.Facet, AdapterID: tc.AdapterID, Endpoints: tc.Endpoints, Session: sess})
		outcome(o)
		d.endpoints = res.Endpoints
	case sdk.Request, sdk.Callback:
		v := tc.view(p, sess, conn)
		outcome(chain.Request(ctx, p, v))
		d.context = v.Context()
		d.target = v.retarget
	case sdk.Reply:
		rv := &sdk.ReplyView{Status: "ok"}
		if tc.Reply != nil {
			rv.Size = tc.Reply.Size
			if tc.Reply.Status != "" {
				rv.Status = tc.Reply.Status
			}
			rv.Latency, _ = time.ParseDuration(tc.Reply.Latency)
		}
		chain.Reply(ctx, tc.view(sdk.Request, sess, conn), rv)
	}
	d.failures = failures(chain) - before
	return d
}

// failures counts the errors and timeouts of every hook so far.
func failures(chain *intercept.Chain) uint64 {
	var n uint64
	for _, s := range chain.Stats() {
		n += s.Errors + s.Timeouts
	}
	return n
}

// check lists how d misses the expectation.
func (e *caseExpect) check(d decision) []string {
	var problems []string
	if d.failures > 0 && !e.Failed {
		problems = append(problems, fmt.Sprintf("%d hook failure(s) (see the log above); set failed = true if that is expected", d.failures))
	}
	if e.Failed && d.failures == 0 {
		problems = append(problems, "no hook failed; failed = true expects one to")
	}
	if e.Verdict != "" && e.Verdict != d.verdict {
		problems = append(problems, fmt.Sprintf("verdict %s; want %s", d.verdict, e.Verdict))
	}
	if e.Reason != nil && *e.Reason != d.reason {
		problems = append(problems, fmt.Sprintf("reason %q; want %q", d.reason, *e.Reason))
	}
	if e.Hook != "" && e.Hook != d.hook {
		problems = append(problems, fmt.Sprintf("decided by %q; want %q", d.hook, e.Hook))
	}
	if e.DenyAs != "" && e.DenyAs != d.denyAs {
		problems = append(problems, fmt.Sprintf("denied as %q; want %q", d.denyAs, e.DenyAs))
	}
	for _, k := range slices.Sorted(maps.Keys(e.Context)) {
		if got, ok := d.context[k]; !ok || got != e.Context[k] {
			problems = append(problems, fmt.Sprintf("context %s = %q (present: %v); want %q", k, got, ok, e.Context[k]))
		}
	}
	for _, k := range e.Absent {
		if v, ok := d.context[k]; ok {
			problems = append(problems, fmt.Sprintf("context %s = %q; want it absent", k, v))
		}
	}
	if e.Target != nil && *e.Target != d.target {
		problems = append(problems, fmt.Sprintf("target %q; want %q", d.target, *e.Target))
	}
	for _, k := range slices.Sorted(maps.Keys(e.Attributes)) {
		if got, ok := d.attributes[k]; !ok || got != e.Attributes[k] {
			problems = append(problems, fmt.Sprintf("attribute %s = %q (present: %v); want %q", k, got, ok, e.Attributes[k]))
		}
	}
	if e.Endpoints != nil && !slices.Equal(e.Endpoints, d.endpoints) {
		problems = append(problems, fmt.Sprintf("endpoints %q; want %q", d.endpoints, e.Endpoints))
	}
	return problems
}

func (tc *hookCase) connection() *sdk.Connection {
	c := &sdk.Connection{ID: 1, RemoteAddress: "127.0.0.1", Transport: "tcp"}
	if cc := tc.Connection; cc != nil {
		c.RemoteAddress, c.RemotePort, c.LocalAddress, c.LocalPort = cc.RemoteAddress, cc.RemotePort, cc.LocalAddress, cc.LocalPort
		if cc.Transport != "" {
			c.Transport = cc.Transport
		}
		if cc.TLSSubject != "" || cc.TLSIssuer != "" || c.Transport == "ssl" || c.Transport == "wss" {
			c.TLS = &sdk.TLS{Subject: cc.TLSSubject, Issuer: cc.TLSIssuer}
		}
	}
	return c
}

func (tc *hookCase) session() *sdk.Session {
	if tc.Session == nil {
		return nil
	}
	return &sdk.Session{ID: tc.Session.ID, User: tc.Session.User, Category: tc.Session.Category,
		Attributes: maps.Clone(tc.Session.Attributes)}
}

func (tc *hookCase) view(p sdk.Point, sess *sdk.Session, conn *sdk.Connection) *caseView {
	id, _ := ice.ParseIdentity(tc.Identity)
	mode := map[string]sdk.Mode{"": sdk.Normal, "normal": sdk.Normal, "nonmutating": sdk.Nonmutating, "idempotent": sdk.Idempotent}[tc.Mode]
	target := tc.Target
	if target == "" {
		target = id.String()
	}
	f := &sdk.RequestFields{Point: p, Identity: sdk.Identity{Name: id.Name, Category: id.Category},
		IdentityString: id.String(), Facet: tc.Facet, Operation: tc.Operation, Mode: mode, Oneway: tc.Oneway,
		Context: maps.Clone(tc.Context), Size: tc.Size, Target: target, Session: sess, Connection: conn}
	return &caseView{FieldsView: f.View()}
}

// caseView is a request as a case describes it; it takes patches as the
// router's view does (intercept.Patchable) and remembers the target a
// patch chose, for the report.
type caseView struct {
	sdk.FieldsView
	retarget string
}

// Apply implements intercept.Patchable.
func (v *caseView) Apply(p *sdk.Verdict) {
	v.FieldsView.Apply(p)
	if p.Target != "" {
		v.retarget = p.Target
	}
}
