#!/usr/bin/env bash
# bench_fleet.sh — `make bench-fleet`: the stores and counters of a fleet,
# side by side in one run, same load generators as bench-auth and
# bench-milter:
#   sqlite      relayguard with the SQLite store (the reference)
#   postgresql  the same users in a private PostgreSQL (initdb/pg_ctl in this
#               run's folder, 127.0.0.1 with a password, stopped by PID)
#   pg+redis    the PostgreSQL store, penalties, lockouts and the guard's
#               counters in a private redis-server (unix socket)
# Cached logins (bench/bench_auth, 8 connections, one user b0: the cache skips
# the hash, the store is still read on every login) and MAIL checks
# (bench/milter_load: identity check and tenant grant per message), with
# p50/p99.  Round trips are counted: PostgreSQL queries by relayguard's own
# counter (store.pgsql.query), Redis EVALs by the server (INFO commandstats),
# per login and per message.
# Knobs: BENCH_FLEET_LOGINS (default 40000), BENCH_FLEET_MSGS (10000).
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
b=$(cd "$top_builddir" && pwd)
RG=$b/relayguard; CTL=$b/relayguardctl; ALOAD=$b/bench/bench_auth; MLOAD=$b/bench/milter_load
LOGINS=${BENCH_FLEET_LOGINS:-40000}; MSGS=${BENCH_FLEET_MSGS:-10000}
for p in "$RG" "$CTL" "$ALOAD" "$MLOAD" "$b/bench/null_syslog"; do
	[ -x "$p" ] || { echo "bench_fleet: $p not built" >&2; exit 1; }
done
REDIS=$(command -v redis-server) && REDIS_CLI=$(command -v redis-cli) ||
	{ echo "bench_fleet: redis-server not installed (sh bootstrap)" >&2; exit 1; }

# t/pg-lib.sh starts and stops the private PostgreSQL; it expects these
# helpers of the test library
wait_until() { _n=$(( $1 * 10 )); shift; while [ $_n -gt 0 ]; do "$@" && return 0; sleep 0.1; _n=$((_n - 1)); done; "$@"; }
gone() { ! kill -0 "$1" 2>/dev/null; }
tap_at_exit() { :; }
. "$top_srcdir/t/pg-lib.sh"
pg_have || { echo "bench_fleet: PostgreSQL server binaries not installed (sh bootstrap)" >&2; exit 1; }

mkdir -p "$b/bench/tmp"
W=$(mktemp -d "$b/bench/tmp/fleet.XXXXXX") || exit 1
chmod 711 "$W"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	_pg_stop_all
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
pg_primary "$W/pg" "$PORT" || { echo "bench_fleet: PostgreSQL did not start"; tail -5 "$W/pg/server.log"; exit 1; }
pg_sql "$W/pg" "$PORT" "CREATE ROLE relayguard LOGIN PASSWORD 'rg-secret'" >/dev/null
pg_sql "$W/pg" "$PORT" "CREATE DATABASE mail OWNER relayguard" >/dev/null
printf 'rg-secret\n' >"$W/pg.pass"
"$REDIS" --port 0 --unixsocket "$W/redis.sock" --unixsocketperm 700 --save "" --appendonly no \
	--dir "$W" --daemonize no >"$W/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do [ -S "$W/redis.sock" ] && break; sleep 0.1; done
head -c 48 /dev/urandom | base64 >"$W/fleet.key"
"$b/bench/null_syslog" "$W/syslog" >/dev/null 2>&1 &
pids+=("$!")

