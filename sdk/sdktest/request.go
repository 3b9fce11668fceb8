package sdktest

import (
	"maps"
	"strings"

	"github.com/floe-router/floe/sdk"
)

// Request describes a request (or callback) for a test; the zero values
// are those of a twoway request at the request point.
type Request struct {
	Point sdk.Point // sdk.Request when zero
	// Identity in stringified form: "name" or "category/name".
	Identity   string
	Facet      string
	Operation  string
	Mode       sdk.Mode
	Oneway     bool
	Context    map[string]string
	Size       int
	Target     string // the Identity when empty
	Session    *sdk.Session
	Connection *sdk.Connection
}

// View is r as an sdk.RequestView.
func (r Request) View() sdk.RequestView {
	if r.Point == 0 {
		r.Point = sdk.Request
	}
	return &view{r}
}

type view struct{ r Request }

func (v *view) Point() sdk.Point { return v.r.Point }
func (v *view) Identity() sdk.Identity {
	if cat, name, ok := strings.Cut(v.r.Identity, "/"); ok {
		return sdk.Identity{Name: name, Category: cat}
	}
	return sdk.Identity{Name: v.r.Identity}
}
func (v *view) IdentityString() string { return v.r.Identity }
func (v *view) Facet() string          { return v.r.Facet }
func (v *view) Operation() string      { return v.r.Operation }
func (v *view) Mode() sdk.Mode         { return v.r.Mode }
func (v *view) Oneway() bool           { return v.r.Oneway }
func (v *view) ContextValue(k string) (string, bool) {
	s, ok := v.r.Context[k]
	return s, ok
}
func (v *view) Context() map[string]string {
	c := maps.Clone(v.r.Context)
	if c == nil {
		c = map[string]string{}
	}
	return c
}
func (v *view) Size() int { return v.r.Size }
func (v *view) Target() string {
	if v.r.Target == "" {
		return v.r.Identity
	}
	return v.r.Target
}
func (v *view) Session() *sdk.Session       { return v.r.Session }
func (v *view) Connection() *sdk.Connection { return v.r.Connection }
