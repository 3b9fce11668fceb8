#!/usr/bin/python3
"""Interop test backend: hosts two FloeTest::Hello objects, hello-<name> and
other-<name>, on tcp -h 127.0.0.1 (port chosen by the OS), prints
`READY <proxy of hello-<name>>` and serves until killed. Several instances
with different --name values act as separate backends."""

import threading

import Ice

import common
import FloeTest


class Notes:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, s):
        with self.lock:
            self.items.append(s)

    def all(self):
        with self.lock:
            return list(self.items)


class HelloI(FloeTest.Hello):
    def __init__(self, notes, other):
        self.notes_ = notes
        self.other_ = other  # identity of the second object

    def sayHello(self, name, current):
        return "Hello %s from %s" % (name, current.id.name)

    def echo(self, data, current):
        return data

    def note(self, s, current):
        self.notes_.add(s)

    def notes(self, current):
        return self.notes_.all()

    def fail(self, reason, current):
        raise FloeTest.TestError(reason, 42)

    def connection(self, current):
        return current.con.toString() if current.con else ""

    def other(self, current):
        return FloeTest.HelloPrx.uncheckedCast(current.adapter.createProxy(self.other_))

    def callBack(self, cb, count, oneway, current):
        if cb is None:
            raise FloeTest.TestError("callBack: null callback proxy", 1)
        target = cb.ice_oneway() if oneway else cb
        results = [""] * count
        errors = []

        def call(i):
            try:
                if oneway:
                    target.notify("notify-%d" % i)
                else:
                    results[i] = target.call("call-%d" % i)
            except Ice.Exception as e:
                errors.append("call %d: %s %s" % (i, e.ice_id(), e))

        threads = [threading.Thread(target=call, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        if errors:
            raise FloeTest.TestError("callBack failed: " + "; ".join(sorted(errors)), 1)
        return [] if oneway else results

    def shutdown(self, current):
        current.adapter.getCommunicator().shutdown()


def main():
    def options(p):
        p.add_argument("--name", default="A", help="names the objects hello-NAME and other-NAME")
        p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
        p.add_argument("--category", default="", help="the identity category of both objects")
        p.add_argument("--adapter-id", help="registers the adapter with Ice.Default.Locator under this id")
        p.add_argument("--well-known", action="store_true",
                       help="also registers hello-NAME as a well-known object with the IceGrid registry")

    args, ice_args = common.parse(__doc__, options)
    defaults = {"Ice.Default.InvocationTimeout": "10000"}
    if args.adapter_id:
        defaults["Hello.AdapterId"] = args.adapter_id
    with common.communicator(ice_args, defaults) as communicator:
        adapter = communicator.createObjectAdapterWithEndpoints("Hello", "tcp -h \"%s\"" % args.host)
        notes = Notes()
        hello_id = Ice.Identity("hello-" + args.name, args.category)
        other_id = Ice.Identity("other-" + args.name, args.category)
        hello = adapter.add(HelloI(notes, other_id), hello_id)
        adapter.add(HelloI(notes, hello_id), other_id)
        adapter.activate()
        if args.well_known:
            register_well_known(communicator, hello)
        common.serve(communicator, "READY " + communicator.proxyToString(hello))


def register_well_known(communicator, proxy):
    """Adds proxy to the IceGrid registry's well-known objects through an
    admin session (the test registry accepts any admin)."""
    import IceGrid
    locator = communicator.getDefaultLocator()
    instance = locator.ice_getIdentity().category
    registry = IceGrid.RegistryPrx.checkedCast(
        communicator.stringToProxy(instance + "/Registry").ice_locator(locator))
    session = registry.createAdminSession("floe-test", "any")
    try:
        session.getAdmin().addObjectWithType(proxy, "::FloeTest::Hello")
    finally:
        session.destroy()


if __name__ == "__main__":
    main()
