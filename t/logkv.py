#!/usr/bin/env python3
"""logkv.py — parse relayguard log lines as key=value fields and check them.

  logkv.py [--match TEXT] [--keys K1,K2,...] [--expect KEY=VALUE]...
           [--absent KEY]... [--count N] [FILE]

Reads log lines from FILE (or stdin) and looks at those containing TEXT
(all lines without --match).  Each such line is split into words at spaces;
a word is either free text (no '=' and no '"': "relayguard:", "auth:",
"milter", "reject:") or a field KEY=VALUE with KEY in [a-z_]+ and VALUE
  bare:    a run of bytes other than space, '"', '\\' and '='
  quoted:  "..." up to the next unescaped '"', holding no raw '=' and no
           control byte; \\" \\\\ \\xNN are escapes, \\... marks a value cut
           to fit (read as "...").
(the format of doc/relayguard-auth.txt "DECISIONS AND LOGS").  A line fails
when it does not split like that, when a key appears twice, when one of
--keys is missing, when --expect KEY=VALUE does not hold (VALUE compared with
the decoded field, byte for byte), or when --absent KEY is not the bare "-"
(the "no value" mark; a value that is literally "-" is logged quoted).
--count N: exactly N lines must match (default: at least one).
Exit 0 when every matching line passes; otherwise 1, with the reasons on
stdout as "# ..." lines (TAP diagnostics).
"""
import os
import re
import sys

KEY = re.compile(rb"[a-z_]+")


def parse(line):
    """Fields of one line: a list of (key, value); value None = bare "-"."""
    fields = []
    i, n = 0, len(line)
    while i < n:
        if line[i:i + 1] == b" ":
            i += 1
            continue
        m = KEY.match(line, i)
        if m and m.end() < n and line[m.end():m.end() + 1] == b"=":
            key = m.group().decode()
            j = m.end() + 1
            if line[j:j + 1] == b'"':
                val, j = quoted(line, j + 1)
            else:
                k = j
                while j < n and line[j:j + 1] not in (b" ", b'"', b"\\", b"="):
                    j += 1
                if j < n and line[j:j + 1] != b" ":
                    raise ValueError("stray %r in the bare value of %s= at column %d"
                                     % (line[j:j + 1].decode(), key, j))
                val = line[k:j]
                if val == b"-":
                    val = None
            if j < n and line[j:j + 1] != b" ":
                raise ValueError("no space after %s= at column %d" % (key, j))
            fields.append((key, val))
            i = j
            continue
        j = i
        while j < n and line[j:j + 1] != b" ":
            if line[j:j + 1] in (b"=", b'"'):
                raise ValueError("stray %r in free text at column %d: %r"
                                 % (line[j:j + 1].decode(), j, line[i:j + 1]))
            j += 1
        i = j
    return fields


def quoted(line, j):
    out = bytearray()
    n = len(line)
    while True:
        if j >= n:
            raise ValueError("unterminated quoted value")
        c = line[j]
        if c == 0x22:
            return bytes(out), j + 1
        if c == 0x3d or c < 0x20 or c >= 0x7f:
            raise ValueError("raw byte 0x%02x inside quotes at column %d" % (c, j))
        if c == 0x5c:
            e = line[j + 1:j + 2]
            if e in (b'"', b"\\"):
                out += e
                j += 2
            elif e == b"x" and re.fullmatch(rb"[0-9a-f]{2}", line[j + 2:j + 4]):
                out.append(int(line[j + 2:j + 4], 16))
                j += 4
            elif line[j + 1:j + 5] == b'..."':
                out += b"..."
                j += 4
            else:
                raise ValueError("bad escape at column %d" % j)
            continue
        out.append(c)
        j += 1


def main(argv):
    match, keys, expect, absent, count, path = None, [], [], [], None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--match":
            match = os.fsencode(args.pop(0))
        elif a == "--keys":
            keys = [k for k in args.pop(0).split(",") if k]
        elif a == "--expect":
            k, _, v = args.pop(0).partition("=")
            expect.append((k, os.fsencode(v)))
        elif a == "--absent":
            absent.append(args.pop(0))
        elif a == "--count":
            count = int(args.pop(0))
        elif path is None and not a.startswith("--"):
            path = a
        else:
            print("# logkv.py: bad argument %r" % a)
            return 2
    data = open(path, "rb").read() if path else sys.stdin.buffer.read()
    bad, seen = 0, 0
    for line in data.split(b"\n"):
        if not line or (match is not None and match not in line):
            continue
        seen += 1
        why = []
        try:
            fields = parse(line)
        except ValueError as e:
            fields, why = [], [str(e)]
        got = {}
        for k, v in fields:
            if k in got:
                why.append("%s= appears twice" % k)
            got[k] = v
        for k in keys:
            if k not in got:
                why.append("no %s=" % k)
        for k, v in expect:
            if k in got and got[k] != v:
                why.append("%s= is %r, expected %r" % (k, got[k], v))
            elif k not in got:
                why.append("no %s= (expected %r)" % (k, v))
        for k in absent:
            if got.get(k, b"") is not None:
                why.append("%s= is %r, expected the bare -" % (k, got.get(k)))
        if why:
            bad += 1
            print("# " + "; ".join(why))
            print("#   in: " + line.decode("ascii", "backslashreplace"))
    if count is not None and seen != count:
        print("# %d matching line(s), expected %d" % (seen, count))
        return 1
    if seen == 0:
        print("# no matching line")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
