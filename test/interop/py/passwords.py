#!/usr/bin/python3
"""Interop test client for password files: tries createSession through a
router once per case, each on its own connection (a connection has at most
one session), and prints one line `RESULT <json>`.

The cases come as one JSON line on stdin, so that passwords may hold any
character, NUL included: [{"name": ..., "user": ..., "password": ...}, ...].
The result maps each name to {"value": null} when createSession returned
(the session is then destroyed), or {"error": {"id": ice_id(), "text": ...,
"reason": ...}} when it raised.
"""

import json
import sys

import Ice

import common
from common import Glacier2

DEFAULTS = {
    "Ice.RetryIntervals": "-1",
    "Ice.Default.InvocationTimeout": "10000",
    "Ice.Warn.Connections": "0",
}


def create_session(router_proxy, ice_args, user, password):
    with common.communicator(ice_args, dict(DEFAULTS, **{"Ice.Default.Router": router_proxy})) as com:
        router = Glacier2.RouterPrx.checkedCast(com.getDefaultRouter())
        try:
            router.createSession(user, password)
        except Ice.Exception as e:
            error = {"id": e.ice_id(), "text": str(e).strip()}
            if getattr(e, "reason", None) is not None:
                error["reason"] = e.reason
            return {"error": error}
        router.destroySession()
        return {"value": None}


def main():
    def options(p):
        p.add_argument("--router", required=True, help="the router's proxy, e.g. Glacier2/router:tcp -p 4063")

    args, ice_args = common.parse(__doc__, options)
    line = sys.stdin.readline()
    if not line:
        raise RuntimeError("no cases on stdin")
    result = {}
    for case in json.loads(line):
        result[case["name"]] = create_session(args.router, ice_args, case["user"], case["password"])
    common.say("RESULT " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
