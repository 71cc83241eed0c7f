#!/bin/sh
# control.sh — the control socket and relayguardctl reload / stats, socket
# ownership and modes after the privilege drop.  TAP.
#
# As root (and with the users nobody and daemon and the group postfix
# present) the daemon runs with user = "nobody" and socket_group =
# "postfix", and the tests check owner, group and mode of every socket;
# otherwise those checks are skipped and the daemon runs as the caller.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient python3
dir=$(tap_tmpdir control) || skip_all "cannot create a folder under $top_builddir/t/tmp"

as_user=no
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1 &&
   getent group postfix >/dev/null && command -v setpriv >/dev/null &&
   setpriv --reuid nobody --regid nogroup --clear-groups test -x "$RG" 2>/dev/null; then
	as_user=yes
fi
hash=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"
run=$dir/run		# created by relayguard, owned by the user
conf=$dir/relayguard.conf
log=$dir/relayguard.log

# write_conf ACME_AUTHZ
write_conf() {
	{
	if [ $as_user = yes ]; then
		printf 'user = "nobody";\nsocket_group = "postfix";\n'
	fi
	cat <<EOF2
socket_mode = "0660";
control_socket = "$run/control";
pidfile = "$run/relayguard.pid";
milter: { socket = "unix:$run/milter.sock"; require_auth = [ "submission" ]; };
auth: { dovecot_socket = "$run/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "alice"; password = "$hash"; } ); } );
tenants: { list = ( { name = "acme"; require_authz = [ "$1" ]; } ); };
EOF2
	} >"$conf.new"
	mv "$conf.new" "$conf"
}
write_conf alice
chmod 644 "$conf"

rg_start "$conf" "$log" "$run/auth" "$run/milter.sock" "$run/control"
ok $? "relayguard starts (as_user=$as_user)" || { done_testing; exit 1; }
pid=$RG_PID

# ---- sockets: owner, group, mode ----
perms() { stat -c '%U:%G %a' "$1"; }
if [ $as_user = yes ]; then
	test "$(ps -o user= -p "$pid")" = nobody
	ok $? "the daemon runs as nobody after binding its sockets"
	for s in auth milter.sock; do
		test "$(perms "$run/$s")" = "nobody:postfix 660"
		ok $? "$s: owner = user (socket_owner unset), group = socket_group, socket_mode ($(perms "$run/$s"))"
	done
	test "$(perms "$run/control")" = "nobody:nogroup 600"
	ok $? "control socket: owned by the user, mode 0600 ($(perms "$run/control"))"
else
	for s in auth milter.sock; do
		test "$(stat -c %a "$run/$s")" = 660
		ok $? "$s: socket_mode 0660"
	done
	test "$(stat -c %a "$run/control")" = 600
	ok $? "control socket: mode 0600"
fi

# ---- stats ----
"$DV" "$run/auth" plain alice alice-secret-1 >/dev/null
"$DV" "$run/auth" plain alice alice-secret-1 >/dev/null
"$DV" "$run/auth" plain alice wrong-password >/dev/null
"$DV" "$run/auth" plain nobody-known whatever >/dev/null
stats=$("$CTL" -c "$conf" stats)
ok $? "relayguardctl stats exits 0"
echo "$stats" | grep -qx 'login.ok 2' && echo "$stats" | grep -qx 'cache.hit 1' &&
	echo "$stats" | grep -q '^login\.fail\.[a-z_]* 1$' && echo "$stats" | grep -q '^cache.miss [0-9]'
ok $? "counts logins ok / failed by reason and cache hits / misses" || diag "$stats"
echo "$stats" | grep -q '^config.generation 1$' && echo "$stats" | grep -q '^uptime_seconds [0-9]'
ok $? "reports the configuration generation and uptime"
prom=$("$CTL" -c "$conf" stats --prometheus)
echo "$prom" | grep -qx '# TYPE relayguard_logins_total counter' &&
	echo "$prom" | grep -qx 'relayguard_logins_total{result="ok",reason="ok"} 2' &&
	echo "$prom" | grep -q '^relayguard_logins_total{result="fail",reason="[a-z_]*"} 1$' &&
	echo "$prom" | grep -qx '# TYPE relayguard_config_generation gauge'
ok $? "stats --prometheus: relayguard_logins_total with result and reason as labels" || diag "$prom"
echo "$prom" | grep -qx 'relayguard_auth_cache_lookups_total{result="hit"} 1'
ok $? "cache lookups: one family, the result as a label" || diag "$prom"
echo "$stats" | grep -qx 'hashpool.queue_depth 0' &&
	echo "$prom" | grep -qx '# TYPE relayguard_hashpool_queue_depth gauge' &&
	echo "$prom" | grep -qx 'relayguard_open_connections{listener="milter"} 0'
ok $? "hashing-pool queue depth and open connections are gauges, back to 0 when idle" || diag "$stats"
# every login is in the latency histogram: 4 logins, 1 answered by the cache
echo "$prom" | grep -qx 'relayguard_login_duration_seconds_count{cache="hit"} 1' &&
	echo "$prom" | grep -qx 'relayguard_login_duration_seconds_count{cache="miss"} 3' &&
	echo "$prom" | grep -qx 'relayguard_login_duration_seconds_bucket{cache="miss",le="+Inf"} 3'
ok $? "login latency: a _seconds histogram by cache hit/miss, counting every login" || diag "$prom"
unlike "$prom" "unregistered" "every counter has a registered metric family"
for name in $(echo "$prom" | sed -n 's/^# TYPE \([^ ]*\) counter$/\1/p'); do
	case $name in *_total) ;; *) fail "counter $name does not end in _total" ;; esac
