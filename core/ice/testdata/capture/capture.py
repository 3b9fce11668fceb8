#!/usr/bin/python3
"""Regenerates floe's codec fixtures (core/ice/testdata) from the real
ZeroC Ice 3.7 runtime.

    /usr/bin/python3 core/ice/testdata/capture/capture.py

Two kinds of fixtures come out:

values/  each file is an in-params encapsulation exactly as Ice encoded it:
         a typed Python client calls FloeCapture::Values, whose server side
         is a Blobject that keeps the bytes. values.json names the value that
         produced each file (for proxies the stringified form, Ice's own
         proxyToString and every field as Ice's proxy API reports it).

wire/    whole protocol messages recorded by a TCP tee (tee.py) between real
         Ice processes: a Python client and server, and a Python client
         talking to /usr/bin/glacier2router. wire.json says who sent each
         message and what the real runtime on the other side made of it
         (the server's Ice.Current, or the client's result or exception).

Everything listens on 127.0.0.1 with OS-chosen ports and is shut down at the
end. The fixtures of one run differ from another's only where Ice itself
varies (ports, Glacier2's random category, the session identity).
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import Ice

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
SLICE_DIR = "/usr/share/ice/slice"

Ice.loadSlice("-I%s --all %s" % (SLICE_DIR, os.path.join(HERE, "Capture.ice")))
import FloeCapture  # noqa: E402
import Glacier2  # noqa: E402

sys.path.insert(0, HERE)
import tee as teemod  # noqa: E402

VERBOSE = "-v" in sys.argv[1:]

E10 = Ice.EncodingVersion(1, 0)
E11 = Ice.EncodingVersion(1, 1)


def encstr(v):
    return "%d.%d" % (v.major, v.minor)


def b64(b):
    return base64.b64encode(bytes(b)).decode()


def new_communicator(encoding="1.1", extra=None):
    init = Ice.InitializationData()
    init.properties = Ice.createProperties()
    p = init.properties
    p.setProperty("Ice.Plugin.IceSSL", "IceSSL:createIceSSL")
    p.setProperty("Ice.Default.EncodingVersion", encoding)
    p.setProperty("Ice.Warn.Connections", "0")
    p.setProperty("Ice.Warn.Dispatch", "0")
    # No heartbeats or idle closes during the capture.
    p.setProperty("Ice.ACM.Heartbeat", "0")
    p.setProperty("Ice.ACM.Close", "0")
    p.setProperty("Ice.ThreadPool.Server.Size", "4")
    p.setProperty("Ice.ThreadPool.Client.Size", "4")
    for k, v in (extra or {}).items():
        p.setProperty(k, v)
    return Ice.initialize(init)


# ---------------------------------------------------------------------------
# What the real runtime reports about values, for the manifests.

def identity_fields(ident):
    return {"name": ident.name, "category": ident.category}


def proxy_mode(p):
    if p.ice_isTwoway():
        return 0
    if p.ice_isOneway():
        return 1
    if p.ice_isBatchOneway():
        return 2
    if p.ice_isDatagram():
        return 3
    if p.ice_isBatchDatagram():
        return 4
    raise ValueError("unknown proxy mode")


def endpoint_fields(e):
    info = e.getInfo()
    d = {"type": info.type(), "string": e.toString(), "compress": info.compress,
         "timeout": info.timeout}
    if isinstance(info, Ice.OpaqueEndpointInfo):
        d["rawEncoding"] = encstr(info.rawEncoding)
        d["rawBytes"] = b64(info.rawBytes)
        return d
    base = info
    while not isinstance(base, Ice.IPEndpointInfo):
        base = base.underlying
    d["host"] = base.host
    d["port"] = base.port
    if isinstance(info, Ice.WSEndpointInfo):
        d["resource"] = info.resource
    return d


def proxy_fields(communicator, p):
    if p is None:
        return None
    return {
        "string": communicator.proxyToString(p),
        "identity": identity_fields(p.ice_getIdentity()),
        "facet": p.ice_getFacet(),
        "mode": proxy_mode(p),
        "secure": p.ice_isSecure(),
        "encoding": encstr(p.ice_getEncodingVersion()),
        "adapterId": p.ice_getAdapterId(),
        "endpoints": [endpoint_fields(e) for e in p.ice_getEndpoints()],
    }


def current_fields(c):
    return {
        "requestId": c.requestId,
        "identity": identity_fields(c.id),
        "facet": c.facet,
        "operation": c.operation,
        "mode": int(c.mode.value),
        "context": dict(c.ctx),
        "encoding": encstr(c.encoding),
    }


def exception_fields(ex):
    """The reply status and details the client runtime decoded."""
    if isinstance(ex, Ice.UserException):
        ids = []
        for cls in type(ex).__mro__:
            if hasattr(cls, "_ice_id") and cls._ice_id.startswith("::") and "_ice_id" in cls.__dict__:
                ids.append(cls._ice_id)
        members = {k: v for k, v in vars(ex).items() if not k.startswith("_")}
        members = {k: plain_value(v) for k, v in members.items()}
        return {"status": 1, "typeIds": ids, "members": members}
    for cls, status in ((Ice.ObjectNotExistException, 2), (Ice.FacetNotExistException, 3),
                        (Ice.OperationNotExistException, 4)):
        if isinstance(ex, cls):
            return {"status": status, "identity": identity_fields(ex.id), "facet": ex.facet,
                    "operation": ex.operation}
    for cls, status in ((Ice.UnknownLocalException, 5), (Ice.UnknownUserException, 6),
                        (Ice.UnknownException, 7)):
        if isinstance(ex, cls):
            return {"status": status, "unknown": ex.unknown}
    raise ex


# ---------------------------------------------------------------------------
# Servants.

class Recorder:
    """Keeps the Ice.Current of every dispatch, by request id and in order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.currents = []

    def add(self, current):
        with self.lock:
            self.currents.append(current_fields(current))

    def mark(self):
        with self.lock:
            return len(self.currents)

    def since(self, mark):
        with self.lock:
            return list(self.currents[mark:])


