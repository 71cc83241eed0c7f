# e2e-lib.sh — TAP output and relayguard process helpers for the end-to-end
# tests (bash, sourced).  See postfix-lib.sh for the private Postfix.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
SWAKS=${SWAKS:-$(command -v swaks || true)}
RELAYGUARD=${RELAYGUARD:-$top_builddir/relayguard}
RELAYGUARDCTL=${RELAYGUARDCTL:-$top_builddir/relayguardctl}

. "$top_srcdir/t/e2e/postfix-lib.sh"

# ---------------------------------------------------------------- TAP
_tap_n=0
_tap_failed=0

diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }

# tap_ok STATUS DESCRIPTION — STATUS 0 is a pass
tap_ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$1"
}

# tap_like TEXT REGEX DESCRIPTION (extended regex, multi-line text)
tap_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		diag "expected /$2/ in:"
		diag "$(printf '%s\n' "$1" | tail -n 25)"
		return 1
	fi
}

tap_unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		tap_ok 1 "$3"
		diag "unexpected /$2/ in:"
		diag "$(printf '%s\n' "$1" | grep -E -- "$2" | head -n 5)"
		return 1
	fi
	tap_ok 0 "$3"
}

tap_done() {
	if [ "$_tap_failed" != 0 ]; then
		# say why in the test log: the last complaints of Postfix and relayguard
		if [ -n "${PF_MAILLOG:-}" ] && [ -s "$PF_MAILLOG" ]; then
			diag "Postfix log ($PF_MAILLOG): warnings (count, text) and last rejects:"
			diag "$(grep -E 'warning|fatal|panic' "$PF_MAILLOG" | sed 's/^.*\]: //' |
				sort | uniq -c | sort -rn | head -n 8)"
			diag "$(grep -E 'reject' "$PF_MAILLOG" | tail -n 6)"
		fi
		if [ -n "${RG_LOG:-}" ] && [ -s "$RG_LOG" ]; then
			diag "relayguard log ($RG_LOG), last lines:"
			diag "$(tail -n 15 "$RG_LOG")"
		fi
	fi
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
}

# Missing dependency: skip, except in CI (CI=true) where it is a failure.
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - required for this test but missing (CI=true): $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# ------------------------------------------------------- cleanup on exit
_e2e_cleanups=()
e2e_on_exit() { _e2e_cleanups+=("$*"); }
_e2e_run_cleanups() {
	local i
	for ((i = ${#_e2e_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_e2e_cleanups[$i]}" || true
	done
	_e2e_cleanups=()
	_e2e_remove_tmpdirs
}
trap '_e2e_run_cleanups' EXIT
trap 'exit 130' INT TERM HUP

# A private folder under the build tree for one test, reachable by the
# postfix user; removed at exit unless KEEP=1.
# Callers use dir=$(e2e_tmpdir NAME): that runs in a subshell, so the folder
# is recorded in a list file named after the test's PID ($$ is the same in
# subshells) that the exit trap reads.
_e2e_tmplist=${TMPDIR:-/tmp}/relayguard-e2e-tmpdirs.$$
e2e_tmpdir() {
	local d
	d=$(pf_private_dir "$top_builddir/t/tmp" "$1") || return 1
	if [ "${KEEP:-0}" != 1 ]; then
		echo "$d" >>"$_e2e_tmplist"
	fi
	echo "$d"
}
_e2e_remove_tmpdirs() {
	local d
	[ -f "$_e2e_tmplist" ] || return 0
	while IFS= read -r d; do
		case $d in */t/tmp/*.* | /tmp/relayguard-*.*) rm -rf -- "$d" ;; esac
	done <"$_e2e_tmplist"
	rm -f "$_e2e_tmplist"
}

# Checks shared by the Postfix tests; skip_all with the reason.
e2e_require_postfix_tools() {
	[ "$(id -u)" = 0 ] || skip_all "must run as root (a private Postfix master needs it)"
	pf_have_postfix || skip_all "Postfix not installed (apt-get install postfix)"
	[ -n "$SWAKS" ] && [ -x "$SWAKS" ] || skip_all "swaks not installed (apt-get install swaks)"
	command -v openssl >/dev/null || skip_all "openssl not installed"
}

e2e_require_relayguard() {
	[ -x "$RELAYGUARD" ] || skip_all "relayguard not built ($RELAYGUARD)"
	[ -x "$RELAYGUARDCTL" ] || skip_all "relayguardctl not built ($RELAYGUARDCTL)"
}

# ------------------------------------------------------------ relayguard
# rg_start CONFIG — run `relayguard -f -c CONFIG` in the background, wait
# for every socket named in RG_WAIT_SOCKETS (space separated) to appear.
rg_start() {
	RG_CONFIG=$1
	RG_LOG=${RG_LOG:-$(dirname "$RG_CONFIG")/relayguard.log}
	"$RELAYGUARD" -f -c "$RG_CONFIG" >>"$RG_LOG" 2>&1 &
	RG_PID=$!
	local i s ready
	for i in $(seq 1 100); do
		if ! kill -0 "$RG_PID" 2>/dev/null; then
			diag "relayguard exited at start:"
			diag "$(tail -n 20 "$RG_LOG")"
			RG_PID=
			return 1
		fi
		ready=1
		for s in ${RG_WAIT_SOCKETS:-}; do [ -S "$s" ] || ready=0; done
		[ "$ready" = 1 ] && return 0
		sleep 0.1
	done
	diag "relayguard sockets did not appear: ${RG_WAIT_SOCKETS:-}"
	diag "$(tail -n 20 "$RG_LOG")"
	return 1
}

rg_stop() {
	[ -n "${RG_PID:-}" ] || return 0
	local i
	kill -TERM "$RG_PID" 2>/dev/null
	for i in $(seq 1 150); do
		kill -0 "$RG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$RG_PID" 2>/dev/null; then
		diag "relayguard (pid $RG_PID) ignored SIGTERM for 15 s; killing it"
		kill -KILL "$RG_PID" 2>/dev/null
	fi
	wait "$RG_PID" 2>/dev/null
	RG_PID=
}

# rgctl ARGS... — relayguardctl with the test config
rgctl() { "$RELAYGUARDCTL" -c "$RG_CONFIG" "$@"; }

# rg_hash PASSWORD — a hash made by relayguardctl (password on stdin)
rg_hash() { printf '%s\n' "$1" | "$RELAYGUARDCTL" hash; }

# ----------------------------------------------------------------- swaks
# swaks_run ARGS... — swaks against the private Postfix; prints the dialogue
swaks_run() {
	"$SWAKS" --server 127.0.0.1 --port "$PF_PORT" --timeout 20 \
		--helo client.relayguard.test "$@" 2>&1
}

# rg_conf_head DIR — the top-level part of a test config: control socket,
# pidfile and sockets in DIR, usable by Postfix's smtpd and cleanup (group
# postfix), logging to stderr (relayguard -f) and syslog.
rg_conf_head() {
	cat <<CONF
control_socket = "$1/control";
pidfile = "$1/relayguard.pid";
socket_group = "postfix";
socket_mode = "${RG_SOCKET_MODE:-0660}";
syslog_ident = "relayguard-test";
CONF
}

# A SASL dialogue on one connection to the private Postfix (smtp_session.py)
smtp_session() {
	python3 "$top_srcdir/t/e2e/smtp_session.py" --port "$PF_PORT" "$@" 2>&1
}
