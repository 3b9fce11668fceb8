package sdktest

import (
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
	id := sdk.Identity{Name: r.Identity}
	if cat, name, ok := strings.Cut(r.Identity, "/"); ok {
		id = sdk.Identity{Name: name, Category: cat}
	}
	target := r.Target
	if target == "" {
		target = r.Identity
	}
	f := &sdk.RequestFields{Point: r.Point, Identity: id, IdentityString: r.Identity, Facet: r.Facet,
		Operation: r.Operation, Mode: r.Mode, Oneway: r.Oneway, Context: r.Context, Size: r.Size, Target: target,
		Session: r.Session, Connection: r.Connection}
	return f.View()
}
