#!/bin/sh
# lockout.sh — a locked-out user stays locked for lockout_seconds through a
# flood of failures for random names, against the built daemon with a small
# penalty table (auth.penalty_table_size = 16): t/authd/dvclient (Dovecot
# protocol) locks "victim", then sends 700 failed logins for random names from
# random addresses (500 names with one failure, 200 with lockout_failures
# distinct failures, which fills the lock table); victim's right password is
# still refused as locked out, and is accepted once lockout_seconds has
# passed.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

LOCK_S=8
rg_require dvclient python3 sqlite3

rg_workdir lockout
cat >"$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "";
  failure_delay_ms = 0;
  lockout_failures = 3;
  lockout_seconds = $LOCK_S;
  penalty_table_size = 16;
  cache: { negative_ttl = 0; };
};
passwords: { argon2_memory_kib = 256; argon2_iterations = 1; };
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
ctl db init >/dev/null &&
	sqlite3 "$W/users.db" "INSERT INTO users(name, password) VALUES ('victim', '$(rg_hash victim-pw)');" ||
	bail_out "the SQLite store could not be made"

LOG=$W/rg.log
rg_start "$W/rg.conf" "$LOG" "$W/auth"
ok $? "relayguard starts (penalty_table_size = 16)" || { done_testing; exit 1; }
dv() { "$DV" "$W/auth" "$@" 2>&1; }
locked_lines() { grep -c 'user=victim .*reason="user temporarily locked out"' "$LOG"; }

[ "$(dv plain victim victim-pw)" = "OK 1 user=victim" ]
ok $? "victim logs in"
for pw in bad1 bad2 bad3; do dv plain victim "$pw" >/dev/null; done
t_lock=$(date +%s)
[ "$(dv plain victim victim-pw)" = "FAIL 1 reason=Authentication failed" ] && [ "$(locked_lines)" = 1 ]
ok $? "after 3 distinct failures the right password is refused: locked out" ||
	diag "$(tail -n 3 "$LOG")"

# flood: NAMES names × FAILS distinct wrong passwords, one name per address,
# pipelined on one Dovecot connection per 100 names
flood() {	# PREFIX NAMES FAILS
	python3 - "$@" <<'PY' >"$W/flood.in"
import base64, sys
prefix, names, fails = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = 0
for i in range(names):
    for k in range(fails):
        n += 1
        resp = base64.b64encode(b"\0%s%d\0wrong-%d" % (prefix.encode(), i, k)).decode()
        print("AUTH\t%d\tPLAIN\tservice=smtp\trip=10.%d.%d.%d\tsecured\tresp=%s"
              % (n, (i >> 16) & 255, (i >> 8) & 255, i & 255, resp))
    if (i + 1) % 100 == 0 or i + 1 == names:
        print("--")
PY
	awk -v dir="$W" 'BEGIN { f = 0 } /^--$/ { f++; next } { print > (dir "/flood.part." f) }' "$W/flood.in"
	for part in "$W"/flood.part.*; do
		"$DV" "$W/auth" raw <"$part" >>"$W/flood.out" 2>&1
		rm -f "$part"
	done
}
t0=$(date +%s)
: >"$W/flood.out"
flood rand 500 1
flood lock 200 3
t1=$(date +%s)
fails=$(grep -c '^FAIL' "$W/flood.out")
[ "$fails" -eq 1100 ]
ok $? "flood: 1100 failed logins for 700 random names (took $((t1 - t0)) s)" ||
	diag "FAIL answers: $fails; $(grep -v '^FAIL' "$W/flood.out" | sort | uniq -c | head -n 5)"
full=$(ctl stats | awk '$1 == "auth.lockout_table_full" { print $2 }')
[ "${full:-0}" -gt 0 ]
ok $? "the flood filled the lock table (auth.lockout_table_full = ${full:-0})"

now=$(date +%s)
if [ $((now - t_lock)) -ge $((LOCK_S - 1)) ]; then
	ok 1 "flood finished before the lock could end (took $((now - t_lock)) s of $LOCK_S)"
else
	[ "$(dv plain victim victim-pw)" = "FAIL 1 reason=Authentication failed" ] && [ "$(locked_lines)" = 2 ]
	ok $? "after the flood the right password is still refused: locked out" ||
		diag "$(grep 'user=victim' "$LOG" | tail -n 2)"
fi

# the lock ends lockout_seconds after it was taken
while [ "$(date +%s)" -le $((t_lock + LOCK_S)) ]; do sleep 0.5; done
[ "$(dv plain victim victim-pw)" = "OK 1 user=victim" ]
ok $? "after lockout_seconds the right password is accepted again" ||
	diag "$(grep 'user=victim' "$LOG" | tail -n 2)"
done_testing
