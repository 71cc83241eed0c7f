#!/bin/sh
# bench_auth.sh — `make bench-auth`: relayguard's SASL service against
# Dovecot's own auth service (private instance: own base_dir, only the auth
# service; /etc/dovecot untouched), same users, same Argon2id hashes
# (passwd-file and SQLite), same load generator (bench/bench_auth, Dovecot
# auth protocol).  Cold = every request a different user (no cache can
# answer); warm = one user again and again.  Peak RSS = VmHWM.
# Knobs: BENCH_AUTH_USERS (distinct users, default 200), BENCH_AUTH_WARM (warm
# requests for relayguard, default 200000), BENCH_AUTH_DOVECOT_N (requests per
# Dovecot run, default 120), BENCH_AUTH_FLOOD (concurrent wrong-password
# connections, default 1000), BENCH_AUTH_ROUNDS (cached runs per server, the
# best counts, default 3).
set -u
b=$(cd "${top_builddir:-.}" && pwd)
RG=$b/relayguard; CTL=$b/relayguardctl; LOAD=$b/bench/bench_auth
USERS=${BENCH_AUTH_USERS:-200}; WARM=${BENCH_AUTH_WARM:-200000}
DVN=${BENCH_AUTH_DOVECOT_N:-120}; FLOOD=${BENCH_AUTH_FLOOD:-1000}
CORES=$(nproc)
W=$b/bench/tmp-auth.$$
mkdir -p "$W"
RGPID=; RGSPID=; DVPID=; NULLPID=; SYSLOGPID=
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -9 "$1" 2>/dev/null; }; true; }
cleanup() { stop_pid "$RGPID"; stop_pid "$RGSPID"; stop_pid "$DVPID"; stop_pid "$NULLPID"; stop_pid "$SYSLOGPID"; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
ulimit -n 8192 2>/dev/null || true
hwm() { awk '/VmHWM/ {print $2}' /proc/$1/status 2>/dev/null; }   # kB
hwm_tree() { # sum of VmHWM over a process and its children
	t=0; for p in $1 $(ps -o pid= --ppid "$1"); do v=$(hwm "$p"); t=$((t + ${v:-0})); done; echo $t; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# best of $ROUNDS runs (the cached runs only: a few hundred thousand requests on
# 2 cores swing by 1.5x between runs with where the scheduler puts the 16
# threads; every server gets the same rounds, so the ratio compares like runs)
ROUNDS=${BENCH_AUTH_ROUNDS:-3}
# With several servers they take turns (A, B, C, A, B, C ...), so that all see
# the same conditions of the host.  Prints the best line of each, '|'-separated:
#   best_of SOCKET... -- LOAD-ARGUMENTS      (sockets: paths without spaces)
best_of() {
	socks=; while [ "$1" != -- ]; do socks="$socks $1"; shift; done; shift
	rm -f "$W"/turn.*
	r=0; while [ $r -lt "$ROUNDS" ]; do
		k=0; for s in $socks; do "$LOAD" -s "$s" "$@" >>"$W/turn.$k"; k=$((k + 1)); done
		r=$((r + 1)); done
	k=0; for s in $socks; do
		[ $k -gt 0 ] && printf '|'
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^rate=/) r = substr($i, 6) + 0 }
		     r > best { best = r; line = $0 } END { printf "%s", line }' "$W/turn.$k"
		k=$((k + 1)); done
	echo; }

# relayguard's log lines go to a private stand-in for the syslog daemon that
# reads and discards them (bench/null_syslog): the cost of a line as far as the
# syslog socket, not a real syslog daemon's (which a production host pays too)
"$b/bench/null_syslog" "$W/syslog" >"$W/syslog.count" 2>&1 & SYSLOGPID=$!
cat > "$W/rg.conf" <<CONF
syslog_socket = "$W/syslog";
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/rg-auth"; saslauthd_socket = "";
  hash_threads = 0; hash_queue = 64; failure_delay_ms = 0;
  max_connections = 4096;
  cache: { ttl = 3600; size = 100000; };
};
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
echo "auth bench: creating $USERS users (Argon2id, relayguard's default parameters) ..."
"$CTL" -c "$W/rg.conf" db init >/dev/null
i=0; while [ $i -lt "$USERS" ]; do printf "pw$i" | "$CTL" -c "$W/rg.conf" user add "b$i" >/dev/null; i=$((i+1)); done
sqlite3 "$W/users.db" "SELECT name || ':{ARGON2ID}' || password FROM users" > "$W/passwd"
echo "hash: $(sqlite3 "$W/users.db" "SELECT substr(password,1,30) FROM users LIMIT 1")..."

