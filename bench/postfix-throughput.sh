#!/usr/bin/env bash
# postfix-throughput.sh — messages per second through a private Postfix
# (t/e2e/postfix-lib.sh, discard(8) delivery) with, in the same run:
#   1. no milter
#   2. the null milter (bench/null_milter: accepts everything, does nothing),
#      also in its "lean" form (negotiates away what relayguard does not use)
#   3. relayguard's milter (tenant header checked on every message)
# smtp-source sends N messages over S parallel sessions; each message carries
# an X-Tenant header for an open tenant, so relayguard runs its header check.
#
#   bench/postfix-throughput.sh [-n MESSAGES] [-s SESSIONS] [-r ROUNDS]
#
# Figures per configuration: wall time of smtp-source (the milter sits in the
# SMTP path), messages/s until the queue is empty, and the CPU the milter
# process spent per message (from /proc/PID/stat).  With ROUNDS > 1 the three
# configurations are interleaved and the best round of each is kept.
set -u
N=2000 S=10 ROUNDS=1
while getopts n:s:r: opt; do
	case $opt in
	n) N=$OPTARG ;;
	s) S=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	*) echo "usage: $0 [-n MESSAGES] [-s SESSIONS] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
. "$top_srcdir/t/e2e/postfix-lib.sh"
RELAYGUARD=${RELAYGUARD:-$top_builddir/relayguard}
NULL_MILTER=${NULL_MILTER:-$top_builddir/bench/null_milter}
SMTP_SOURCE=${SMTP_SOURCE:-$(command -v smtp-source || echo /usr/sbin/smtp-source)}

say() { echo "postfix-throughput: $*" >&2; }
pf_have_postfix || { say "needs root and Postfix (apt-get install postfix)"; exit 77; }
[ -x "$SMTP_SOURCE" ] || { say "smtp-source not found (Debian: package postfix)"; exit 77; }

