#!/usr/bin/python3
"""Interop test backend on a WebSocket endpoint: server.py's objects
(hello-<name>, other-<name>), served on ws -h 127.0.0.1 -r /hello instead of
tcp (wss with --wss, given IceSSL properties), so routers are tested dialling
a real Ice server over WebSocket. Prints `READY <proxy of hello-<name>>` like
server.py, whose options it takes.

server.py names its endpoint in code; rather than copy it, this program runs
it with the endpoint of its object adapter replaced.
"""

import sys

import Ice

import server

ENDPOINTS = "ws -h 127.0.0.1 -r /hello"
if "--wss" in sys.argv:
    sys.argv.remove("--wss")
    ENDPOINTS = "wss -h 127.0.0.1 -r /hello"

_create = Ice.CommunicatorI.createObjectAdapterWithEndpoints


def _create_ws(self, name, endpoints):
    return _create(self, name, ENDPOINTS)


Ice.CommunicatorI.createObjectAdapterWithEndpoints = _create_ws

if __name__ == "__main__":
    server.main()
