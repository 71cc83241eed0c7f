#!/bin/sh
# log-json.sh — log_format = "json": the daemon's lines are JSON objects with the
# same fields as the key=value lines of the same events (hostile names with
# spaces, '=', quotes and non-UTF-8 bytes included), and a reload switches the
# format.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient python3
rg_workdir log-json
hash=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"
write_conf() {
	cat >"$RG_CONF.new" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
log_format = "$1";
milter: { enabled = false; };
auth: { dovecot_socket = "$W/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "alice"; password = "$hash"; } ); } );
CONF
	mv "$RG_CONF.new" "$RG_CONF"
}
events() {
	"$DV" "$W/auth" plain alice alice-secret-1 >/dev/null
	"$DV" "$W/auth" plain 'we ird="x" name=1' wrong >/dev/null
	"$DV" "$W/auth" plain "$(printf 'caf\351')" wrong >/dev/null
}
write_conf json
rg_start_or_bail "$RG_CONF" "$RG_LOG" "$W/auth"
events
write_conf kv
rg_reload 1
events

out=$(python3 - "$RG_LOG" "$top_srcdir/t" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
import logkv
js, kv = [], []
for raw in open(sys.argv[1], "rb").read().split(b"\n"):
    if not raw.startswith(b"relayguard: "):
        continue
    body = raw[len(b"relayguard: "):]
    if body.startswith(b"{"):
        try:
            o = json.loads(body.decode("ascii"))
        except Exception as e:
            print("not ok - a JSON line does not parse: %r (%s)" % (body, e))
            continue
        if o.get("msg") == "auth:":
            js.append(o)
    elif body.startswith(b"auth: protocol="):
        f = logkv.parse(body)
        d = {"msg": "auth:"}
        for k, v in f:
            d[k] = None if v is None else v.decode("latin-1")
        kv.append(d)
print("ok - %d JSON auth lines, %d key=value auth lines" % (len(js), len(kv)) if len(js) == 3 and len(kv) == 3
      else "not ok - expected 3 and 3 auth lines, got %d and %d" % (len(js), len(kv)))
for a, b in zip(js, kv):
    a = dict(a)
    a.pop("level", None)
    print(("ok - " if a == b else "not ok - ") + "same fields for user=%r" % b.get("user") +
          ("" if a == b else ": json %r vs kv %r" % (a, b)))
names = [o.get("user") for o in js]
print(("ok - " if 'we ird="x" name=1' in names and "caf\u00e9" in names else "not ok - ")
      + "hostile names survive byte for byte: %r" % names)
PY
)
tap_lines "log_format json: " "$out"
[ "${tap_lines_ok:-0}" -ge 5 ]
ok $? "every comparison ran"
grep -q '^relayguard: {"level":"info","msg":"reload' "$RG_LOG" ||
	grep -q '^relayguard: {"level":"info","msg":"reload requested' "$RG_LOG"
ok $? "the daemon's other lines are JSON too while log_format = json"
rg_stop
done_testing