work=$(pf_private_dir "$top_builddir/bench/tmp" postfix) || exit 1
pids=()
cleanup() {
	local p
	pf_stop
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_socket() { # SOCKET PID
	local i
	for i in $(seq 1 100); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# --- the milters
configs=("none")
declare -A spec pidof
spec[none]=""

# null_milter: every callback answers "continue"; "lean" also negotiates away
# the steps and replies relayguard does without (bench/null_milter.c)
start_null() { # NAME [lean]
	local name=$1 sock=$work/$1.sock
	"$NULL_MILTER" "unix:$sock" ${2:-} >"$work/$name.log" 2>&1 &
	pidof[$name]=$! && pids+=("$!")
	if wait_socket "$sock" "${pidof[$name]}"; then
		chgrp postfix "$sock" && chmod 660 "$sock"
		spec[$name]="unix:$sock" && configs+=("$name")
	else
		say "bench/null_milter did not create its socket:"; cat "$work/$name.log" >&2
	fi
}
if [ -x "$NULL_MILTER" ]; then
	start_null null
	start_null null-lean lean
else
	say "bench/null_milter not built (make bench/null_milter): run without the null-milter reference"
fi

if [ -x "$RELAYGUARD" ]; then
	mkdir -p "$work/rg" && chmod 755 "$work/rg"
	cat >"$work/rg/relayguard.conf" <<EOF
control_socket = "$work/rg/control";
pidfile = "$work/rg/relayguard.pid";
socket_group = "postfix";
socket_mode = "${RG_SOCKET_MODE:-0660}";
milter: { socket = "unix:$work/rg/milter.sock"; };
auth: { enabled = false; };
stores = ( { type = "static"; name = "bench"; users = (
  { name = "bench"; password = "\$argon2id\$v=19\$m=19456,t=2,p=1\$NmE1MWZmZWU3ZDhjOTc5NQ\$Wz66bXSgC+bi3zCArR1Qw9ig9z8LDc125vOh8hobLSk"; } ); } );
tenants: {
  unauthenticated = "accept";
  list = ( { name = "bench"; } );
};
EOF
	"$RELAYGUARD" -f -c "$work/rg/relayguard.conf" >"$work/rg/log" 2>&1 &
	pidof[relayguard]=$! && pids+=("$!")
	if wait_socket "$work/rg/milter.sock" "${pidof[relayguard]}"; then
		spec[relayguard]="unix:$work/rg/milter.sock" && configs+=("relayguard")
	else
		say "relayguard did not start:"; tail -n 20 "$work/rg/log" >&2
	fi
else
	say "relayguard not built ($RELAYGUARD)"
fi

# --- the private Postfix, discarding everything it accepts
PF_DELIVERY=discard PF_DOMAIN=bench.test pf_setup "$work/pf" >/dev/null || exit 1
pf_start || exit 1
"$PF_POSTCONF" -c "$PF_CONF" -e "milter_default_action = tempfail" \
	"smtpd_client_restrictions =" "default_process_limit = 100"
pf_reload

printf 'From: bench@bench.test\nTo: sink@bench.test\nSubject: bench\nX-Tenant: bench\n\n%s\n' \
	"$(head -c 1500 /dev/zero | tr '\0' 'x' | fold -w 75)" >"$work/msg"

queue_empty() {
	[ -z "$(find "$PF_QUEUE/incoming" "$PF_QUEUE/active" "$PF_QUEUE/deferred" \
		"$PF_QUEUE/maildrop" -type f -print -quit 2>/dev/null)" ]
}
cpu_ticks() { # utime+stime of PID and its threads, in clock ticks
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
now() { date +%s.%N; }

# run CONFIG COUNT → "source_s total_s cpu_ticks" on stdout
run() {
	local cfg=$1 count=$2 t0 t1 t2 c0 c1 rejected
	c0=$(cpu_ticks "${pidof[$cfg]:-}")
	t0=$(now)
	"$SMTP_SOURCE" -s "$S" -m "$count" -d -F "$work/msg" -f bench@bench.test \
		-t sink@bench.test -M client.bench.test "127.0.0.1:$PF_PORT" \
		>"$work/source.out" 2>&1 ||
		{ say "smtp-source failed ($cfg):"; tail -n 5 "$work/source.out" >&2; return 1; }
	t1=$(now)
	local i
	for i in $(seq 1 600); do queue_empty && break; sleep 0.05; done
	t2=$(now)
	c1=$(cpu_ticks "${pidof[$cfg]:-}")
	echo "$t0 $t1 $t2 $c0 $c1" | awk '{ printf "%.3f %.3f %d\n", $2 - $1, $3 - $1, $5 - $4 }'
}

configure_milter() {
	pf_set "smtpd_milters = ${spec[$1]}"
	run "$1" 50 >/dev/null	# warm up: spawn smtpd/cleanup, connect the milter
}

declare -A best_total best_source best_cpu
hz=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
	for cfg in "${configs[@]}"; do
		configure_milter "$cfg" || exit 1
		before=$(grep -c 'milter-reject\|status=deferred' "$PF_MAILLOG")
		res=$(run "$cfg" "$N") || exit 1
		after=$(grep -c 'milter-reject\|status=deferred' "$PF_MAILLOG")
		[ "$after" = "$before" ] ||
			say "warning: $cfg: $((after - before)) messages rejected or deferred (see KEEP=1 $work/pf/maillog)"
		read -r src total cpu <<<"$res"
		if [ -z "${best_total[$cfg]:-}" ] ||
			awk -v a="$total" -v b="${best_total[$cfg]}" 'BEGIN { exit !(a < b) }'; then
			best_total[$cfg]=$total best_source[$cfg]=$src best_cpu[$cfg]=$cpu
		fi
	done
done

echo "private Postfix $("$PF_POSTCONF" -dh mail_version), discard transport, $N messages" \
	"over $S sessions, $(nproc) cores, best of $ROUNDS round(s)"
printf '%-12s %12s %14s %16s %18s\n' config "smtp-source s" "accepted msg/s" "end-to-end msg/s" "milter CPU ms/msg"
for cfg in "${configs[@]}"; do
	awk -v c="$cfg" -v n="$N" -v s="${best_source[$cfg]}" -v t="${best_total[$cfg]}" \
		-v cpu="${best_cpu[$cfg]}" -v hz="$hz" -v m="${pidof[$cfg]:-}" 'BEGIN {
		printf "%-12s %12.2f %14.0f %16.0f %18s\n", c, s, n / s, n / t,
			(m == "" ? "-" : sprintf("%.3f", cpu * 1000 / hz / n)) }'
done
for ref in null null-lean; do
	[ -n "${best_total[$ref]:-}" ] && [ -n "${best_total[relayguard]:-}" ] || continue
	awk -v ref="$ref" -v n="$N" -v t0="${best_total[none]}" -v tn="${best_total[$ref]}" \
		-v tr="${best_total[relayguard]}" -v cn="${best_cpu[$ref]}" -v cr="${best_cpu[relayguard]}" \
		'BEGIN {
		printf "relayguard vs %s: msg/s ratio (relayguard / %s) %.3f", ref, ref, tn / tr
		dn = (tn - t0) * 1000 / n; dr = (tr - t0) * 1000 / n
		printf ", added wall time per message over no milter %.3f vs %.3f ms", dr, dn
		if (cn > 0)
			printf ", milter CPU per message ratio %.2f (target: within 1.15)", cr / cn
		printf "\n"
		printf "RATIO bench=postfix ref=%s msgs_per_s_ref/relayguard=%.3f milter_cpu_relayguard/ref=%.3f\n",
			ref, tn / tr, (cn > 0 ? cr / cn : 0)
	}'
done
