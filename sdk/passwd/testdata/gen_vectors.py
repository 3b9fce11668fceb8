#!/usr/bin/python3
"""Regenerates vectors.jsonl, the password hash test vectors of sdk/passwd.

Every hash comes from a real tool, never from floe: mkpasswd (Debian package
whois) and `openssl passwd` for the crypt(3) formats, passlib (python3-passlib)
for PBKDF2 and passlib's own sha512-crypt defaults, and libcrypt's crypt(3)
for the hashes no command line writes. For each hash, a list of candidate
passwords is checked by the verifier glacier2router relies on, and its verdict
is recorded: for the crypt(3) formats, libcrypt's crypt(3) called exactly as
Glacier2's CryptPermissionsVerifier calls it on Linux (the setting is the hash
up to its last '$', or its first two characters for DES; the password is a C
string); for PBKDF2, passlib's verify, which computes what Glacier2 does on
macOS and Windows.

Run from anywhere with /usr/bin/python3 (apt-get install whois openssl
python3-passlib); it rewrites vectors.jsonl beside this script. Salts are
random, so the file changes on each run; the tests only need it consistent.
Each line is one JSON object:

  {"tool": "...", "scheme": "sha512-crypt", "rounds": 5000, "hash": "$6$...",
   "checks": [{"password": "...", "ok": true}, ...]}
"""

import ctypes
import ctypes.util
import json
import os
import subprocess
import sys

from passlib import hash as ph

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.jsonl")

libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
libcrypt.crypt.restype = ctypes.c_char_p
libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def crypt3(password, setting):
    """libcrypt's crypt(3): the password as a C string ends at its first NUL,
    which ctypes' c_char_p does too."""
    r = libcrypt.crypt(password.encode(), setting.encode())
    return None if r is None else r.decode()


def glacier2_crypt_verify(stored, password):
    """What Glacier2's CryptPermissionsVerifier does with glibc/libxcrypt."""
    i = stored.rfind("$")
    if i < 0:
        if len(stored) != 13:
            return False
        setting = stored[:2]
    else:
        setting = stored[:i + 1]
    return crypt3(password, setting) == stored


def run(args, password):
    out = subprocess.run(args, input=(password + "\n").encode(), capture_output=True, check=True)
    return out.stdout.decode().strip()


def mkpasswd(method, password, rounds=None, salt=None):
    args = ["mkpasswd", "--stdin", "-m", method]
    if rounds is not None:
        args += ["-R", str(rounds)]
    if salt is not None:
        args += ["-S", salt]
    return " ".join(args), run(args, password)


def openssl(flag, password):
    args = ["openssl", "passwd", flag, "-stdin"]
    return " ".join(args), run(args, password)


PASSWORDS = ["secret1", "", "pass word", "p\u00e4ssw\u00f6rd", "12345678abcdef", "x" * 100]


def candidates(password, slow):
    """The passwords to check against a hash of password."""
    c = [password, password + "x"]
    if slow:
        return c
    if password:
        c += [password[:-1], password[0].swapcase() + password[1:], ""]
    c += [password + "\0junk"]
    if len(password) >= 8:
        c += [password[:8] + "ZZZ"]
    seen = []
    for p in c:
        if p not in seen:
            seen.append(p)
    return seen


records = []


def add(tool, scheme, rounds, stored, password, verify, slow=False, extra=()):
    checks = [{"password": p, "ok": bool(verify(stored, p))} for p in candidates(password, slow) + list(extra)]
    if not checks[0]["ok"]:
        sys.exit("%s: the verifier rejects the right password for %s" % (tool, stored))
    records.append({"tool": tool, "scheme": scheme, "rounds": rounds, "hash": stored, "checks": checks})


# The crypt(3) formats: mkpasswd's method, openssl passwd's flag (none for
# DES, which OpenSSL 3 dropped), the scheme, and its rounds when none are given.
CRYPT_METHODS = [
    ("sha-512", "-6", "sha512-crypt", 5000),
    ("sha-256", "-5", "sha256-crypt", 5000),
    ("md5", "-1", "md5-crypt", 0),
    ("des", None, "des-crypt", 0),
]


