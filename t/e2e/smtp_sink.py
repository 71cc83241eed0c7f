#!/usr/bin/env python3
"""smtp_sink.py — a minimal SMTP server for the end-to-end tests: accepts
every message and writes it to DIR/N.eml, the client's address first as an
"X-Sink-Peer: ADDR" line (to tell which source address a Postfix transport
bound).  Listens on 127.0.0.1:PORT until killed; writes DIR/ready when
listening.  Not a mail server for anything else.

  smtp_sink.py PORT DIR
"""
import os
import socket
import socketserver
import sys

DIR = sys.argv[2]
count = [0]


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        peer = self.client_address[0]
        self.reply("220 sink.relayguard.test ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith("EHLO") or cmd.startswith("HELO"):
                self.reply("250 sink.relayguard.test")
            elif cmd.startswith("MAIL") or cmd.startswith("RCPT") or cmd.startswith("RSET") \
                    or cmd.startswith("NOOP"):
                self.reply("250 ok")
            elif cmd == "DATA":
                self.reply("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                count[0] += 1
                path = os.path.join(DIR, "%d.eml" % count[0])
                with open(path + ".tmp", "wb") as f:
                    f.write(b"X-Sink-Peer: " + peer.encode() + b"\r\n" + b"".join(data))
                os.rename(path + ".tmp", path)
                self.reply("250 queued as sink%d" % count[0])
            elif cmd == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not here")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", int(sys.argv[1])), Handler) as srv:
    open(os.path.join(DIR, "ready"), "w").close()
    srv.serve_forever()
