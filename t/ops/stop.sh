#!/bin/sh
# stop.sh — graceful stop: SIGTERM lets requests in flight finish (a login
# busy hashing, a milter transaction between MAIL and end of message),
# waits a bounded time for a connection that never finishes, and removes
# every socket and the pidfile.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient
dir=$(tap_tmpdir stop) || skip_all "cannot create a folder under $top_builddir/t/tmp"

fast=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"
# a hash that takes about a second to verify
printf 'passwords: { argon2_memory_kib = 262144; argon2_iterations = 6; };\n' >"$dir/slow.conf"
slow=$(printf 'slow-secret\n' | "$CTL" -c "$dir/slow.conf" hash) || bail_out "relayguardctl hash failed"

conf=$dir/relayguard.conf
cat >"$conf" <<EOF2
control_socket = "$dir/control";
pidfile = "$dir/relayguard.pid";
milter: { socket = "unix:$dir/milter.sock"; require_auth = [ "submission" ]; };
auth: { dovecot_socket = "$dir/auth"; saslauthd_socket = "$dir/mux"; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "alice"; password = "$fast"; },
                                         { name = "slow"; password = "$slow"; } ); } );
tenants: { list = ( { name = "acme"; require_authz = [ "alice" ]; } ); };
EOF2
sockets="$dir/auth $dir/mux $dir/milter.sock $dir/control"
all_gone() {
	for f in $sockets "$dir/relayguard.pid"; do [ ! -e "$f" ] || return 1; done
}

# ---- a login busy hashing ----
log=$dir/run1.log
rg_start "$conf" "$log" $sockets
ok $? "relayguard starts" || { done_testing; exit 1; }
pid=$RG_PID
t0=$(date +%s%N)
"$DV" "$dir/auth" plain slow slow-secret >"$dir/slow.out" 2>&1 &
client=$!
sleep 0.3
kill -TERM "$pid"
wait $client
t1=$(date +%s%N)
test "$(cat "$dir/slow.out")" = "OK 1 user=slow"
ok $? "a login in flight at SIGTERM gets its answer ($(cat "$dir/slow.out"), $(( (t1 - t0) / 1000000 )) ms)"
wait_until 20 gone "$pid"
ok $? "then the daemon stops"
all_gone
ok $? "sockets and pidfile removed" || diag "$(ls -la "$dir")"
grep -q "stopped" "$log"
ok $? "it logs that it stopped"

if [ -z "$MILTERTEST" ] || [ ! -x "$MILTERTEST" ]; then
	skip "miltertest not installed (milter stop checks)"
	done_testing
	exit
fi

# ---- a milter transaction in flight ----
# The MAIL callback has answered; SIGTERM; then the MTA sends the headers.
# libmilter (Debian's build, with its worker pool) stops serving sessions
# once it has seen SIGTERM, so the transaction is cut short: it must not be
# accepted, and the stop must still be bounded and clean.
log=$dir/run2.log
rg_start "$conf" "$log" $sockets
ok $? "relayguard starts again" || { done_testing; exit 1; }
pid=$RG_PID
t0=$(date +%s)
out=$("$MILTERTEST" -s "$top_srcdir/t/ops/inflight.lua" -D socket="unix:$dir/milter.sock" \
	-D signal="kill -TERM $pid" -D hold=1 2>&1)
for want in "MAIL accepted before the stop" "SIGTERM sent while the transaction is open" \
	"a transaction cut short by the stop is not accepted"; do
	echo "$out" | grep -q "^ok - $want"
	ok $? "milter: $want" || diag "$out"
done
wait_until 20 gone "$pid"
ok $? "the daemon stops with a milter connection still open"
t1=$(date +%s)
[ $((t1 - t0)) -le 15 ]
ok $? "within the bound ($((t1 - t0)) s: libmilter's 5 s listener poll + 3 s drain)"
grep -q "still in flight after" "$log"
ok $? "and logs that a request was still in flight"
all_gone
ok $? "sockets (including the milter socket) and pidfile removed" || diag "$(ls -la "$dir")"
done_testing
