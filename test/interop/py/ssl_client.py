#!/usr/bin/python3
"""Interop test client for sessions created from secure connections: the
scenarios of client.py (options, RESULT line) plus `secure`, which asks the
router for a session with createSessionFromSecureConnection and makes a
routed call, and `secure-idle`, which does the same around a pause. The IceSSL settings (certificate or none, CAs) come as Ice
arguments; --router names the endpoint to use, ssl or tcp.
"""

import json
import os
import time

import client
import FloeTest  # noqa: F401 (client.py's proxies need the generated module loaded)
from common import Glacier2


def scenario_secure(c):
    """createSessionFromSecureConnection, then a routed twoway call."""
    com = c.communicator()
    router = c.step("router", lambda: Glacier2.RouterPrx.checkedCast(com.getDefaultRouter()))
    c.step("createSession", router.createSessionFromSecureConnection)
    c.step("sayHello", lambda: c.hello(com).sayHello("secure client"))
    c.step("destroySession", router.destroySession)


def scenario_secure_context(c):
    """createSessionFromSecureConnection, then calls to a Hello that returns
    the context it receives: without a context of the client's, and with
    one naming another address."""
    com = c.communicator()
    router = c.step("router", lambda: Glacier2.RouterPrx.checkedCast(com.getDefaultRouter()))
    c.step("createSession", router.createSessionFromSecureConnection)
    hello = c.hello(com)
    c.step("plain", lambda: json.loads(hello.sayHello("x")))
    c.step("spoofed", lambda: json.loads(hello.sayHello("x", {"a": "1", "_con.remoteAddress": "6.6.6.6"})))


def scenario_secure_idle(c):
    """createSessionFromSecureConnection and a call, --idle seconds without
    calls (long enough for floe to park the connection's reader), then a
    call and an echo of --size bytes, many TLS records."""
    com = c.communicator()
    router = c.step("router", lambda: Glacier2.RouterPrx.checkedCast(com.getDefaultRouter()))
    c.step("createSession", router.createSessionFromSecureConnection)
    hello = c.hello(com)
    c.step("sayHello", lambda: hello.sayHello("secure client"))
    time.sleep(c.args.idle)
    c.step("sayHelloAfterIdle", lambda: hello.sayHello("secure client"))
    data = os.urandom(c.args.size)
    got = c.step("echo", lambda: hello.echo(data), show=len)
    c.record("echoed", {"sent": len(data), "received": len(got), "equal": bytes(got) == data})
    c.step("destroySession", router.destroySession)


client.SCENARIOS["secure"] = scenario_secure
client.SCENARIOS["secure-idle"] = scenario_secure_idle
client.SCENARIOS["secure-context"] = scenario_secure_context

if __name__ == "__main__":
    client.main()
