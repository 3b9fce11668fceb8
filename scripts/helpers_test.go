package scripts

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// view is a request as a test describes it; it takes patches like the
// router's.
type view struct {
	point     sdk.Point
	identity  sdk.Identity
	facet     string
	operation string
	mode      sdk.Mode
	oneway    bool
	context   map[string]string
	size      int
	target    string
	session   *sdk.Session
	conn      *sdk.Connection
}

func (v *view) Point() sdk.Point       { return v.point }
func (v *view) Identity() sdk.Identity { return v.identity }
func (v *view) IdentityString() string {
	if v.identity.Category == "" {
		return v.identity.Name
	}
	return v.identity.Category + "/" + v.identity.Name
}
func (v *view) Facet() string     { return v.facet }
func (v *view) Operation() string { return v.operation }
func (v *view) Mode() sdk.Mode    { return v.mode }
func (v *view) Oneway() bool      { return v.oneway }
func (v *view) ContextValue(k string) (string, bool) {
	s, ok := v.context[k]
	return s, ok
}
func (v *view) Context() map[string]string {
	c := maps.Clone(v.context)
	if c == nil {
		c = map[string]string{}
	}
	return c
}
func (v *view) Size() int { return v.size }
func (v *view) Target() string {
	if v.target == "" {
		return v.IdentityString()
	}
	return v.target
}
func (v *view) Session() *sdk.Session       { return v.session }
func (v *view) Connection() *sdk.Connection { return v.conn }
func (v *view) Apply(p *sdk.Verdict) {
	if v.context == nil {
		v.context = map[string]string{}
	}
	for _, k := range p.RemoveContext {
		delete(v.context, k)
	}
	maps.Copy(v.context, p.SetContext)
	if p.Target != "" {
		v.target = p.Target
	}
}

func newView() *view {
	return &view{
		point:     sdk.Request,
		identity:  sdk.Identity{Name: "doc1", Category: "files"},
		operation: "read",
		mode:      sdk.Idempotent,
		context:   map[string]string{"lang": "en"},
		size:      42,
		target:    "files/doc1 -t -e 1.1:tcp -h 10.0.0.5 -p 10000",
		session: &sdk.Session{ID: "s-1", User: "alice", Category: "cat1",
			Attributes: map[string]string{"role": "reader"}},
		conn: &sdk.Connection{ID: 7, RemoteAddress: "203.0.113.7", RemotePort: 50000, LocalAddress: "127.0.0.1",
			LocalPort: 4063, Transport: "ssl", TLS: &sdk.TLS{Subject: "CN=alice", Issuer: "CN=CA", Cipher: "TLS_AES_128_GCM_SHA256"}},
	}
}

// logBuffer collects log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// load compiles and loads src as script "test".
func load(t testing.TB, src string, o ...Options) *Script {
	t.Helper()
	p, err := Compile("test", "test.lua", []byte(src))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var opts Options
	if len(o) > 0 {
		opts = o[0]
	}
	s, err := New(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// logged loads src with a debug logger writing to the returned buffer.
func logged(t testing.TB, src string) (*Script, *logBuffer) {
	t.Helper()
	var buf logBuffer
	lg := hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Trace, JSONFormat: true})
	return load(t, src, Options{Log: lg}), &buf
}

func request(t testing.TB, s *Script, v sdk.RequestView) sdk.Verdict {
	t.Helper()
	verdict, err := s.OnRequest(context.Background(), v)
	if err != nil {
		t.Fatalf("OnRequest: %v", err)
	}
	return verdict
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
