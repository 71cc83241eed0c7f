#!/bin/sh
# service.sh — the SASL service end to end at the protocol level: the built
# relayguard daemon with a SQLite store made by relayguardctl (Argon2id
# hashes), driven by t/authd/dvclient (Dovecot auth protocol) and Cyrus's
# real testsaslauthd (saslauthd protocol).  TAP.  Everything started here is
# stopped by PID on exit.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"
rg_require dvclient sqlite3
rg_workdir authd-service

write_conf() { # failure_delay_ms hash_threads hash_queue [log_logins]
	cat > "$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "$W/mux";
  require_tls = true;
  failure_delay_ms = $1;
  max_failure_delay_ms = 1000;
  hash_threads = $2;
  hash_queue = $3;
  max_connections = 600;
  log_logins = "${4:-all}";
};
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
}
write_conf 0 2 64
DB="$W/users.db"
ctl db init >/dev/null
printf 'Daniel-pw-1' | ctl user add daniel >/dev/null
printf 'mallory-pw' | ctl user add mallory >/dev/null
printf 'carol-pw' | ctl user add carol >/dev/null
for i in $(seq 1 12); do printf "pw$i" | ctl user add "u$i" >/dev/null; done

rg_start "$W/rg.conf" "$W/rg.log" "$W/auth" "$W/mux"
ok $? "daemon listens on both sockets" || bail_out "relayguard did not start"
dv() { "$DV" "$W/auth" "$@" 2>&1; }
# stdout only; stderr (libsasl-style client errors) goes to $W/tsa.err
tsa() { "$TSA" -f "$W/mux" -s smtp "$@" 2>"$W/tsa.err" | tr '\n' ' ' | sed 's/ *$//'; }


# ---- Dovecot protocol: PLAIN / LOGIN ----
is "$(dv plain daniel Daniel-pw-1)" "OK 1 user=daniel" "PLAIN right password: OK user=daniel"
is "$(logcount 'user=daniel authc=daniel .*result=ok.*cached=no')" 1 "first login hashed (cached=no)"
is "$(dv plain daniel Daniel-pw-1)" "OK 1 user=daniel" "PLAIN again: OK"
is "$(logcount 'user=daniel authc=daniel .*result=ok.*cached=yes')" 1 "second login answered by the cache"
is "$(dv plain daniel wrong)" "FAIL 1 reason=Authentication failed" "wrong password: FAIL"
is "$(dv plain nobody Daniel-pw-1)" "FAIL 1 reason=Authentication failed" "unknown user: FAIL"
is "$(dv plain daniel Daniel-pw-1 '' insecure)" "FAIL 1 reason=Plaintext authentication requires TLS" \
	"right password without 'secured' (require_tls): FAIL"
is "$(dv login daniel Daniel-pw-1 | tr '\n' '|')" "CONT 1 VXNlcm5hbWU6|CONT 1 UGFzc3dvcmQ6|OK 1 user=daniel|" \
	"LOGIN: two prompts, then OK"
matches "$(dv login daniel nope | tail -1)" "FAIL 1 *" "LOGIN wrong password: FAIL"
matches "$(dv login daniel Daniel-pw-1 insecure | tail -1)" "FAIL 1 reason=Plaintext*" "LOGIN without TLS: FAIL"

# ---- authzid rules: act as another identity only with an act_as grant ----
is "$(dv plain mallory mallory-pw daniel)" "FAIL 1 reason=Authentication failed" \
	"mallory (right password) as authzid daniel without a grant: FAIL"
is "$(logcount 'authc=mallory .*reason="authc may not act as authz"')" 1 "logged why"
is "$(dv plain mallory mallory-pw mallory)" "OK 1 user=mallory" "authzid = authcid: OK"
ctl act-as grant mallory daniel >/dev/null
is "$(dv plain mallory mallory-pw daniel)" "OK 1 user=daniel" "after the grant: OK, effective identity daniel"
is "$(dv plain mallory wrong daniel)" "FAIL 1 reason=Authentication failed" "grant does not skip the password"
ctl user disable daniel >/dev/null
is "$(dv plain mallory mallory-pw daniel)" "FAIL 1 reason=Authentication failed" "acting as a disabled identity: FAIL"
ctl user enable daniel >/dev/null

# ---- malformed / hostile input: error or close, never OK ----
raw() { printf "$1" | "$DV" "$W/auth" raw 2>&1 | tr '\n' '|'; }
is "$(raw 'AUTH\tx\tPLAIN\tservice=smtp\n')" "CLOSED|" "non-numeric id: closed without reply"
is "$(raw 'BOGUS\n')" "CLOSED|" "unknown command: closed"
P=$(printf '\0daniel\0Daniel-pw-1' | base64 -w0)
is "$(raw "AUTH\t1\tPLAIN\tservice=smtp\tsecured\nAUTH\t1\tPLAIN\tservice=smtp\n")" "CONT 1 |CLOSED|" \
	"id reused while pending: closed"
