package sdk

import "maps"

// RequestFields is a request (or callback) held in plain fields, for what
// has no live message to decode: a request kept past its message (the
// reply point), a request a test or a hook-test case describes. View
// shows it as a RequestView.
type RequestFields struct {
	Point          Point
	Identity       Identity
	IdentityString string // Ice's stringified form of Identity
	Facet          string
	Operation      string
	Mode           Mode
	Oneway         bool
	Context        map[string]string
	Size           int
	Target         string
	Session        *Session
	Connection     *Connection
}

// View is f as a RequestView.
func (f *RequestFields) View() FieldsView { return FieldsView{f} }

// FieldsView is the RequestView of the fields it points to. Apply takes a
// hook's patch into them, as the router applies one between hooks.
type FieldsView struct{ F *RequestFields }

func (v FieldsView) Point() Point           { return v.F.Point }
func (v FieldsView) Identity() Identity     { return v.F.Identity }
func (v FieldsView) IdentityString() string { return v.F.IdentityString }
func (v FieldsView) Facet() string          { return v.F.Facet }
func (v FieldsView) Operation() string      { return v.F.Operation }
func (v FieldsView) Mode() Mode             { return v.F.Mode }
func (v FieldsView) Oneway() bool           { return v.F.Oneway }
func (v FieldsView) ContextValue(k string) (string, bool) {
	s, ok := v.F.Context[k]
	return s, ok
}
func (v FieldsView) Context() map[string]string {
	c := maps.Clone(v.F.Context)
	if c == nil {
		c = map[string]string{}
	}
	return c
}
func (v FieldsView) Size() int               { return v.F.Size }
func (v FieldsView) Target() string          { return v.F.Target }
func (v FieldsView) Session() *Session       { return v.F.Session }
func (v FieldsView) Connection() *Connection { return v.F.Connection }

// Apply sets and removes the patch's context entries and takes its target.
func (v FieldsView) Apply(p *Verdict) {
	if v.F.Context == nil {
		v.F.Context = map[string]string{}
	}
	for _, k := range p.RemoveContext {
		delete(v.F.Context, k)
	}
	maps.Copy(v.F.Context, p.SetContext)
	if p.Target != "" {
		v.F.Target = p.Target
	}
}
