#!/usr/bin/env bash
# bench_milter.sh — relayguard's milter against a null libmilter filter, in
# the same run, with the same load (bench/milter_load): msgs/s, p50/p99
# latency and the filter process's CPU per message; then the ratio.
#
# relayguard runs with a SQLite store (the identity check and a tenant grant
# are real lookups) and logs one line per verdict to syslog, as in production:
# to a private stand-in for the syslog daemon that reads and discards the lines
# (bench/null_syslog), so each line costs what it costs up to the socket.
#
# Knobs (environment): BENCH_MILTER_MSGS (default 20000), BENCH_MILTER_CONNS
# (16), BENCH_MILTER_PER_CONN (message counts per connection to try: "1 10"),
# BENCH_MILTER_ROUNDS (3: alternate the two filters, report the best round),
# BENCH_MILTER_USERS (extra users in the SQLite store, bulk-inserted: 0),
# BENCH_MILTER_TENANTS (0: tenant acme in SQLite; N: N tenants in the config,
# acme among them), BENCH_MILTER_LABEL (a name for the RATIO lines),
# BENCH_MILTER_SENDERS (1, with a SQLite tenant: also a second relayguard with
# sender ownership and tenant domains on, same data plus the grants, measured
# in the same rounds; its line compares it with the first relayguard),
# BENCH_MILTER_LOG_VERDICTS (milter.log_verdicts, all: a log line per message),
# BENCH_MILTER_GUARD (1: also a relayguard with the stolen-account guard on:
# client addresses, two message windows, a recipient window (so the milter
# asks for each RCPT) and failed logins, limits high enough that nothing is
# held; same rounds, compared with the first relayguard).
#
# Prints, per message count, one line for scripts:
#   RATIO bench=milter label=L msgs_per_conn=M relayguard_cpu_us=A null_cpu_us=B lean_cpu_us=C
#         lean_stacks_cpu_us=D relayguard/null=A/B relayguard/lean=A/C relayguard/lean_stacks=A/D
# (D: the lean null milter with its threads on relayguard's stack size)
set -u
top_builddir=${top_builddir:-$(pwd)}
LOAD=$top_builddir/bench/milter_load
NULLM=$top_builddir/bench/null_milter
RG=$top_builddir/relayguard
CTL=$top_builddir/relayguardctl
MSGS=${BENCH_MILTER_MSGS:-20000}
CONNS=${BENCH_MILTER_CONNS:-16}
PER_CONN=${BENCH_MILTER_PER_CONN:-"1 10"}
ROUNDS=${BENCH_MILTER_ROUNDS:-3}
USERS=${BENCH_MILTER_USERS:-0}
TENANTS=${BENCH_MILTER_TENANTS:-0}
LABEL=${BENCH_MILTER_LABEL:-default}
LOG_VERDICTS=${BENCH_MILTER_LOG_VERDICTS:-all}	# milter.log_verdicts: all | refusals
SENDERS=${BENCH_MILTER_SENDERS:-1}
GUARD=${BENCH_MILTER_GUARD:-1}
[ "$TENANTS" -gt 0 ] && SENDERS=0	# the tenant domains below live in SQLite

for p in "$LOAD" "$NULLM" "$RG" "$CTL"; do
	[ -x "$p" ] || { echo "bench_milter: $p not built" >&2; exit 1; }
done
SETSID=$(command -v setsid) || { echo "bench_milter: setsid (util-linux) needed" >&2; exit 1; }

mkdir -p "$top_builddir/bench/tmp"
dir=$(mktemp -d "$top_builddir/bench/tmp/milter.XXXXXX") || exit 1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SYSLOG=$top_builddir/bench/null_syslog
[ -x "$SYSLOG" ] || { echo "bench_milter: $SYSLOG not built" >&2; exit 1; }
"$SYSLOG" "$dir/syslog" >"$dir/syslog.count" 2>&1 &
pids+=("$!")
cat >"$dir/relayguard.conf" <<EOF
syslog_socket = "$dir/syslog";
control_socket = "$dir/control";
pidfile = "$dir/relayguard.pid";
syslog_ident = "relayguard-bench";
milter: {
  log_verdicts = "$LOG_VERDICTS";
  socket = "unix:$dir/rg.sock";
  require_auth = [ "submission" ];
};
auth: { enabled = false; };
stores = ( { type = "sqlite"; path = "$dir/auth.db"; } );
EOF
if [ "$TENANTS" -gt 0 ]; then
	awk -v n="$TENANTS" 'BEGIN {
		print "tenants: { header = \"X-Tenant\"; list = (";
		for (i = 1; i < n; i++) printf "  { name = \"tenant-%d\"; require_authz = [ \"user-%d\" ]; },\n", i, i;
		print "  { name = \"acme\"; require_authz = [ \"alice\" ]; }\n); };" }' >>"$dir/relayguard.conf"
