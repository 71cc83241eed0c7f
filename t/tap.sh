# t/tap.sh — TAP output for every shell test (POSIX sh and bash, sourced).
# The C unit tests have the same calls in t/tap.h.
#
#   plan N                     the plan, before the first test (or use done_testing)
#   ok STATUS DESCRIPTION      STATUS 0 is a pass; returns STATUS
#   pass DESCRIPTION           a pass
#   fail DESCRIPTION [LINE...] a failure, each LINE as a diagnostic
#   is GOT WANT DESCRIPTION    string equality (shows both on failure)
#   isnt GOT UNWANTED DESCRIPTION
#   like TEXT ERE DESCRIPTION  TEXT (may span lines) matches the extended regex
#   unlike TEXT ERE DESCRIPTION
#   matches TEXT GLOB DESCRIPTION  TEXT matches the shell pattern (case)
#   diag TEXT...               "# " comment lines (every line of every argument)
#   tap_lines PREFIX TEXT      relay TEXT's "ok - WHAT" / "not ok - WHAT" lines (the
#                              Lua miltertest scripts print them) as tests "PREFIXWHAT";
#                              other lines as diagnostics; sets tap_lines_ok, tap_lines_failed
#   skip REASON [N]            N tests (default 1) skipped; under CI=true one failure
#   skip_all REASON            no tests at all (exit 0); under CI=true a failure (exit 1)
#   bail_out REASON            "Bail out!": the test stops here, exit 1
#   done_testing               the plan (1..N) if none was given; exits 0 if every
#                              test passed and the plan holds, else 1
#
# Under CI (CI=true) a missing component is a failure, never a skip: a test
# that cannot start its daemon or server must not pass as skipped.
#
# Cleanup, run by the EXIT trap that this file installs (also on failure,
# Ctrl-C, bail_out):
#   tap_at_exit COMMAND        eval COMMAND at exit, the last registered first
#   tap_on_failure COMMAND     eval COMMAND at done_testing when a test failed
#                              (diagnostics: the tail of a daemon's log)
#   tap_tmpdir NAME            a fresh folder $top_builddir/t/tmp/NAME.XXXXXX (mode 0755)
#   tap_remove_at_exit DIR     remove DIR at exit
# Folders are removed at exit unless a test failed (they are kept for the
# logs, and named in a diagnostic) or KEEP=1.  tap_tmpdir may run in $(...):
# its folders are listed in a file named after the test's PID ($$ is the same
# in subshells).  Commands given to tap_at_exit in a subshell are lost.

: "${top_builddir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)

_tap_n=0
_tap_failed=0
_tap_plan=
_tap_done=0
_tap_exit_cmds=
_tap_failure_cmds=
_tap_dirlist=${TMPDIR:-/tmp}/relayguard-tap-dirs.$$

# ---------------------------------------------------------------- results
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
		return 0
	fi
	echo "not ok $_tap_n - $2"
	_tap_failed=$((_tap_failed + 1))
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	return "$1"
}
pass() { ok 0 "$1"; }
fail() {
	ok 1 "$1"
	shift
	[ $# -eq 0 ] || diag "$@"
	return 1
}
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  '$1'" "want: '$2'"; fi
}
isnt() {
	if [ "$1" != "$2" ]; then pass "$3"; else fail "$3" "got '$1', which it must not be"; fi
}
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3" "expected /$2/ in:" "$(printf '%s\n' "$1" | tail -n 25)"
	fi
}
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3" "unexpected /$2/ in:" "$(printf '%s\n' "$1" | grep -E -- "$2" | head -n 5)"
	else pass "$3"; fi
}
matches() {
	# shellcheck disable=SC2254 # $2 is a pattern on purpose
	case $1 in $2) pass "$3" ;; *) fail "$3" "got: '$1'" "want pattern: '$2'" ;; esac
}
diag() {
	for _tap_d in "$@"; do printf '%s\n' "$_tap_d"; done | sed 's/^/# /'
}
tap_lines() {
	tap_lines_ok=0
	tap_lines_failed=0
	while IFS= read -r _tap_l; do
		case $_tap_l in
		"ok - "*) pass "$1${_tap_l#ok - }"; tap_lines_ok=$((tap_lines_ok + 1)) ;;
		"not ok - "*) fail "$1${_tap_l#not ok - }"; tap_lines_failed=$((tap_lines_failed + 1)) ;;
		"") ;;
		*) diag "$1$_tap_l" ;;
		esac
	done <<EOF
$2
EOF
}

# ------------------------------------------------------------ plan, skips
plan() {
	_tap_plan=$1
	echo "1..$1"
}
skip() {
	if [ "${CI:-}" = true ]; then
		fail "required but missing (CI=true): $1"
		return 1
	fi
	_tap_k=${2:-1}
	while [ "$_tap_k" -gt 0 ]; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP $1"
		_tap_k=$((_tap_k - 1))
	done
}
skip_all() {
	_tap_done=1
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - required but missing (CI=true): $*"
		_tap_failed=1
		exit 1
	fi
	echo "1..0 # SKIP $*"
	exit 0
}
bail_out() {
	_tap_done=1
	_tap_failed=$((_tap_failed + 1))
	echo "Bail out! $*"
	exit 1
}
done_testing() {
	_tap_done=1
	if [ -z "$_tap_plan" ]; then
		echo "1..$_tap_n"
	elif [ "$_tap_plan" != "$_tap_n" ]; then
		diag "planned $_tap_plan tests, ran $_tap_n"
		_tap_failed=$((_tap_failed + 1))
	fi
	[ "$_tap_failed" = 0 ] && exit 0
	_tap_run "$_tap_failure_cmds"
	exit 1
}

# ---------------------------------------------------------------- cleanup
tap_at_exit() {
	_tap_exit_cmds="$*
$_tap_exit_cmds"
}
tap_on_failure() {
	_tap_failure_cmds="$_tap_failure_cmds
$*"
}
tap_remove_at_exit() { echo "$1" >>"$_tap_dirlist"; }
tap_tmpdir() {
	mkdir -p "$top_builddir/t/tmp" && chmod 755 "$top_builddir/t/tmp" || return 1
	_tap_t=$(mktemp -d "$top_builddir/t/tmp/$1.XXXXXX") || return 1
	chmod 755 "$_tap_t" || return 1
	tap_remove_at_exit "$_tap_t"
	echo "$_tap_t"
}

# _tap_run LINES — eval each line (a failing command does not stop the others)
_tap_run() {
	_tap_ifs=$IFS
	IFS='
'
	set -f
	for _tap_c in $1; do
		IFS=$_tap_ifs
		eval "$_tap_c" || true
	done
	set +f
	IFS=$_tap_ifs
}
_tap_exit() {
	_tap_status=$?
	trap - EXIT
	_tap_run "$_tap_exit_cmds"
	if [ -f "$_tap_dirlist" ]; then
		if [ "${KEEP:-0}" = 1 ] || [ "$_tap_failed" != 0 ] || [ "$_tap_status" != 0 ]; then
			diag "kept for a look: $(tr '\n' ' ' <"$_tap_dirlist")"
		else
			while IFS= read -r _tap_d; do
				case $_tap_d in */t/tmp/*.* | /tmp/relayguard-*.*) rm -rf -- "$_tap_d" ;; esac
			done <"$_tap_dirlist"
		fi
		rm -f "$_tap_dirlist"
	fi
	[ "$_tap_done" = 1 ] || [ "$_tap_n" = 0 ] || diag "the test stopped after $_tap_n tests, before done_testing"
	exit "$_tap_status"
}
trap _tap_exit EXIT
trap 'exit 130' INT TERM HUP
