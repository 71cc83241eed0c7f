# t/rg-lib.sh — the built relayguard in a test: start it with a config in a
# private folder, wait for its sockets, stop it by PID and make sure it is
# gone (POSIX sh and bash, sourced; sources t/tap.sh).
#
#   RG CTL DV TSA               relayguard, relayguardctl, t/authd/dvclient (build
#                               tree), Cyrus's testsaslauthd (may be missing)
#   rg_require [dvclient] [sqlite3] ...
#                               skip_all (under CI=true: fail) unless relayguard,
#                               relayguardctl and each named tool are there
#   rg_workdir NAME             W=a private folder under t/tmp (removed at exit,
#                               kept when a test failed); RG_CONF=$W/rg.conf,
#                               RG_LOG=$W/rg.log
#   ctl ARGS...                 relayguardctl -c "$RG_CONF" ARGS...
#   rg_start CONF LOG SOCKET... `relayguard -f -c CONF` in the background, its
#                               output appended to LOG; waits up to RG_START_SECS
#                               (10) seconds for each SOCKET.  Sets RG_PID, RG_CONF,
#                               RG_LOG.  Returns 1 (log tail as diagnostics) if it
#                               exited or a socket did not appear.  Every daemon
#                               started is stopped at exit, and the tail of its log
#                               is shown when a test failed.
#   rg_start_or_bail CONF LOG SOCKET...
#                               rg_start, and a start that fails ends the test
#                               (bail out): never a skip, never a pass
#   rg_stop [PID]               SIGTERM to PID (default $RG_PID), wait up to 15 s,
#                               SIGKILL if it is still there, reap; 0 if it stopped
#                               on SIGTERM
#   rg_reload [N] [PID]         SIGUSR1, wait until LOG has N "reload done" lines
#                               (default: one more than before)
#   rg_hash PASSWORD            an Argon2id hash by relayguardctl hash (cheap parameters)
#   logcount PATTERN [FILE]     lines of FILE (default $RG_LOG) matching the regex
#   count FILE STRING           lines of FILE holding the fixed STRING
#   more_than N FILE STRING     more than N such lines
#   track PID                   another process of the test: stopped at exit, as the
#                               daemons are
#   wait_until SECONDS COMMAND...   poll every 0.1 s until COMMAND succeeds
#   alive PID / gone PID

# The test sets top_srcdir (make check does) before sourcing this file.
. "$top_srcdir/t/tap.sh"

RG=${RELAYGUARD:-$top_builddir/relayguard}
CTL=${RELAYGUARDCTL:-$top_builddir/relayguardctl}
DV=$top_builddir/t/authd/dvclient
TSA=$(command -v testsaslauthd || echo /usr/sbin/testsaslauthd)
MILTERTEST=${MILTERTEST:-$(command -v miltertest || true)}
_rg_pids=

rg_require() {
	[ -x "$RG" ] || skip_all "relayguard not built ($RG)"
	[ -x "$CTL" ] || skip_all "relayguardctl not built ($CTL)"
	for _rg_t in "$@"; do
		case $_rg_t in
		dvclient) [ -x "$DV" ] || skip_all "t/authd/dvclient not built ($DV)" ;;
		testsaslauthd) [ -x "$TSA" ] || skip_all "testsaslauthd not installed (apt-get install sasl2-bin)" ;;
		*) command -v "$_rg_t" >/dev/null 2>&1 || skip_all "$_rg_t not installed" ;;
		esac
	done
}

rg_workdir() {
	W=$(tap_tmpdir "$1") || bail_out "cannot make a folder under $top_builddir/t/tmp"
	RG_CONF=$W/rg.conf
	RG_LOG=$W/rg.log
}

ctl() { "$CTL" -c "$RG_CONF" "$@"; }

wait_until() {
	_rg_t=$(($1 * 10))
	shift
	_rg_i=0
	while ! "$@" && [ "$_rg_i" -lt "$_rg_t" ]; do sleep 0.1; _rg_i=$((_rg_i + 1)); done
	"$@"
}
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
logcount() { grep -c -- "$1" "${2:-$RG_LOG}" 2>/dev/null; }
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
more_than() { [ "$(count "$2" "$3")" -gt "$1" ]; }
track() { _rg_pids="$_rg_pids $1"; }

rg_hash() {
	_rg_h=$(mktemp) || return 1
	printf 'passwords: { argon2_memory_kib = 1024; argon2_iterations = 1; };\n' >"$_rg_h"
	printf '%s\n' "$1" | "$CTL" -c "$_rg_h" hash
	_rg_rc=$?
	rm -f "$_rg_h"
	return $_rg_rc
}

_rg_sockets_or_exit() {	# PID SOCKET... — true when every SOCKET is there, or PID exited
	_rg_p=$1
	shift
	gone "$_rg_p" && return 0
	for _rg_s in "$@"; do [ -S "$_rg_s" ] || return 1; done
}

rg_start() {
	RG_CONF=$1 RG_LOG=$2
	shift 2
	"$RG" -f -c "$RG_CONF" >>"$RG_LOG" 2>&1 &
	RG_PID=$!
	_rg_pids="$_rg_pids $RG_PID"
	case $_tap_failure_cmds in *"_rg_log_tail '$RG_LOG'"*) ;;
	*) tap_on_failure "_rg_log_tail '$RG_LOG'" ;; esac
	wait_until "${RG_START_SECS:-10}" _rg_sockets_or_exit "$RG_PID" "$@"
	if gone "$RG_PID"; then
		diag "relayguard -f -c $RG_CONF exited at start:" "$(tail -n 20 "$RG_LOG")"
		return 1
	fi
	for _rg_s in "$@"; do
		[ -S "$_rg_s" ] && continue
		diag "relayguard (pid $RG_PID) did not create $_rg_s in ${RG_START_SECS:-10} s:" "$(tail -n 20 "$RG_LOG")"
		return 1
	done
	return 0
}

rg_start_or_bail() {
	rg_start "$@" || bail_out "relayguard did not start with $1 (log: $2)"
}

rg_stop() {
	_rg_p=${1:-${RG_PID:-}}
	[ -n "$_rg_p" ] || return 0
	_rg_rc=0
	kill -TERM "$_rg_p" 2>/dev/null
	if ! wait_until 15 gone "$_rg_p"; then
		diag "pid $_rg_p ignored SIGTERM for 15 s; killing it"
		kill -KILL "$_rg_p" 2>/dev/null
		_rg_rc=1
	fi
	wait "$_rg_p" 2>/dev/null
	[ "$_rg_p" = "${RG_PID:-}" ] && RG_PID=
	return $_rg_rc
}

rg_reload() {
	_rg_want=${1:-$(($(logcount 'reload done') + 1))}
	kill -USR1 "${2:-$RG_PID}"
	wait_until 10 _rg_reloaded "$_rg_want"
}
_rg_reloaded() { [ "$(logcount 'reload done')" -ge "$1" ]; }

_rg_log_tail() {
	[ -s "$1" ] && diag "relayguard log ($1), last lines:" "$(tail -n 15 "$1")"
}
_rg_stop_all() {
	for _rg_q in $_rg_pids; do
		alive "$_rg_q" && rg_stop "$_rg_q"
	done
}
tap_at_exit _rg_stop_all