else
	echo 'tenants: { header = "X-Tenant"; };' >>"$dir/relayguard.conf"
fi
# start_rg NAME CONF LOG PIDFILE: start a relayguard as in production (it
# goes to the background and writes its pidfile); its pid in $started_pid
start_rg() {
	"$RG" -c "$2" >"$3" 2>&1 || { echo "relayguard ($1) did not start:"; cat "$3"; exit 1; }
	started_pid=
	for _ in $(seq 1 100); do
		[ -s "$4" ] && started_pid=$(cat "$4") && break
		sleep 0.1
	done
	[ -n "$started_pid" ] || { echo "relayguard ($1) wrote no pidfile"; exit 1; }
	pids+=("$started_pid")
}
# the store: relayguardctl's schema (the password is unused by the milter)
ctl() { "$CTL" -c "$dir/relayguard.conf" "$@" >/dev/null; }
{ ctl db init && printf 'unused\n' | ctl user add alice && ctl tenant add acme &&
	ctl tenant grant acme alice; } || { echo "bench_milter: cannot create $dir/auth.db"; exit 1; }
if [ "$USERS" -gt 0 ]; then
	command -v sqlite3 >/dev/null || { echo "bench_milter: sqlite3 needed for BENCH_MILTER_USERS"; exit 1; }
	# the schema and alice come from relayguardctl; the bulk only adds rows
	hash=$(sqlite3 "$dir/auth.db" "SELECT password FROM users WHERE name = 'alice'")
	sqlite3 "$dir/auth.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $USERS)
		INSERT INTO users(name, password, enabled) SELECT 'user-' || i, '$hash', 1 FROM n;" ||
		{ echo "bench_milter: bulk insert failed"; exit 1; }
fi
if [ "$SENDERS" = 1 ]; then
	# the same config and data, plus sender ownership (envelope and From:)
	# and the tenant's domains: alice holds @bench.test, acme uses bench.test
	sed -e "s|$dir/auth.db|$dir/auth-senders.db|; s|$dir/control|$dir/control-s|" \
	    -e "s|$dir/relayguard.pid|$dir/relayguard-s.pid|; s|$dir/rg.sock|$dir/rgs.sock|" \
		"$dir/relayguard.conf" >"$dir/relayguard-senders.conf"
	echo 'senders: { check_envelope = true; check_from = true; };' >>"$dir/relayguard-senders.conf"
	cp "$dir/auth.db" "$dir/auth-senders.db"
	{ "$CTL" -c "$dir/relayguard-senders.conf" sender grant alice @bench.test &&
	  "$CTL" -c "$dir/relayguard-senders.conf" domain add acme bench.test; } >/dev/null ||
		{ echo "bench_milter: cannot add the sender grants"; exit 1; }
	start_rg senders "$dir/relayguard-senders.conf" "$dir/rgs.log" "$dir/relayguard-s.pid"
	rgs_pid=$started_pid
fi
if [ "$GUARD" = 1 ]; then
	sed -e "s|$dir/control|$dir/control-g|" \
	    -e "s|$dir/relayguard.pid|$dir/relayguard-g.pid|; s|$dir/rg.sock|$dir/rgg.sock|" \
		"$dir/relayguard.conf" >"$dir/relayguard-guard.conf"
	cat >>"$dir/relayguard-guard.conf" <<'EOF'
guard: { enabled = true; addresses = 10; messages = [ "100000000/1h", "100000000/1d" ];
         recipients = [ "100000000/1h" ]; failed_logins = "1000/1h"; };
EOF
	start_rg guard "$dir/relayguard-guard.conf" "$dir/rgg.log" "$dir/relayguard-g.pid"
	rgg_pid=$started_pid
