package plugin

import (
	"maps"

	"github.com/floe-router/floe/sdk"
	pluginv1 "github.com/floe-router/floe/sdk/proto/floe/plugin/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Conversions between the sdk types and the protocol's messages.

func pointNames(ps sdk.Points) []string {
	var names []string
	for p := sdk.Connect; p <= sdk.Reply; p++ {
		if ps.Has(p) {
			names = append(names, p.String())
		}
	}
	return names
}

func schemaToProto(s sdk.Schema) *pluginv1.Schema {
	attrs := func(as []sdk.Attribute) []*pluginv1.Attribute {
		var out []*pluginv1.Attribute
		for _, a := range as {
			out = append(out, &pluginv1.Attribute{Name: a.Name, Type: pluginv1.Type(a.Type), Required: a.Required,
				Description: a.Description})
		}
		return out
	}
	out := &pluginv1.Schema{Attributes: attrs(s.Attributes)}
	for _, b := range s.Blocks {
		out.Blocks = append(out.Blocks, &pluginv1.Block{Name: b.Name, Attributes: attrs(b.Attributes),
			Required: b.Required, Description: b.Description})
	}
	return out
}

func schemaFromProto(s *pluginv1.Schema) sdk.Schema {
	attrs := func(as []*pluginv1.Attribute) []sdk.Attribute {
		var out []sdk.Attribute
		for _, a := range as {
			out = append(out, sdk.Attribute{Name: a.GetName(), Type: sdk.Type(a.GetType()), Required: a.GetRequired(),
				Description: a.GetDescription()})
		}
		return out
	}
	out := sdk.Schema{Attributes: attrs(s.GetAttributes())}
	for _, b := range s.GetBlocks() {
		out.Blocks = append(out.Blocks, sdk.BlockSchema{Name: b.GetName(), Attributes: attrs(b.GetAttributes()),
			Required: b.GetRequired(), Description: b.GetDescription()})
	}
	return out
}

func connectionToProto(c *sdk.Connection) *pluginv1.Connection {
	if c == nil {
		return nil
	}
	out := &pluginv1.Connection{Id: c.ID, RemoteAddress: c.RemoteAddress, RemotePort: int32(c.RemotePort),
		LocalAddress: c.LocalAddress, LocalPort: int32(c.LocalPort), Transport: c.Transport}
	if c.TLS != nil {
		out.Tls = &pluginv1.TLS{Subject: c.TLS.Subject, Issuer: c.TLS.Issuer, Cipher: c.TLS.Cipher,
			PeerCertificates: c.TLS.PeerCertificates}
	}
	return out
}

func connectionFromProto(c *pluginv1.Connection) *sdk.Connection {
	if c == nil {
		return nil
	}
	out := &sdk.Connection{ID: c.GetId(), RemoteAddress: c.GetRemoteAddress(), RemotePort: int(c.GetRemotePort()),
		LocalAddress: c.GetLocalAddress(), LocalPort: int(c.GetLocalPort()), Transport: c.GetTransport()}
	if t := c.GetTls(); t != nil {
		out.TLS = &sdk.TLS{Subject: t.GetSubject(), Issuer: t.GetIssuer(), Cipher: t.GetCipher(),
			PeerCertificates: t.GetPeerCertificates()}
	}
	return out
}

func sessionToProto(s *sdk.Session) *pluginv1.Session {
	if s == nil {
		return nil
	}
	return &pluginv1.Session{Id: s.ID, User: s.User, Category: s.Category, Attributes: s.Attributes}
}

func sessionFromProto(s *pluginv1.Session) *sdk.Session {
	if s == nil {
		return nil
	}
	return &sdk.Session{ID: s.GetId(), User: s.GetUser(), Category: s.GetCategory(), Attributes: s.GetAttributes()}
}

func requestToProto(v sdk.RequestView) *pluginv1.RequestView {
	id := v.Identity()
	return &pluginv1.RequestView{
		Point:          v.Point().String(),
		Identity:       &pluginv1.Identity{Name: id.Name, Category: id.Category},
		Facet:          v.Facet(),
		Operation:      v.Operation(),
		Mode:           uint32(v.Mode()),
		Oneway:         v.Oneway(),
		Context:        v.Context(),
		Size:           int32(v.Size()),
		Target:         v.Target(),
		Session:        sessionToProto(v.Session()),
		Connection:     connectionToProto(v.Connection()),
		IdentityString: v.IdentityString(),
	}
}

func verdictToProto(v sdk.Verdict) *pluginv1.Verdict {
	out := &pluginv1.Verdict{Deny: v.Deny, Reason: v.Reason, SetContext: v.SetContext, RemoveContext: v.RemoveContext,
		Target: v.Target, Attributes: v.Attributes, CacheKey: v.CacheKey}
	if v.CacheFor > 0 {
		out.CacheFor = durationpb.New(v.CacheFor)
	}
	return out
}

func verdictFromProto(v *pluginv1.Verdict) sdk.Verdict {
	out := sdk.Verdict{Deny: v.GetDeny(), Reason: v.GetReason(), SetContext: v.GetSetContext(),
		RemoveContext: v.GetRemoveContext(), Target: v.GetTarget(), Attributes: v.GetAttributes(),
		CacheKey: v.GetCacheKey()}
	if d := v.GetCacheFor(); d != nil {
		out.CacheFor = d.AsDuration()
	}
	return out
}

// view is a RequestView decoded from the protocol, on the plugin's side.
type view struct {
	m       *pluginv1.RequestView
	point   sdk.Point
	session *sdk.Session
	conn    *sdk.Connection
}

func newView(m *pluginv1.RequestView) *view {
	p, _ := sdk.ParsePoint(m.GetPoint())
	return &view{m: m, point: p, session: sessionFromProto(m.GetSession()), conn: connectionFromProto(m.GetConnection())}
}

func (v *view) Point() sdk.Point { return v.point }
func (v *view) Identity() sdk.Identity {
	return sdk.Identity{Name: v.m.GetIdentity().GetName(), Category: v.m.GetIdentity().GetCategory()}
}
func (v *view) IdentityString() string { return v.m.GetIdentityString() }
func (v *view) Facet() string          { return v.m.GetFacet() }
func (v *view) Operation() string      { return v.m.GetOperation() }
func (v *view) Mode() sdk.Mode         { return sdk.Mode(v.m.GetMode()) }
func (v *view) Oneway() bool           { return v.m.GetOneway() }
func (v *view) ContextValue(k string) (string, bool) {
	s, ok := v.m.GetContext()[k]
	return s, ok
}
func (v *view) Context() map[string]string {
	c := maps.Clone(v.m.GetContext())
	if c == nil {
		c = map[string]string{}
	}
	return c
}
func (v *view) Size() int                   { return int(v.m.GetSize()) }
func (v *view) Target() string              { return v.m.GetTarget() }
func (v *view) Session() *sdk.Session       { return v.session }
func (v *view) Connection() *sdk.Connection { return v.conn }
