#!/usr/bin/env bash
# bench_scale.sh — `make bench-scale`: does relayguard's cost stay flat as the data
# grows?  The same milter load and the same cached-login load, in one run, with
# small data (100 users in SQLite, 10 tenants in the config) and large data
# (1,000,000 users, 100,000 tenants): CPU per message, logins per second, and the
# time to load the configuration and open the stores.  Target: large within
# 1.2x of small; loading 100,000 tenants under 2 s.
#
# Knobs: BENCH_SCALE_USERS (1000000), BENCH_SCALE_TENANTS (100000),
# BENCH_SCALE_MSGS (10000), BENCH_SCALE_LOGINS (100000).
# Prints one line for scripts:
#   RATIO bench=scale milter_cpu_large/small=X login_rate_small/large=Y load_ms_large=Z
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
b=$top_builddir
USERS=${BENCH_SCALE_USERS:-1000000}
TENANTS=${BENCH_SCALE_TENANTS:-100000}
MSGS=${BENCH_SCALE_MSGS:-10000}
LOGINS=${BENCH_SCALE_LOGINS:-100000}
for p in "$b/relayguard" "$b/relayguardctl" "$b/bench/bench_auth"; do
	[ -x "$p" ] || { echo "bench_scale: $p not built" >&2; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "bench_scale: sqlite3 needed" >&2; exit 1; }
W=$(mktemp -d "$b/bench/tmp-scale.XXXXXX") || exit 1
RGPID=
cleanup() { [ -n "$RGPID" ] && kill "$RGPID" 2>/dev/null && wait "$RGPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "scale benchmark: small = 100 users / 10 tenants, large = $USERS users / $TENANTS tenants; $(nproc) CPU(s)"

# ---- milter: CPU per message (bench_milter.sh, same load), 10 and 1 messages per connection ----
milter() { # label users tenants
	BENCH_MILTER_MSGS=$MSGS BENCH_MILTER_ROUNDS=2 BENCH_MILTER_LABEL=$1 \
	BENCH_MILTER_USERS=$2 BENCH_MILTER_TENANTS=$3 top_builddir=$b \
		bash "$top_srcdir/bench/bench_milter.sh" | grep '^RATIO'
}
small_m=$(milter small 99 10) || exit 1
large_m=$(milter large "$((USERS - 1))" "$TENANTS") || exit 1
echo "$small_m" | sed 's/^/  /'
echo "$large_m" | sed 's/^/  /'

# ---- SASL: cached logins per second, one user among N in SQLite ----
login_rate() { # users → "rate load_ms"
	rm -f "$W/auth.db"
	cat >"$W/rg.conf" <<CONF
control_socket = "$W/control"; pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: { dovecot_socket = "$W/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "sqlite"; path = "$W/auth.db"; } );
CONF
	"$b/relayguardctl" -c "$W/rg.conf" db init >/dev/null &&
		printf 'pw0' | "$b/relayguardctl" -c "$W/rg.conf" user add b0 >/dev/null || return 1
	local hash
	hash=$(sqlite3 "$W/auth.db" "SELECT password FROM users WHERE name = 'b0'")
	sqlite3 "$W/auth.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
		INSERT INTO users(name, password, enabled) SELECT 'x' || i, '$hash', 1 FROM n;" || return 1
	local t0 t1
	t0=$(date +%s%N)
	"$b/relayguard" -f -c "$W/rg.conf" >"$W/rg.log" 2>&1 &
	RGPID=$!
	for _ in $(seq 1 200); do [ -S "$W/auth" ] && break; sleep 0.05; done
	t1=$(date +%s%N)
	"$b/bench/bench_auth" -s "$W/auth" -c 4 -n 2000 -U 1 >/dev/null	# warm: the cache holds b0
	local out
	out=$("$b/bench/bench_auth" -s "$W/auth" -c 8 -n "$LOGINS" -U 1)
	kill "$RGPID"; wait "$RGPID" 2>/dev/null; RGPID=
	echo "$(echo " $out" | field rate | tr -d '/s') $(( (t1 - t0) / 1000000 ))"
}
read -r rate_small load_small < <(login_rate 100) || exit 1
read -r rate_large load_large < <(login_rate "$USERS") || exit 1
echo "  cached logins (8 connections, one user): ${rate_small}/s with 100 users, ${rate_large}/s with $USERS users"

# ---- loading 100,000 tenants: relayguard -n ----
awk -v n="$TENANTS" 'BEGIN {
	print "auth: { enabled = false; }; milter: { socket = \"unix:/nonexistent/m.sock\"; };";
	print "control_socket = \"\"; pidfile = \"\"; stores = ();";
	print "tenants: { list = (";
	for (i = 0; i < n; i++) printf "  { name = \"tenant-%d\"; require_authz = [ \"user-%d\" ]; }%s\n", i, i, (i < n - 1 ? "," : "");
	print "); };" }' >"$W/tenants.conf"
t0=$(date +%s%N)
"$b/relayguard" -n -c "$W/tenants.conf" >/dev/null 2>&1 || { echo "bench_scale: -n refused the tenants config"; exit 1; }
load_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "  relayguard -n on $TENANTS tenants: ${load_ms} ms (target < 2000)"

m_small=$(echo " $small_m" | grep 'msgs_per_conn=10 ' | field relayguard_cpu_us)
m_large=$(echo " $large_m" | grep 'msgs_per_conn=10 ' | field relayguard_cpu_us)
m1_small=$(echo " $small_m" | grep 'msgs_per_conn=1 ' | field relayguard_cpu_us)
m1_large=$(echo " $large_m" | grep 'msgs_per_conn=1 ' | field relayguard_cpu_us)
awk -v ms="$m_small" -v ml="$m_large" -v m1s="$m1_small" -v m1l="$m1_large" -v rs="$rate_small" \
	-v rl="$rate_large" -v lm="$load_ms" 'BEGIN {
	printf "RATIO bench=scale milter_cpu_large/small=%.3f milter1_cpu_large/small=%.3f login_rate_small/large=%.3f load_ms_large=%d (targets: <= 1.2, <= 1.2, <= 1.2, < 2000)\n",
		(ms > 0 ? ml / ms : 0), (m1s > 0 ? m1l / m1s : 0), (rl > 0 ? rs / rl : 0), lm }'
