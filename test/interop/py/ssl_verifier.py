#!/usr/bin/python3
"""Interop test Glacier2 SSL permissions verifier and, with
--session-manager, SSL session manager.

The verifier prints `AUTHORIZE <json>` with the SSLInfo it was given and the
_con.* entries of the call's context, then accepts a client that presented a
certificate and refuses one that did not, with the reason `no certificate`.
The session manager creates a Glacier2::Session object per client, hosted
here, and prints `SSL-SESSION-CREATED <json>` (the SSLInfo and context
again, and whether it got a SessionControl). With --session-manager the
manager's proxy is printed first as `SSLSESSIONMANAGER <proxy>`; last comes
`READY <verifier proxy>`. Before it, `CONTEXTHELLO <proxy>` names a
FloeTest::Hello whose sayHello returns the request's context as JSON, for
checking what the router adds to forwarded requests.
"""

import json

import Ice

import common
from common import Glacier2
import FloeTest


def describe(info, current):
    return {
        "remoteHost": info.remoteHost,
        "remotePort": info.remotePort,
        "localHost": info.localHost,
        "localPort": info.localPort,
        "cipher": info.cipher,
        "certs": list(info.certs),
        "context": {k: v for k, v in current.ctx.items() if k.startswith("_con.")},
    }


class SSLVerifierI(Glacier2.SSLPermissionsVerifier):
    def authorize(self, info, current):
        common.say("AUTHORIZE " + json.dumps(describe(info, current), sort_keys=True))
        if info.certs:
            return (True, "")
        return (False, "no certificate")


class ContextHelloI(FloeTest.Hello):
    def sayHello(self, name, current):
        return json.dumps(current.ctx, sort_keys=True)


class SessionI(Glacier2.Session):
    def destroy(self, current):
        common.say("SSL-SESSION-DESTROYED")


class SSLSessionManagerI(Glacier2.SSLSessionManager):
    def create(self, info, control, current):
        d = describe(info, current)
        d["control"] = control is not None
        session = current.adapter.addWithUUID(SessionI())
        common.say("SSL-SESSION-CREATED " + json.dumps(d, sort_keys=True))
        return Glacier2.SessionPrx.uncheckedCast(session)


def main():
    def options(p):
        p.add_argument("--session-manager", action="store_true", help="also host an SSL session manager")

    args, ice_args = common.parse(__doc__, options)
    with common.communicator(ice_args) as communicator:
        adapter = communicator.createObjectAdapterWithEndpoints("SSLVerifier", "tcp -h 127.0.0.1")
        verifier = adapter.add(SSLVerifierI(), Ice.Identity("sslverifier", ""))
        if args.session_manager:
            manager = adapter.add(SSLSessionManagerI(), Ice.Identity("sslsessionmanager", ""))
        hello = adapter.add(ContextHelloI(), Ice.Identity("contexthello", ""))
        adapter.activate()
        common.say("CONTEXTHELLO " + communicator.proxyToString(hello))
        if args.session_manager:
            common.say("SSLSESSIONMANAGER " + communicator.proxyToString(manager))
        common.serve(communicator, "READY " + communicator.proxyToString(verifier))


if __name__ == "__main__":
    main()