RECORDER = Recorder()


class ValuesBlobject(Ice.Blobject):
    def __init__(self):
        self.last = None

    def ice_invoke(self, in_params, current):
        self.last = (bytes(in_params), current_fields(current))
        return (True, bytes())


class EchoI(FloeCapture.Backend):
    def __init__(self, communicator):
        self.communicator = communicator
        self.callback_result = None

    def echo(self, s, current):
        RECORDER.add(current)
        return s

    def echoIdempotent(self, s, current):
        RECORDER.add(current)
        return s

    def echoNonmutating(self, s, current):
        RECORDER.add(current)
        return s

    def echoProxy(self, p, current):
        RECORDER.add(current)
        return p

    def echoProxies(self, s, current):
        RECORDER.add(current)
        return s

    def ping(self, current):
        RECORDER.add(current)

    def post(self, s, current):
        RECORDER.add(current)

    def postIdempotent(self, s, current):
        RECORDER.add(current)

    def postNonmutating(self, s, current):
        RECORDER.add(current)

    def callback(self, cb, current):
        RECORDER.add(current)
        self.callback_result = FloeCapture.CallbackPrx.uncheckedCast(cb).call("from the server")


def failed(ex):
    """A future failed with ex, never raised: IcePy then reports the error
    without a Python traceback (which would put this file's path and line
    numbers into the Unknown* reply text)."""
    f = Ice.Future()
    f.set_exception(ex)
    return f


class ThrowerI(FloeCapture.Thrower):
    def _throw(self, kind, reason, current):
        RECORDER.add(current)
        if kind == "plain":
            raise FloeCapture.CaptureError(reason)
        if kind == "derived":
            raise FloeCapture.DerivedError(reason, 42, "the detail")
        if kind == "optional":
            raise FloeCapture.OptionalError(reason, 7, "a note")
        if kind == "optional-unset":
            raise FloeCapture.OptionalError(reason)
        if kind == "empty":
            raise FloeCapture.EmptyError()
        if kind == "local":
            return failed(Ice.MemoryLimitException())
        if kind == "unknown-local":
            raise Ice.UnknownLocalException(reason)
        if kind == "unknown-user":
            raise Ice.UnknownUserException(reason)
        if kind == "python":
            return failed(RuntimeError(reason))
        raise ValueError("unknown kind " + kind)

    def _raise(self, kind, reason, current):
        return self._throw(kind, reason, current)

    def raiseSliced(self, kind, reason, current):
        return self._throw(kind, reason, current)

    def raiseUndeclared(self, reason, current):
        RECORDER.add(current)
        raise FloeCapture.CaptureError(reason)


class CallbackI(FloeCapture.Callback):
    def call(self, s, current):
        RECORDER.add(current)
        return "callback got " + s


class VerifierI(Glacier2.PermissionsVerifier):
    def checkPermissions(self, user, password, current):
        if password == "good":
            return (True, "")
        return (False, "wrong password for " + user)


class SessionI(Glacier2.Session):
    def destroy(self, current):
        current.adapter.remove(current.id)


class SessionManagerI(Glacier2.SessionManager):
    def create(self, user, control, current):
        if user == "carol":
            raise Glacier2.CannotCreateSessionException("no sessions for " + user)
        prx = current.adapter.add(SessionI(), Ice.Identity(user, "session"))
        return Glacier2.SessionPrx.uncheckedCast(prx)


# ---------------------------------------------------------------------------
# Output.