PGSTORE="{ type = \"postgresql\"; conninfo = \"host=127.0.0.1 port=$PORT dbname=mail user=relayguard\"; password_file = \"$W/pg.pass\"; pool_size = 8; }"
conf() { # NAME STORE EXTRA
	cat >"$W/$1.conf" <<EOF
syslog_socket = "$W/syslog";
control_socket = "$W/$1.control";
pidfile = "$W/$1.pid";
milter: { socket = "unix:$W/$1.milter"; require_auth = [ "submission" ]; };
auth: { dovecot_socket = "$W/$1.auth"; saslauthd_socket = ""; hash_threads = 0; failure_delay_ms = 0;
        max_connections = 4096; cache: { ttl = 3600; }; };
tenants: { header = "X-Tenant"; };
stores = ( $2 );
$3
EOF
}
conf sqlite "{ type = \"sqlite\"; path = \"$W/users.db\"; }" ""
conf postgresql "$PGSTORE" ""
conf pgredis "$PGSTORE" "shared_state: { type = \"redis\"; servers = [ \"unix:$W/redis.sock\" ]; secret_file = \"$W/fleet.key\"; };
guard: { enabled = true; addresses = 10; messages = [ \"100000000/1h\" ]; failed_logins = \"1000/1h\"; };"
for db in sqlite postgresql; do
	c() { "$CTL" -c "$W/$db.conf" "$@" >/dev/null; }
	{ c db init && printf 'alice-pw\n' | c user add alice && printf 'pw0' | c user add b0 && c tenant add acme &&
		c tenant grant acme alice; } || { echo "bench_fleet: cannot create the $db users"; exit 1; }
done
start() { # NAME
	"$RG" -c "$W/$1.conf" >"$W/$1.log" 2>&1 || { echo "relayguard ($1) did not start:"; cat "$W/$1.log"; exit 1; }
	for _ in $(seq 1 100); do [ -S "$W/$1.auth" ] && [ -S "$W/$1.milter" ] && break; sleep 0.1; done
	pids+=("$(cat "$W/$1.pid")")
}
for n in sqlite postgresql pgredis; do start $n; done

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | tr -d '/s'; }
xacts() { "$CTL" -c "$W/$n.conf" stats 2>/dev/null | awk '$1 == "store.pgsql.query" { v = $2 } END { print v + 0 }'; }
evals() { "$REDIS_CLI" -s "$W/redis.sock" info commandstats | sed -n 's/^cmdstat_eval\(sha\)\{0,1\}:calls=\([0-9]*\).*/\2/p' | awk '{ s += $1 } END { print s + 0 }'; }
echo "fleet benchmark: $LOGINS cached logins (8 connections), $MSGS messages (16 connections, 1 per connection), $(nproc) CPU(s)"
printf "%-12s %9s %8s %8s  %9s %8s %8s %8s  %s\n" run "logins/s" "p50 ms" "p99 ms" "msgs/s" "p50 us" "p99 us" "cpu us" "round trips"
declare -A RATE P50 P99 MR MP50 MP99 MCPU
for n in sqlite postgresql pgredis; do
	"$ALOAD" -s "$W/$n.auth" -c 4 -n 500 -U 1 >/dev/null	# warm: cache, pool
	"$MLOAD" -s "$W/$n.milter" -n 300 -c 4 -l warmup >/dev/null
	x0=$(xacts); e0=$(evals)
	a=$("$ALOAD" -s "$W/$n.auth" -c 8 -n "$LOGINS" -U 1)
	x1=$(xacts); e1=$(evals)
	m=$("$MLOAD" -s "$W/$n.milter" -n "$MSGS" -c 16 -m 1 -p "$(cat "$W/$n.pid")" -l "$n")
	x2=$(xacts); e2=$(evals)
	[ "$(field "$a" ok)" = "$LOGINS" ] || { echo "bench_fleet: $n: not every login succeeded: $a"; tail -3 "$W/$n.log"; exit 1; }
	RATE[$n]=$(field "$a" rate); P50[$n]=$(field "$a" p50_ms); P99[$n]=$(field "$a" p99_ms)
	MR[$n]=$(echo "$m" | sed -n 's/.* msgs_per_s=\([^ ]*\).*/\1/p'); MP50[$n]=$(echo "$m" | sed -n 's/.* p50_us=\([^ ]*\).*/\1/p')
	MP99[$n]=$(echo "$m" | sed -n 's/.* p99_us=\([^ ]*\).*/\1/p'); MCPU[$n]=$(echo "$m" | sed -n 's/.* cpu_us_per_msg=\([^ ]*\).*/\1/p')
	rj=$(echo "$m" | sed -n 's/.* rejects=\([0-9]*\).*/\1/p'); tf=$(echo "$m" | sed -n 's/.* tempfails=\([0-9]*\).*/\1/p')
	[ "${rj:-1}" = 0 ] && [ "${tf:-1}" = 0 ] || { echo "bench_fleet: $n refused messages: $m"; tail -3 "$W/$n.log"; exit 1; }
	rt=$(awk -v x0="$x0" -v x1="$x1" -v x2="$x2" -v e0="$e0" -v e1="$e1" -v e2="$e2" -v l="$LOGINS" -v mm="$MSGS" -v n="$n" 'BEGIN {
		if (n == "sqlite") { print "-"; exit }
		printf "pg %.2f/login %.2f/msg", (x1 - x0) / l, (x2 - x1) / mm
		if (n == "pgredis") printf ", redis %.2f/login %.2f/msg", (e1 - e0) / l, (e2 - e1) / mm }')
	printf "%-12s %9s %8s %8s  %9s %8s %8s %8s  %s\n" "$n" "${RATE[$n]}" "${P50[$n]}" "${P99[$n]}" "${MR[$n]}" \
		"${MP50[$n]}" "${MP99[$n]}" "${MCPU[$n]}" "$rt"
	eval "RT_$n=\"\$rt\""
done
pg_rt=$(echo "$RT_postgresql" | sed -n 's/pg \([0-9.]*\)\/login \([0-9.]*\)\/msg.*/\1 \2/p')
rd_rt=$(echo "$RT_pgredis" | sed -n 's/.*redis \([0-9.]*\)\/login \([0-9.]*\)\/msg.*/\1 \2/p')
set -- $pg_rt $rd_rt
awk -v sr="${RATE[sqlite]}" -v pr="${RATE[postgresql]}" -v rr="${RATE[pgredis]}" \
    -v s50="${P50[sqlite]}" -v p50="${P50[postgresql]}" -v p99="${P99[postgresql]}" -v r50="${P50[pgredis]}" -v r99="${P99[pgredis]}" \
    -v sm="${MP50[sqlite]}" -v pm="${MP50[postgresql]}" -v pm99="${MP99[postgresql]}" -v rm="${MP50[pgredis]}" -v rm99="${MP99[pgredis]}" \
    -v pql="$1" -v pqm="$2" -v rel="$3" -v rem="$4" 'BEGIN {
	printf "postgresql: cached logins p50 %.3f ms p99 %.3f ms (%.0f%% of the SQLite rate), MAIL checks p50 %d us p99 %d us\n", p50, p99, 100 * pr / sr, pm, pm99
	printf "redis: %.2f EVAL per login, %.2f per message (target: at most 1); login p50 %.3f ms (+%.3f), message p50 %d us (+%d)\n", rel, rem, r50, r50 - p50, rm, rm - pm
	printf "RATIO bench=fleet pg_login_p50_ms=%.3f pg_login_p99_ms=%.3f pg_msg_p50_us=%d pg_msg_p99_us=%d pg/sqlite_login_rate=%.3f pg_queries_per_login=%.2f pg_queries_per_msg=%.2f redis_evals_per_login=%.2f redis_evals_per_msg=%.2f redis_login_p50_ms=%.3f redis_msg_p50_us=%d\n",
		p50, p99, pm, pm99, pr / sr, pql, pqm, rel, rem, r50, rm }'
