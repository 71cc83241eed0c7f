#!/bin/sh
# t/tap-selftest.sh — t/tap.sh and t/rg-lib.sh checked by running small test
# scripts with them, under sh (dash) and bash: a failing check makes the
# script exit non-zero, a skip is a failure under CI=true, the plan, bail out,
# cleanup at exit; relayguard started, waited for and stopped by PID, and a
# daemon that cannot start is a failure, never a skip.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
export top_srcdir top_builddir

S=$(tap_tmpdir tap-selftest) || bail_out "cannot make a folder under $top_builddir/t/tmp"

# run SHELL BODY [ENV...] — a script sourcing t/tap.sh (and rg-lib.sh) with
# BODY; sets out (its output) and st (its exit status)
run() {
	_sh=$1 _body=$2
	shift 2
	printf '. "$top_srcdir/t/rg-lib.sh"\n%s\n' "$_body" >"$S/case.sh"
	out=$(env -u CI "$@" "$_sh" "$S/case.sh" 2>&1)
	st=$?
}

for sh in sh bash; do
	run $sh 'ok 0 "a"; pass "b"; is x x "c"; like "one
two" "^tw" "d"; unlike abc "z" "e"; matches "FAIL 1 x" "FAIL 1 *" "f"; isnt a b "g"; done_testing'
	is "$st $(printf '%s\n' "$out" | tail -n 1)" "0 1..7" "$sh: seven passes: exit 0, plan 1..7"

	run $sh 'pass "a"; ok 1 "b"; pass "c"; done_testing'
	is "$st" 1 "$sh: a failing ok: the script exits 1"
	like "$out" "^not ok 2 - b$" "$sh:   and prints not ok 2"

	for f in 'is x y n' 'isnt x x n' 'like abc "^b" n' 'unlike abc "^a" n' 'matches abc "b*" n' 'fail n'; do
		run $sh "$f; done_testing"
		is "$st $(printf '%s\n' "$out" | grep -c '^not ok 1 - n$')" "1 1" "$sh: failing $f: not ok, exit 1"
	done
	run $sh 'is got want n; done_testing'
	like "$out" "# got:  'got'" "$sh: is shows what it got"

	run $sh 'skip "no frob" 2; pass a; done_testing'
	is "$st $(printf '%s\n' "$out" | grep -c '^ok [12] # SKIP no frob$')" "0 2" "$sh: skip REASON 2: two skips, exit 0"
	run $sh 'skip "no frob" 2; pass a; done_testing' CI=true
	is "$st" 1 "$sh: skip under CI=true: exit 1"
	like "$out" "^not ok 1 - required but missing \(CI=true\): no frob$" "$sh:   as a failure"

	run $sh 'skip_all "no frob"; pass a; done_testing'
	is "$st $out" "0 1..0 # SKIP no frob" "$sh: skip_all: the plan 1..0 with a SKIP directive, exit 0"
	run $sh 'skip_all "no frob"; pass a; done_testing' CI=true
	is "$st $(printf '%s\n' "$out" | tr '\n' '|')" "1 1..1|not ok 1 - required but missing (CI=true): no frob|" \
		"$sh: skip_all under CI=true: one failure, exit 1"

	run $sh 'pass a; bail_out "cannot go on"; pass b; done_testing'
	is "$st $(printf '%s\n' "$out" | tail -n 1)" "1 Bail out! cannot go on" "$sh: bail_out: Bail out!, exit 1"

	run $sh 'plan 3; pass a; pass b; done_testing'
	is "$st" 1 "$sh: plan 3 with 2 tests: exit 1"
	run $sh 'plan 2; pass a; pass b; done_testing'
	is "$st $(printf '%s\n' "$out" | head -n 1)" "0 1..2" "$sh: plan 2 with 2 tests: 1..2 first, exit 0"

	run $sh 'tap_at_exit "echo first-registered"; tap_at_exit "echo second-registered"; pass a; done_testing'
	is "$(printf '%s\n' "$out" | grep registered | tr '\n' ' ')" "second-registered first-registered " \
		"$sh: tap_at_exit commands run at exit, the last registered first"

	run $sh 'd=$(tap_tmpdir selftest-ok); echo "dir=$d"; pass a; done_testing'
	d=$(printf '%s\n' "$out" | sed -n 's/^dir=//p')
	[ -n "$d" ] && [ ! -e "$d" ]
	ok $? "$sh: tap_tmpdir (made in \$(...)) removed at exit when every test passed"
	run $sh 'd=$(tap_tmpdir selftest-fail); echo "dir=$d"; fail a; done_testing'
	d=$(printf '%s\n' "$out" | sed -n 's/^dir=//p')
	[ -n "$d" ] && [ -d "$d" ]
	ok $? "$sh: kept when a test failed"
	like "$out" "^# kept for a look: $d" "$sh:   and named in a diagnostic"
	[ -n "$d" ] && rm -rf "$d"

	run $sh 'tap_lines "lua: " "ok - one
