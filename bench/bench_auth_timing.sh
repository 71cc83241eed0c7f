#!/bin/sh
# bench_auth_timing.sh — `make bench-auth-timing`: can a client tell accounts
# apart by how long a refusal takes?  The real daemon (SQLite store made by
# relayguardctl), the Dovecot auth protocol (bench/auth_timing, one connection,
# one request at a time), four kinds of refused attempt:
#   unknown user, wrong password (Argon2id at relayguard's defaults), disabled
#   user (same hash, right password), and a user whose stored hash is cheap
#   (sha512crypt, 5000 rounds) with a wrong password
# each BENCH_TIMING_TRIES times (default 30) as a first try (a new password:
# no cache can answer) and as a repeated try (the same password again).
# failure_delay_ms = 0, so the figures are the decision's own cost (a failure
# delay adds the same to every kind of refusal).  Knobs: BENCH_TIMING_TRIES,
# BENCH_RG (another relayguard binary to measure, e.g. an older build).
set -u
b=$(cd "${top_builddir:-.}" && pwd)
RG=${BENCH_RG:-$b/relayguard}; CTL=$b/relayguardctl; LOAD=$b/bench/auth_timing
TRIES=${BENCH_TIMING_TRIES:-30}
W=$b/bench/tmp-timing.$$
mkdir -p "$W"
RGPID=
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && { i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -9 "$1" 2>/dev/null; }; true; }
cleanup() { stop_pid "$RGPID"; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
for t in sqlite3 openssl; do
	command -v $t >/dev/null || { echo "bench-auth-timing: $t not found" >&2; exit 1; }
done

cat > "$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth"; saslauthd_socket = "";
  hash_threads = 0; failure_delay_ms = 0;
};
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
ctl() { "$CTL" -c "$W/rg.conf" "$@"; }
ctl db init >/dev/null
printf 'daniel-pw' | ctl user add daniel >/dev/null
printf 'dis-pw' | ctl user add dis >/dev/null
ctl user disable dis >/dev/null
sqlite3 "$W/users.db" "INSERT INTO users(name, password, enabled)
	VALUES ('cheap', '$(openssl passwd -6 cheap-pw)', 1);"

"$RG" -c "$W/rg.conf" -f >"$W/rg.log" 2>&1 & RGPID=$!
i=0; while [ ! -S "$W/auth" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -S "$W/auth" ] || { echo "relayguard did not start: $(tail -3 "$W/rg.log")" >&2; exit 1; }

# the dis case sends dis-pw0, dis-pw1, ... (never the right password "dis-pw"
# itself): a disabled user is refused whatever the password
out=$("$LOAD" -s "$W/auth" -n "$TRIES" "unknown:nobody:nobody-pw" "wrong:daniel:wrong-pw" \
	"disabled:dis:dis-pw" "cheap:cheap:wrong-pw") || exit 1
padded=$(ctl stats 2>/dev/null | sed -n 's/^auth.cost_padded //p')
stop_pid $RGPID; RGPID=

echo "auth timing: $TRIES tries per cell, Dovecot protocol, one connection, failure_delay_ms = 0"
echo "relayguard: $RG"
printf '%-34s %22s   %22s\n' "" "first try (new pw)" "same password again"
printf '%-34s %10s %10s   %10s %10s   %s\n' "refused attempt" "p50 ms" "p90 ms" "p50 ms" "p90 ms" "answers"
echo "$out" | while read -r label f50 f90 r50 r90 ok fail closed; do
	case $label in
	unknown) name="unknown user";;
	wrong) name="wrong password (Argon2id)";;
	disabled) name="disabled user (Argon2id)";;
	cheap) name="cheap stored hash (sha512crypt)";;
	*) name=$label;;
	esac
	printf '%-34s %10s %10s   %10s %10s   ok=%s fail=%s closed=%s\n' "$name" "$f50" "$f90" \
		"$r50" "$r90" "$ok" "$fail" "$closed"
done
echo "decisions logged cached=yes: $(grep -c 'cached=yes' "$W/rg.log"), cached=no:" \
	"$(grep -c 'cached=no' "$W/rg.log"); refusals padded to the dummy's cost: ${padded:-0}"
# one line for scripts: each refusal's first-try p50 against the wrong password's
echo "$out" | awk '$1 == "wrong" { w = $2 } { p[$1] = $2 } END {
	if (w > 0) { printf "RATIO bench=auth-timing"; for (k in p) if (k != "wrong") printf " %s/wrong=%.3f", k, p[k] / w; printf "\n" } }'