is "$(raw "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=$P\nAUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=$P\n")" \
	"OK 1 user=daniel|OK 1 user=daniel|CLOSED|" "id of a finished request may come again"
matches "$(raw 'AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=!!!!\n')" "FAIL 1 reason=*|CLOSED|" "bad base64: FAIL"
matches "$(raw "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=$(printf 'daniel\0Daniel-pw-1' | base64 -w0)\n")" \
	"FAIL 1 *|CLOSED|" "PLAIN without authzid separator: FAIL"
LONG=$(head -c 9000 /dev/zero | tr '\0' A)
is "$(raw "AUTH\t1\tPLAIN\tservice=smtp\tresp=$LONG\n")" "CLOSED|" "line over max_request_length: closed"
TABU=$(printf '\0dan\tiel\0Daniel-pw-1' | base64 -w0)
matches "$(raw "AUTH\t1\tPLAIN\tservice=smtp\tsecured\tresp=$TABU\n")" "FAIL 1 *|CLOSED|" "TAB inside a username: FAIL"
matches "$(raw 'CONT\t77\tAAAA\n')" "FAIL 77 *|CLOSED|" "CONT for an unknown id: FAIL"
alive "$RG_PID"; ok $? "daemon still running after hostile input"

# ---- pipelining and concurrency ----
is "$(dv pipeline 50 daniel Daniel-pw-1)" "ok=50 fail=0 ids=matched" "50 pipelined requests on one connection"
is "$(dv concurrent 300 daniel Daniel-pw-1)" "ok=300 fail=0 closed=0" "300 connections at once"

# ---- saslauthd protocol, real testsaslauthd ----
if [ -x "$TSA" ]; then
	is "$(tsa -u daniel -p Daniel-pw-1)" '0: OK "Success."' "testsaslauthd right password"
	is "$(tsa -u daniel -p wrong)" '0: NO "authentication failed"' "testsaslauthd wrong password"
	is "$(tsa -u nobody -p x)" '0: NO "authentication failed"' "testsaslauthd unknown user"
	BIGU=$(head -c 300 /dev/zero | tr '\0' u)
	is "$(tsa -u "$BIGU" -p x) $(cat "$W/tsa.err")" "0: size read failed" "testsaslauthd 300-byte user: closed, no OK"
	is "$(logcount 'saslauthd: protocol error: login too long')" 1 "oversized login refused as a protocol error"
	BIGP=$(head -c 2000 /dev/zero | tr '\0' p)
	out=$(tsa -u daniel -p "$BIGP")
	case "$out" in *OK*) fail "testsaslauthd 2000-byte password: no OK" "$out";; *) pass "testsaslauthd 2000-byte password: no OK";; esac
else
	skip "testsaslauthd not installed" 6
fi

# ---- a store that breaks while running: temporary failure, never a stale answer ----
dv plain daniel Daniel-pw-1 >/dev/null        # cached now
mv "$DB" "$DB.away"
is "$(dv plain daniel Daniel-pw-1)" "CLOSED" "store gone: Dovecot connection closed without FAIL (even though cached)"
is "$(logcount 'user=daniel .*result=tempfail reason="store error')" 1 "logged as tempfail: store error"
if [ -x "$TSA" ]; then
	is "$(tsa -u daniel -p Daniel-pw-1) $(cat "$W/tsa.err")" "0: size read failed" \
		"store gone: saslauthd closes without reply (testsaslauthd: 'size read failed'; libsasl: SASL_FAIL)"
else skip "testsaslauthd not installed"; fi
mv "$DB.away" "$DB"
is "$(dv plain daniel Daniel-pw-1)" "OK 1 user=daniel" "store repaired: next login OK"
cp "$DB" "$DB.good"
head -c 8192 /dev/urandom > "$DB.garbage" && mv "$DB.garbage" "$DB"
is "$(dv plain daniel Daniel-pw-1)" "CLOSED" "store replaced by garbage: closed"
mv "$DB.good" "$DB"
is "$(dv plain daniel Daniel-pw-1)" "OK 1 user=daniel" "good file back: OK"

