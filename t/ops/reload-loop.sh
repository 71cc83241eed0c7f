#!/bin/sh
# reload-loop.sh — mail and logins keep flowing while the daemon reloads.
#
# Starts the built relayguard (milter and SASL sockets in a private folder
# under the build tree), then runs at the same time:
#   - a reload loop: `relayguardctl reload` and SIGUSR1 in turn, with broken
#     configurations (a syntax error, a store that cannot be opened) swapped
#     in and out, each of which must be refused while the old one stays;
#   - Dovecot-protocol logins (t/authd/dvclient): one login per connection,
#     and pipelines of logins on one long-lived connection as Postfix keeps;
#   - milter message transactions through Debian's miltertest
#     (t/ops/milter-loop.lua): an authorised message must be accepted and an
#     unauthorised tenant rejected, every time.
# Asserts zero failed logins and zero wrong milter verdicts.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

rg_require dvclient
[ -n "$MILTERTEST" ] && [ -x "$MILTERTEST" ] || skip_all "miltertest not installed (apt-get install miltertest)"
dir=$(tap_tmpdir reload-loop) || skip_all "cannot create a folder under $top_builddir/t/tmp"

ROUNDS=${RELOAD_ROUNDS:-30}
hash=$(rg_hash 'alice-secret-1') || bail_out "relayguardctl hash failed"

# write_conf FILE TTL — two good variants differ in a harmless value
write_conf() {
	cat >"$1.new" <<EOF2
control_socket = "$dir/control";
pidfile = "$dir/relayguard.pid";
milter: {
  socket = "unix:$dir/milter.sock";
  require_auth = [ "submission" ];
};
auth: {
  dovecot_socket = "$dir/auth";
  saslauthd_socket = "";
  failure_delay_ms = 0;
  cache: { ttl = $2; };
};
stores = ( { type = "static"; users = (
  { name = "alice"; password = "$hash"; },
  { name = "erin"; password = "$hash"; } ); } );
tenants: {
  list = ( { name = "acme"; require_authz = [ "alice" ]; },
           { name = "globex"; require_authz = [ "erin" ]; } );
};
EOF2
	mv "$1.new" "$1"	# atomic: the daemon never reads half a file
}
conf=$dir/relayguard.conf
log=$dir/relayguard.log
write_conf "$conf" 300
"$RG" -n -c "$conf" >"$dir/check.out" 2>&1
ok $? "the test configuration passes relayguard -n" || diag "$(cat "$dir/check.out")"

rg_start "$conf" "$log" "$dir/milter.sock" "$dir/auth" "$dir/control"
ok $? "relayguard starts with milter, SASL and control sockets" || { done_testing; exit 1; }
pid=$RG_PID

stop=$dir/stop
# ---- logins: one per connection, and pipelines on one connection ----
(
	okc=0 bad=0
	while [ ! -e "$stop" ]; do
		out=$("$DV" "$dir/auth" plain alice alice-secret-1 2>&1)
		if [ "$out" = "OK 1 user=alice" ]; then okc=$((okc + 1)); else
			bad=$((bad + 1)); echo "# single: $out" >>"$dir/logins.notes"; fi
		out=$("$DV" "$dir/auth" pipeline 10 alice alice-secret-1 2>&1)
		case $out in
		"ok=10 fail=0 ids=matched") okc=$((okc + 10)) ;;
		*) bad=$((bad + 1)); echo "# pipeline: $out" >>"$dir/logins.notes" ;;
		esac
	done
	echo "ok=$okc bad=$bad" >"$dir/logins.result"
) &
logins=$!
track $logins

# ---- milter transactions ----
"$MILTERTEST" -s "$top_srcdir/t/ops/milter-loop.lua" -D socket="unix:$dir/milter.sock" \
	-D stopfile="$stop" -D result="$dir/milter.result" >"$dir/miltertest.out" 2>&1 &
milter=$!
track $milter