class Output:
    def __init__(self):
        self.values = []
        self.wire = []
        for d in ("values", "wire"):
            shutil.rmtree(os.path.join(TESTDATA, d), ignore_errors=True)
            os.makedirs(os.path.join(TESTDATA, d))

    def _write(self, rel, data):
        with open(os.path.join(TESTDATA, rel), "wb") as f:
            f.write(data)

    def value(self, name, kind, encoding, data, **meta):
        if any(v["name"] == name and v["encoding"] == encoding for v in self.values):
            raise ValueError("duplicate value fixture " + name)
        rel = "values/%s_%s.bin" % (name, encoding.replace(".", ""))
        self._write(rel, data)
        e = {"name": name, "kind": kind, "encoding": encoding, "file": rel}
        e.update(meta)
        self.values.append(e)

    def message(self, name, msg, peer, what, expect=None):
        if any(w["name"] == name for w in self.wire):
            raise ValueError("duplicate wire fixture " + name)
        rel = "wire/%s.bin" % name
        if VERBOSE:
            print("  " + name, file=sys.stderr, flush=True)
        self._write(rel, msg.data)
        self.wire.append({"name": name, "file": rel, "direction": msg.direction, "peer": peer,
                          "connection": msg.conn, "type": msg.type,
                          "compression": msg.compression, "what": what,
                          "expect": expect or {}})

    def finish(self):
        for name, items in (("values.json", self.values), ("wire.json", self.wire)):
            with open(os.path.join(TESTDATA, name), "w") as f:
                json.dump(items, f, indent=1, sort_keys=True, ensure_ascii=False)
                f.write("\n")


# ---------------------------------------------------------------------------
# Values.

PROXIES = [
    ("null", None),
    ("tcp", "hello:tcp -h 127.0.0.1 -p 10000"),
    ("tcp_timeout", "hello:tcp -h 10.0.0.5 -p 10000 -t 60000"),
    ("tcp_infinite", "hello:tcp -h 10.0.0.5 -p 10000 -t infinite"),
    ("tcp_compress", "hello:tcp -h 10.0.0.5 -p 10000 -t 1000 -z"),
    ("tcp_ipv6", 'hello:tcp -h "::1" -p 10000'),
    ("tcp_ipv6_long", 'hello:tcp -h "fe80::1:2:3" -p 65535 -t infinite'),
    ("tcp_port0", "hello:tcp -h 127.0.0.1 -p 0"),
    ("ssl", "hello:ssl -h host.example.com -p 4064 -t 5000"),
    ("ssl_secure", "hello -s:ssl -h 10.0.0.6 -p 4064"),
    ("udp", "hello -d:udp -h 239.255.1.1 -p 10000"),
    ("udp_compress", "hello -D:udp -h 127.0.0.1 -p 10001 -z"),
    ("ws", "hello:ws -h 127.0.0.1 -p 8080 -r /chat"),
    ("ws_no_resource", "hello:ws -h 127.0.0.1 -p 8080"),
    ("wss", "hello:wss -h example.com -p 443 -t infinite -r /ice -z"),
    ("opaque", "hello:opaque -t 99 -e 1.1 -v AQIDBAU="),
    ("opaque_10", "hello:opaque -t 99 -e 1.0 -v AAECAwQFBgcICQ=="),
    ("opaque_big_type", "hello:opaque -t 32767 -e 1.1 -v /w=="),
    ("opaque_as_tcp", "hello:opaque -t 1 -e 1.1 -v CTEyNy4wLjAuMRAnAAD/////AA=="),
    ("multi", "hello:tcp -h a.example -p 1 -t 10:ssl -h b.example -p 2:udp -h c.example -p 3"
              ":ws -h d.example -p 4 -r /r:wss -h e.example -p 5:opaque -t 99 -e 1.1 -v AAEC"),
    ("adapter", "hello@Adapter"),
    ("adapter_dotted", "cat/hello @ Some.Replica.Adapter"),
    ("well_known", "hello"),
    ("category", "Glacier2/router:tcp -h 127.0.0.1 -p 4063"),
    ("facet", "hello -f admin:tcp -h 127.0.0.1 -p 1"),
    ("facet_spaces", 'hello -f "a facet":tcp -h 127.0.0.1 -p 1'),
    ("mode_twoway", "hello -t:tcp -h 127.0.0.1 -p 1"),
    ("mode_oneway", "hello -o:tcp -h 127.0.0.1 -p 1"),
    ("mode_batch_oneway", "hello -O:tcp -h 127.0.0.1 -p 1"),
    ("mode_datagram", "hello -d:udp -h 127.0.0.1 -p 1"),
    ("mode_batch_datagram", "hello -D:udp -h 127.0.0.1 -p 1"),
    ("secure", "hello -s:tcp -h 127.0.0.1 -p 1"),
    ("proxy_encoding_10", "hello -e 1.0:tcp -h 127.0.0.1 -p 1"),
    ("proxy_protocol", "hello -p 1.0 -e 1.1:tcp -h 127.0.0.1 -p 1"),
    ("all_options", "cat/hello -f fac -O -s -e 1.0@Adapter"),
    ("escaped_identity", '"a b/c\\/d" -o:tcp -h 127.0.0.1 -p 1'),
    ("unicode_identity", "h\u00e9llo/w\u00f6rld\u2713:tcp -h 127.0.0.1 -p 1"),
    ("long_name", "n" * 300 + ":tcp -h 127.0.0.1 -p 1"),
]

