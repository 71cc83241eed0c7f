#!/usr/bin/env bash
# run-miltertest.sh — the milter's miltertest suite (t/milter/*.lua) against
# the built relayguard daemon, as TAP.
#
# Starts `relayguard -f -c CONF` with a test config (milter on a unix socket
# in a private folder under the build tree, SASL service off, a SQLite store
# made here), runs each Lua script with miltertest, and numbers the scripts'
# "ok - ..." / "not ok - ..." lines into one TAP stream.  headers.lua runs
# after a reload (SIGUSR1) into a config that edits headers, which also shows
# that connections take the current snapshot.  The daemon is stopped by PID
# on every exit (trap, via t/rg-lib.sh).
#
# Also usable by hand (KEEP=1 keeps the folder):
#   top_srcdir=... top_builddir=... t/milter/run-miltertest.sh [script.lua...]
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/rg-lib.sh"

[ -n "$MILTERTEST" ] && [ -x "$MILTERTEST" ] || skip_all "miltertest not installed (apt-get install miltertest)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed (apt-get install sqlite3)"
rg_require

dir=$(tap_tmpdir milter-lua) || bail_out "cannot make a folder under $top_builddir/t/tmp"

db=$dir/auth.db

# write_conf FILE REMOVE_HEADER ADD_HEADER ACCEPT_REPEATED_SAME [MORE]
# MORE: config text appended (the senders run adds a group and a store)
write_conf() {
	cat >"$1" <<EOF
control_socket = "$dir/control";
pidfile = "$dir/relayguard.pid";
socket_mode = "0660";
syslog_ident = "relayguard-test";
milter: {
  enabled = true;
  socket = "unix:$dir/milter.sock";
  require_tls_for_auth = true;
  min_tls_version = "TLSv1.2";
  require_auth = [ "submission" ];
  require_known_identity = true;
};
auth: { enabled = false; };
stores = (
  { type = "sqlite"; name = "db"; path = "$db"; busy_timeout_ms = 100; }${5:+,
  $5}
);
${6:-}
tenants: {
  header = "X-Tenant";
  remove_header = $2;
  add_header = "$3";
  missing = "${7:-accept}";
  unknown = "reject";
  unauthenticated = "reject";
  accept_repeated_same = $4;
  max_length = 64;
  list = (
    { name = "acme"; require_authz = [ "alice" ]; },
    { name = "globex"; require_authz = [ "erin" ]; }
  );
};
EOF
}

conf=$dir/relayguard.conf
write_conf "$conf" false "" false

# the store: relayguardctl's schema; the passwords are unused by the milter
RG_CONF=$conf
{ ctl db init && for u in alice erin bob; do
	printf 'unused-by-the-milter\n' | ctl user add "$u" || bail_out "user add $u"; done &&
	ctl user disable bob && ctl tenant add dbtenant && ctl tenant grant dbtenant erin &&
	ctl sender grant alice alice@relayguard.test && ctl sender grant alice @sales.relayguard.test &&
	ctl sender grant erin '*'; } >/dev/null ||
	bail_out "cannot create $db with relayguardctl"
RG_LOG=$dir/relayguard.log
rg_start_or_bail "$conf" "$RG_LOG" "$dir/milter.sock"

# run_lua SCRIPT — one script; its check lines become numbered TAP
run_lua() {
	local script=$1 name out status
	name=$(basename "$script")
	out=$("$MILTERTEST" -s "$script" -D socket="unix:$dir/milter.sock" -D log="$RG_LOG" \
		-D db="$db" -D tmp="$dir" -D srcdir="$top_srcdir" 2>&1)
	status=$?
	tap_lines "$name: " "$out"
	ok $status "$name: miltertest finished cleanly" ||
		diag "relayguard log tail: $(tail -n 15 "$RG_LOG")"
}

