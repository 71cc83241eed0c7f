#!/bin/sh
# t/daemon.sh — relayguard's lifecycle: background start with pidfile, a
# second instance refused, stale pidfile taken over, SIGUSR1 reload (a bad
# config is rejected and the old one kept), SIGTERM removes pidfile and
# sockets, a broken config refuses to start.  SASL service only (the milter
# is tested with libmilter elsewhere).  TAP output.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require
tmp=$(tap_tmpdir daemon) || bail_out "cannot make a folder under $top_builddir/t/tmp"

H='$argon2id$v=19$m=19456,t=2,p=1$NmE1MWZmZWU3ZDhjOTc5NQ$Wz66bXSgC+bi3zCArR1Qw9ig9z8LDc125vOh8hobLSk'
run=$tmp/run/sub		# does not exist yet: relayguard creates it
cat >"$tmp/rg.conf" <<EOF
pidfile = "$run/relayguard.pid";
control_socket = "";
milter: { enabled = false; };
auth: { dovecot_socket = "$run/auth"; saslauthd_socket = "$run/mux"; };
stores = ( { type = "static"; users = ( { name = "demo"; password = "$H"; } ); } );
EOF

# ---- background start ----------------------------------------------------------------
"$RG" -c "$tmp/rg.conf" >"$tmp/start.out" 2>&1
ok $? "background start exits 0 once the daemon is ready"
test -S "$run/auth" && test -S "$run/mux"
ok $? "the parent returned after the sockets were bound (run dir created)"
pid=$(cat "$run/relayguard.pid" 2>/dev/null)
track "$pid"
kill -0 "$pid" 2>/dev/null
ok $? "pidfile names the running daemon ($pid)"
[ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = 1 ] || [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
ok $? "the daemon is detached (own session)"

"$RG" -c "$tmp/rg.conf" >"$tmp/second.out" 2>&1
ok $(($? != 1)) "a second instance exits 1"
grep -q "already running (pid $pid)" "$tmp/second.out"
ok $? "and says which pid is running"
test "$(cat "$run/relayguard.pid")" = "$pid"
ok $? "the pidfile is untouched by the refused start"

kill -TERM "$pid"
wait_until 5 gone "$pid"
ok $? "SIGTERM stops the daemon"
test ! -e "$run/relayguard.pid" && test ! -e "$run/auth" && test ! -e "$run/mux"
ok $? "pidfile and sockets removed on stop"

# ---- stale pidfile ------------------------------------------------------------------------
echo 999999 >"$run/relayguard.pid"
"$RG" -f -c "$tmp/rg.conf" >"$tmp/fg.log" 2>&1 &
pid=$!
track "$pid"
wait_until 5 test -S "$run/mux"
ok $? "a stale pidfile (no live owner) does not block the start"
wait_until 5 test -s "$run/relayguard.pid"
test "$(cat "$run/relayguard.pid")" = "$pid"
ok $? "foreground (-f) writes its own pid"

# ---- reload -------------------------------------------------------------------------------
kill -USR1 "$pid"
wait_until 5 grep -q "reload done" "$tmp/fg.log"
grep -q "reload done: configuration generation" "$tmp/fg.log"
ok $? "SIGUSR1 reloads the configuration"
cp "$tmp/rg.conf" "$tmp/rg.conf.good"
echo 'auth: { hash_queue = 0; };' >>"$tmp/rg.conf"
kill -USR1 "$pid"
wait_until 5 grep -q "reload failed" "$tmp/fg.log"
grep -q "reload failed: keeping the running configuration" "$tmp/fg.log"
ok $? "a broken config on reload is rejected"
grep -q "config error: $tmp/rg.conf:6: " "$tmp/fg.log"
ok $? "the reload error names file:line"
kill -0 "$pid" 2>/dev/null && test -S "$run/auth"
ok $? "the daemon keeps running with the old configuration"
mv "$tmp/rg.conf.good" "$tmp/rg.conf"

kill -TERM "$pid"
wait_until 5 gone "$pid"
ok $? "SIGTERM stops the foreground daemon"
grep -q "stopped" "$tmp/fg.log"
ok $? "it logs that it stopped"

# ---- refuse to start -------------------------------------------------------------------
printf 'auth: { hash_queue = "many"; };\n' >"$tmp/bad.conf"
"$RG" -c "$tmp/bad.conf" >"$tmp/bad.out" 2>&1
ok $(($? != 1)) "a broken config: exit 1"
grep -q "$tmp/bad.conf:1: auth.hash_queue: expected an integer" "$tmp/bad.out"
ok $? "the problem is printed with file:line"
sed "s|type = \"static\"; users = ( { name = \"demo\"; password = \"[^\"]*\"; } )|type = \"passwd-file\"; path = \"$tmp/nope\"|" \
	"$tmp/rg.conf" >"$tmp/nostore.conf"
"$RG" -f -c "$tmp/nostore.conf" >"$tmp/nostore.out" 2>&1
ok $(($? != 1)) "a store that cannot be opened: exit 1"
grep -q "store error: .*stores\[0\].*cannot open" "$tmp/nostore.out"
ok $? "the store problem is named"

done_testing