# ---- the reload loop ----
good_ctl=0 good_sig=0 bad_reloads=0 loop_errors=0
i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	case $((i % 3)) in
	0)	# a broken config: refused, the old one stays
		cp "$conf" "$dir/good.conf"
		if [ $((i % 2)) = 0 ]; then
			printf 'auth: { hash_queue = ; };\n' >>"$conf"
		else
			sed "s|type = \"static\"; users = (|type = \"passwd-file\"; path = \"$dir/missing\"; }, { type = \"static\"; users = (|" \
				"$dir/good.conf" >"$conf.new" && mv "$conf.new" "$conf"
		fi
		"$CTL" -c "$dir/good.conf" reload >"$dir/reload.out" 2>&1
		rc=$?
		if [ $rc = 78 ] && grep -q "keeping the running configuration" "$dir/reload.out"; then
			bad_reloads=$((bad_reloads + 1))
		else
			loop_errors=$((loop_errors + 1)); diag "bad config reload: rc=$rc $(cat "$dir/reload.out")"
		fi
		mv "$dir/good.conf" "$conf"
		;;
	1)	write_conf "$conf" $((300 + i))
		if "$CTL" -c "$conf" reload >"$dir/reload.out" 2>&1; then good_ctl=$((good_ctl + 1)); else
			loop_errors=$((loop_errors + 1)); diag "relayguardctl reload: $(cat "$dir/reload.out")"; fi
		;;
	2)	write_conf "$conf" $((300 + i))
		before=$(count "$log" "reload done")
		kill -USR1 "$pid"
		if wait_until 10 more_than "$before" "$log" "reload done"; then
			good_sig=$((good_sig + 1))
		else
			loop_errors=$((loop_errors + 1)); diag "SIGUSR1 reload not done in 10 s"
		fi
		;;
	esac
	sleep 0.1
done
touch "$stop"
wait $logins
wait $milter
milter_status=$?

ok $loop_errors "$ROUNDS reloads: $good_ctl by relayguardctl, $good_sig by SIGUSR1, $bad_reloads broken configs refused"
test "$(count "$log" "reload done")" -eq $((good_ctl + good_sig))
ok $? "the daemon logged every good reload ($((good_ctl + good_sig)))"
test "$(count "$log" "reload failed: keeping the running configuration")" -eq "$bad_reloads"
ok $? "and every refused one ($bad_reloads) with a log line"
grep -q "config error: $conf:[0-9]*: " "$log" && grep -q "store error: .*cannot open" "$log"
ok $? "refusals name the problem (config error with file:line, store error)"

read -r lres <"$dir/logins.result" 2>/dev/null
case $lres in
ok=*" bad=0") lokc=${lres#ok=}; lokc=${lokc% bad=0}; [ "$lokc" -gt 0 ]; ok $? "logins during the reloads: $lres" ;;
*) ok 1 "logins during the reloads: ${lres:-no result}"; diag "$(head -n 20 "$dir/logins.notes" 2>/dev/null)" ;;
esac

read -r mres <"$dir/milter.result" 2>/dev/null
case $mres in
ok=*" bad=0 "*) ok 0 "milter transactions during the reloads: $mres" ;;
*) ok 1 "milter transactions during the reloads: ${mres:-no result}"
   diag "$(cat "$dir/milter.result" "$dir/miltertest.out" 2>/dev/null | head -n 30)" ;;
esac
ok $milter_status "miltertest finished cleanly"

stats=$("$CTL" -c "$conf" stats)
echo "$stats" | grep -qx "config.reload.ok $((good_ctl + good_sig))" &&
	echo "$stats" | grep -qx "config.reload.failed $bad_reloads"
ok $? "relayguardctl stats counts the reloads" || diag "$stats"
echo "$stats" | grep -q "^login.fail" || echo "$stats" | grep -q "^login.tempfail"
ok $((! $?)) "no login failed or was tempfailed (stats)" || diag "$(echo "$stats" | grep '^login')"
gen=$(echo "$stats" | sed -n 's/^config.generation //p')
[ "$gen" -ge $((good_ctl + good_sig + 1)) ] 2>/dev/null
ok $? "the running configuration is a new generation ($gen)"

kill -TERM "$pid"
wait_until 20 gone "$pid"
ok $? "SIGTERM stops the daemon"
done_testing
