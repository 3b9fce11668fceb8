#!/usr/bin/python3
"""Interop test client: performs one scenario through a Glacier2-compatible
router with the real Ice runtime and prints one line `RESULT <json>`.

The JSON object maps each step of the scenario to its outcome:
{"value": ...} when it returned, or {"error": {"id": ice_id(), "text": ...,
and the exception's reason / code / unknown members when it has them}} when
it raised an Ice exception. A step whose failure leaves the rest of the
scenario meaningless ends it there; the result still lists what happened.
Interactive scenarios print `PAUSE <what>` and wait for a line on stdin while
the harness acts (for example kills a backend).

The exit status is non-zero only for harness errors (bad options, a Python
error); what the router does, however wrong, is reported in the JSON.
"""

import json
import os
import sys
import threading
import time

import Ice

import common
from common import Glacier2
import FloeTest

# Client properties, overridable with --Ice.* arguments. Retries are off, as
# Glacier2 clients are told to run, so each exception is what the router did.
DEFAULTS = {
    "Ice.RetryIntervals": "-1",
    "Ice.Default.InvocationTimeout": "10000",
    "Ice.ThreadPool.Client.Size": "4",
    "Ice.Warn.Connections": "0",
}


class Stop(Exception):
    """A step failed and the steps after it cannot run."""


def describe(e):
    d = {"id": e.ice_id(), "text": str(e).strip()}
    for member in ("reason", "code", "unknown"):
        value = getattr(e, member, None)
        if value is not None:
            d[member] = value
    return d


def jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, Ice.ObjectPrx):
        return str(v)
    if isinstance(v, Ice.Identity):
        return Ice.identityToString(v)
    raise TypeError("step returned %r, which has no JSON form" % (v,))


class Client:
    def __init__(self, args, ice_args):
        self.args = args
        self.ice_args = ice_args
        self.result = {}
        self.communicators = []

    def communicator(self):
        """A new communicator, i.e. a new connection to the router."""
        c = common.communicator(self.ice_args, dict(DEFAULTS, **{"Ice.Default.Router": self.args.router}))
        self.communicators.append(c)
        return c

    def step(self, name, fn, stop=True, show=None):
        """Runs fn, records its outcome under name and returns its value. An
        Ice exception is recorded and, with stop, ends the scenario. show
        turns the value into what is recorded (the value itself by default)."""
        try:
            value = fn()
        except Ice.Exception as e:
            self.result[name] = {"error": describe(e)}
            if stop:
                raise Stop()
            return None
        self.record(name, show(value) if show else value)
        return value

    def record(self, name, value):
        self.result[name] = {"value": jsonable(value)}

    def session(self, communicator, user=None, prefix=""):
        """Creates a session for user (--user by default) with --password on
        the router of communicator; returns the router and the session."""
        user = self.args.user if user is None else user
        router = self.step(prefix + "router", lambda: Glacier2.RouterPrx.checkedCast(communicator.getDefaultRouter()))
        session = self.step(prefix + "createSession", lambda: router.createSession(user, self.args.password))
        return router, session

    def hello(self, communicator, proxy=None):
        return FloeTest.HelloPrx.uncheckedCast(communicator.stringToProxy(proxy or self.args.hello))

    def destroy(self):
        for c in self.communicators:
            try:
                c.destroy()
            except Ice.Exception:
                pass


def poll(fn, done, seconds=5.0):
    """Calls fn until done(value) or the time is up; returns the last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = fn()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# Scenarios. Each takes the Client and fills its result.

def scenario_session(c):
    """createSession, the router's session queries, and a routed twoway call."""
    com = c.communicator()
    router, _ = c.session(com)
    c.step("category", router.getCategoryForClient)
    c.step("sessionTimeout", router.getSessionTimeout)
    c.step("acmTimeout", router.getACMTimeout)
    c.step("sayHello", lambda: c.hello(com).sayHello(c.args.user))


def scenario_echo(c):
    com = c.communicator()
    c.session(com)
    data = os.urandom(c.args.size)
    got = c.step("echo", lambda: c.hello(com).echo(data), show=len)
    c.record("echoed", {"sent": len(data), "received": len(got), "equal": bytes(got) == data})


