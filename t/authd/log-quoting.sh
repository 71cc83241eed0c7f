#!/bin/sh
# log-quoting.sh — client-chosen values cannot plant fields in the decision
# line.  The built daemon (SQLite store made by relayguardctl) is driven by
# t/authd/dvclient (Dovecot protocol) and Cyrus's testsaslauthd (saslauthd
# protocol) with login names such as `x rip=203.0.113.66 result=ok`, names
# holding '"', '\', spaces, '=' and 8-bit bytes, a hostile service= and a
# hostile authzid; every decision line is parsed by t/logkv.py as key=value
# fields: each key exactly once, the value decoded back to what was sent,
# and no second "rip=" anywhere in the line.  TAP.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

KV="python3 $top_srcdir/t/logkv.py"
rg_require dvclient python3 sqlite3 testsaslauthd

rg_workdir log-quoting
cat >"$W/rg.conf" <<CONF
control_socket = "$W/control";
pidfile = "$W/rg.pid";
milter: { enabled = false; };
auth: {
  dovecot_socket = "$W/auth";
  saslauthd_socket = "$W/mux";
  failure_delay_ms = 0;
  cache: { negative_ttl = 0; };
};
passwords: { argon2_memory_kib = 1024; argon2_iterations = 1; };
stores = ( { type = "sqlite"; path = "$W/users.db"; } );
CONF
INJ='x rip=203.0.113.66 result=ok'
Q='o"k\ =y'
# relayguardctl refuses names with spaces; a store filled by other means may hold them
ctl db init >/dev/null &&
	sqlite3 "$W/users.db" "INSERT INTO users(name, password) VALUES
		('$INJ', '$(rg_hash inj-pw)'), ('$Q', '$(rg_hash q-pw)'),
		('mallory', '$(rg_hash mallory-pw)');" ||
	bail_out "the SQLite store could not be made"

LOG=$W/rg.log
: >"$LOG"
rg_start "$W/rg.conf" "$LOG" "$W/auth" "$W/mux"
ok $? "relayguard starts" || { done_testing; exit 1; }

KEYS=protocol,mech,service,user,authc,rip,result,reason,cached,delay_ms
off=0
# decided WHAT KV-ARGS... — the one decision line since the last call passes logkv.py
decided() {
	_what=$1
	shift
	i=0
	while [ "$(grep -c 'auth: protocol=' "$LOG")" -le "$lines" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	lines=$(grep -c 'auth: protocol=' "$LOG")
	tail -c +$((off + 1)) "$LOG" >"$W/new"
	off=$(wc -c <"$LOG")
	_out=$($KV --match 'auth: protocol=' --count 1 --keys "$KEYS" "$@" "$W/new")
	ok $? "$_what" || diag "$_out"
	_n_rip=$(grep 'auth: protocol=' "$W/new" | grep -o 'rip=' | wc -l)
	[ "$_n_rip" -eq 1 ]
	ok $? "$_what: exactly one rip= in the line" || diag "$(cat "$W/new")"
}
lines=0
# a name as shown in a test description (echo in ok() reads backslashes)
shown() { printf '%s' "$1" | LC_ALL=C tr -c '[:print:]' '?' | sed 's/\\/<bs>/g'; }
dv() { "$DV" "$W/auth" "$@" 2>&1; }
tsa() { "$TSA" -f "$W/mux" -s smtp "$@" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'; }

# ---- Dovecot protocol ----
[ "$(dv plain "$INJ" inj-pw)" = "OK 1 user=$INJ" ]
ok $? "dovecot: '$INJ' logs in"
decided "dovecot: injected name, OK: fields intact" --expect "user=$INJ" --expect "authc=$INJ" \
	--expect rip=192.0.2.10 --expect result=ok --expect service=smtp --expect protocol=dovecot
dv plain "$INJ" wrong >/dev/null
decided "dovecot: injected name, wrong password" --expect "user=$INJ" --expect result=fail \
	--expect rip=192.0.2.10
for name in 'a"b' 'a\b' 'sp ace' 'k=v' '"' '\' '-' 'x" result=ok rip="203.0.113.66' \
	'x\" rip=203.0.113.66 \' "caf$(printf '\303\251')"; do
	dv plain "$name" nope >/dev/null
	decided "dovecot: unknown user '$(shown "$name")'" --expect "user=$name" --expect "authc=$name" \
		--expect result=fail --expect rip=192.0.2.10
done
[ "$(dv plain "$Q" q-pw)" = "OK 1 user=$Q" ]
ok $? "dovecot: a stored name with '\"', <bs>, space and '=' logs in"
decided "dovecot: that name decodes back" --expect "user=$Q" --expect result=ok
dv plain mallory mallory-pw 'z rip=203.0.113.9 user=root' >/dev/null
decided "dovecot: hostile authzid (user= is the authzid)" --expect 'user=z rip=203.0.113.9 user=root' \
	--expect authc=mallory --expect result=fail --expect 'reason=authc may not act as authz'
P=$(printf '\0mallory\0mallory-pw' | base64 -w0)
printf 'AUTH\t1\tPLAIN\tservice=a"rip=203.0.113.7\\=\tsecured\tresp=%s\n' "$P" |
	"$DV" "$W/auth" raw >/dev/null 2>&1
decided "dovecot: hostile service=" --expect 'service=a"rip=203.0.113.7\=' --expect user=mallory \
	--absent rip --expect result=ok
LONG=$(head -c 250 /dev/zero | tr '\0' '"')
dv plain "$LONG" nope >/dev/null
CUT=$(head -c 146 /dev/zero | tr '\0' '"')...
decided "dovecot: 250-byte name of '\"': cut to fit, marked" --expect "user=$CUT" --expect result=fail

# ---- saslauthd protocol, real testsaslauthd ----
[ "$(tsa -u "$INJ" -p inj-pw)" = '0: OK "Success."' ]
ok $? "saslauthd: '$INJ' logs in"
decided "saslauthd: injected name, OK: fields intact" --expect "user=$INJ" --expect protocol=saslauthd \
	--expect result=ok --absent rip
for name in 'a"b' 'k=v x=y' '\"' "e$(printf '\351')"; do
	tsa -u "$name" -p nope >/dev/null
	decided "saslauthd: unknown user '$(shown "$name")'" --expect "user=$name" --expect result=fail --absent rip
done

grep -q -e 'inj-pw' -e 'q-pw' -e 'mallory-pw' "$LOG"
ok $((! $?)) "no password in the log"
done_testing
