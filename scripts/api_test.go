package scripts

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
)

// TestRequestFields checks every field of the request view as a script
// reads it.
func TestRequestFields(t *testing.T) {
	s, buf := logged(t, `
function on_request(req)
  local c = req.connection
  log.info("fields", {
    name = req.identity.name, category = req.identity.category, id = tostring(req.identity),
    facet = req.facet, operation = req.operation, mode = req.mode, oneway = req.oneway,
    lang = req.context.lang, size = req.size, target = req.target, point = req.point,
    s_user = req.session.user, s_id = req.session.id, s_category = req.session.category,
    s_role = req.session.attributes.role,
    remote = c.remote_address, remote_port = c.remote_port, transport = c.transport,
    tls_subject = c.tls.subject, tls_issuer = c.tls.issuer, missing = tostring(req.nothing),
  })
end`)
	request(t, s, newView())
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(buf.String())), &line); err != nil {
		t.Fatalf("%v: %s", err, buf)
	}
	want := map[string]any{
		"name": "doc1", "category": "files", "id": "files/doc1", "facet": "", "operation": "read",
		"mode": "idempotent", "oneway": false, "lang": "en", "size": float64(42),
		"target": "files/doc1 -t -e 1.1:tcp -h 10.0.0.5 -p 10000", "point": "request",
		"s_user": "alice", "s_id": "s-1", "s_category": "cat1", "s_role": "reader",
		"remote": "203.0.113.7", "remote_port": float64(50000), "transport": "ssl",
		"tls_subject": "CN=alice", "tls_issuer": "CN=CA", "missing": "nil",
		// The call's own fields.
		"script": "test", "session": "s-1", "user": "alice", "identity": "files/doc1",
		"operation_": nil,
	}
	delete(want, "operation_")
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %#v; want %#v", k, line[k], v)
		}
	}
}

func TestRequestWithoutSessionOrTLS(t *testing.T) {
	s, buf := logged(t, `
function on_request(req)
  log.info(tostring(req.session) .. " " .. tostring(req.connection.tls) .. " " .. req.mode .. " " .. tostring(req.oneway))
end`)
	v := newView()
	v.session, v.conn.TLS, v.mode, v.oneway = nil, nil, sdk.Normal, true
	request(t, s, v)
	if !contains(buf.String(), `"nil nil normal true"`) {
		t.Errorf("log: %s", buf)
	}
}

// TestContextPatch: assignments to req.context become the verdict's patch;
// a whole new table replaces the context.
func TestContextPatch(t *testing.T) {
	for _, tc := range []struct {
		src    string
		set    map[string]string
		remove []string
	}{
		{`req.context.user = req.session.user`, map[string]string{"user": "alice"}, nil},
		{`req.context.lang = nil`, nil, []string{"lang"}},
		{`req.context.lang = "en"`, nil, nil},
		{`req.context.n = 7`, map[string]string{"n": "7"}, nil},
		{`req.context = {a = "1"}`, map[string]string{"a": "1"}, []string{"lang"}},
		{`local x = req.context.lang`, nil, nil},
	} {
		s := load(t, "function on_request(req) "+tc.src+" end")
		v := request(t, s, newView())
		if len(v.SetContext) != len(tc.set) || len(v.RemoveContext) != len(tc.remove) {
			t.Errorf("%s: verdict %+v; want set %v remove %v", tc.src, v, tc.set, tc.remove)
			continue
		}
		for k, val := range tc.set {
			if v.SetContext[k] != val {
				t.Errorf("%s: set %v; want %v", tc.src, v.SetContext, tc.set)
			}
		}
		if !slices.Equal(v.RemoveContext, tc.remove) {
			t.Errorf("%s: remove %v; want %v", tc.src, v.RemoveContext, tc.remove)
		}
	}
}

func TestContextPatchErrors(t *testing.T) {
	for _, src := range []string{`req.context.x = {}`, `req.context[1] = "x"`, `req.operation = "x"`, `req.target = {}`} {
		s := load(t, "function on_request(req) "+src+" end")
		if _, err := s.OnRequest(context.Background(), newView()); err == nil {
			t.Errorf("%s: no error", src)
		} else {
			t.Logf("%s: %v", src, err)
		}
	}
}

func TestRetarget(t *testing.T) {
	s := load(t, `function on_request(req) req.target = "hello:tcp -h 10.0.0.9 -p 10000" end`)
	if v := request(t, s, newView()); v.Target != "hello:tcp -h 10.0.0.9 -p 10000" {
		t.Errorf("target %q", v.Target)
	}
	s = load(t, `function on_request(req) req.target = req.target end`)
	if v := request(t, s, newView()); v.Target != "" {
		t.Errorf("an unchanged target is a patch: %q", v.Target)
	}
}