noise
not ok - two"; echo "counts=$tap_lines_ok,$tap_lines_failed"; done_testing'
	is "$st $(printf '%s\n' "$out" | grep -v '^1\.\.' | tr '\n' '|')" \
		"1 ok 1 - lua: one|# lua: noise|not ok 2 - lua: two|counts=1,1|" \
		"$sh: tap_lines relays ok - / not ok - lines as numbered tests, the rest as diagnostics"

	run $sh 'pass a; exit 3'
	is "$st" 3 "$sh: a script that stops early keeps its exit status"
	like "$out" "^# the test stopped after 1 tests, before done_testing" "$sh:   and says so"
done

# ---- the daemon helper, with the built relayguard -------------------------------------
if [ -x "$RG" ]; then
	cat >"$S/rg.conf" <<EOF
pidfile = "$S/rg.pid";
control_socket = "";
milter: { enabled = false; };
auth: { dovecot_socket = "$S/auth"; saslauthd_socket = "$S/mux"; };
stores = ( { type = "static"; users = ( ); } );
EOF
	run bash 'rg_start "$S/rg.conf" "$S/rg.log" "$S/auth" "$S/mux"; ok $? started; echo "pid=$RG_PID"
		test -S "$S/auth"; ok $? socket; done_testing' S="$S"
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	is "$st" 0 "rg_start: relayguard started, its sockets were there when it returned"
	[ -n "$pid" ] && gone "$pid"
	ok $? "a daemon left running is stopped at exit (pid $pid)" || kill "$pid" 2>/dev/null
	test ! -e "$S/auth" && test ! -e "$S/mux"
	ok $? "  by SIGTERM: it removed its sockets"

	run sh 'rg_start "$S/rg.conf" "$S/rg.log" "$S/auth"; p=$RG_PID; rg_stop; ok $? "stopped"
		gone "$p"; ok $? gone; done_testing' S="$S"
	is "$st" 0 "rg_stop: SIGTERM, waits until the PID is gone"

	printf 'auth: { hash_queue = "many"; };\n' >"$S/bad.conf"
	run sh 'rg_start_or_bail "$S/bad.conf" "$S/bad.log" "$S/nothing"; pass "not reached"; done_testing' S="$S"
	is "$st $(printf '%s\n' "$out" | grep -c '^ok')" "1 0" "a daemon that cannot start: bail out (exit 1), never a pass"
	like "$out" "^Bail out! relayguard did not start" "  says so"
	like "$out" "hash_queue: expected an integer" "  with the daemon's own complaint from its log"
	run sh 'rg_start "$S/rg.conf" "$S/rg.log" "$S/no-such-socket"; ok $? "started"; done_testing' S="$S" RG_START_SECS=2
	is "$st" 1 "a socket that never appears: rg_start fails"
	like "$out" "did not create $S/no-such-socket" "  and names the socket"
else
	skip "relayguard not built" 9
fi

done_testing