fi
start_t0=$(date +%s%N)
start_rg main "$dir/relayguard.conf" "$dir/rg.log" "$dir/relayguard.pid"
rg_pid=$started_pid
start_ms=$(( ($(date +%s%N) - start_t0) / 1000000 ))
# The null milters get a session of their own, as relayguard has after it
# goes to the background (setsid), and as any milter daemon has apart from
# the MTA.  Otherwise they share a scheduler autogroup with the load
# generator while relayguard does not, and the kernel's group fairness then
# preempts relayguard's threads several extra times per message (measured:
# ~40 us CPU per message on 2 cores) — a difference of the bench, not of the
# filters.  (Backgrounded by a script, the milter is no process-group leader,
# so setsid execs it in place: $! is the milter itself, checked below.)
"$SETSID" "$NULLM" "unix:$dir/null.sock" >"$dir/null.log" 2>&1 &
null_pid=$!
pids+=("$null_pid")
"$SETSID" "$NULLM" "unix:$dir/lean.sock" lean >"$dir/lean.log" 2>&1 &
lean_pid=$!
pids+=("$lean_pid")
# the lean null milter again, its threads on relayguard's stack size
# (common/threads.h): what relayguard's own work costs, without what its
# smaller thread stacks save it against glibc's 8 MiB default
"$SETSID" "$NULLM" "unix:$dir/leans.sock" lean stacks >"$dir/leans.log" 2>&1 &
leans_pid=$!
pids+=("$leans_pid")
for _ in $(seq 1 100); do
	[ -S "$dir/rg.sock" ] && [ -S "$dir/null.sock" ] && [ -S "$dir/lean.sock" ] &&
		[ -S "$dir/leans.sock" ] && break
	sleep 0.1
done
[ -S "$dir/rg.sock" ] || { echo "relayguard did not start:"; cat "$dir/rg.log"; exit 1; }
[ -S "$dir/null.sock" ] || { echo "null_milter did not start:"; cat "$dir/null.log"; exit 1; }
[ -S "$dir/leans.sock" ] || { echo "null_milter (stacks) did not start:"; cat "$dir/leans.log"; exit 1; }
for p in "$null_pid" "$lean_pid" "$leans_pid"; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = null_milter ] ||
		{ echo "bench_milter: pid $p is not the null milter (CPU would be misread)"; exit 1; }
done

echo "milter benchmark ($LABEL): $MSGS messages, $CONNS concurrent connections, $(nproc) CPU(s)"
echo "  data: $((USERS + 1)) SQLite user(s), $([ "$TENANTS" -gt 0 ] && echo "$TENANTS config tenant(s)" || echo "1 SQLite tenant"); relayguard started (config loaded, stores open) in $start_ms ms"
echo "  relayguard: SQLite identity check + tenant grant per message, syslog line per verdict"
echo "  null milter: libmilter filter with every callback returning continue"
echo "  lean null milter: the same, negotiating away the steps/replies relayguard skips"
echo "  lean null milter, stacks: the same, its threads on relayguard's stack size (256 KiB)"
echo "  relayguard's log lines (one per verdict) go to bench/null_syslog, a datagram socket that discards them"
# warm up (page cache, SQLite, thread stacks)
"$LOAD" -s "$dir/rg.sock" -n 500 -c 4 -l warmup >/dev/null || {
	echo "relayguard refused the benchmark traffic:"; tail -n 5 "$dir/rg.log"; exit 1; }
"$LOAD" -s "$dir/null.sock" -n 500 -c 4 -l warmup >/dev/null
"$LOAD" -s "$dir/lean.sock" -n 500 -c 4 -l warmup >/dev/null
"$LOAD" -s "$dir/leans.sock" -n 500 -c 4 -l warmup >/dev/null
if [ "$GUARD" = 1 ]; then
	for _ in $(seq 1 100); do [ -S "$dir/rgg.sock" ] && break; sleep 0.1; done
	"$LOAD" -s "$dir/rgg.sock" -n 500 -c 4 -l warmup >/dev/null || {
		echo "relayguard (guard) refused the benchmark traffic:"; tail -n 5 "$dir/rgg.log"; exit 1; }
fi
if [ "$SENDERS" = 1 ]; then
	"$LOAD" -s "$dir/rgs.sock" -n 500 -c 4 -l warmup >/dev/null || {
		echo "relayguard (senders) refused the benchmark traffic:"; tail -n 5 "$dir/rgs.log"; exit 1; }
