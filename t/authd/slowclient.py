#!/usr/bin/env python3
"""slowclient.py — misbehaving and long-lived clients of the SASL service, for
t/authd/timeouts.sh and t/authd/reload-mechs.sh (t/authd/dvclient sends whole
requests at once; these take their time).  Each mode prints one result line.

  slowclient.py SOCK idle MAX
      Dovecot handshake (VERSION + CPID), then silence: "closed after T" (s) once
      the server closes, or "open after MAX".
  slowclient.py SOCK busy N INTERVAL
      Handshake, then N AUTH LOGIN requests INTERVAL s apart, each answered by
      its Username: prompt: "answered N" and "open" or "closed".
  slowclient.py SOCK trickle INTERVAL MAX
      Handshake, then an AUTH line one byte every INTERVAL s, never finished:
      "closed after T" (from the line's first byte) or "open after MAX".
  slowclient.py SOCK noread MAX
      Handshake, then AUTH LOGIN requests as fast as the socket takes them,
      never reading an answer: "closed after T" (from the moment the server
      stopped taking input) or "open after MAX".
  slowclient.py SOCK sasl-trickle INTERVAL MAX
      saslauthd protocol: a request one byte every INTERVAL s: "closed after T"
      (from the connection) or "open after MAX".
  slowclient.py SOCK hold N MAX
      N Dovecot connections (handshake read), then one more (its result:
      "extra refused" when closed without a handshake, "extra accepted"), then
      waits until every one of the N is closed: "all closed after T" or
      "K open after MAX".
  slowclient.py SOCK mechs
      The mechanisms of the server handshake (MECH lines), space-separated.
  slowclient.py SOCK session STEP...
      One Dovecot connection for every STEP, in order:
        "plain USER PASS" / "login USER PASS"   prints "MECH " + the final answer
        "shell:COMMAND"                         runs COMMAND; prints "shell RC"
"""
import base64
import os
import select
import socket
import subprocess
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


class Lines:
    def __init__(self, s):
        self.s = s
        self.buf = b""

    def line(self, timeout=10.0):
        """next line (bytes, without LF), or None on EOF / timeout"""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            try:
                d = self.s.recv(65536)
            except OSError:
                return None
            if not d:
                return None
            self.buf += d
        line, _, self.buf = self.buf.partition(b"\n")
        return line


def handshake(s):
    r = Lines(s)
    while True:
        line = r.line()
        if line is None:
            return None
        if line == b"DONE":
            s.sendall(b"VERSION\t1\t2\nCPID\t4242\n")
            return r


def wait_closed(s, max_s, t0):
    """Read (and drop) until EOF: seconds since t0, or None after max_s."""
    end = t0 + max_s
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        if select.select([s], [], [], left)[0]:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                return time.monotonic() - t0


def show(line):
    return line.decode(errors="replace").replace("\t", " ")


def b64(s):
    return base64.b64encode(s.encode()).decode()