def scenario_oneway(c):
    """count oneway notes, then count batch oneway notes flushed at once."""
    com = c.communicator()
    c.session(com)
    hello = c.hello(com)
    expected = ["oneway-%d" % i for i in range(c.args.count)] + ["batch-%d" % i for i in range(c.args.count)]

    def send():
        oneway = hello.ice_oneway()
        for i in range(c.args.count):
            oneway.note("oneway-%d" % i)
        batch = hello.ice_batchOneway()
        for i in range(c.args.count):
            batch.note("batch-%d" % i)
        batch.ice_flushBatchRequests()

    c.step("send", send)
    c.step("notes", lambda: poll(hello.notes, lambda notes: len(notes) >= len(expected)))


def scenario_override(c):
    """count oneway notes sent at once, each with the same _ovrd context
    value, then one without: with a sleep time the router sends the first,
    replaces the queued ones by the newest, and sends the last two."""
    com = c.communicator()
    c.session(com)
    hello = c.hello(com)

    def send():
        oneway = hello.ice_oneway()
        for i in range(c.args.count):
            oneway.note("position-%d" % i, {"_ovrd": "position"})
        oneway.note("done")

    c.step("send", send)
    c.step("notes", lambda: poll(hello.notes, lambda notes: "done" in notes, seconds=10))


def scenario_connections(c):
    """count twoway calls that ask which backend connection they came on, a oneway note after each."""
    com = c.communicator()
    c.session(com)
    hello = c.hello(com)
    seen = []
    for i in range(c.args.count):
        seen.append(c.step("connection-%d" % i, hello.connection))
        hello.ice_oneway().note("between-%d" % i)
    c.record("connections", seen)


def scenario_exception(c):
    com = c.communicator()
    c.session(com)
    c.step("fail", lambda: c.hello(com).fail("boom"), stop=False)


def scenario_other(c):
    """A proxy that the server returns is usable through the router."""
    com = c.communicator()
    c.session(com)
    other = c.step("other", c.hello(com).other)
    c.step("otherSayHello", lambda: other.sayHello(c.args.user))


class CallbackI(FloeTest.Callback):
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []
        self.notified = []
        self.active = 0
        self.max_active = 0

    def call(self, msg, current):
        with self.lock:
            self.calls.append(msg)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        # Later calls return first, so replies cross on the connection.
        index = int(msg.rsplit("-", 1)[-1])
        time.sleep(max(0.0, 0.3 - 0.1 * index))
        with self.lock:
            self.active -= 1
        return "re:" + msg

    def notify(self, msg, current):
        with self.lock:
            self.notified.append(msg)


def scenario_callback(c):
    """The server calls back the client through the router, twoway then
    oneway, count calls at a time."""
    com = c.communicator()
    router, _ = c.session(com)
    category = c.step("category", router.getCategoryForClient)
    servant = CallbackI()

    def adapter():
        a = com.createObjectAdapterWithRouter("", router)
        proxy = a.add(servant, Ice.Identity("callback", category))
        a.activate()
        return FloeTest.CallbackPrx.uncheckedCast(proxy)

    cb = c.step("callbackProxy", adapter)
    hello = c.hello(com)
    c.step("twoway", lambda: hello.callBack(cb, c.args.count, False))
    c.step("oneway", lambda: hello.callBack(cb, c.args.count, True))
    poll(lambda: len(servant.notified), lambda n: n >= c.args.count)
    with servant.lock:
        c.record("called", sorted(servant.calls))
        c.record("notified", sorted(servant.notified))
        c.record("maxConcurrentCalls", servant.max_active)


def scenario_nosession(c):
    """A routed request on a connection without a session."""
    com = c.communicator()
    c.step("sayHello", lambda: c.hello(com).sayHello(c.args.user), stop=False)


def scenario_destroy(c):
    com = c.communicator()
    router, _ = c.session(com)
    c.step("destroySession", router.destroySession, stop=False)
    c.step("destroySessionAgain", router.destroySession, stop=False)
    c.step("sayHelloAfterDestroy", lambda: c.hello(com).sayHello(c.args.user), stop=False)


