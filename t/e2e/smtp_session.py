#!/usr/bin/env python3
"""smtp_session.py — a scripted SMTP dialogue for the end-to-end tests.

swaks cannot pause in the middle of a session or send a SASL authorization id;
this can.  Each STEP is sent in order on one connection and its reply printed
as one line:  "STEP CODE TEXT"  (a multi-line reply is joined with " / ").

  smtp_session.py [--host H] --port P STEP...

  ehlo[:NAME]            EHLO (default name client.relayguard.test)
  starttls               STARTTLS, then the TLS handshake (certificate not checked)
  plain:AUTHZ:AUTHC:PW   AUTH PLAIN with an initial response (AUTHZ may be empty)
  login:USER:PW          AUTH LOGIN, answering the two prompts
  mail:ADDR  rcpt:ADDR   MAIL FROM:<ADDR> / RCPT TO:<ADDR>
  data:FILE              DATA, then the message in FILE (dot-stuffed)
  shell:COMMAND          run COMMAND with /bin/sh between two SMTP steps
  rset  noop  quit

A closed connection prints "STEP closed" and ends the run (exit 0); a bad step
or a connection that cannot be made exits 2.
"""
import argparse
import base64
import re
import smtplib
import ssl
import subprocess
import sys


def b64(data):
    return base64.b64encode(data.encode()).decode()


def show(step, code, msg):
    text = msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)
    print("%s %s %s" % (step, code, text.replace("\n", " / ")), flush=True)


def run(smtp, step):
    name, _, arg = step.partition(":")
    if name == "ehlo":
        return smtp.ehlo(arg or "client.relayguard.test")
    if name == "starttls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        code, msg = smtp.docmd("STARTTLS")
        if code == 220:
            smtp.sock = ctx.wrap_socket(smtp.sock)
            smtp.file = None
            smtp.helo_resp = smtp.ehlo_resp = None
            smtp.esmtp_features = {}
            smtp.does_esmtp = False
        return code, msg
    if name == "plain":
        authz, authc, pw = arg.split(":", 2)
        return smtp.docmd("AUTH", "PLAIN " + b64("%s\0%s\0%s" % (authz, authc, pw)))
    if name == "login":
        user, pw = arg.split(":", 1)
        code, msg = smtp.docmd("AUTH", "LOGIN")
        if code != 334:
            return code, msg
        code, msg = smtp.docmd(b64(user))
        if code != 334:
            return code, msg
        return smtp.docmd(b64(pw))
    if name == "mail":
        return smtp.docmd("MAIL", "FROM:<%s>" % arg)
    if name == "rcpt":
        return smtp.docmd("RCPT", "TO:<%s>" % arg)
    if name == "data":
        with open(arg, "rb") as f:
            body = f.read()
        code, msg = smtp.docmd("DATA")
        if code != 354:
            return code, msg
        body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        body = re.sub(rb"(?m)^\.", b"..", body)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")
        return smtp.getreply()
    if name == "shell":
        rc = subprocess.call(arg, shell=True, stdout=sys.stderr)
        return "rc", str(rc)
    if name in ("rset", "noop", "quit"):
        return smtp.docmd(name.upper())
    print("smtp_session.py: unknown step %r" % step, file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("steps", nargs="+")
    opts = ap.parse_args()
    try:
        smtp = smtplib.SMTP(timeout=opts.timeout)
        code, msg = smtp.connect(opts.host, opts.port)
    except OSError as e:
        print("connect failed: %s" % e, file=sys.stderr)
        sys.exit(2)
    show("banner", code, msg)
    for step in opts.steps:
        try:
            code, msg = run(smtp, step)
        except (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLError) as e:
            show(step.partition(":")[0], "closed", e)
            return
        show(step.partition(":")[0], code, msg)
    try:
        smtp.close()
    except OSError:
        pass


if __name__ == "__main__":
    main()
