#!/bin/sh
# timeouts.sh — the SASL service frees connections that hold a slot without
# using it: auth.idle_timeout (a silent Dovecot-protocol connection),
# auth.request_timeout (a line, or a saslauthd request, that trickles in; a
# client that does not read its answers), and so auth.max_connections cannot
# be used up by idle clients.  Real daemon, small timeouts (idle 2 s,
# request 3 s), clients t/authd/slowclient.py and t/authd/dvclient.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

SLOW="python3 $top_srcdir/t/authd/slowclient.py"
rg_require dvclient python3
dir=$(tap_tmpdir authd-timeouts) || skip_all "cannot create a folder under $top_builddir/t/tmp"
hash=$(rg_hash 'daniel-pw-1') || bail_out "relayguardctl hash failed"
log=$dir/relayguard.log

# "unix:" in front of a SASL socket path is accepted and means the path
cat >"$dir/rg.conf" <<EOF
pidfile = "";
control_socket = "";
milter: { enabled = false; };
auth: {
  dovecot_socket = "unix:$dir/auth";
  saslauthd_socket = "$dir/mux";
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
  idle_timeout = 2;
  request_timeout = 3;
  max_connections = 6;
};
stores = ( { type = "static"; users = ( { name = "daniel"; password = "$hash"; } ); } );
EOF
rg_start "$dir/rg.conf" "$log" "$dir/auth" "$dir/mux"
ok $? "relayguard starts; dovecot_socket = \"unix:$dir/auth\" binds $dir/auth" || { done_testing; exit 1; }
test ! -e "unix:$dir/auth" && test ! -e "$top_builddir/unix:$dir"
ok $? "no socket named \"unix:...\" was made"

# between(VALUE, LO, HI) on decimals
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
# after "closed after T" → T, anything else → 999
secs() { case $1 in "closed after "*) echo "${1#closed after }" ;; *) echo 999 ;; esac; }

# ---- the connection limit is freed by the idle timeout ----
out=$($SLOW "$dir/auth" hold 6 10)
first=$(echo "$out" | head -n 1)
last=$(echo "$out" | tail -n 1)
[ "$first" = "extra refused" ]
ok $? "6 idle connections fill max_connections = 6: a 7th is refused ($first)"
case $last in "all closed after "*) t=${last#all closed after } ;; *) t=999 ;; esac
between "$t" 1.5 4.5
ok $? "the idle timeout (2 s) closes all 6 ($last)"
[ "$(count "$log" 'connection limit (6) reached')" -ge 1 ]
ok $? "the refusal is logged"
out=$("$DV" "$dir/auth" plain daniel daniel-pw-1 2>&1)
[ "$out" = "OK 1 user=daniel" ]
ok $? "a new client logs in once the idle connections are gone ($out)"

# ---- idle timeout ----
before=$(count "$log" "connection idle for 2 s (auth.idle_timeout); closing")
out=$($SLOW "$dir/auth" idle 10)
between "$(secs "$out")" 1.5 4.5
ok $? "a silent connection is closed after auth.idle_timeout = 2 s ($out)"
[ "$(count "$log" "connection idle for 2 s (auth.idle_timeout); closing")" -gt "$before" ]
ok $? "relayguard logs why it closed the connection"
out=$($SLOW "$dir/auth" busy 6 1)
[ "$out" = "answered 6 open" ]
ok $? "requests 1 s apart for 6 s keep a connection open: idle counts from the last request ($out)"

# ---- whole-line deadline ----
out=$($SLOW "$dir/auth" trickle 0.5 10)
between "$(secs "$out")" 2.5 5
ok $? "a line trickling one byte every 0.5 s is closed 3 s after its first byte ($out)"
[ "$(count "$log" "request line not complete 3 s after its first byte (auth.request_timeout); closing")" -ge 1 ]
ok $? "relayguard logs the request timeout"

# ---- a client that does not read its answers ----
out=$($SLOW "$dir/auth" noread 12)
between "$(secs "$out")" 2 6
ok $? "a client that never reads is closed about auth.request_timeout after the server blocked ($out)"
[ "$(count "$log" "client does not read its answers (auth.request_timeout); closing")" -ge 1 ]
ok $? "relayguard logs it"

# ---- saslauthd: the whole request within request_timeout of the connection ----
out=$($SLOW "$dir/mux" sasl-trickle 0.5 8)
between "$(secs "$out")" 2.5 5
ok $? "a saslauthd request trickling one byte every 0.5 s is closed after 3 s ($out)"
[ "$(count "$log" "saslauthd: request not complete within 3 s (auth.request_timeout); closing")" -ge 1 ]
ok $? "relayguard logs the saslauthd request timeout"

# ---- still serving ----
out=$("$DV" "$dir/auth" plain daniel daniel-pw-1 2>&1)
[ "$out" = "OK 1 user=daniel" ]
ok $? "the service still answers ($out)"
alive "$RG_PID"
ok $? "the daemon is still running"

done_testing
