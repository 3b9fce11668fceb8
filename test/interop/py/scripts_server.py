#!/usr/bin/python3
"""Lua script interop test backend: hosts the FloeScripts::Probe object
probe-<name> on tcp -h 127.0.0.1 (port chosen by the OS), prints
`READY <proxy>` and serves until killed."""

import Ice

import common
import FloeScripts


class ProbeI(FloeScripts.Probe):
    def context(self, current):
        return dict(current.ctx)

    def echo(self, s, current):
        return s

    def remove(self, current):
        pass


def main():
    def options(p):
        p.add_argument("--name", default="A")

    args, ice_args = common.parse(__doc__, options)
    with common.communicator(ice_args) as communicator:
        adapter = communicator.createObjectAdapterWithEndpoints("Probe", "tcp -h 127.0.0.1")
        probe = adapter.add(ProbeI(), Ice.Identity("probe-" + args.name, ""))
        adapter.activate()
        common.serve(communicator, "READY " + communicator.proxyToString(probe))


if __name__ == "__main__":
    main()