def main():
    path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "idle":
        s = connect(path)
        if handshake(s) is None:
            print("no handshake")
            return
        t = wait_closed(s, float(args[0]), time.monotonic())
        print("open after %s" % args[0] if t is None else "closed after %.1f" % t)
    elif mode == "busy":
        n, interval = int(args[0]), float(args[1])
        s = connect(path)
        r = handshake(s)
        answered = 0
        for i in range(1, n + 1):
            time.sleep(interval)
            try:
                s.sendall(b"AUTH\t%d\tLOGIN\tservice=smtp\tsecured\n" % i)
            except OSError:
                break
            line = r.line()
            if line is None or not line.startswith(b"CONT\t%d\t" % i):
                break
            answered += 1
        r2, _, _ = select.select([s], [], [], 0)
        closed = bool(r2) and not s.recv(1, socket.MSG_PEEK)
        print("answered %d %s" % (answered, "closed" if closed else "open"))
    elif mode == "trickle":
        interval, max_s = float(args[0]), float(args[1])
        s = connect(path)
        if handshake(s) is None:
            print("no handshake")
            return
        line = b"AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=" + b"A" * 4000
        t0 = time.monotonic()
        for i in range(len(line)):
            try:
                s.send(line[i:i + 1])
            except OSError:
                break
            t = wait_closed(s, interval, time.monotonic())
            if t is not None or time.monotonic() - t0 > max_s:
                break
        t = time.monotonic() - t0
        if t > max_s:
            print("open after %g" % max_s)
        else:
            print("closed after %.1f" % t)
    elif mode == "noread":
        max_s = float(args[0])
        s = connect(path)
        if handshake(s) is None:
            print("no handshake")
            return
        s.setblocking(False)
        i, pending, stalled = 0, b"", None
        end = time.monotonic() + max_s
        while time.monotonic() < end:
            if not pending:
                i += 1
                pending = b"AUTH\t%d\tLOGIN\tservice=smtp\tsecured\n" % i
            try:
                k = s.send(pending)
                pending = pending[k:]
                stalled = None
            except BlockingIOError:
                if stalled is None:
                    stalled = time.monotonic()
                select.select([], [s], [], 0.2)
            except OSError:	# EPIPE / ECONNRESET: the server closed
                print("closed after %.1f" % (time.monotonic() - (stalled or end)))
                return
        print("open after %g" % max_s)
    elif mode == "sasl-trickle":
        interval, max_s = float(args[0]), float(args[1])
        req = b""
        for f in (b"daniel", b"pw", b"smtp", b"", b"192.0.2.1"):
            req += len(f).to_bytes(2, "big") + f
        s = connect(path)
        t0 = time.monotonic()
        for i in range(len(req) - 1):	# never the last byte
            try:
                s.send(req[i:i + 1])
            except OSError:
                break
            if wait_closed(s, interval, time.monotonic()) is not None:
                break
            if time.monotonic() - t0 > max_s:
                print("open after %g" % max_s)
                return
        print("closed after %.1f" % (time.monotonic() - t0))
    elif mode == "hold":
        n, max_s = int(args[0]), float(args[1])
        conns = []
        for _ in range(n):
            s = connect(path)
            if handshake(s) is None:
                print("only %d connections accepted" % len(conns))
                return
            conns.append(s)
        extra = connect(path)
        print("extra %s" % ("accepted" if Lines(extra).line(5) else "refused"), flush=True)
        t0 = time.monotonic()
        left = list(conns)
        while left and time.monotonic() - t0 < max_s:
            for s in select.select(left, [], [], 0.5)[0]:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    left.remove(s)
        if left:
            print("%d open after %g" % (len(left), max_s))
        else:
            print("all closed after %.1f" % (time.monotonic() - t0))
    elif mode == "mechs":
        s = connect(path)
        r, mechs = Lines(s), []
        while True:
            line = r.line()
            if line is None or line == b"DONE":
                break
            if line.startswith(b"MECH\t"):
                mechs.append(line.split(b"\t")[1].decode())
        print(" ".join(mechs) if line is not None else "no handshake")
    elif mode == "session":
        s = connect(path)
        r = handshake(s)
        if r is None:
            print("no handshake", flush=True)
            return
        rid = 0
        for step in args:
            if step.startswith("shell:"):
                rc = subprocess.call(step[6:], shell=True)
                print("shell %d" % rc, flush=True)
                continue
            mech, user, pw = step.split(" ", 2)
            rid += 1
            if mech == "plain":
                s.sendall(b"AUTH\t%d\tPLAIN\tservice=smtp\tsecured\tresp=%s\n"
                          % (rid, b64("\0%s\0%s" % (user, pw)).encode()))
                line = r.line()
            else:
                s.sendall(b"AUTH\t%d\tLOGIN\tservice=smtp\tsecured\n" % rid)
                line = r.line()
                for answer in (user, pw):
                    if line is None or not line.startswith(b"CONT\t"):
                        break
                    s.sendall(b"CONT\t%d\t%s\n" % (rid, b64(answer).encode()))
                    line = r.line()
            print("%s %s" % (mech, show(line) if line is not None else "CLOSED"), flush=True)
    else:
        print("slowclient.py: unknown mode %s" % mode, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
