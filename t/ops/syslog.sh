#!/bin/sh
# syslog.sh — the syslog client (common/log_syslog.c) against a datagram socket
# in the test's folder standing in for the syslog daemon's /dev/log: lines are
# framed as syslog(3) frames them (<PRI>, time stamp, ident[pid] with the pid of
# the daemon after it went to the background), facility and severity as
# configured; while the socket is gone the service still answers and the lost
# lines are counted; when it is back, lines arrive again (reconnect).  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient python3
rg_workdir syslog
SOCK=$W/log.sock
LINES=$W/syslog.lines
hash=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"
cat >"$RG_CONF" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
syslog_socket = "$SOCK";
syslog_facility = "local3";
syslog_ident = "rg-test";
milter: { enabled = false; };
auth: { dovecot_socket = "$W/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "alice"; password = "$hash"; } ); } );
CONF

# the stand-in syslog daemon: one line per datagram into $LINES
receiver() {
	python3 - "$SOCK" "$LINES" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).replace(b"\n", b"\\n") + b"\n")
PY
	RECV_PID=$!
	track "$RECV_PID"
	wait_until 5 test -S "$SOCK"
}
stop_receiver() { kill "$RECV_PID" 2>/dev/null; wait "$RECV_PID" 2>/dev/null; rm -f "$SOCK"; }
login() { "$DV" "$W/auth" plain "$1" "$2"; }

receiver
# in the background, as in production: the lines must carry the daemon's pid
"$RG" -c "$RG_CONF" >"$RG_LOG" 2>&1
wait_until 10 test -S "$W/auth"
DPID=$(cat "$W/rg.pid" 2>/dev/null)
[ -n "$DPID" ] && track "$DPID"
[ -S "$W/auth" ] && [ -n "$DPID" ] || bail_out "relayguard did not start: $(tail -5 "$RG_LOG")"

login alice alice-secret-1 >/dev/null
login alice wrong-password >/dev/null
wait_until 5 grep -q 'result=fail' "$LINES"
# local3 = 19: 19*8 + info (6) = 158, + notice (5) = 157
like "$(grep 'result=ok' "$LINES")" \
	"^<158>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} rg-test\\[$DPID\\]: auth: protocol=dovecot .*user=alice " \
	"a successful login: <local3.info>, time stamp, ident[pid of the background daemon], the line"
like "$(grep 'result=fail' "$LINES")" "^<157>.* rg-test\\[$DPID\\]: auth: .*reason=\"wrong password\"" \
	"a failed login: <local3.notice>"
like "$(cat "$LINES")" "rg-test\\[$DPID\\]: started \\(pid $DPID\\)" "the start line went to syslog too"
unlike "$(cat "$LINES")" "alice-secret-1|wrong-password" "no password in any syslog line"

stop_receiver
before=$(wc -l <"$LINES")
out=$(login alice alice-secret-1; login alice alice-secret-1; login alice wrong-password)
like "$out" "^OK" "the syslog socket gone: logins are still answered"
like "$out" "FAIL" "... failures too"
dropped=$("$CTL" -c "$RG_CONF" stats | sed -n 's/^log\.syslog_dropped[ =:]*//p')
ok $([ "${dropped:-0}" -ge 3 ]; echo $?) "the lost lines are counted (log.syslog_dropped=$dropped)"
like "$("$CTL" -c "$RG_CONF" stats --prometheus)" "^relayguard_log_lines_dropped_total $dropped\$" \
	"... and scraped as relayguard_log_lines_dropped_total"
is "$(wc -l <"$LINES")" "$before" "no line went anywhere meanwhile"

receiver
sleep 1.1	# reconnects are tried at most once per second
login alice alice-secret-1 >/dev/null
login alice alice-secret-1 >/dev/null
wait_until 5 sh -c "[ \$(wc -l <'$LINES') -gt $before ]"
like "$(tail -n 2 "$LINES")" "rg-test\\[$DPID\\]: auth: .*result=ok" \
	"the syslog socket back at the same path: lines arrive again (reconnected)"

rg_stop "$DPID"
ok $? "the daemon stops on SIGTERM"
stop_receiver
done_testing