# ---- relayguard (in the background as in production: log lines to syslog only) ----
"$RG" -c "$W/rg.conf" >"$W/rg.log" 2>&1
i=0; while [ ! -S "$W/rg-auth" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
RGPID=$(cat "$W/rg.pid")
one=$("$LOAD" -s "$W/rg-auth" -c 1 -n 20 -U 20)          # 20 distinct users, one at a time
VERIFY_MS=$(field "$one" p50_ms)
# The hashing limit: $CORES threads verifying the same Argon2id at once, in
# process (bench_schemes -P), so that memory-bandwidth contention between
# parallel memory-hard hashes is part of the limit, not blamed on the service.
par=$("$b/bench/bench_schemes" -P "$CORES" -t 2)
LIMIT=$(echo "$par" | sed -n 's/.*parallel_verifies_per_s=\([0-9.]*\).*/\1/p')
echo "single verify through the service (p50, 1 connection, uncached): $VERIFY_MS ms"
echo "hashing limit: $CORES threads verifying Argon2id in process: $LIMIT verifies/s"
# the single-verify run cached its 20 users; a reload (new cache key) clears that
kill -USR1 $RGPID; sleep 0.5
rg_cold=$("$LOAD" -s "$W/rg-auth" -c $((CORES * 4)) -n "$USERS" -U "$USERS")
rg_warm=$(best_of "$W/rg-auth" -- -c 8 -n "$WARM" -U 1)
rg_hwm=$(hwm $RGPID)
# the same cached logins without a log line per success (log_logins = "failures")
sed -i 's|^  failure_delay_ms = 0; *$|&|; s|hash_queue = 64; failure_delay_ms = 0;|hash_queue = 64; failure_delay_ms = 0; log_logins = "failures";|' "$W/rg.conf"
kill -USR1 $RGPID; sleep 0.5
"$LOAD" -s "$W/rg-auth" -c 4 -n 1000 -U 1 >/dev/null	# the reload emptied the cache
# a second relayguard, the same but with the user in a static store (no file
# to look at per login): what the store's look costs (a stat and a lock
# test per login, the price of seeing a revocation at once)
hash_b0=$(sqlite3 "$W/users.db" "SELECT password FROM users WHERE name = 'b0'")
sed -e "s|$W/control|$W/control-static|; s|$W/rg.pid|$W/rg-static.pid|; s|$W/rg-auth|$W/rg-static-auth|" \
    -e "s|^stores = .*|stores = ( { type = \"static\"; users = ( { name = \"b0\"; password = \"$hash_b0\"; } ); } );|" \
	"$W/rg.conf" >"$W/rg-static.conf"
"$RG" -c "$W/rg-static.conf" >"$W/rg-static.log" 2>&1
i=0; while [ ! -S "$W/rg-static-auth" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
RGSPID=$(cat "$W/rg-static.pid")
"$LOAD" -s "$W/rg-static-auth" -c 4 -n 1000 -U 1 >/dev/null	# b0 into its cache
# the limit: a Dovecot-protocol server answering OK to everything, same load,
# taking turns with the two relayguards
"$b/bench/null_dovecot" "$W/null-auth" >/dev/null 2>&1 & NULLPID=$!
i=0; while [ ! -S "$W/null-auth" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
turns=$(best_of "$W/rg-auth" "$W/rg-static-auth" "$W/null-auth" -- -c 8 -n "$WARM" -U 1)
rg_warm_nolog=${turns%%|*}; x=${turns#*|}; rg_static_nolog=${x%%|*}; null_warm=${x#*|}
kill $NULLPID; wait $NULLPID 2>/dev/null
stop_pid $RGSPID; RGSPID=
rg_flood=$("$LOAD" -s "$W/rg-auth" -c "$FLOOD" -n $((FLOOD * 3)) -U "$USERS" -x)
rg_flood_hwm=$(hwm $RGPID)
stop_pid $RGPID; RGPID=
stop_pid $SYSLOGPID; SYSLOGPID=
SYSLOG_LINES=$(sed -n 's/^lines=//p' "$W/syslog.count")

# ---- Dovecot auth (private instance) ----
dovecot_run() { # passdb-block name → prints "cold-line|warm-line|hwm"
	rm -rf "$W/dv"; mkdir -p "$W/dv"
	cat > "$W/dovecot.conf" <<CONF
base_dir = $W/dv
state_dir = $W/dv/state
instance_name = rgbench$$
protocols =
ssl = no
log_path = $W/dovecot.log
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_failure_delay = 0
$1
userdb {
  driver = static
  args = uid=65534 gid=65534 home=/nonexistent
}
service auth {
  unix_listener auth-bench {
    mode = 0666
  }
}
service anvil {
  chroot =
}
CONF
	cat > "$W/dovecot-sql.conf.ext" <<CONF
driver = sqlite
connect = $W/users.db
password_query = SELECT name AS user, '{ARGON2ID}' || password AS password FROM users WHERE name = '%u' AND enabled = 1
CONF
	dovecot -F -c "$W/dovecot.conf" >>"$W/dovecot.log" 2>&1 & DVPID=$!
	i=0; while [ ! -S "$W/dv/auth-bench" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	[ -S "$W/dv/auth-bench" ] || { echo "dovecot did not start: $(tail -3 "$W/dovecot.log")" >&2; return 1; }
	c=$("$LOAD" -s "$W/dv/auth-bench" -c $((CORES * 4)) -n "$DVN" -U "$DVN")
	w=$("$LOAD" -s "$W/dv/auth-bench" -c $((CORES * 4)) -n "$DVN" -U 1)
	h=$(hwm_tree $DVPID)
	stop_pid $DVPID; DVPID=
	echo "$c|$w|$h"
}
PF='passdb {
  driver = passwd-file
  args = '"$W"'/passwd
}'
SQ='passdb {
  driver = sql
  args = '"$W"'/dovecot-sql.conf.ext
}'
dv_pf=$(dovecot_run "$PF")
dv_sq=$(dovecot_run "$SQ")

# ---- report ----
row() { # name line hwm
	printf "%-34s %10s %9s %9s %10s  %s\n" "$1" "$(field "$2" rate)" "$(field "$2" p50_ms)" \
		"$(field "$2" p99_ms)" "${3:-}" "ok=$(field "$2" ok) fail=$(field "$2" fail) closed=$(field "$2" closed)"; }
echo
printf "%-34s %10s %9s %9s %10s\n" "run" "auth/s" "p50 ms" "p99 ms" "peakRSS kB"
row "relayguard cold (uncached)" "$rg_cold" ""
row "relayguard warm (cached)" "$rg_warm" "$rg_hwm"
row "relayguard warm, log_logins=failures" "$rg_warm_nolog" ""
row "  the same, static store" "$rg_static_nolog" ""
row "null Dovecot-protocol server" "$null_warm" ""
row "dovecot passwd-file cold" "${dv_pf%%|*}" ""
x=${dv_pf#*|}; row "dovecot passwd-file warm" "${x%%|*}" "${x#*|}"
row "dovecot sqlite cold" "${dv_sq%%|*}" ""
x=${dv_sq#*|}; row "dovecot sqlite warm" "${x%%|*}" "${x#*|}"
row "relayguard flood: $FLOOD conns wrong pw" "$rg_flood" "$rg_flood_hwm"
echo
cold=$(field "$rg_cold" rate | tr -d '/s'); warm=$(field "$rg_warm" rate | tr -d '/s')
x=${dv_pf#*|}; dvw=$(field "${x%%|*}" rate | tr -d '/s')
x=${dv_sq#*|}; dvs=$(field "${x%%|*}" rate | tr -d '/s')
awk -v c="$cold" -v l="$LIMIT" -v w="$warm" -v d="$dvw" -v s="$dvs" 'BEGIN {
	printf "uncached: %.1f auth/s = %.0f%% of the hashing limit %.1f (target: within 10%%)\n", c, 100*c/l, l;
	printf "cached:   %.0f auth/s = %.0fx Dovecot passwd-file warm, %.0fx Dovecot sqlite warm (target: >= 100x)\n", w, w/d, w/s }'
echo "syslog:   $SYSLOG_LINES lines reached the syslog socket (one per login with log_logins=all)"
echo "flood:    peak RSS $rg_flood_hwm kB after $FLOOD concurrent wrong-password connections (before: $rg_hwm kB)"
nw=$(field "$null_warm" rate | tr -d '/s'); wn=$(field "$rg_warm_nolog" rate | tr -d '/s')
ws=$(field "$rg_static_nolog" rate | tr -d '/s')
awk -v w="$warm" -v wn="$wn" -v ws="$ws" -v n="$nw" -v c="$cold" -v l="$LIMIT" -v d="$dvw" 'BEGIN {
	printf "limit:    cached %.0f%% of the null server (%.0f/s), %.0f%% with log_logins=failures (target: >= 70%%), %.0f%% so with a static store\n", 100*w/n, n, 100*wn/n, 100*ws/n;
	printf "RATIO bench=auth cached/null=%.3f cached_nolog/null=%.3f cached_nolog_static/null=%.3f uncached/hash_limit=%.3f cached/dovecot_passwd_file=%.1f\n", w/n, wn/n, ws/n, c/l, w/d }'
