# ops-lib.sh — TAP and process helpers for the operations tests (t/ops/*.sh),
# POSIX sh, sourced.
# Every daemon started here runs in the foreground (-f) from the build tree,
# with its sockets in a private folder under $top_builddir/t/tmp, and is
# stopped by PID on exit (trap), also when a test fails.

top_builddir=$(cd "${top_builddir:-.}" && pwd)
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
RG=$top_builddir/relayguard
CTL=$top_builddir/relayguardctl
DV=$top_builddir/t/authd/dvclient
MILTERTEST=${MILTERTEST:-$(command -v miltertest || true)}

_n=0
_failed=0
_pids=""
_dirs=""

ok() {	# STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
	return "$1"
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }

# Missing dependency: skip; under CI (CI=true) that is a failure instead.
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - required but missing (CI=true): $*"
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}
# One check that needs a missing component: skipped; under CI=true a failure.
skip_one() {
	if [ "${CI:-}" = true ]; then
		ok 1 "required but missing (CI=true): $*"
		return
	fi
	_n=$((_n + 1))
	echo "ok $_n # SKIP $*"
}

_dirlist=${TMPDIR:-/tmp}/relayguard-ops-tmpdirs.$$
_cleanup() {
	for p in $_pids; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			i=0
			while kill -0 "$p" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
			kill -KILL "$p" 2>/dev/null
		fi
	done
	# ops_tmpdir runs in $(...): its folders are listed in a file named after
	# the test's PID ($$ is the same in subshells)
	[ -f "$_dirlist" ] && _dirs="$_dirs $(cat "$_dirlist")"
	rm -f "$_dirlist"
	[ "${KEEP:-0}" = 1 ] || for d in $_dirs; do rm -rf "$d"; done
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP

# ops_tmpdir NAME — a fresh folder under the build tree (removed at exit)
ops_tmpdir() {
	mkdir -p "$top_builddir/t/tmp" && chmod 755 "$top_builddir/t/tmp" || return 1
	_d=$(mktemp -d "$top_builddir/t/tmp/$1.XXXXXX") || return 1
	chmod 755 "$_d"
	_dirs="$_dirs $_d"
	echo "$_d" >>"$_dirlist"
	echo "$_d"
}

# track PID — stop it at exit
track() { _pids="$_pids $1"; }

# wait_until SECONDS COMMAND... — poll every 0.1 s until COMMAND succeeds
wait_until() {
	_t=$(($1 * 10))
	shift
	_i=0
	while ! "$@" && [ $_i -lt $_t ]; do sleep 0.1; _i=$((_i + 1)); done
	"$@"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }

# rg_start CONF LOG SOCKET... — relayguard -f; sets RG_PID; waits for the sockets
rg_start() {
	_conf=$1 _log=$2
	shift 2
	"$RG" -f -c "$_conf" >>"$_log" 2>&1 &
	RG_PID=$!
	track "$RG_PID"
	for _s in "$@"; do
		if ! wait_until 10 test -S "$_s"; then
			diag "relayguard did not create $_s:" "$(tail -n 15 "$_log")"
			return 1
		fi
	done
	return 0
}

# the number of lines of FILE matching the fixed string
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
# more_than N FILE STRING — more than N such lines
more_than() { [ "$(count "$2" "$3")" -gt "$1" ]; }

# ops_hash PASSWORD — an Argon2id hash from relayguardctl (cheap parameters)
ops_hash() {
	_hc=$(mktemp)
	printf 'passwords: { argon2_memory_kib = 1024; argon2_iterations = 1; };\n' >"$_hc"
	printf '%s\n' "$1" | "$CTL" -c "$_hc" hash
	rm -f "$_hc"
}