scripts=("$@")
if [ ${#scripts[@]} = 0 ]; then
	scripts=(rules.lua sessions.lua hostile.lua logquote.lua storeerr.lua headers.lua senders.lua
		fromdomain.lua)
fi
for s in "${scripts[@]}"; do
	if [ "$s" = headers.lua ]; then
		# reload into the header-editing config; new connections use it
		write_conf "$conf" true "X-Tenant-Verified" true
		rg_reload
		ok $? "reload (SIGUSR1) into the header-editing config" ||
			diag "$(tail -n 10 "$RG_LOG")"
	fi
	if [ "$s" = senders.lua ]; then
		# sender ownership on (header edits as in the headers run, for the
		# QUIT_NC case below); a static store after the SQLite one grants
		# alice one more address (grants are a union over the stores)
		hash=$(rg_hash unused-static-password) || bail_out "relayguardctl hash failed"
		write_conf "$conf" true "X-Tenant-Verified" true "{ type = \"static\"; name = \"extra\"; users = (
    { name = \"alice\"; password = \"$hash\"; senders = [ \"alice@Static.Example\" ]; }
  ); }" 'senders: { check_envelope = true; check_from = true; check_sender_header = true;
  unauthenticated = "reject_owned"; };'
		rg_reload
		ok $? "reload (SIGUSR1) into the senders config" || diag "$(tail -n 10 "$RG_LOG")"
		# the SQLite tenant dbtenant (erin's) may use db.example and its subdomains
		ctl domain add dbtenant db.example >/dev/null && ctl domain add dbtenant '*.db.example' >/dev/null
		ok $? "relayguardctl domain add: dbtenant's domains"
	fi
	if [ "$s" = fromdomain.lua ]; then
		# the senders config, with tenants.missing = "from_domain"
		write_conf "$conf" true "X-Tenant-Verified" true "{ type = \"static\"; name = \"extra\"; users = (
    { name = \"alice\"; password = \"$hash\"; senders = [ \"alice@Static.Example\" ]; }
  ); }" 'senders: { check_envelope = true; check_from = true; };' from_domain
		rg_reload
		ok $? "reload (SIGUSR1) into tenants.missing = from_domain" || diag "$(tail -n 10 "$RG_LOG")"
		ctl sender grant alice @db.example >/dev/null
		ok $? "relayguardctl sender grant alice @db.example"
	fi
	run_lua "$top_srcdir/t/milter/$s"
done

# A connection reused for a new SMTP session (SMFIC_QUIT_NC, which miltertest
# cannot send): the second session must not inherit the first one's TLS.
# libmilter accepts QUIT_NC only after end of message, so the first message
# goes to EOM (the header-editing config above removes X-Tenant).
out=$(python3 "$top_srcdir/t/milter/milter_client.py" "$dir/milter.sock" negotiate \
	"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:client.example:192.0.2.7 \
	"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
	helo:client.example "macro:M:i=REUSE1,{auth_type}=PLAIN,{auth_authen}=alice" \
	mail:alice@relayguard.test header:From:alice@relayguard.test header:X-Tenant:acme eoh eom quit_nc \
	"macro:C:j=mx.relayguard.test,{daemon_name}=submission" connect:other.example:192.0.2.8 \
	helo:other.example "macro:M:i=REUSE2,{auth_type}=PLAIN,{auth_authen}=alice" \
	mail:alice@relayguard.test quit 2>&1)
echo "$out" | grep -qx "eom continue"
ok $? "QUIT_NC: the first session (TLS, AUTH) passes to end of message" || diag "$out"
echo "$out" | grep -q "^mail replycode 530 5.7.0" &&
	grep -q "REUSE2: milter reject: .*reason=auth_without_tls" "$RG_LOG"
ok $? "QUIT_NC: the next session on the same connection has no TLS: 530, auth_without_tls" ||
	diag "$out / $(grep REUSE "$RG_LOG")"

# milter.log_verdicts = "refusals": an accepted message is counted, not logged
sed -i 's|^  timeout = |&|; s|^  require_known_identity = true;$|&\n  log_verdicts = "refusals";|' "$conf"
rg_reload
ok $? "reload into log_verdicts = refusals" || diag "$(tail -n 5 "$RG_LOG")"
accepts_before=$(ctl stats | awk '$1 ~ /^milter\.verdict\.accept\./ { n += $2 } END { print n + 0 }')
out=$(python3 "$top_srcdir/t/milter/milter_client.py" "$dir/milter.sock" negotiate \
	"macro:C:j=mx.relayguard.test,{daemon_name}=smtpd" connect:client.example:192.0.2.7 \
	"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
	helo:client.example "macro:M:i=QUIETOK,{auth_type}=PLAIN,{auth_authen}=alice" \
	mail:alice@relayguard.test header:From:alice@relayguard.test eoh eom quit 2>&1)
out2=$(python3 "$top_srcdir/t/milter/milter_client.py" "$dir/milter.sock" negotiate \
	"macro:C:j=mx.relayguard.test,{daemon_name}=smtpd" connect:client.example:192.0.2.7 \
	"macro:H:{tls_version}=TLSv1.3,{cipher}=TLS_AES_256_GCM_SHA384,{cipher_bits}=256" \
	helo:client.example "macro:M:i=QUIETNO,{auth_type}=PLAIN,{auth_authen}=alice" \
	mail:ceo@globex.example quit 2>&1)
accepts_after=$(ctl stats | awk '$1 ~ /^milter\.verdict\.accept\./ { n += $2 } END { print n + 0 }')
ok $([ "$accepts_after" -gt "$accepts_before" ]; echo $?) \
	"log_verdicts = refusals: the accepted message is counted ($accepts_before -> $accepts_after)" ||
	diag "$out"
! grep -q 'QUIETOK: milter' "$RG_LOG"
ok $? "... and not logged"
grep -q 'QUIETNO: milter reject: .*reason=sender_not_owned' "$RG_LOG"
ok $? "a refusal is still logged" || diag "$out2"

pid=$RG_PID
rg_stop
kill -0 "$pid" 2>/dev/null
ok $((! $?)) "relayguard (pid $pid) gone after SIGTERM"
done_testing
