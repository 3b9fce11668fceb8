"""Helpers shared by the interop test programs.

The programs run with /usr/bin/python3 and the real Ice 3.7 runtime. The
generated FloeTest module (slice2py of ../slice/Test.ice) is found through
PYTHONPATH, which the Go harness sets. Ice properties come from the command
line (--Ice.MessageSizeMax=4096 ...), after the program's own options.
Import Glacier2 from here (`from common import Glacier2`), never directly:
see _import_glacier2.
"""

import argparse
import gc

import Ice


def _import_glacier2():
    """Imports Glacier2 and keeps its Slice SessionNotExistException alive.

    Glacier2/__init__.py (Ice 3.7.8) replaces the Slice-generated class
    Glacier2.SessionNotExistException with a plain Python class of the same
    name (for its SessionHelper). The Slice class is then reachable only
    through reference cycles, while IcePy keeps a borrowed pointer to it to
    unmarshal ::Glacier2::SessionNotExistException. Once the garbage collector
    frees it, receiving that exception (a second destroySession) crashes the
    process or fails with "A proxy cannot be created directly". Pinning the
    class before the collector can run avoids that.
    """
    gc.disable()
    try:
        import Glacier2
        _pinned.extend(o for o in gc.get_objects()
                       if isinstance(o, type) and issubclass(o, Ice.UserException)
                       and getattr(o, "_ice_id", "") == "::Glacier2::SessionNotExistException")
    finally:
        gc.enable()
    return Glacier2


_pinned = []
Glacier2 = _import_glacier2()


def parse(description, add_options):
    """Parses the program's own options and returns (options, Ice args)."""
    parser = argparse.ArgumentParser(description=description)
    add_options(parser)
    return parser.parse_known_args()


def communicator(ice_args, defaults=None):
    """Creates a communicator from defaults overridden by --Ice.* arguments."""
    props = Ice.createProperties()
    for key, value in (defaults or {}).items():
        props.setProperty(key, value)
    init = Ice.InitializationData()
    init.properties = Ice.createProperties(list(ice_args), props)
    return Ice.initialize(init)


def say(*words):
    """Prints one line to stdout at once: the harness waits for these lines."""
    print(*words, flush=True)


def serve(communicator, ready_line):
    """Announces readiness and serves until the communicator shuts down or
    the process is killed."""
    say(ready_line)
    communicator.waitForShutdown()