fi

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
status=0
for m in $PER_CONN; do
	best_rg= best_null= best_lean= best_leans= best_rgs= best_rgg=
	for r in $(seq 1 "$ROUNDS"); do
		if [ "$GUARD" = 1 ]; then
			out_rgg=$("$LOAD" -s "$dir/rgg.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$rgg_pid" \
				-l relayguard+guard) || status=1
			echo "  [msgs/conn=$m round $r] $out_rgg"
			c_rgg=$(echo "$out_rgg" | field cpu_us_per_msg)
			if [ -z "$best_rgg" ] || awk "BEGIN{exit !($c_rgg < $best_rgg)}"; then best_rgg=$c_rgg; fi
		fi
		if [ "$SENDERS" = 1 ]; then
			out_rgs=$("$LOAD" -s "$dir/rgs.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$rgs_pid" \
				-l relayguard+senders) || status=1
			echo "  [msgs/conn=$m round $r] $out_rgs"
			c_rgs=$(echo "$out_rgs" | field cpu_us_per_msg)
			if [ -z "$best_rgs" ] || awk "BEGIN{exit !($c_rgs < $best_rgs)}"; then best_rgs=$c_rgs; fi
		fi
		out_rg=$("$LOAD" -s "$dir/rg.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$rg_pid" -l relayguard) || status=1
		out_null=$("$LOAD" -s "$dir/null.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$null_pid" -l null) || status=1
		out_lean=$("$LOAD" -s "$dir/lean.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$lean_pid" -l lean-null) || status=1
		out_leans=$("$LOAD" -s "$dir/leans.sock" -n "$MSGS" -c "$CONNS" -m "$m" -p "$leans_pid" \
			-l lean-null+stacks) || status=1
		echo "  [msgs/conn=$m round $r] $out_rg"
		echo "  [msgs/conn=$m round $r] $out_null"
		echo "  [msgs/conn=$m round $r] $out_lean"
		echo "  [msgs/conn=$m round $r] $out_leans"
		c_rg=$(echo "$out_rg" | field cpu_us_per_msg)
		c_null=$(echo "$out_null" | field cpu_us_per_msg)
		c_lean=$(echo "$out_lean" | field cpu_us_per_msg)
		c_leans=$(echo "$out_leans" | field cpu_us_per_msg)
		if [ -z "$best_rg" ] || awk "BEGIN{exit !($c_rg < $best_rg)}"; then best_rg=$c_rg; fi
		if [ -z "$best_null" ] || awk "BEGIN{exit !($c_null < $best_null)}"; then best_null=$c_null; fi
		if [ -z "$best_lean" ] || awk "BEGIN{exit !($c_lean < $best_lean)}"; then best_lean=$c_lean; fi
		if [ -z "$best_leans" ] || awk "BEGIN{exit !($c_leans < $best_leans)}"; then best_leans=$c_leans; fi
	done
	awk -v a="$best_rg" -v b="$best_null" -v c="$best_lean" -v d="$best_leans" -v m="$m" -v l="$LABEL" -v st="$start_ms" 'BEGIN {
		printf "  msgs/conn=%s: CPU per message (best of rounds): relayguard %.1f us, null %.1f us (ratio %.2f), lean null %.1f us (ratio %.2f, target <= 1.10), lean null on relayguard'"'"'s stacks %.1f us (ratio %.2f)\n",
			m, a, b, (b > 0 ? a / b : 0), c, (c > 0 ? a / c : 0), d, (d > 0 ? a / d : 0)
		printf "RATIO bench=milter label=%s msgs_per_conn=%s relayguard_cpu_us=%.1f null_cpu_us=%.1f lean_cpu_us=%.1f lean_stacks_cpu_us=%.1f relayguard/null=%.3f relayguard/lean=%.3f relayguard/lean_stacks=%.3f start_ms=%s\n",
			l, m, a, b, c, d, (b > 0 ? a / b : 0), (c > 0 ? a / c : 0), (d > 0 ? a / d : 0), st }'
	if [ "$SENDERS" = 1 ]; then
		awk -v a="$best_rg" -v s="$best_rgs" -v m="$m" -v l="$LABEL" 'BEGIN {
			printf "  msgs/conn=%s: with sender ownership and tenant domains on: %.1f us per message (ratio %.2f to relayguard without them, target <= 1.10)\n",
				m, s, (a > 0 ? s / a : 0)
			printf "RATIO bench=milter-senders label=%s msgs_per_conn=%s senders_cpu_us=%.1f relayguard_cpu_us=%.1f senders/relayguard=%.3f\n",
				l, m, s, a, (a > 0 ? s / a : 0) }'
	fi
	if [ "$GUARD" = 1 ]; then
		awk -v a="$best_rg" -v g="$best_rgg" -v m="$m" -v l="$LABEL" 'BEGIN {
			printf "  msgs/conn=%s: with the guard on (RCPT asked for): %.1f us per message (ratio %.2f to relayguard without it, target <= 1.10)\n",
				m, g, (a > 0 ? g / a : 0)
			printf "RATIO bench=milter-guard label=%s msgs_per_conn=%s guard_cpu_us=%.1f relayguard_cpu_us=%.1f guard/relayguard=%.3f\n",
				l, m, g, a, (a > 0 ? g / a : 0) }'
		if "$CTL" -c "$dir/relayguard-guard.conf" stats 2>/dev/null | grep -q '^guard\.action'; then
			echo "bench_milter: the guard acted during the benchmark (limits too low)"; status=1
		fi
	fi
done
exit $status