STRINGS = [("empty", ""), ("short", "hello"), ("len254", "x" * 254), ("len255", "x" * 255),
           ("len256", "y" * 256), ("len70000", "z" * 70000),
           ("unicode", "h\u00e9llo w\u00f6rld \u2713 \U0001F600")]


def capture_values(out):
    server = new_communicator()
    client = new_communicator()
    try:
        adapter = server.createObjectAdapterWithEndpoints("Values", "tcp -h 127.0.0.1 -p 0")
        blob = ValuesBlobject()
        adapter.add(blob, Ice.stringToIdentity("values"))
        adapter.activate()
        port = adapter.getEndpoints()[0].getInfo().port
        base = FloeCapture.ValuesPrx.uncheckedCast(
            client.stringToProxy("values:tcp -h 127.0.0.1 -p %d" % port))

        def each(encoding, name, kind, call, **meta):
            prx = base.ice_encodingVersion(E10 if encoding == "1.0" else E11)
            blob.last = None
            call(prx)
            data, cur = blob.last
            assert cur["encoding"] == encoding, cur
            out.value(name, kind, encoding, data, **meta)

        for enc in ("1.0", "1.1"):
            for name, s in PROXIES:
                p = client.stringToProxy(s) if s is not None else None
                each(enc, "proxy_" + name, "proxy", lambda v: v.proxy(p),
                     input=s, expect=proxy_fields(client, p))

            seqs = [
                ("empty", []),
                ("three", ["a:tcp -h 127.0.0.1 -p 1", None, "b@Adapter"]),
                ("mixed", ["x -o:udp -h 127.0.0.1 -p 2", "y -f f:ws -h h -p 3 -r /w", "z"]),
                ("len300", ["p%d" % i for i in range(300)]),
            ]
            for name, items in seqs:
                ps = [client.stringToProxy(s) if s is not None else None for s in items]
                each(enc, "proxies_" + name, "proxies", lambda v: v.proxies(ps),
                     input=items, expect=[proxy_fields(client, p) for p in ps])

            for name, s in STRINGS:
                each(enc, "string_" + name, "string", lambda v: v.str(s), expect=s)
            each(enc, "strings_mixed", "strings", lambda v: v.strings(["", "a", "b" * 300]),
                 expect=["", "a", "b" * 300])
            each(enc, "strings_len256", "strings", lambda v: v.strings(["s"] * 256), expect=["s"] * 256)

            for name, ident in (("simple", Ice.Identity("hello", "")),
                                ("category", Ice.Identity("router", "Glacier2")),
                                ("empty", Ice.Identity("", "")),
                                ("long", Ice.Identity("n" * 260, "c" * 300))):
                each(enc, "identity_" + name, "identity", lambda v: v.identity(ident),
                     expect=identity_fields(ident))

            for name, d in (("empty", {}), ("one", {"k": "v"}),
                            ("fwd", {"_fwd": "t", "_ovrd": "key", "user": "alice"}),
                            ("len300", {"key%03d" % i: "value%d" % i for i in range(300)})):
                each(enc, "dict_" + name, "dict", lambda v: v.dict(d), expect=d)

            for name, b in (("empty", b""), ("len1000", bytes(range(256)) * 3 + bytes(232))):
                each(enc, "bytes_" + name, "bytes", lambda v: v.bytes(b), expect=b64(b))

            prims = FloeCapture.Primitives(True, 0xAB, -2, 0x12345678, -(1 << 40), 1.5, -2.25)
            each(enc, "primitives", "primitives", lambda v: v.primitives(prims),
                 expect={"b": True, "y": 0xAB, "s": -2, "i": 0x12345678, "l": -(1 << 40),
                         "f": 1.5, "d": -2.25})

            for name, args in (("all", (True, 42, "opt")), ("none", (Ice.Unset, Ice.Unset, Ice.Unset)),
                               ("some", (Ice.Unset, 7, Ice.Unset))):
                each(enc, "optionals_" + name, "optionals", lambda v: v.optionals(*args),
                     expect=[None if a is Ice.Unset else a for a in args])
    finally:
        client.destroy()
        server.destroy()


# ---------------------------------------------------------------------------
# Wire: a Python client and server.

class Outcome(dict):
    """An outcome a call worked out itself."""


def raw_user_exception(prx, op, type_id):
    """Invokes op with ice_invoke and checks that the reply is a user
    exception, without letting IcePy unmarshal it."""
    ok, _ = prx.ice_invoke(op, Ice.OperationMode.Normal, bytes())
    assert not ok
    return Outcome(status=1, typeIds=[type_id], members={}, raw=True)


def status_of(call):
    """Runs call and returns what the client runtime made of the reply."""
    try:
        r = call()
        if isinstance(r, Outcome):
            return dict(r)
    except Ice.Exception as ex:
        return exception_fields(ex)
    return {"status": 0, "result": plain_value(r)}


def plain_value(v):
    """v with proxies as their strings and Ice.Unset as None, for JSON."""
    if v is Ice.Unset:
        return None
    if isinstance(v, Ice.ObjectPrx):
        return v.ice_toString()
    if isinstance(v, (list, tuple)):
        return [plain_value(x) for x in v]
    return v


