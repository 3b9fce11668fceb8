package router

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// The Ice admin object: <Ice.Admin.InstanceName>/admin on the
// Ice.Admin.Endpoints, with the facets an Ice 3.7 process offers to tools
// such as icegridadmin and IceGrid nodes: Process (shutdown, writeMessage)
// and Properties (read and update the configuration properties).

const (
	processTypeID         = "::Ice::Process"
	propertiesAdminTypeID = "::Ice::PropertiesAdmin"
)

type iceAdmin struct {
	r      *Router
	id     ice.Identity
	facets []string // served facets; all when empty

	mu    sync.Mutex
	props map[string]string
}

func newIceAdmin(r *Router) *iceAdmin {
	cat := r.cfg.IceAdmin.InstanceName
	if cat == "" {
		cat = uuid()
	}
	props := maps.Clone(r.cfg.Properties)
	if props == nil {
		props = map[string]string{}
	}
	return &iceAdmin{r: r, id: ice.Identity{Category: cat, Name: "admin"}, facets: r.cfg.IceAdmin.Facets, props: props}
}

func (a *iceAdmin) serves(facet string) bool {
	return len(a.facets) == 0 || slices.Contains(a.facets, facet)
}

// adminHandler receives requests on the admin endpoints.
type adminHandler struct{ r *Router }

func (h adminHandler) Request(c *transport.Conn, m *transport.Message) {
	h.r.eachRequest(c, m, func(req *ice.Request, owned bool) {
		h.r.admin.dispatch(newCall(c, m, req, owned))
	})
}

func (h adminHandler) Heartbeat(*transport.Conn) {}

func (h adminHandler) Closed(c *transport.Conn, _ error) { h.r.forgetConn(c) }

func (a *iceAdmin) dispatch(c *call) {
	if c.ident != a.id {
		c.notExist(ice.ReplyObjectNotExist)
		return
	}
	if c.enc != ice.Encoding10 && c.enc != ice.Encoding11 {
		c.unknownLocal("Ice::UnsupportedEncodingException: unsupported encoding " + c.enc.String())
		return
	}
	if !a.serves(c.facet) {
		c.notExist(ice.ReplyFacetNotExist)
		return
	}
	if !c.modeOK() {
		return
	}
	switch c.facet {
	case "Process":
		a.process(c)
	case "Properties":
		a.properties(c)
	default:
		c.notExist(ice.ReplyFacetNotExist)
	}
}

func (a *iceAdmin) process(c *call) {
	switch c.op {
	case "shutdown":
		c.ok(nil)
		a.r.log.Info("shutdown requested through the admin object")
		a.r.requestShutdown()
	case "writeMessage":
		d := c.decoder()
		msg, err1 := d.String()
		fd, err2 := d.Int32()
		if err1 != nil || err2 != nil {
			c.unknownLocal("Ice::MarshalException: writeMessage arguments")
			return
		}
		switch fd {
		case 1:
			fmt.Fprintln(os.Stdout, msg)
		case 2:
			fmt.Fprintln(os.Stderr, msg)
		}
		c.ok(nil)
	default:
		a.r.dispatchObject(c, processTypeID, []string{processTypeID, iceObjectTypeID})
	}
}

func (a *iceAdmin) properties(c *call) {
	switch c.op {
	case "getProperty":
		key, err := c.decoder().String()
		if err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		a.mu.Lock()
		v := a.props[key]
		a.mu.Unlock()
		c.ok(func(e *ice.Encoder) { e.WriteString(v) })
	case "getPropertiesForPrefix":
		prefix, err := c.decoder().String()
		if err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		a.mu.Lock()
		out := ice.Context{}
		for k, v := range a.props {
			if strings.HasPrefix(k, prefix) {
				out[k] = v
			}
		}
		a.mu.Unlock()
		c.ok(func(e *ice.Encoder) { e.WriteContext(out) })
	case "setProperties":
		upd, err := c.decoder().Context()
		if err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		a.mu.Lock()
		for k, v := range upd {
			// As in Ice, an empty value removes the property.
			if v == "" {
				delete(a.props, k)
			} else {
				a.props[k] = v
			}
		}
		a.mu.Unlock()
		a.r.log.Info("properties updated through the admin object", "count", len(upd))
		c.ok(nil)
	default:
		a.r.dispatchObject(c, propertiesAdminTypeID, []string{propertiesAdminTypeID, iceObjectTypeID})
	}
}
