"""A recording TCP tee for the Ice protocol, used by capture.py.

Run as a process (`tee.py TARGET_PORT`), it listens on a loopback port the
OS chooses and prints `PORT <n>`, connects each accepted connection to
TARGET_PORT, and relays whole Ice messages both ways, splitting each
direction into messages by the size field of the 14-byte header. Every
message is printed (before it is forwarded) as one line
`MSG <connection> <direction> <hex>`, so the capture script can pick out
exactly the messages a step produced.

It runs in its own process because some IcePy calls (ice_getConnection,
graceful close) hold Python's GIL while they wait for the network: a tee in
the capturing process would stall with them. TeeProcess is the capture
script's side of it.
"""

import bz2
import socket
import struct
import subprocess
import sys
import threading

HEADER_SIZE = 14
MAGIC = b"IceP"

# Directions as recorded.
C2S = "client->server"
S2C = "server->client"


class Message:
    def __init__(self, seq, conn, direction, data):
        self.seq = seq
        self.conn = conn
        self.direction = direction
        self.data = data

    @property
    def type(self):
        return self.data[8]

    @property
    def compression(self):
        return self.data[9]

    def __repr__(self):
        return "<msg %d conn %d %s type %d comp %d %d bytes>" % (
            self.seq, self.conn, self.direction, self.type, self.compression, len(self.data))


class Tee:
    """The tee itself, in the tee process."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = 0

    def out(self, line):
        with self.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def serve(self):
        self.out("PORT %d" % self.port)
        while True:
            client, _ = self.lsock.accept()
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError as ex:
                self.out("ERR connect to %d: %s" % (self.target_port, ex))
                client.close()
                continue
            self.conns += 1
            threading.Thread(target=self._pump, args=(self.conns, C2S, client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(self.conns, S2C, server, client), daemon=True).start()

    def _pump(self, conn, direction, src, dst):
        buf = b""
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                buf += data
                while len(buf) >= HEADER_SIZE:
                    if buf[:4] != MAGIC:
                        raise ValueError("bad magic %r" % buf[:4])
                    (size,) = struct.unpack_from("<i", buf, 10)
                    if size < HEADER_SIZE:
                        raise ValueError("bad size %d" % size)
                    if len(buf) < size:
                        break
                    msg, buf = buf[:size], buf[size:]
                    self.out("MSG %d %s %s" % (conn, direction, msg.hex()))
                    dst.sendall(msg)
            if buf:
                self.out("ERR conn %d %s: %d bytes left over" % (conn, direction, len(buf)))
        except (OSError, ValueError) as ex:
            self.out("ERR conn %d %s: %s" % (conn, direction, ex))
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def die_with_parent():
    """Asks Linux to end this child process when the capture script ends,
    however it ends (prctl PR_SET_PDEATHSIG, SIGTERM)."""
    import ctypes
    import signal
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


class TeeProcess:
    """Starts tee.py as a process and collects what it records."""

    def __init__(self, target_port, name):
        self.name = name
        self.proc = subprocess.Popen([sys.executable, __file__, str(target_port)],
                                     stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            raise RuntimeError("%s: tee did not start: %r" % (name, line))
        self.port = int(line[1])
        self.messages = []
        self.errors = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            f = line.split()
            with self.cond:
                if f[0] == "MSG":
                    self.messages.append(Message(len(self.messages), int(f[1]), f[2], bytes.fromhex(f[3])))
                else:
                    self.errors.append(line.strip())
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.messages)

    def since(self, mark):
        with self.cond:
            return list(self.messages[mark:])

    def wait(self, pred, timeout=5.0):
        """Waits until pred(messages) is true and returns the messages."""
        with self.cond:
            if not self.cond.wait_for(lambda: pred(self.messages), timeout):
                raise TimeoutError("%s: timed out waiting for messages: %r" % (self.name, self.messages[-5:]))
            return list(self.messages)

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class Reader:
    """Just enough of an Ice decoder to label captured messages."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def byte(self):
        v = self.data[self.pos]
        self.pos += 1
        return v

    def int32(self):
        (v,) = struct.unpack_from("<i", self.data, self.pos)
        self.pos += 4
        return v

    def size(self):
        n = self.byte()
        if n == 255:
            n = self.int32()
        return n

    def string(self):
        n = self.size()
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s


def plain(msg):
    """Returns the message bytes with a compressed body inflated."""
    if msg.compression != 2:
        return msg.data
    return msg.data[:HEADER_SIZE] + bz2.decompress(msg.data[HEADER_SIZE + 4:])


def request_head(msg):
    """Returns (request id, identity name, category, facet, operation) of a
    request message."""
    r = Reader(plain(msg), HEADER_SIZE)
    rid = r.int32()
    name, cat = r.string(), r.string()
    facet = r.string() if r.size() == 1 else ""
    return rid, name, cat, facet, r.string()


def reply_id(msg):
    return Reader(plain(msg), HEADER_SIZE).int32()


if __name__ == "__main__":
    Tee(int(sys.argv[1])).serve()