def crypt_vectors():
    v = glacier2_crypt_verify
    for method, flag, scheme, rounds in CRYPT_METHODS:
        for p in PASSWORDS:
            tool, h = mkpasswd(method, p)
            add(tool, scheme, rounds, h, p, v)
        if flag:
            for p in ("secret1", "pass word", "p\u00e4ssw\u00f6rd"):
                tool, h = openssl(flag, p)
                add(tool, scheme, rounds, h, p, v)
        # libcrypt refuses passwords of 512 bytes or more: a hash of 511 "y"
        # does not match 512 of them, though crypt(3) would use them all.
        tool, h = mkpasswd(method, "y" * 511)
        add(tool + " (511 characters)", scheme, rounds, h, "y" * 511, v,
            extra=["y" * 512, "y" * 511 + "\0" + "y" * 100])
    for rounds in (1000, 10000, 123456):
        tool, h = mkpasswd("sha-512", "secret1", rounds=rounds)
        add(tool, "sha512-crypt", rounds, h, "secret1", v)
        tool, h = mkpasswd("sha-256", "secret1", rounds=rounds)
        add(tool, "sha256-crypt", rounds, h, "secret1", v)
    for salt in ("..", "zz", "./", "Az", "9."):
        tool, h = mkpasswd("des", "secret1", salt=salt)
        add(tool, "des-crypt", 0, h, "secret1", v)
    tool, h = mkpasswd("md5", "secret1", salt="abcdefgh")
    add(tool, "md5-crypt", 0, h, "secret1", v)
    # rounds=5000 written out: crypt(3) keeps it when the setting has it.
    for prefix in ("$6$", "$5$"):
        setting = prefix + "rounds=5000$Xk3pQ9.mZ/aB1cDe$"
        h = crypt3("secret1", setting)
        add("libcrypt crypt(3) with setting " + setting, "sha512-crypt" if prefix == "$6$" else "sha256-crypt",
            5000, h, "secret1", v)
    # What Ice's icehashpassword writes on Linux: passlib's defaults.
    h = ph.sha512_crypt.hash("secret1")
    add("passlib sha512_crypt.hash (icehashpassword on Linux)", "sha512-crypt", ph.sha512_crypt.default_rounds,
        h, "secret1", v, slow=True)
    h = ph.sha256_crypt.using(rounds=20000).hash("secret1")
    add("passlib sha256_crypt.using(rounds=20000).hash", "sha256-crypt", 20000, h, "secret1", v)


def pbkdf2_vectors():
    schemes = [(ph.pbkdf2_sha256, "pbkdf2-sha256"), (ph.pbkdf2_sha512, "pbkdf2-sha512"), (ph.pbkdf2_sha1, "pbkdf2-sha1")]
    for scheme, name in schemes:
        verify = lambda stored, p, scheme=scheme: scheme.verify(p, stored)
        for p in PASSWORDS:
            h = scheme.using(rounds=1000).hash(p)
            add("passlib %s.using(rounds=1000).hash" % scheme.name, name, 1000, h, p, verify)
        for rounds in (1, 2, 4096):
            h = scheme.using(rounds=rounds).hash("secret1")
            add("passlib %s.using(rounds=%d).hash" % (scheme.name, rounds), name, rounds, h, "secret1", verify)
        for salt_size in (0, 1, 5, 32):
            h = scheme.using(rounds=1000, salt_size=salt_size).hash("secret1")
            add("passlib %s.using(rounds=1000, salt_size=%d).hash" % (scheme.name, salt_size), name, 1000, h,
                "secret1", verify)
        # icehashpassword's default on macOS and Windows.
        h = scheme.hash("secret1")
        add("passlib %s.hash (icehashpassword on macOS/Windows)" % scheme.name, name, scheme.default_rounds, h,
            "secret1", verify, slow=True)


def main():
    crypt_vectors()
    pbkdf2_vectors()
    with open(OUT, "w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    print("wrote %d vectors to %s" % (len(records), OUT))


if __name__ == "__main__":
    main()