class Steps:
    """Runs client calls through a tee and picks out the messages."""

    def __init__(self, out, tee, peer):
        self.out, self.tee, self.peer = out, tee, peer

    def run(self, call, nmsgs):
        """Runs call, waits until it produced at least nmsgs messages, and
        returns (the call's outcome, the messages, the server's currents)."""
        m, r = self.tee.mark(), RECORDER.mark()
        outcome = status_of(call)
        msgs = self.tee.wait(lambda all_: len(all_) - m >= nmsgs)[m:]
        time.sleep(0.05)
        msgs = self.tee.since(m)
        return outcome, msgs, RECORDER.since(r)

    def save_request(self, name, msg, what, expect):
        self.out.message(name, msg, self.peer, what, expect)

    def save_reply(self, name, msg, what, outcome, request_id):
        exp = dict(outcome)
        exp["requestId"] = request_id
        self.out.message(name, msg, self.peer, what, exp)

    def twoway(self, name, call, what, reply_name=None, op=None, expect=None, wire_outcome=None):
        """A twoway call: saves its request (as name) and reply (as
        reply_name) when names are given. The request's expectations are
        the Ice.Current the servant saw, else expect."""
        outcome, msgs, curs = self.run(call, 2)
        reqs = [x for x in msgs if x.type == 0 and x.direction == teemod.C2S
                and (op is None or teemod.request_head(x)[4] == op)]
        assert reqs, (name, msgs)
        req = reqs[-1]
        rid = teemod.request_head(req)[0]
        reps = [x for x in msgs if x.type == 2 and x.direction == teemod.S2C and teemod.reply_id(x) == rid]
        assert len(reps) == 1, (name, msgs)
        cur = [c for c in curs if c["requestId"] == rid]
        if name:
            exp = dict(cur[0]) if cur else dict(expect or {}, requestId=rid)
            self.save_request(name, req, what, exp)
        if reply_name:
            if wire_outcome is not None:
                outcome = dict(wire_outcome, clientSaw=outcome)
            self.save_reply(reply_name, reps[0], what, outcome, rid)
        return outcome, req, reps[0]


