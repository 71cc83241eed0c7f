#!/usr/bin/env python3
# vault_standin.py — a STAND-IN for HashiCorp Vault, for relayguard's tests only.
# It is NOT Vault: no Vault or OpenBao server is packaged for Debian 12, so this
# small HTTPS server implements the few documented endpoints relayguard's vault
# store uses, as Vault answers them:
#   GET  /v1/<mount>/data/<path>        KV version 2 read (200, 404 {"errors":[]},
#                                        404 with metadata for a deleted version)
#   POST /v1/auth/<approle>/login       AppRole login (role_id, secret_id)
#   POST /v1/auth/token/renew-self      token renewal
# A token that is unknown or past its lease gets 403 {"errors":["permission denied"]};
# a path under no mount gets 404 "no handler for route".  Failures for tests are
# written into the data: a secret whose fields hold "__status" (answer that HTTP
# status), "__sleep" (seconds before answering), "__raw" (this body, not JSON),
# "__deleted" (a deleted version).
#
#   vault_standin.py --cert C --key K --data FILE --port-file F --log FILE
#                    [--client-ca CA] [--tokens-file F] [--role-id-file F --secret-id-file F]
#                    [--ttl SECS] [--max-ttl SECS]
# FILE is JSON {"mounts": {"secret": {"smtp-auth/alice": {"password": "..."}}}},
# read again at every request (tests replace it by rename).  --tokens-file lists
# accepted static tokens, one per line, also re-read at every request.  The log
# gets one line per request: "METHOD PATH STATUS token=<n>" (n numbers the tokens
# the stand-in issued or read; the token itself is never written).  POST
# /test/expire-tokens (no auth) makes every AppRole token expire now.
import argparse
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--cert", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--client-ca")
ap.add_argument("--data", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--tokens-file")
ap.add_argument("--role-id-file")
ap.add_argument("--secret-id-file")
ap.add_argument("--approle-mount", default="approle")
ap.add_argument("--ttl", type=int, default=3600)
ap.add_argument("--max-ttl", type=int, default=86400)
ap.add_argument("--port", type=int, default=0)
args = ap.parse_args()

lock = threading.Lock()
issued = {}     # token -> {"n", "expires", "max"}
numbers = {}    # any token seen -> its number in the log
logf = open(args.log, "a", buffering=1)


def number(tok):
    with lock:
        if tok not in numbers:
            numbers[tok] = len(numbers) + 1
        return numbers[tok]


def read_lines(path):
    try:
        with open(path) as f:
            return [l.strip() for l in f if l.strip()]
    except OSError:
        return []


def token_ok(tok):
    if not tok:
        return False
    if args.tokens_file and tok in read_lines(args.tokens_file):
        return True
    with lock:
        t = issued.get(tok)
        return t is not None and time.time() < t["expires"]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as Vault: relayguard reuses connections

    def log_message(self, *a):
        pass

    def answer(self, status, obj=None, raw=None):
        body = raw.encode() if raw is not None else json.dumps(obj).encode()
        tok = self.headers.get("X-Vault-Token")
        logf.write("%s %s %d token=%s\n" % (self.command, self.path, status,
                                             number(tok) if tok else "-"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def denied(self):
        self.answer(403, {"errors": ["permission denied"]})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if not path.startswith("/v1/"):
            return self.answer(404, {"errors": []})
        if not token_ok(self.headers.get("X-Vault-Token")):
            return self.denied()
        rest = path[4:]
        with open(args.data) as f:
            data = json.load(f)
        for mount, secrets_ in data.get("mounts", {}).items():
            if not rest.startswith(mount + "/"):
                continue
            sub = rest[len(mount) + 1:]
            if not sub.startswith("data/"):
                return self.answer(404, {"data": None, "warnings": [
                    "Invalid path for a versioned K/V secrets engine. See the API docs for "
                    "the appropriate API endpoints to use."]})
            rec = secrets_.get(sub[5:])
            meta = {"created_time": "2026-12-04T00:00:00Z", "custom_metadata": None,
                    "deletion_time": "", "destroyed": False, "version": 1}
            if rec is None:
                return self.answer(404, {"errors": []})
            if "__sleep" in rec:
                time.sleep(float(rec["__sleep"]))
            if "__status" in rec:
                return self.answer(int(rec["__status"]), {"errors": ["stand-in failure"]})
            if "__raw" in rec:
                return self.answer(200, raw=rec["__raw"])
            if rec.get("__deleted"):
                meta["deletion_time"] = "2026-12-04T01:00:00Z"
                return self.answer(404, {"request_id": "x", "lease_id": "", "renewable": False,
                                         "lease_duration": 0,
                                         "data": {"data": None, "metadata": meta},
                                         "wrap_info": None, "warnings": None, "auth": None})
            return self.answer(200, {"request_id": "x", "lease_id": "", "renewable": False,
                                     "lease_duration": 0, "data": {"data": rec, "metadata": meta},
                                     "wrap_info": None, "warnings": None, "auth": None})
        self.answer(404, {"errors": ["no handler for route \"%s\". route entry not found." % rest]})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        req = self.body()
        now = time.time()
        if path == "/test/expire-tokens":
            with lock:
                for t in issued.values():
                    t["expires"] = now - 1
            return self.answer(204, raw="")
        if path == "/v1/auth/%s/login" % args.approle_mount:
            if (req is None or not args.role_id_file or
                    req.get("role_id") not in read_lines(args.role_id_file) or
                    req.get("secret_id") not in read_lines(args.secret_id_file)):
                return self.answer(400, {"errors": ["invalid role or secret ID"]})
            tok = "hvs." + secrets.token_urlsafe(24)
            with lock:
                issued[tok] = {"expires": now + args.ttl, "max": now + args.max_ttl}
            number(tok)
            return self.answer(200, {"auth": {"client_token": tok, "accessor": "a",
                                              "policies": ["smtp"], "lease_duration": args.ttl,
                                              "renewable": True}})
        if path == "/v1/auth/token/renew-self":
            tok = self.headers.get("X-Vault-Token")
            if not token_ok(tok):
                return self.denied()
            with lock:
                t = issued.get(tok)
                if t is None:       # a static token: not renewable here
                    lease = 0
                else:
                    lease = int(min(args.ttl, t["max"] - now))
                    t["expires"] = now + lease
            if lease <= 0:
                return self.answer(400, {"errors": ["token is not renewable"]})
            return self.answer(200, {"auth": {"client_token": tok, "lease_duration": lease,
                                              "renewable": True}})
        self.answer(404, {"errors": []})


srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
if args.client_ca:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(args.client_ca)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(args.port_file + ".tmp", args.port_file)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
