#!/usr/bin/python3
"""Address filter probe: asks a Glacier2-compatible router to accept proxies.

For each proxy given with --proxy (in order), the program opens a new
connection to the router (a new communicator), creates a session, and calls
Router::addProxies with that one proxy. A new session each time, because a
router that rejects a proxy closes the client's connection.

It prints one line `RESULT <json>`, in client.py's form: the JSON object maps
the index of each proxy ("0", "1", ...) to {"value": <the evicted proxies>}
when addProxies returned, or {"error": {"id": ice_id(), "text": ...}} when it
raised. A proxy string the client cannot parse is reported under its index
with the id "parse". After an InvocationTimeoutException the router is stuck
(glacier2router's address matcher can loop forever), so the remaining
proxies are not tried and are missing from the result.

The exit status is non-zero only for harness errors (bad options, a Python
error); what the router does is reported in the JSON.
"""

import json
import sys

import Ice

import common
from common import Glacier2

# Retries off, so each exception is what the router did; a short invocation
# timeout, so a router that never answers is noticed.
DEFAULTS = {
    "Ice.RetryIntervals": "-1",
    "Ice.Default.InvocationTimeout": "5000",
    "Ice.Warn.Connections": "0",
    # ssl and wss endpoints in the proxies to add need the IceSSL transport
    # (no certificate: the client never connects with it).
    "Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
}


def describe(e, step):
    d = {"id": e.ice_id(), "text": str(e).strip()}
    if step != "addProxies":
        d["id"] = step + ": " + d["id"]
    unknown = getattr(e, "unknown", None)
    if unknown is not None:
        d["unknown"] = unknown
    return d


def add_one(args, ice_args, proxy):
    """Returns the outcome of addProxies([proxy]) on a new session, and
    whether the router answered."""
    c = common.communicator(ice_args, dict(DEFAULTS, **{"Ice.Default.Router": args.router}))
    router = Glacier2.RouterPrx.uncheckedCast(c.getDefaultRouter())
    step = "createSession"
    try:
        prx = c.stringToProxy(proxy)
        router.createSession(args.user, "password")
        step = "addProxies"
        evicted = router.addProxies([prx])
        return {"value": [str(p) for p in evicted]}, True
    except Ice.InvocationTimeoutException as e:
        # The router does not answer, and would not answer a graceful close
        # either: drop the connection so that destroy does not wait for it.
        try:
            router.ice_getConnection().close(Ice.ConnectionClose.Forcefully)
        except Ice.Exception:
            pass  # not even connected
        return {"error": describe(e, step)}, False
    except (Ice.ProxyParseException, Ice.EndpointParseException, Ice.IdentityParseException) as e:
        return {"error": {"id": "parse", "text": str(e).strip()}}, True
    except Ice.Exception as e:
        return {"error": describe(e, step)}, True
    finally:
        c.destroy()


def main():
    def options(p):
        p.add_argument("--router", required=True, help="the router's proxy")
        p.add_argument("--user", default="alice")
        p.add_argument("--proxy", action="append", default=[], help="a proxy to add (repeatable)")
    args, ice_args = common.parse(__doc__, options)
    result = {}
    for i, proxy in enumerate(args.proxy):
        outcome, answered = add_one(args, ice_args, proxy)
        result[str(i)] = outcome
        if not answered:
            break
    common.say("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
