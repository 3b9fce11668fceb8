#!/usr/bin/python3
"""The demo's private Ice server: hosts `hello` and calls clients back."""
import sys
import Ice

Ice.loadSlice(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1].endswith(".ice") else "Hello.ice")
import Demo  # noqa: E402


class HelloI(Demo.Hello):
    def sayHello(self, name, current):
        return "Hello, %s! (from the private server, via floe)" % name

    def greetMe(self, cb, count, current):
        for i in range(count):
            cb.message("callback %d of %d from the server" % (i + 1, count))


def main():
    props = Ice.createProperties(sys.argv)
    props.parseCommandLineOptions("Hello", sys.argv)
    init = Ice.InitializationData()
    init.properties = props
    with Ice.initialize(init) as communicator:
        endpoints = props.getPropertyWithDefault("Hello.Endpoints", "tcp -h 127.0.0.1 -p 10000")
        adapter = communicator.createObjectAdapterWithEndpoints("Hello", endpoints)
        adapter.add(HelloI(), Ice.stringToIdentity("hello"))
        adapter.activate()
        print("server ready:", adapter.createProxy(Ice.stringToIdentity("hello")), flush=True)
        communicator.waitForShutdown()


if __name__ == "__main__":
    main()
