#!/usr/bin/env python3
"""milter_client.py — a scripted MTA side of the milter protocol, for what
miltertest cannot send: SMFIC_QUIT_NC (a connection reused for a new SMTP
session, which libmilter supports and some MTAs use).

  milter_client.py SOCKET STEP...

  rcpt:ADDR                    SMFIC_RCPT <ADDR>
  negotiate[:FLAGS]            SMFIC_OPTNEG (version 6, every action, protocol flags
                               FLAGS, default 0: the MTA waits for every reply)
  macro:STAGE:NAME=VALUE,...   SMFIC_MACRO for stage C, H, M, N or E
  connect:HOST:ADDR            SMFIC_CONNECT (IPv4 ADDR, port 25)
  helo:NAME                    SMFIC_HELO
  mail:ADDR                    SMFIC_MAIL <ADDR>
  header:NAME:VALUE            SMFIC_HEADER
  eoh  eom  abort              end of headers / end of message / abort
  quit_nc                      SMFIC_QUIT_NC (no reply expected)
  quit                         SMFIC_QUIT
  wait:FILE                    wait (up to 10 s) until FILE exists: the test changes
                               something while this session stays open

Each step that expects a reply prints "STEP REPLY [TEXT]", where REPLY is
continue, accept, reject, tempfail, replycode (TEXT = the SMTP reply) or the
command byte; a quarantine request (SMFIR_QUARANTINE) before the final reply
prints "quarantine REASON"; exit 2 on a protocol error.
"""
import os
import socket
import struct
import sys
import time

NAMES = {b"c": "continue", b"a": "accept", b"r": "reject", b"t": "tempfail",
         b"y": "replycode", b"d": "discard", b"O": "negotiate"}


def send(s, cmd, data=b""):
    s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("milter closed the connection")
        buf += chunk
    return buf


def reply(s):
    while True:
        (n,) = struct.unpack("!I", recv_exact(s, 4))
        body = recv_exact(s, n)
        cmd, data = body[:1], body[1:]
        if cmd == b"q":  # quarantine (the hold queue): not final
            print("quarantine %s" % data.rstrip(b"\0").decode(errors="replace"), flush=True)
            continue
        if cmd in (b"h", b"m", b"i", b"p"):  # header edits, progress: not final
            continue
        return cmd, data


NR = {"connect": 0x1000, "helo": 0x2000, "mail": 0x4000, "rcpt": 0x8000, "header": 0x80,
      "eoh": 0x40000}


def main():
    protocol = 0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    for step in sys.argv[2:]:
        name, _, arg = step.partition(":")
        if name == "negotiate":
            offered = int(arg, 0) if arg else 0
            send(s, b"O", struct.pack("!III", 6, 0x1FF, offered))
            cmd, data = reply(s)
            if cmd != b"O" or len(data) < 12:
                print("negotiate failed", flush=True)
                return 2
            protocol = struct.unpack("!I", data[8:12])[0]
            print("negotiate protocol=0x%x" % protocol, flush=True)
            continue
        elif name == "macro":
            stage, _, pairs = arg.partition(":")
            data = stage.encode()
            for pair in filter(None, pairs.split(",")):
                k, _, v = pair.partition("=")
                data += k.encode() + b"\0" + v.encode() + b"\0"
            send(s, b"D", data)
            continue
        elif name == "connect":
            host, _, addr = arg.partition(":")
            send(s, b"C", host.encode() + b"\0" + b"4" + struct.pack("!H", 25) +
                 addr.encode() + b"\0")
        elif name == "helo":
            send(s, b"H", arg.encode() + b"\0")
        elif name == "mail":
            send(s, b"M", ("<%s>" % arg).encode() + b"\0")
        elif name == "rcpt":
            send(s, b"R", ("<%s>" % arg).encode() + b"\0")
        elif name == "header":
            k, _, v = arg.partition(":")
            send(s, b"L", k.encode() + b"\0" + v.encode() + b"\0")
        elif name == "eoh":
            send(s, b"N")
        elif name == "eom":
            send(s, b"E")
        elif name == "abort":
            send(s, b"A")
            continue
        elif name == "quit_nc":
            send(s, b"K")
            continue
        elif name == "quit":
            send(s, b"Q")
            continue
        elif name == "wait":
            for _ in range(100):
                if os.path.exists(arg):
                    break
                time.sleep(0.1)
            continue
        else:
            print("bad step %s" % step, file=sys.stderr)
            return 2
        if protocol & NR.get(name, 0):
            print("%s noreply" % name, flush=True)
            continue
        cmd, data = reply(s)
        text = data.rstrip(b"\0").decode(errors="replace") if cmd == b"y" else ""
        print(("%s %s %s" % (name, NAMES.get(cmd, cmd.decode(errors="replace")), text)).rstrip(),
              flush=True)
    s.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, EOFError) as e:
        print("error: %s" % e, flush=True)
        sys.exit(2)