# ---- revocation is immediate, despite the cache ----
dv plain carol carol-pw >/dev/null; dv plain carol carol-pw >/dev/null
printf 'carol-new' | ctl user passwd carol >/dev/null
is "$(dv plain carol carol-pw)" "FAIL 1 reason=Authentication failed" "after user passwd the cached old password fails at once"
is "$(dv plain carol carol-new)" "OK 1 user=carol" "new password OK"
ctl user disable carol >/dev/null
is "$(dv plain carol carol-new)" "FAIL 1 reason=Authentication failed" "user disable: refused at once"
ctl user enable carol >/dev/null
is "$(dv plain carol carol-new)" "OK 1 user=carol" "user enable: OK again"
ctl user del carol >/dev/null
is "$(dv plain carol carol-new)" "FAIL 1 reason=Authentication failed" "user del: refused at once"

# ---- hashing pool: full queue → tempfail at once; cache hits not stalled ----
write_conf 0 1 1
dv plain daniel Daniel-pw-1 >/dev/null        # cached before the reload
rg_reload 1
hashed=$(logcount 'user=daniel authc=daniel .*result=ok.*cached=no')
dv plain daniel Daniel-pw-1 >/dev/null        # warm daniel after the reload
is "$(logcount 'user=daniel authc=daniel .*result=ok.*cached=no')" $((hashed + 1)) \
	"reload (SIGUSR1) drops the cache: next login is hashed again"
before=$(logcount 'hashing queue full')
FLOOD=
for i in $(seq 1 12); do dv plain "u$i" "pw$i" > "$W/flood.$i" & FLOOD="$FLOOD $!"; done
sleep 0.05
t0=$(date +%s%N)
cached=$(dv plain daniel Daniel-pw-1)
t1=$(date +%s%N)
wait $FLOOD     # not a bare wait: the daemon is our child too
is "$cached" "OK 1 user=daniel" "cache hit answered during a hashing flood"
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -lt 2000 ] && pass "cache hit not queued behind the hashes (${ms} ms)" || fail "cache hit took ${ms} ms"
closed=$(cat "$W"/flood.* | grep -c CLOSED)
[ "$closed" -gt 0 ] && [ $(( $(logcount 'hashing queue full') - before )) -eq "$closed" ] \
	&& pass "queue 1 with 12 uncached logins: $closed closed (tempfail 'hashing queue full'), none FAILed" \
	|| fail "hashing queue full" "closed=$closed" "$(cat "$W"/flood.* | tr '\n' ' ')"
is "$(cat "$W"/flood.* | grep -c FAIL)" 0 "queue-full requests never turn into FAIL"

# ---- failure delay grows, same password does not escalate ----
write_conf 200 2 64
rg_reload 2
is "$(logcount 'reload done')" 2 "second reload done (failure_delay_ms = 200)"
t0=$(date +%s%N)
dv plain daniel bad1 >/dev/null; dv plain daniel bad2 >/dev/null; dv plain daniel bad3 >/dev/null
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ $ms -ge 1400 ] && pass "three distinct failures delayed 200+400+800 ms (${ms} ms)" || fail "delays too short: ${ms} ms"
is "$(logcount 'authc=daniel .*result=fail.*delay_ms=800')" 1 "third failure logged with delay_ms=800"
dv plain daniel bad3 >/dev/null
is "$(logcount 'authc=daniel .*result=fail.*delay_ms=1000')" 0 "same wrong password again: no escalation"
dv plain daniel Daniel-pw-1 >/dev/null

# ---- log_logins = "failures": successes counted, not logged; failures logged ----
write_conf 0 2 64 failures
rg_reload 3
printf 'lucy-pw-1' | ctl user add lucy >/dev/null
ok_before=$(logcount 'authc=lucy .*result=ok')
fail_before=$(logcount 'authc=lucy .*result=fail')
is "$(dv plain lucy lucy-pw-1)" "OK 1 user=lucy" "log_logins = failures: lucy logs in"
is "$(logcount 'authc=lucy .*result=ok')" "$ok_before" "... and the success gets no log line"
dv plain lucy wrong-one >/dev/null
is "$(logcount 'authc=lucy .*result=fail')" $((fail_before + 1)) "a failure is still logged"
matches "$("$CTL" -c "$W/rg.conf" stats | grep '^login.ok ')" "login.ok [1-9]*" "successes still counted"
write_conf 0 2 64 all
rg_reload 4
dv plain lucy lucy-pw-1 >/dev/null
is "$(logcount 'authc=lucy .*result=ok')" $((ok_before + 1)) "log_logins = all: the success is logged again"

# ---- secrets never logged ----
grep -q -e 'Daniel-pw-1' -e 'mallory-pw' -e 'carol-new' -e 'bad3' "$W/rg.log" \
	&& fail "a password appears in the log" || pass "no password in the log"

pid=$RG_PID
rg_stop && gone "$pid"
ok $? "SIGTERM stops the daemon"
[ ! -e "$W/auth" ] && [ ! -e "$W/mux" ] && pass "sockets removed on stop" || fail "sockets left behind"
done_testing