def scenario_idle(c):
    """Two sessions: "active" calls every 0.25 s from the moment it exists;
    "idle" makes one call, stays idle for --idle seconds, then calls again.

    active.maxGap bounds the longest time the router can have gone without a
    request from "active" (from the start of one call to the end of the
    next): on a loaded machine it may exceed the session timeout, and then
    the errors of "active" say nothing about the router."""
    active, idle = c.communicator(), c.communicator()
    previous = [time.monotonic()]
    c.session(active, user="active", prefix="active.")
    active_hello = c.hello(active)
    stop = threading.Event()
    calls, errors, max_gap = [0], [], [0.0]

    def keep_calling():
        while True:
            start = time.monotonic()
            try:
                active_hello.sayHello("active")
                calls[0] += 1
            except Ice.Exception as e:
                errors.append(describe(e))
            max_gap[0] = max(max_gap[0], time.monotonic() - previous[0])
            previous[0] = start
            if stop.wait(0.25):
                return

    t = threading.Thread(target=keep_calling)
    t.start()
    try:
        # The idle session's calls come right after the previous request on
        # its connection, so a slow machine does not expire it early.
        c.session(idle, user="idle", prefix="idle.")
        idle_hello = c.hello(idle)
        c.step("idle.sayHello", lambda: idle_hello.sayHello("idle"))
        time.sleep(c.args.idle)
        c.step("idle.sayHelloAfterIdle", lambda: idle_hello.sayHello("idle"), stop=False)
    finally:
        stop.set()
        t.join()
        c.record("active.calls", calls[0])
        c.record("active.errors", errors)
        c.record("active.maxGap", round(max_gap[0], 3))


def scenario_backend_down(c):
    """Sessions alice and bob use backends --hello and --hello2; the harness
    kills the first backend at the PAUSE; then both call again."""
    alice, bob = c.communicator(), c.communicator()
    c.session(alice, user="alice", prefix="alice.")
    c.session(bob, user="bob", prefix="bob.")
    alice_down, alice_up = c.hello(alice), c.hello(alice, c.args.hello2)
    bob_down, bob_up = c.hello(bob), c.hello(bob, c.args.hello2)
    c.step("alice.before.down", lambda: alice_down.sayHello("alice"))
    c.step("alice.before.up", lambda: alice_up.sayHello("alice"))
    c.step("bob.before.down", lambda: bob_down.sayHello("bob"))
    c.step("bob.before.up", lambda: bob_up.sayHello("bob"))
    common.say("PAUSE kill the backend of --hello")
    if sys.stdin.readline() == "":
        raise RuntimeError("stdin closed at PAUSE")
    c.step("alice.after.down", lambda: alice_down.sayHello("alice"), stop=False)
    c.step("alice.after.up", lambda: alice_up.sayHello("alice"), stop=False)
    c.step("bob.after.up", lambda: bob_up.sayHello("bob"), stop=False)
    c.step("bob.after.down", lambda: bob_down.sayHello("bob"), stop=False)


def scenario_session_manager(c):
    """createSession through a session manager; the session it returns is
    usable through the router."""
    com = c.communicator()
    router, session = c.session(com)
    if session is None:
        return
    c.step("sessionIdentity", session.ice_getIdentity)
    c.step("sessionPing", session.ice_ping)
    c.step("sessionDestroy", session.destroy)
    c.step("destroySession", router.destroySession)


SCENARIOS = {
    "session": scenario_session,
    "echo": scenario_echo,
    "oneway": scenario_oneway,
    "override": scenario_override,
    "exception": scenario_exception,
    "connections": scenario_connections,
    "other": scenario_other,
    "callback": scenario_callback,
    "nosession": scenario_nosession,
    "destroy": scenario_destroy,
    "idle": scenario_idle,
    "backend-down": scenario_backend_down,
    "session-manager": scenario_session_manager,
}


def main():
    def options(p):
        p.add_argument("scenario", choices=sorted(SCENARIOS))
        p.add_argument("--router", required=True, help="the router's proxy, e.g. Glacier2/router:tcp -p 4063")
        p.add_argument("--hello", default="", help="the backend's Hello proxy")
        p.add_argument("--hello2", default="", help="a second backend's Hello proxy")
        p.add_argument("--user", default="alice")
        p.add_argument("--password", default="secret")
        p.add_argument("--size", type=int, default=1 << 20, help="echo: payload bytes")
        p.add_argument("--count", type=int, default=3, help="oneway, callback: calls of each kind")
        p.add_argument("--idle", type=float, default=5.0, help="idle: seconds without calls")

    args, ice_args = common.parse(__doc__, options)
    client = Client(args, ice_args)
    try:
        SCENARIOS[args.scenario](client)
    except Stop:
        pass
    finally:
        client.destroy()
    common.say("RESULT " + json.dumps(client.result, sort_keys=True))


if __name__ == "__main__":
    main()