def capture_direct(out):
    server = new_communicator()
    c11 = new_communicator("1.1")
    c10 = new_communicator("1.0")
    tee = None
    try:
        adapter = server.createObjectAdapterWithEndpoints("Direct", "tcp -h 127.0.0.1 -p 0")
        echo_servant = EchoI(server)
        adapter.add(echo_servant, Ice.stringToIdentity("echo"))
        adapter.addFacet(EchoI(server), Ice.stringToIdentity("echo"), "fac")
        adapter.add(ThrowerI(), Ice.stringToIdentity("thrower"))
        adapter.activate()
        tee = teemod.TeeProcess(adapter.getEndpoints()[0].getInfo().port, "direct")
        ep = ":tcp -h 127.0.0.1 -p %d" % tee.port
        st = Steps(out, tee, "python")

        for enc, client in (("11", c11), ("10", c10)):
            sfx = "" if enc == "11" else "_10"
            echo = FloeCapture.BackendPrx.uncheckedCast(client.stringToProxy("echo" + ep))
            thrower = FloeCapture.ThrowerPrx.uncheckedCast(client.stringToProxy("thrower" + ep))

            m = tee.mark()
            con = echo.ice_getConnection()
            v = tee.wait(lambda a: len(a) > m)[m]
            assert v.type == 3 and v.direction == teemod.S2C
            out.message("validate_connection" + sfx, v, "python",
                        "ValidateConnection the server sends first on a new connection")

            st.twoway("request_twoway" + sfx, lambda: echo.echo("hello"),
                      "twoway request echo(\"hello\")", "reply_ok_string" + sfx)
            st.twoway("request_idempotent" + sfx, lambda: echo.echoIdempotent("idem"),
                      "idempotent operation (mode 2)", "reply_ok_idempotent" + sfx)
            st.twoway("request_nonmutating" + sfx, lambda: echo.echoNonmutating("nonmut"),
                      "[\"nonmutating\"] idempotent operation (mode 1)")
            st.twoway("request_void" + sfx, lambda: echo.ping(), "void operation, empty params",
                      "reply_ok_void" + sfx)
            st.twoway("request_context" + sfx,
                      lambda: echo.echo("ctx", {"_fwd": "o", "k": "v", "empty": ""}),
                      "request with a context")
            big = {"key%03d" % i: "v%d" % i for i in range(300)}
            st.twoway("request_context_len300" + sfx, lambda: echo.echo("bigctx", big),
                      "request whose context has 300 entries (size >= 255)")
            st.twoway("request_facet" + sfx, lambda: FloeCapture.BackendPrx.uncheckedCast(echo.ice_facet("fac")).echo("facet"),
                      "request to facet \"fac\"")
            prx = client.stringToProxy("hello -f f:tcp -h 10.0.0.1 -p 10000 -t 60000:udp -h 10.0.0.2 -p 10001"
                                       ":opaque -t 99 -e 1.1 -v AQID")
            st.twoway("request_proxy" + sfx, lambda: echo.echoProxy(prx),
                      "request whose params are a proxy", "reply_ok_proxy" + sfx)
            st.twoway(None, lambda: echo.echoProxy(None), "null proxy result",
                      "reply_ok_null_proxy" + sfx)
            seq = [client.stringToProxy("a@Adapter"), None,
                   client.stringToProxy("b:ssl -h h -p 1:wss -h h -p 2 -r /x")]
            st.twoway(None, lambda: echo.echoProxies(seq), "proxy sequence result",
                      "reply_ok_proxies" + sfx)
            st.twoway("request_long_string" + sfx, lambda: echo.echo("s" * 5000),
                      "5000-byte string param and result", "reply_ok_long_string" + sfx)

            # Oneway: synchronise with a twoway ping on the same connection.
            m, r = tee.mark(), RECORDER.mark()
            echo.ice_oneway().post("oneway")
            echo.ping()
            msgs = tee.wait(lambda a: len(a) - m >= 3)[m:]
            ow = [x for x in msgs if x.type == 0 and teemod.request_head(x)[0] == 0]
            cur = [c for c in RECORDER.since(r) if c["requestId"] == 0]
            out.message("request_oneway" + sfx, ow[0], "python", "oneway request (id 0)", cur[0])

            # Batch oneway: three requests, flushed together.
            m, r = tee.mark(), RECORDER.mark()
            b = echo.ice_batchOneway()
            b.post("b1")
            b.postIdempotent("b2", {"k": "v"})
            b.postNonmutating("b3")
            b.ice_flushBatchRequests()
            echo.ping()
            msgs = tee.wait(lambda a: len(a) - m >= 3)[m:]
            batch = [x for x in msgs if x.type == 1]
            curs = [c for c in RECORDER.since(r) if c["requestId"] == 0]
            out.message("batch_request" + sfx, batch[0], "python",
                        "batch request with three requests", {"requests": curs})

            # User exceptions, compact and sliced.
            kinds = ["plain", "derived", "empty"]
            if enc == "11":
                kinds += ["optional", "optional-unset"]
            for kind in kinds:
                k = kind.replace("-", "_")
                st.twoway("request_raise_" + k + sfx if kind == "plain" else None,
                          lambda: thrower._raise(kind, "reason " + kind), "user exception " + kind,
                          "reply_user_compact_" + k + sfx)
                st.twoway(None, lambda: thrower.raiseSliced(kind, "sliced " + kind),
                          "user exception %s, [\"format:sliced\"]" % kind, "reply_user_sliced_" + k + sfx)

            # Ice 3.7 sends an undeclared user exception as a user exception;
            # the client turns it into UnknownUserException.
            st.twoway(None, lambda: thrower.raiseUndeclared("undeclared"),
                      "servant raised a user exception the operation does not declare",
                      "reply_user_undeclared" + sfx,
                      wire_outcome={"status": 1, "typeIds": ["::FloeCapture::CaptureError"],
                                    "members": {"reason": "undeclared"}})
            st.twoway(None, lambda: thrower._raise("unknown-user", "explicit unknown user"),
                      "servant raised UnknownUserException", "reply_unknown_user" + sfx)
            st.twoway(None, lambda: thrower._raise("local", "x"), "servant raised an Ice local exception",
                      "reply_unknown_local" + sfx)
            st.twoway(None, lambda: thrower._raise("unknown-local", "explicit unknown local"),
                      "servant raised UnknownLocalException", "reply_unknown_local_explicit" + sfx)
            st.twoway(None, lambda: thrower._raise("python", "a python error"),
                      "servant raised a Python exception", "reply_unknown" + sfx)

            missing = FloeCapture.BackendPrx.uncheckedCast(client.stringToProxy("cat/missing" + ep))
            st.twoway(None, lambda: missing.echo("x"), "no such object", "reply_object_not_exist" + sfx)
            st.twoway(None, lambda: FloeCapture.BackendPrx.uncheckedCast(echo.ice_facet("nofacet")).echo("x"), "no such facet",
                      "reply_facet_not_exist" + sfx)
            st.twoway("request_unknown_operation" + sfx,
                      lambda: echo.ice_invoke("noSuchOperation", Ice.OperationMode.Idempotent, bytes()),
                      "no such operation (ice_invoke with empty params)", "reply_operation_not_exist" + sfx,
                      expect={"identity": {"name": "echo", "category": ""}, "facet": "",
                              "operation": "noSuchOperation", "mode": 2, "context": {},
                              "encoding": "1.1" if enc == "11" else "1.0"})

            if enc == "11":
                z = echo.ice_compress(True)
                st.twoway("request_compressed", lambda: z.echo("compress me " * 100),
                          "ice_compress(true), 1200-byte param: bzip2 request",
                          "reply_compressed")
                st.twoway("request_accepts_compressed_reply", lambda: z.echo("small"),
                          "ice_compress(true), small request: status 1, uncompressed",
                          "reply_to_accepts_compressed")

            m = tee.mark()
            con.close(Ice.ConnectionClose.Gracefully)
            msgs = tee.wait(lambda a: any(x.type == 4 for x in a[m:]))[m:]
            out.message("close_connection" + sfx, [x for x in msgs if x.type == 4][0], "python",
                        "CloseConnection sent by a client closing gracefully")
        if tee.errors:
            raise RuntimeError(tee.errors)
    finally:
        c11.destroy()
        c10.destroy()
        server.destroy()
        if tee:
            tee.close()