done
if command -v promtool >/dev/null; then
	out=$(echo "$prom" | promtool check metrics 2>&1)
	ok $? "promtool check metrics accepts the exposition" || diag "$out"
	is "$out" "" "promtool has no complaint (naming, help, types)"
else
	skip "promtool not installed (apt-get install prometheus)" 2
fi
"$CTL" -c "$conf" stats --json >/dev/null 2>&1
ok $(($? != 64)) "stats with an unknown option: exit 64"

# ---- reload ----
out=$("$CTL" -c "$conf" reload 2>&1)
ok $? "relayguardctl reload exits 0: $out"
echo "$out" | grep -q "configuration generation 2"
ok $? "and names the new generation"
cp "$conf" "$dir/good.conf"
printf 'no_such_key = 1;\n' >>"$conf"
out=$("$CTL" -c "$dir/good.conf" reload 2>&1)
rc=$?
ok $((rc != 78)) "a broken configuration: relayguardctl reload exits 78 (got $rc)"
echo "$out" | grep -q "config error: $conf:[0-9]*: .*no_such_key" && echo "$out" | grep -q "keeping the running configuration (generation 2)"
ok $? "it prints the daemon's file:line error and that the old config stays" || diag "$out"
test "$("$DV" "$run/auth" plain alice alice-secret-1)" = "OK 1 user=alice"
ok $? "logins keep working on the old configuration"
mv "$dir/good.conf" "$conf"

# ---- a reload reaches the next message of an open milter connection ----
if [ -n "$MILTERTEST" ] && [ -x "$MILTERTEST" ]; then
	write_conf alice
	cp "$conf" "$dir/acme-alice.conf"
	write_conf erin
	cp "$conf" "$dir/acme-erin.conf"
	cp "$dir/acme-alice.conf" "$conf"
	"$CTL" -c "$conf" reload >/dev/null
	out=$("$MILTERTEST" -s "$top_srcdir/t/ops/snapshot.lua" -D socket="unix:$run/milter.sock" \
		-D reload="cp '$dir/acme-erin.conf' '$conf' && '$CTL' -c '$conf' reload >/dev/null" 2>&1)
	st=$?
	tap_lines "" "$out"
	[ "$tap_lines_ok" = 4 ] && [ "$tap_lines_failed" = 0 ] && [ $st = 0 ]
	ok $? "snapshot.lua: four checks passed, miltertest exit 0" || diag "$out"
else
	skip "miltertest not installed (snapshot checks)"
fi

# ---- the protocol, permissions, errors ----
ans=$(python3 - "$run/control" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"SHUTDOWN\n")
print(s.recv(4096).decode().strip())
PY
)
matches "$ans" "ERR usage unknown command*" "an unknown command gets ERR with the status token usage"
if [ $as_user = yes ]; then
	setpriv --reuid daemon --regid daemon --clear-groups "$CTL" -c "$conf" stats >"$dir/perm.out" 2>&1
	rc=$?
	[ $rc = 75 ] && grep -q "Permission denied" "$dir/perm.out"
	ok $? "another user cannot use the control socket (exit $rc: $(cat "$dir/perm.out"))"
	setpriv --reuid nobody --regid nogroup --clear-groups "$CTL" -c "$conf" stats >/dev/null 2>&1
	ok $? "the daemon's own user can"
fi
sed 's|^control_socket = .*|control_socket = "";|' "$conf" >"$dir/nocontrol.conf"
"$CTL" -c "$dir/nocontrol.conf" stats >"$dir/nc.out" 2>&1
rc=$?
[ $rc = 78 ] && grep -q 'control_socket is ""' "$dir/nc.out"
ok $? "control_socket = \"\": relayguardctl says so, exit 78 (got $rc)"

# ---- stop: every socket and the pidfile go ----
kill -TERM "$pid"
wait_until 20 gone "$pid"
ok $? "SIGTERM stops the daemon"
test ! -e "$run/auth" && test ! -e "$run/milter.sock" && test ! -e "$run/control" &&
	test ! -e "$run/relayguard.pid"
ok $? "sockets (SASL, milter, control) and pidfile removed" || diag "$(ls -la "$run")"
"$CTL" -c "$conf" reload >"$dir/down.out" 2>&1
rc=$?
[ $rc = 75 ] && grep -q "is relayguard running" "$dir/down.out"
ok $? "no daemon: relayguardctl reload exits 75 and says why (got $rc)"

# ---- systemd's RuntimeDirectory: made by root before the start, named in
# $RUNTIME_DIRECTORY; the daemon gives it to its user, so that it can remove
# its files there at stop ----
if [ $as_user = yes ]; then
	rt=$dir/rt
	mkdir -m 0755 "$rt"
	sed "s|$run/|$rt/|g" "$conf" >"$dir/rt.conf"
	RUNTIME_DIRECTORY=$rt
	export RUNTIME_DIRECTORY
	rg_start "$dir/rt.conf" "$dir/rt.log" "$rt/auth" "$rt/control"
	ok $? "relayguard starts with RUNTIME_DIRECTORY=$rt (a root-owned folder)"
	unset RUNTIME_DIRECTORY
	is "$(stat -c %U:%G "$rt")" "nobody:nogroup" "the runtime folder is given to the daemon's user"
	is "$(stat -c %U "$dir")" "root" "and nothing above it is touched"
	rg_stop
	ok $? "it stops on SIGTERM"
	is "$(ls -A "$rt")" "" "and removes its sockets and pidfile from the runtime folder"
	is "$(grep -c 'cannot remove' "$dir/rt.log")" 0 "without a 'cannot remove' complaint"
fi
done_testing