// TestChainSeesPatches: a later hook sees an earlier script's patch.
func TestChainSeesPatches(t *testing.T) {
	first := load(t, `function on_request(req) req.context.user = req.session.user end`)
	second := load(t, `function on_request(req) if req.context.user ~= "alice" then return deny("no user") end end`)
	c := intercept.New([]intercept.Entry{{Name: "first", Hook: first}, {Name: "second", Hook: second}}, nil)
	v := newView()
	if o := c.Request(context.Background(), sdk.Request, v); o.Deny {
		t.Fatalf("denied: %+v", o)
	}
	if v.context["user"] != "alice" {
		t.Errorf("context %v", v.context)
	}
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		src    string
		deny   bool
		reason string
		err    bool
	}{
		{`return deny("not for you")`, true, "not for you", false},
		{`return deny()`, true, "", false},
		{`return allow()`, false, "", false},
		{`return nil`, false, "", false},
		{``, false, "", false},
		{`return false`, false, "", true},
		{`return "deny"`, false, "", true},
		{`error("boom")`, false, "", true},
		{`local x = nil; return x.y`, false, "", true},
	} {
		s := load(t, "function on_request(req) "+tc.src+" end")
		v, err := s.OnRequest(context.Background(), newView())
		if (err != nil) != tc.err || v.Deny != tc.deny || v.Reason != tc.reason {
			t.Errorf("%s: verdict %+v, error %v", tc.src, v, err)
		}
		if err != nil && !strings.Contains(err.Error(), "test.lua") {
			t.Errorf("%s: the error does not name the script's file: %v", tc.src, err)
		}
	}
}

func TestRuntimeErrorPosition(t *testing.T) {
	s := load(t, "function on_request(req)\n  local x = nil\n  return x.y\nend")
	_, err := s.OnRequest(context.Background(), newView())
	if err == nil || !strings.Contains(err.Error(), "test.lua:3:") {
		t.Errorf("error %v; want it at test.lua:3", err)
	}
}

func TestCallbackAndReply(t *testing.T) {
	s, buf := logged(t, `
function on_callback(req)
  if req.identity.category ~= "cat1" then return deny("not my category") end
end
function on_reply(req, reply)
  log.info("reply", {status = reply.status, latency = reply.latency, size = reply.size, op = req.operation})
end`)
	if s.Points() != sdk.PointsOf(sdk.Callback, sdk.Reply) {
		t.Errorf("points %s", s.Points())
	}
	v := newView()
	v.point = sdk.Callback
	if r := request(t, s, v); !r.Deny || r.Reason != "not my category" {
		t.Errorf("callback verdict %+v", r)
	}
	v.identity.Category = "cat1"
	if r := request(t, s, v); r.Deny {
		t.Errorf("callback verdict %+v", r)
	}
	if err := s.OnReply(context.Background(), newView(), &sdk.ReplyView{Status: "ok", Latency: 1500 * time.Microsecond, Size: 30}); err != nil {
		t.Fatal(err)
	}
	if !contains(buf.String(), `"latency":0.0015`) || !contains(buf.String(), `"status":"ok"`) || !contains(buf.String(), `"op":"read"`) {
		t.Errorf("log: %s", buf)
	}
}

func TestConnect(t *testing.T) {
	s := load(t, `function on_connect(conn) if conn.remote_address == "203.0.113.7" and conn.transport == "ssl" then return deny("blocked") end end`)
	v, err := s.OnConnect(context.Background(), newView().conn)
	if err != nil || !v.Deny || v.Reason != "blocked" {
		t.Errorf("verdict %+v, %v", v, err)
	}
}

func TestAuthenticate(t *testing.T) {
	s := load(t, `
function on_authenticate(auth)
  if auth.user == "alice" and auth.password == "secret" then return allow({role = "admin", via = auth.connection.transport}) end
  if auth.user == "mallory" then return deny("go away") end
  if auth.context.token == "t" then return allow() end
end`)
	ctx := context.Background()
	conn := newView().conn
	for _, tc := range []struct {
		a    sdk.AuthRequest
		want sdk.AuthResult
	}{
		{sdk.AuthRequest{User: "alice", Password: "secret", Connection: conn},
			sdk.AuthResult{Decision: sdk.Allow, Attributes: map[string]string{"role": "admin", "via": "ssl"}}},
		{sdk.AuthRequest{User: "mallory", Connection: conn}, sdk.AuthResult{Decision: sdk.Refuse, Reason: "go away"}},
		{sdk.AuthRequest{User: "bob", Context: map[string]string{"token": "t"}}, sdk.AuthResult{Decision: sdk.Allow}},
		{sdk.AuthRequest{User: "bob"}, sdk.AuthResult{Decision: sdk.Abstain}},
	} {
		got, err := s.OnAuthenticate(ctx, &tc.a)
		if err != nil || got.Decision != tc.want.Decision || got.Reason != tc.want.Reason || len(got.Attributes) != len(tc.want.Attributes) {
			t.Errorf("%s: %+v, %v; want %+v", tc.a.User, got, err, tc.want)
		}
		for k, v := range tc.want.Attributes {
			if got.Attributes[k] != v {
				t.Errorf("%s: attributes %v; want %v", tc.a.User, got.Attributes, tc.want.Attributes)
			}
		}
	}
}

