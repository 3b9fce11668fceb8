#!/usr/bin/python3
"""Lua script interop test client: creates a session through the router,
then makes each --call in order on the FloeScripts::Probe --probe, and
prints one line `RESULT <json>` as client.py does: each call's outcome under
its name, and its duration in milliseconds under NAME.ms.

A call is NAME=OPERATION[,KEY=VALUE...]: the operation (context, echo or
remove) with the KEY=VALUE entries as the request context. --repeat N makes
each call N times, named NAME.1 ... NAME.N, --pause milliseconds apart.
"""

import json
import time

import Ice

import common
from common import Glacier2
import FloeScripts

DEFAULTS = {
    "Ice.RetryIntervals": "-1",
    "Ice.Default.InvocationTimeout": "10000",
    "Ice.Warn.Connections": "0",
}


def describe(e):
    d = {"id": e.ice_id(), "text": str(e).strip()}
    for member in ("reason", "unknown"):
        value = getattr(e, member, None)
        if value is not None:
            d[member] = value
    return d


def main():
    def options(p):
        p.add_argument("--router", required=True)
        p.add_argument("--probe", required=True)
        p.add_argument("--user", default="alice")
        p.add_argument("--repeat", type=int, default=1)
        p.add_argument("--call", action="append", default=[])
        p.add_argument("--pause", type=float, default=0, help="milliseconds between calls")

    args, ice_args = common.parse(__doc__, options)
    result = {}
    props = dict(DEFAULTS, **{"Ice.Default.Router": args.router})
    with common.communicator(ice_args, props) as communicator:
        try:
            router = Glacier2.RouterPrx.checkedCast(communicator.getDefaultRouter())
            router.createSession(args.user, "secret")
            result["session"] = {"value": True}
        except Ice.Exception as e:
            result["session"] = {"error": describe(e)}
            common.say("RESULT " + json.dumps(result, sort_keys=True))
            return
        probe = FloeScripts.ProbePrx.uncheckedCast(communicator.stringToProxy(args.probe))
        for spec in args.call:
            name, _, rest = spec.partition("=")
            parts = rest.split(",")
            operation, ctx = parts[0], dict(p.split("=", 1) for p in parts[1:])
            for i in range(1, args.repeat + 1):
                step = name if args.repeat == 1 else "%s.%d" % (name, i)
                start = time.monotonic()
                try:
                    if operation == "context":
                        value = probe.context(ctx)
                    elif operation == "echo":
                        value = probe.echo(step, ctx)
                    else:
                        value = probe.remove(ctx)
                    result[step] = {"value": value}
                except Ice.Exception as e:
                    result[step] = {"error": describe(e)}
                result[step + ".ms"] = {"value": (time.monotonic() - start) * 1000}
                if args.pause:
                    time.sleep(args.pause / 1000)
    common.say("RESULT " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
