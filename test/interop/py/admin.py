#!/usr/bin/python3
"""Interop test admin tool: talks to a router's Ice admin object as Ice's
own admin tools do (the Process and Properties facets), without a router,
and prints one line `RESULT <json>` mapping each step to its outcome."""

import json

import Ice

import common


def main():
    def options(p):
        p.add_argument("--admin", required=True, help="the admin object's proxy, without facet")
        p.add_argument("--shutdown", action="store_true", help="finish with Process.shutdown")

    args, ice_args = common.parse(__doc__, options)
    result = {}

    def step(name, fn):
        try:
            result[name] = {"value": fn()}
        except Ice.Exception as e:
            result[name] = {"error": {"id": e.ice_id(), "text": str(e).strip()}}

    with common.communicator(ice_args, {"Ice.RetryIntervals": "-1", "Ice.Default.InvocationTimeout": "10000"}) as com:
        admin = com.stringToProxy(args.admin)
        props = Ice.PropertiesAdminPrx.uncheckedCast(admin, "Properties")
        process = Ice.ProcessPrx.uncheckedCast(admin, "Process")
        step("propertiesIsA", lambda: props.ice_isA("::Ice::PropertiesAdmin"))
        step("instanceName", lambda: props.getProperty("Glacier2.InstanceName"))
        step("missing", lambda: props.getProperty("No.Such.Property"))
        step("clientPrefix", lambda: sorted(props.getPropertiesForPrefix("Glacier2.Client").keys()))
        step("setProperties", lambda: props.setProperties({"Test.Added": "yes"}))
        step("added", lambda: props.getProperty("Test.Added"))
        step("noFacet", lambda: Ice.ProcessPrx.uncheckedCast(admin, "NoSuchFacet").ice_ping())
        step("writeMessage", lambda: process.writeMessage("hello from the admin test", 1))
        if args.shutdown:
            step("shutdown", process.shutdown)
    common.say("RESULT " + json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