# ---------------------------------------------------------------------------
# Wire: a Python client talking to the real glacier2router.

def router_ports(proc, timeout=10.0):
    """Reads glacier2router's output until both adapters are ready and
    returns the ports the OS gave them, from the published endpoints that
    Ice.Trace.Network=1 prints."""
    deadline = time.time() + timeout
    seen, ports, adapter = [], {}, None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip())
        m = re.search(r"published endpoints for object adapter `(Glacier2\.\w+)'", line)
        if m:
            adapter = m.group(1)
            continue
        m = re.search(r"-p (\d+)", line)
        if adapter and m:
            ports[adapter] = int(m.group(1))
            adapter = None
        if "Glacier2.Client ready" in "\n".join(seen) and "Glacier2.Server ready" in "\n".join(seen):
            return ports["Glacier2.Client"], ports["Glacier2.Server"]
    raise RuntimeError("glacier2router not ready: %r" % seen)


def capture_glacier2(out):
    tmp = tempfile.mkdtemp(prefix="floe-capture-")
    backend = new_communicator()
    proc = None
    tees = []
    clients = []
    try:
        ad = backend.createObjectAdapterWithEndpoints("Backend", "tcp -h 127.0.0.1 -p 0")
        echo_servant = EchoI(backend)
        ad.add(echo_servant, Ice.stringToIdentity("echo"))
        ad.add(VerifierI(), Ice.stringToIdentity("verifier"))
        ad.add(SessionManagerI(), Ice.stringToIdentity("sessionmanager"))
        ad.activate()
        bport = ad.getEndpoints()[0].getInfo().port
        btee = teemod.TeeProcess(bport, "backend")
        tees.append(btee)

        cfg = os.path.join(tmp, "router.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join([
                "Glacier2.Client.Endpoints=tcp -h 127.0.0.1 -p 0",
                "Glacier2.Server.Endpoints=tcp -h 127.0.0.1 -p 0",
                "Glacier2.PermissionsVerifier=verifier:tcp -h 127.0.0.1 -p %d" % bport,
                "Glacier2.SessionManager=sessionmanager:tcp -h 127.0.0.1 -p %d" % bport,
                "Glacier2.SessionTimeout=60",
                "Ice.PrintAdapterReady=1",
                "Ice.Trace.Network=1",
                "Ice.ACM.Heartbeat=0",
                "Ice.Warn.Connections=0",
                "",
            ]))
        proc = subprocess.Popen(["/usr/bin/glacier2router", "--Ice.Config=" + cfg],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                preexec_fn=teemod.die_with_parent)
        cport, _ = router_ports(proc)
        # Keep reading its output (network traces) so it never blocks on a
        # full pipe.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        rtee = teemod.TeeProcess(cport, "router")
        tees.append(rtee)
        st = Steps(out, rtee, "glacier2router")
        router_str = "Glacier2/router:tcp -h 127.0.0.1 -p %d" % rtee.port
        backend_str = "echo:tcp -h 127.0.0.1 -p %d" % btee.port

        def router_expect(op, mode):
            return {"identity": {"name": "router", "category": "Glacier2"}, "facet": "",
                    "operation": op, "mode": mode, "context": {}}

        for enc in ("1.1", "1.0"):
            sfx = "" if enc == "1.1" else "_10"
            client = new_communicator(enc)
            clients.append(client)
            router = Glacier2.RouterPrx.uncheckedCast(client.stringToProxy(router_str))

            m = rtee.mark()
            router.ice_getConnection()
            v = rtee.wait(lambda a: len(a) > m)[m]
            out.message("g2_validate_connection" + sfx, v, "glacier2router",
                        "ValidateConnection glacier2router sends on a new client connection")

            def g2(name, call, what, op, mode, reply_name):
                _, req, _ = st.twoway(None, call, what, reply_name, op=op)
                if name:
                    exp = router_expect(op, mode)
                    exp["requestId"] = teemod.request_head(req)[0]
                    exp["encoding"] = enc
                    out.message(name, req, "glacier2router", what, exp)

            g2("g2_request_create_session_denied" + sfx, lambda: router.createSession("bob", "wrong"),
               "createSession rejected by the permissions verifier", "createSession", 0,
               "g2_reply_create_session_denied" + sfx)
            # In the Debian IcePy 3.7.8 package Glacier2.SessionNotExistException
            # stays a placeholder class (not an Ice.UserException), and
            # unmarshalling this reply into it crashes the interpreter, so the
            # client takes the reply raw.
            g2(None, lambda: raw_user_exception(router, "destroySession",
                                                "::Glacier2::SessionNotExistException"),
               "destroySession without a session", "destroySession", 0,
               "g2_reply_destroy_session_not_exist" + sfx)
            g2(None, lambda: router.createSession("carol", "good"),
               "createSession rejected by the session manager", "createSession", 0,
               "g2_reply_create_session_cannot" + sfx)
            g2("g2_request_create_session" + sfx, lambda: router.createSession("alice", "good"),
               "createSession accepted", "createSession", 0, "g2_reply_create_session_ok" + sfx)
            # glacier2router closes a connection without a session on any
            # Ice::Router operation, so these come after createSession.
            g2("g2_request_get_client_proxy" + sfx, lambda: router.getClientProxy(),
               "getClientProxy (nonmutating)", "getClientProxy", 1, "g2_reply_get_client_proxy" + sfx)
            g2("g2_request_get_category" + sfx, lambda: router.getCategoryForClient(),
               "getCategoryForClient", "getCategoryForClient", 1, "g2_reply_get_category" + sfx)
            g2("g2_request_get_server_proxy" + sfx, lambda: router.getServerProxy(),
               "getServerProxy", "getServerProxy", 1, "g2_reply_get_server_proxy" + sfx)
            g2(None, lambda: router.getSessionTimeout(), "getSessionTimeout", "getSessionTimeout", 1,
               "g2_reply_get_session_timeout" + sfx)
            g2(None, lambda: router.getACMTimeout(), "getACMTimeout", "getACMTimeout", 1,
               "g2_reply_get_acm_timeout" + sfx)
            back = client.stringToProxy(backend_str)
            g2("g2_request_add_proxies" + sfx, lambda: router.addProxies([back]),
               "addProxies with one proxy", "addProxies", 2, "g2_reply_add_proxies" + sfx)

            # A request routed to the backend, with the tee on both sides.
            echo = FloeCapture.BackendPrx.uncheckedCast(back.ice_router(router))
            echo.ice_ping()
            bm = btee.mark()
            _, req, rep = st.twoway(None, lambda: echo.echo("routed", {"k": "v"}),
                                    "request routed through glacier2router", "g2_reply_routed" + sfx,
                                    op="echo")
            cur = [c for c in RECORDER.currents if c["operation"] == "echo"][-1]
            exp = dict(cur)
            exp["requestId"] = teemod.request_head(req)[0]
            # The client sent a context; glacier2router (ForwardContext=0)
            # drops it, so the backend's Current shows none.
            exp["context"] = {"k": "v"}
            out.message("g2_request_routed" + sfx, req, "glacier2router",
                        "request to a backend, sent to the router", exp)
            fwd = [x for x in btee.since(bm) if x.type == 0 and teemod.request_head(x)[4] == "echo"]
            out.message("g2_forwarded_request" + sfx, fwd[-1], "python",
                        "the same request as glacier2router forwards it to the backend", cur)

            if enc == "1.1":
                # A callback: backend -> router server endpoints -> client.
                cb_adapter = client.createObjectAdapterWithRouter("Callback" + sfx, router)
                cb_adapter.activate()
                cat = router.getCategoryForClient()
                cbprx = cb_adapter.add(CallbackI(), Ice.Identity("cb", cat))
                m = rtee.mark()
                echo.callback(cbprx)
                msgs = rtee.wait(lambda a: any(x.type == 2 and x.direction == teemod.C2S
                                               for x in a[m:]))[m:]
                cbreq = [x for x in msgs if x.type == 0 and x.direction == teemod.S2C][0]
                cbrep = [x for x in msgs if x.type == 2 and x.direction == teemod.C2S][0]
                cur = [c for c in RECORDER.currents if c["operation"] == "call"][-1]
                out.message("g2_callback_request", cbreq, "glacier2router",
                            "callback request glacier2router sends on the client's connection", cur)
                out.message("g2_callback_reply", cbrep, "glacier2router",
                            "the client's reply to the callback",
                            {"requestId": cur["requestId"], "status": 0,
                             "result": echo_servant.callback_result})

            g2(None, lambda: router.refreshSession(), "refreshSession", "refreshSession", 0,
               "g2_reply_refresh_session" + sfx)
            g2(None, lambda: router.destroySession(), "destroySession", "destroySession", 0,
               "g2_reply_destroy_session" + sfx)
        for t in tees:
            if t.errors:
                raise RuntimeError(t.errors)
    finally:
        for c in clients:
            c.destroy()
        if proc:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        backend.destroy()
        for t in tees:
            t.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    out = Output()
    capture_values(out)
    capture_direct(out)
    capture_glacier2(out)
    out.finish()
    print("wrote %d value fixtures and %d wire fixtures under %s"
          % (len(out.values), len(out.wire), TESTDATA))


if __name__ == "__main__":
    main()
