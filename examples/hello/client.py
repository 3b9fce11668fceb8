#!/usr/bin/python3
"""The demo's client: an ordinary Ice client whose default router is floe."""
import sys
import threading
import Ice
import Glacier2

Ice.loadSlice(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].endswith(".ice") else "Hello.ice")
import Demo  # noqa: E402


class CallbackI(Demo.Callback):
    def __init__(self, expected):
        self.got = []
        self.expected = expected
        self.done = threading.Event()

    def message(self, text, current):
        print("client received:", text, flush=True)
        self.got.append(text)
        if len(self.got) == self.expected:
            self.done.set()


def main():
    props = Ice.createProperties(sys.argv)
    props.parseCommandLineOptions("Hello", sys.argv)
    props.setProperty("Ice.Default.Router", props.getPropertyWithDefault(
        "Hello.Router", "DemoGlacier2/router:tcp -h 127.0.0.1 -p 4063"))
    init = Ice.InitializationData()
    init.properties = props
    with Ice.initialize(init) as communicator:
        router = Glacier2.RouterPrx.checkedCast(communicator.getDefaultRouter())
        router.createSession("demo", "any password")
        print("session created; callback category:", router.getCategoryForClient(), flush=True)

        hello = Demo.HelloPrx.uncheckedCast(communicator.stringToProxy(
            props.getPropertyWithDefault("Hello.Proxy", "hello:tcp -h 127.0.0.1 -p 10000")))
        print(hello.sayHello("floe user"), flush=True)

        # Callbacks: an adapter that receives through the router, with the
        # identity category the router assigned to this session.
        adapter = communicator.createObjectAdapterWithRouter("", router)
        cb = CallbackI(expected=3)
        ident = Ice.Identity("callback", router.getCategoryForClient())
        cbPrx = Demo.CallbackPrx.uncheckedCast(adapter.add(cb, ident))
        adapter.activate()
        hello.greetMe(cbPrx, 3)
        if not cb.done.wait(10):
            print("callbacks missing: got %d of 3" % len(cb.got), file=sys.stderr)
            return 1

        router.destroySession()
        print("session destroyed; bye", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
