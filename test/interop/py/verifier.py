#!/usr/bin/python3
"""Interop test Glacier2 permissions verifier and, with --session-manager,
session manager.

The verifier accepts a user whose password is "secret" and refuses anyone
else with the reason `wrong password for <user>`. The session manager creates
a Glacier2::Session object per user, hosted here, and prints
`SESSION-CREATED <user>` and, each time the session's destroy is called,
`SESSION-DESTROYED <user>`. With --session-manager the proxy of the manager is
printed first as `SESSIONMANAGER <proxy>`; last comes `READY <verifier proxy>`.
"""

import Ice

import common
from common import Glacier2


class VerifierI(Glacier2.PermissionsVerifier):
    def checkPermissions(self, userId, password, current):
        if password == "secret":
            return (True, "")
        return (False, "wrong password for %s" % userId)


class SessionI(Glacier2.Session):
    def __init__(self, user):
        self.user = user

    def destroy(self, current):
        common.say("SESSION-DESTROYED", self.user)


class SessionManagerI(Glacier2.SessionManager):
    def __init__(self, accept_identity=None):
        self.accept_identity = accept_identity

    def create(self, userId, control, current):
        if self.accept_identity:
            # Edit the new session's filters through its SessionControl, as
            # session managers do.
            if control is None:
                raise Glacier2.CannotCreateSessionException("no SessionControl")
            control.identities().add([Ice.stringToIdentity(self.accept_identity)])
            common.say("SESSION-TIMEOUT", control.getSessionTimeout())
            common.say("SESSION-IDENTITIES", [Ice.identityToString(i) for i in control.identities().get()])
        session = current.adapter.addWithUUID(SessionI(userId))
        common.say("SESSION-CREATED", userId)
        return Glacier2.SessionPrx.uncheckedCast(session)


def main():
    def options(p):
        p.add_argument("--session-manager", action="store_true", help="also host a session manager")
        p.add_argument("--accept-identity", help="the session manager admits only this identity, with SessionControl")

    args, ice_args = common.parse(__doc__, options)
    with common.communicator(ice_args) as communicator:
        adapter = communicator.createObjectAdapterWithEndpoints("Verifier", "tcp -h 127.0.0.1")
        verifier = adapter.add(VerifierI(), Ice.Identity("verifier", ""))
        if args.session_manager:
            manager = adapter.add(SessionManagerI(args.accept_identity), Ice.Identity("sessionmanager", ""))
        adapter.activate()
        if args.session_manager:
            common.say("SESSIONMANAGER " + communicator.proxyToString(manager))
        common.serve(communicator, "READY " + communicator.proxyToString(verifier))


if __name__ == "__main__":
    main()
