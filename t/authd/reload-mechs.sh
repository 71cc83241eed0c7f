#!/bin/sh
# reload-mechs.sh — auth.mechanisms is policy: a reload applies to Dovecot-
# protocol connections already open (a removed mechanism gets FAIL, with a
# log line), while the handshake, sent once per connection, offers the
# mechanisms of the configuration at connect time.  Real daemon, reloads by
# relayguardctl, clients t/authd/slowclient.py and t/authd/dvclient.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

SLOW="python3 $top_srcdir/t/authd/slowclient.py"
rg_require dvclient python3
dir=$(tap_tmpdir authd-reload-mechs) || skip_all "cannot create a folder under $top_builddir/t/tmp"
hash=$(rg_hash 'daniel-pw-1') || bail_out "relayguardctl hash failed"
log=$dir/relayguard.log
conf=$dir/rg.conf

write_conf() {	# MECHANISMS (libconfig list body)
	cat >"$conf" <<EOF
pidfile = "";
control_socket = "$dir/control";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$dir/auth";
  saslauthd_socket = "";
  mechanisms = [ $1 ];
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
};
stores = ( { type = "static"; users = ( { name = "daniel"; password = "$hash"; } ); } );
EOF
}
# reload command for slowclient's shell: step (runs while its connection stays open)
reload_to() {	# MECHANISMS
	echo "shell:sed -i 's/mechanisms = .*/mechanisms = [ $1 ];/' '$conf' && '$CTL' -c '$conf' reload >>'$dir/reload.out' 2>&1"
}

write_conf '"PLAIN", "LOGIN"'
rg_start "$conf" "$log" "$dir/auth" "$dir/control"
ok $? "relayguard starts with PLAIN and LOGIN" || { done_testing; exit 1; }
out=$($SLOW "$dir/auth" mechs)
[ "$out" = "PLAIN LOGIN" ]
ok $? "the handshake offers PLAIN LOGIN ($out)"

# ---- a connection opened before the reload that removes LOGIN ----
out=$($SLOW "$dir/auth" session "plain daniel daniel-pw-1" "login daniel daniel-pw-1" \
	"$(reload_to '"PLAIN"')" "login daniel daniel-pw-1" "plain daniel daniel-pw-1")
diag "$out"
[ "$(echo "$out" | sed -n 1p)" = "plain OK 1 user=daniel" ] &&
	[ "$(echo "$out" | sed -n 2p)" = "login OK 2 user=daniel" ]
ok $? "before the reload: PLAIN and LOGIN log in on the connection"
[ "$(echo "$out" | sed -n 3p)" = "shell 0" ]
ok $? "relayguardctl reload (mechanisms = PLAIN) succeeds while the connection stays open"
[ "$(echo "$out" | sed -n 4p)" = "login FAIL 3 reason=Unsupported authentication mechanism" ]
ok $? "after the reload: LOGIN on the old connection gets FAIL"
[ "$(echo "$out" | sed -n 5p)" = "plain OK 4 user=daniel" ]
ok $? "after the reload: PLAIN on the old connection still logs in"
[ "$(count "$log" "auth: dovecot: request refused: mechanism LOGIN is not enabled (auth.mechanisms)")" -eq 1 ]
ok $? "relayguard logs that LOGIN is not enabled"

# ---- new connections ----
out=$($SLOW "$dir/auth" mechs)
[ "$out" = "PLAIN" ]
ok $? "a new connection's handshake offers PLAIN only ($out)"
out=$("$DV" "$dir/auth" login daniel daniel-pw-1 2>&1 | tail -n 1)
[ "$out" = "FAIL 1 reason=Unsupported authentication mechanism" ]
ok $? "LOGIN on a new connection: FAIL ($out)"

# ---- a mechanism added by a reload ----
out=$($SLOW "$dir/auth" session "plain daniel daniel-pw-1" \
	"$(reload_to '"PLAIN", "LOGIN"')" "login daniel daniel-pw-1")
diag "$out"
[ "$(echo "$out" | sed -n 3p)" = "login OK 2 user=daniel" ]
ok $? "LOGIN enabled again by a reload: allowed on a connection opened without it"
out=$($SLOW "$dir/auth" mechs)
[ "$out" = "PLAIN LOGIN" ]
ok $? "and offered by new connections' handshakes ($out)"
out=$("$DV" "$dir/auth" login daniel daniel-pw-1 2>&1 | tail -n 1)
[ "$out" = "OK 1 user=daniel" ]
ok $? "LOGIN on a new connection: OK ($out)"
[ "$(count "$log" "reload done")" -ge 2 ]
ok $? "two reloads logged" || diag "$(cat "$dir/reload.out")"

done_testing
