#!/usr/bin/python3
"""Interop test client for floe's plugins: performs one scenario through the
router with the real Ice runtime and prints `RESULT <json>`, with
client.py's Client (same steps, same result format).

Scenarios:
  login  createSession(--user, --password), then sayHello on --hello if given.
  users  for each of --users (comma-separated), a session of its own that
         calls note(user) then notes() on --hello: users who reach the same
         backend see each other's notes.
  burst  a session; each line on stdin names a step: "call NAME" calls
         sayHello once, "burst NAME SECONDS" calls it every 10 ms for that
         long and records each outcome with its time; "end" finishes.
"""

import json
import sys
import time

import Ice

import common
from client import Client, Stop, describe


def scenario_login(c):
    com = c.communicator()
    c.session(com)
    if c.args.hello:
        c.step("sayHello", lambda: c.hello(com).sayHello(c.args.user), stop=False)


def scenario_users(c):
    for user in c.args.users.split(","):
        com = c.communicator()
        try:
            c.session(com, user=user, prefix=user + ".")
        except Stop:
            continue
        hello = c.hello(com)
        c.step(user + ".note", lambda: hello.note(user), stop=False)
        c.step(user + ".notes", lambda: sorted(hello.notes()), stop=False)
        com.destroy()


def scenario_burst(c):
    com = c.communicator()
    c.session(com)
    hello = c.hello(com)
    common.say("READY")
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "end":
            break
        if words[0] == "call":
            c.step(words[1], lambda: hello.sayHello(c.args.user), stop=False)
        elif words[0] == "burst":
            outcomes = []
            start = time.monotonic()
            common.say("BURSTING")
            while time.monotonic() - start < float(words[2]):
                t = round(time.monotonic() - start, 3)
                try:
                    hello.sayHello(c.args.user)
                    outcomes.append({"t": t, "ok": True})
                except Ice.Exception as e:
                    outcomes.append({"t": t, "ok": False, "error": describe(e)})
                time.sleep(0.01)
            c.record(words[1], outcomes)
        common.say("DONE " + words[1])


SCENARIOS = {"login": scenario_login, "users": scenario_users, "burst": scenario_burst}


def main():
    def options(p):
        p.add_argument("scenario", choices=sorted(SCENARIOS))
        p.add_argument("--router", required=True)
        p.add_argument("--hello", default="")
        p.add_argument("--user", default="alice")
        p.add_argument("--users", default="")
        p.add_argument("--password", default="")

    args, ice_args = common.parse(__doc__, options)
    client = Client(args, ice_args)
    try:
        SCENARIOS[args.scenario](client)
    except Stop:
        pass
    finally:
        client.destroy()
    common.say("RESULT " + json.dumps(client.result, sort_keys=True))


if __name__ == "__main__":
    main()