func TestSession(t *testing.T) {
	s, buf := logged(t, `
function on_session(session)
  if session.event == "destroyed" then log.info("bye " .. session.user) return end
  if session.user == "eve" then return deny("no eve") end
  session.attributes.tier = "gold"
  session.attributes.role = session.attributes.role
end`)
	ctx := context.Background()
	v, err := s.OnSession(ctx, sdk.SessionCreated, newView().session)
	if err != nil || v.Deny || len(v.Attributes) != 1 || v.Attributes["tier"] != "gold" {
		t.Errorf("created: %+v, %v", v, err)
	}
	v, err = s.OnSession(ctx, sdk.SessionCreated, &sdk.Session{User: "eve"})
	if err != nil || !v.Deny {
		t.Errorf("eve: %+v, %v", v, err)
	}
	if _, err := s.OnSession(ctx, sdk.SessionDestroyed, newView().session); err != nil || !contains(buf.String(), "bye alice") {
		t.Errorf("destroyed: %v, %s", err, buf)
	}
}

func TestRoute(t *testing.T) {
	s := load(t, `
function on_route(target)
  if target.identity.name == "one" then return "tcp -h 10.0.0.5 -p 10000" end
  if tostring(target.identity) == "c/two" then return {"tcp -h 10.0.0.5 -p 1", "tcp -h 10.0.0.6 -p 2"} end
  if target.adapter_id == "bad" then return 42 end
end`)
	ctx := context.Background()
	for _, tc := range []struct {
		r    sdk.RouteRequest
		want []string
		err  bool
	}{
		{sdk.RouteRequest{Identity: sdk.Identity{Name: "one"}}, []string{"tcp -h 10.0.0.5 -p 10000"}, false},
		{sdk.RouteRequest{Identity: sdk.Identity{Name: "two", Category: "c"}}, []string{"tcp -h 10.0.0.5 -p 1", "tcp -h 10.0.0.6 -p 2"}, false},
		{sdk.RouteRequest{Identity: sdk.Identity{Name: "three"}}, nil, false},
		{sdk.RouteRequest{Identity: sdk.Identity{Name: "x"}, AdapterID: "bad"}, nil, true},
	} {
		got, err := s.OnRoute(ctx, &tc.r)
		if (err != nil) != tc.err || !slices.Equal(got.Endpoints, tc.want) {
			t.Errorf("%+v: %v, %v; want %v", tc.r, got.Endpoints, err, tc.want)
		}
	}
}

func TestPointsAreTheDefinedFunctions(t *testing.T) {
	s := load(t, `function on_request(req) end function on_session(s) end helper = 1`)
	if want := sdk.PointsOf(sdk.Request, sdk.SessionCreated, sdk.SessionDestroyed); s.Points() != want {
		t.Errorf("points %s; want %s", s.Points(), want)
	}
	p, _ := Compile("x", "x.lua", []byte(`on_request = 5`))
	if _, err := New(context.Background(), p, Options{}); err == nil || !contains(err.Error(), "on_request is a number") {
		t.Errorf("error %v", err)
	}
}

func TestLog(t *testing.T) {
	s, buf := logged(t, `
function on_request(req)
  log.debug("d", 1, true)
  log.warn("w", {k = "v"})
  log.error("e")
  print("p", nil)
end`)
	request(t, s, newView())
	out := buf.String()
	for _, want := range []string{`"@level":"debug","@message":"d 1 true"`, `"@level":"warn","@message":"w"`, `"k":"v"`,
		`"@level":"error","@message":"e"`, `"@message":"p nil"`} {
		if !contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// TestSandbox: what a script must not reach is not there.
func TestSandbox(t *testing.T) {
	s, buf := logged(t, `
function on_request(req)
  local names = {"os", "io", "debug", "package", "coroutine", "dofile", "loadfile", "load", "loadstring",
    "require", "module", "collectgarbage", "setfenv", "getfenv", "_printregs", "newproxy", "channel"}
  local present = {}
  for _, n in ipairs(names) do if _G[n] ~= nil then present[#present + 1] = n end end
  if string.dump ~= nil then present[#present + 1] = "string.dump" end
  log.info("present: " .. table.concat(present, ","))
  log.info("have: " .. type(string.format) .. type(table.insert) .. type(math.floor) .. type(pcall) .. type(setmetatable))
end`)
	request(t, s, newView())
	if !contains(buf.String(), `"present: "`) || !contains(buf.String(), `"have: functionfunctionfunctionfunctionfunction"`) {
		t.Errorf("log: %s", buf)
	}
}
