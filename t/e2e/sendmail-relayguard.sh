#!/usr/bin/env bash
# sendmail-relayguard.sh — issue 5's proof through a real, private Sendmail
# (Debian 12's 8.17, unpacked by t/e2e/fetch-sendmail.sh) built from a .mc
# with m4 that includes etc/sendmail/relayguard.mc and uses
# etc/sendmail/Sendmail.conf (socket paths pointed at this test's relayguard):
#  - Cyrus SASL (pwcheck_method: saslauthd) checks passwords at relayguard's
#    saslauthd socket; AuthOptions p: no AUTH before STARTTLS
#  - PLAIN and LOGIN after STARTTLS: right 235, wrong 535, unknown user 535
#  - INPUT_MAIL_FILTER attaches relayguard's milter: an authorized tenant is
#    accepted, relayed by AUTH and delivered; an unauthorized tenant, repeated
#    tenant headers and a tenant header without AUTH get 550 5.7.1; the
#    "submission" listener ({daemon_name}) refuses mail without AUTH
#  - a store error: relayguard closes the saslauthd connection without a
#    reply; libsasl returns SASL_FAIL and Sendmail answers 535 anyway and logs
#    "generic failure (-1)" (a wrong password logs "authentication failure
#    (-13)"): Sendmail has no temporary answer for a SASL failure
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"
. "$top_srcdir/t/e2e/sendmail-lib.sh"

sm_have_sendmail || skip_all "$SM_WHY"
[ -n "$SWAKS" ] && [ -x "$SWAKS" ] || skip_all "swaks not installed (apt-get install swaks)"
perl -MNet::SSLeay -e 1 2>/dev/null || skip_all "swaks --tls needs Net::SSLeay (apt-get install libnet-ssleay-perl)"
command -v python3 >/dev/null || skip_all "python3 not installed"
command -v ss >/dev/null || skip_all "ss (iproute2) not installed"
rg_require

dir=$(e2e_tmpdir sendmail) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit sm_stop

h_daniel=$(rg_hash 'daniel-Secret-1') && h_mallory=$(rg_hash 'mallory-Secret-2') &&
	h_boss=$(rg_hash 'boss-Secret-3') ||
	bail_out "relayguardctl hash failed"

# Sendmail's SMTP sessions run as root: the sockets need no group.
cat >"$rg/relayguard.conf" <<EOF
control_socket = "$rg/control";
pidfile = "$rg/relayguard.pid";
socket_mode = "0660";
syslog_ident = "relayguard-test";
milter: {
  socket = "unix:$rg/milter.sock";
  require_tls_for_auth = true;
  min_tls_version = "TLSv1.2";
  require_auth = [ "submission" ];
  require_known_identity = true;
  # every authenticated message must be tied to its login (the SASL
  # service in this process saw it): proves the tie on this MTA
  uncorrelated_auth = "tempfail";
};
auth: {
  dovecot_socket = "";
  saslauthd_socket = "$rg/mux";
  require_tls = true;
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
};
stores = (
  { type = "static"; name = "config";
    users = (
      { name = "daniel"; password = "$h_daniel"; },
      { name = "mallory"; password = "$h_mallory"; },
      { name = "boss"; password = "$h_boss"; act_as = [ "daniel" ]; }
    ); },
  { type = "sqlite"; name = "db"; path = "$rg/auth.db"; busy_timeout_ms = 200; }
);
tenants: {
  header = "X-Tenant";
  missing = "accept";
  unknown = "reject";
  unauthenticated = "reject";
  accept_repeated_same = false;
  list = (
    { name = "acme"; require_authz = [ "daniel", "carol" ]; },
    { name = "globex"; require_authz = [ "someone-else" ]; }
  );
};
EOF
RG_CONF=$rg/relayguard.conf
RG_LOG=$rg/relayguard.log
out=$( { ctl db init && printf '%s\n' 'carol-Secret-4' | ctl user add carol; } 2>&1)
ok $? "relayguardctl db init; user add carol (SQLite)" || diag "$out"
out=$("$RG" -n -c "$RG_CONF" 2>&1)
ok $? "relayguard -n accepts the test config" || diag "$out"

rg_start "$RG_CONF" "$RG_LOG" "$rg/mux" "$rg/milter.sock"
ok $? "relayguard -f starts with its saslauthd and milter sockets" || { done_testing; exit 1; }

SM_SASL_SOCK=$rg/mux
SM_MILTER_SOCK=$rg/milter.sock
sm_setup "$dir/sm"
ok $? "sendmail.cf made by m4 from a .mc that includes etc/sendmail/relayguard.mc" ||
	{ done_testing; exit 1; }
cf=$(cat "$SM_CF")
like "$cf" "^Xrelayguard, S=unix:$rg/milter.sock, F=T" "the .cf attaches the milter (F=T: tempfail when it is down)"
like "$cf" '^O Milter\.macros\.envfrom=i, \{auth_type\}, \{auth_authen\},.*\{tls_version\}' \
	"the .cf sends the AUTH and TLS macros at MAIL FROM"
like "$(cat "$SM_DIR/sasl/Sendmail.conf")" "^saslauthd_path: $rg/mux\$" \
	"Sendmail.conf (etc/sendmail/Sendmail.conf) points at relayguard's saslauthd socket"
sm_start
ok $? "private Sendmail listens on 127.0.0.1:$SM_PORT (MTA) and :$SM_MSA_PORT (submission)" ||
	{ done_testing; exit 1; }

session() { PF_PORT=$SM_PORT smtp_session "$@"; }

# --- AUTH needs TLS (AuthOptions p)
out=$(sm_swaks --quit-after EHLO)
like "$out" '250-STARTTLS' "EHLO before STARTTLS offers STARTTLS ..."
unlike "$out" '250[- ]AUTH' "... but not AUTH"
out=$(sm_swaks --tls --quit-after EHLO)
like "$out" '250-AUTH (PLAIN LOGIN|LOGIN PLAIN)$' "after STARTTLS, EHLO offers AUTH PLAIN LOGIN"

# --- the AUTH cases shared with Postfix (t/e2e/auth-cases.txt): before
#     STARTTLS (AuthOptions p), right / wrong / unknown, PLAIN and LOGIN, authzid
auth_cases sendmail "$SM_PORT" "235=2.0.0 535=5.7.0 503=5.3.3"
auth_try() { # MECH USER PASSWORD
	sm_swaks --tls --auth "$1" --auth-user "$2" --auth-password "$3" --quit-after AUTH
}
sm_wait_log 'AUTH=server, relay=[^,]*, authid=daniel, mech=PLAIN' 5
ok $? "Sendmail logs the successful AUTH: authid=daniel, mech=PLAIN" ||
	diag "$(grep AUTH "$SM_LOGFILE" | tail -n 5)"
like "$(grep 'AUTH failure' "$SM_LOGFILE")" 'AUTH failure \(PLAIN\): authentication failure \(-13\).*user=daniel' \
	"a refusal (NO on the saslauthd wire) is SASL_BADAUTH (-13) in Sendmail's log"

# --- authzid.  Cyrus SASL sends saslauthd only authc (mallory) and her
#     password; Sendmail's proxy_policy() accepts any authzid and reports
#     authc to milters as {auth_authen}.  So the login succeeds, but mallory
#     gains nothing: the tenant check runs for mallory, not daniel.
azmsg=$dir/authz.eml
printf 'Subject: authz-%s\r\nX-Tenant: acme\r\n\r\nbody\r\n' "$$" >"$azmsg"
out=$(session ehlo starttls ehlo plain:daniel:mallory:mallory-Secret-2 \
	mail:daniel@relayguard.test rcpt:user@localhost data:"$azmsg" quit)
like "$out" '^plain 235 ' "authc mallory + authzid daniel, mallory's password: 235 (Sendmail does not check authzid)"
like "$out" '^data 550 5\.7\.1 .*acme' "... but X-Tenant: acme (daniel's tenant) is refused: the session is mallory's"
like "$(cat "$RG_LOG")" 'milter reject: .*identity=mallory login=mallory tenant=acme reason=tenant_not_authorized' \
	"relayguard's verdict names {auth_authen} = mallory (authc), not the authzid"

# --- the milter: tenants (relayed by AUTH: connect from 127.0.0.2, where
#     Sendmail does not relay without AUTH)
send() { # TENANT MARKER [swaks args...] — tenant "" sends no header
	local tenant=$1 marker=$2
	shift 2
	sm_swaks --local-interface 127.0.0.2 --from daniel@relayguard.test \
		--to "rcpt-$marker@remote.example" --header "Subject: $marker" \
		${tenant:+--header "X-Tenant: $tenant"} --body "body of $marker" "$@"
}
delivered() { # MARKER — the delivered copy of the message with that subject
	local f
	for f in $(sm_mail_files); do
		grep -q "^Subject: $1\$" "$f" && { cat "$f"; return 0; }
	done
	return 1
}
auth_daniel=(--tls --auth PLAIN --auth-user daniel --auth-password daniel-Secret-1)

m0=relay-$$-$RANDOM
out=$(send "" "$m0" --tls --quit-after RCPT)
like "$out" '<~\* +550 5\.7\.1 .*Relaying denied' "from 127.0.0.2 without AUTH: relaying denied (550 5.7.1)"

m1=ok-$$-$RANDOM
out=$(send acme "$m1" "${auth_daniel[@]}")
like "$out" '<~ +250 2\.0\.0 .* Message accepted for delivery' \
	"daniel, X-Tenant: acme (authorized), relayed by AUTH: accepted"
msg=$(delivered "$m1")
ok $? "... and delivered" || diag "$(ls -l "$SM_MAILDIR")"
like "$msg" "^X-Envelope-To: rcpt-$m1@remote.example\$" "the delivered copy went to the relayed recipient"
like "$msg" '^X-Tenant: acme' "the delivered copy carries its X-Tenant header (remove_header is off)"
like "$msg" "^body of $m1" "the body arrived intact"
like "$(cat "$RG_LOG")" "milter accept: .*identity=daniel .*tenant=acme" \
	"relayguard's verdict names the identity Sendmail sent as {auth_authen}: daniel"

m2=other-$$-$RANDOM
out=$(send globex "$m2" "${auth_daniel[@]}")
like "$out" '<~\* +550 5\.7\.1 .*globex' "daniel, X-Tenant: globex (not authorized): 550 5.7.1 naming the tenant"
unlike "$out" 'someone-else' "the refusal does not reveal who may use globex"

msgf=$dir/repeated.eml
m3=rep-$$-$RANDOM
printf 'Subject: %s\r\nX-Tenant: acme\r\nX-Tenant: globex\r\n\r\nbody\r\n' "$m3" >"$msgf"
out=$(send "" "$m3" "${auth_daniel[@]}" --data "$msgf")
like "$out" '<~\* +550 5\.7\.1' "repeated tenant header with different values (acme, globex): 550 5.7.1"
m4=same-$$-$RANDOM
printf 'Subject: %s\r\nX-Tenant: acme\r\nX-Tenant: acme\r\n\r\nbody\r\n' "$m4" >"$msgf"
out=$(send "" "$m4" "${auth_daniel[@]}" --data "$msgf")
like "$out" '<~\* +550 5\.7\.1' "repeated tenant header, same value twice (accept_repeated_same = false): 550 5.7.1"

m5=anon-$$-$RANDOM
out=$(sm_swaks --tls --from someone@relayguard.test --to "user@localhost" \
	--header "Subject: $m5" --header "X-Tenant: acme")
like "$out" '<~\* +550 5\.7\.1' "tenant header on an unauthenticated session (local recipient): 550 5.7.1"

sleep 0.5
for m in "$m2" "$m3" "$m4" "$m5"; do
	if delivered "$m" >/dev/null; then ok 1 "refused message $m was not delivered"; else ok 0 "refused message $m was not delivered"; fi
done
like "$(cat "$RG_LOG")" 'milter reject: .*identity=daniel login=daniel tenant=globex reason=tenant_not_authorized' \
	"relayguard logs the refusal with identity, tenant and reason"

out=$(SM_SWAKS_PORT=$SM_MSA_PORT sm_swaks --tls --from someone@relayguard.test --to user@localhost --quit-after RCPT)
like "$out" '<~\* +530 5\.7\.0' "submission listener ({daemon_name} = submission), MAIL FROM without AUTH: 530 5.7.0"
m6=msa-$$-$RANDOM
out=$(SM_SWAKS_PORT=$SM_MSA_PORT send acme "$m6" "${auth_daniel[@]}")
like "$out" '<~ +250 2\.0\.0 .* Message accepted for delivery' "submission listener with AUTH: accepted"

# --- a store error on the saslauthd path
# An admin transaction holds an exclusive lock on the SQLite store: relayguard
# cannot answer for carol (a cached user) and closes without a reply.
lockfifo=$dir/lock.fifo
mkfifo "$lockfifo"
python3 - "$rg/auth.db" "$lockfifo" <<'EOF' &
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=DELETE")
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2]).read()          # hold the lock until the test writes to the fifo
db.execute("ROLLBACK")
EOF
lockpid=$!
tap_at_exit "kill $lockpid 2>/dev/null"
sleep 0.5
nfail=$(grep -c 'generic failure (-1)' "$SM_LOGFILE")
out=$(auth_try PLAIN carol 'carol-Secret-4')
like "$out" '<~\* +535 5\.7\.0' "store locked: Sendmail answers 535 5.7.0 (it has no temporary reply for SASL failures)"
unlike "$out" '<~ +235' "store locked: no stale 235 from the cache"
sm_wait_log 'AUTH failure \(PLAIN\): generic failure \(-1\).*user=carol' 5
ok $? "Sendmail logs SASL_FAIL: \"AUTH failure (PLAIN): generic failure (-1)\" (not -13)" ||
	diag "$(grep 'AUTH failure' "$SM_LOGFILE" | tail -n 3)"
like "$(grep 'user=carol' "$RG_LOG" | tail -n 1)" 'result=tempfail reason="store error' \
	"relayguard logs a temporary failure for carol (store error), not a refusal"
out=$(auth_try LOGIN nobody 'whatever')
like "$out" '<~\* +535 5\.7\.0' "store locked: unknown user also 535"
ok "$([ "$(grep -c 'generic failure (-1)' "$SM_LOGFILE")" -ge $((nfail + 2)) ] && echo 0 || echo 1)" \
	"... logged as generic failure (-1) as well"
out=$(auth_try PLAIN daniel 'daniel-Secret-1')
like "$out" '<~ +235 2\.0\.0' "store locked: a user of the static store (asked first) still logs in"

echo release >"$lockfifo"
wait "$lockpid"
out=$(auth_try PLAIN carol 'carol-Secret-4')
like "$out" '<~ +235 2\.0\.0' "lock released: carol logs in again"

unlike "$(cat "$RG_LOG" "$SM_LOGFILE")" 'Secret-[0-9]|wrong-password' "neither log holds a password"

# --- the guard: daniel over his 1 message an hour is quarantined (smfi_quarantine)
cat >>"$RG_CONF" <<EOF
guard: { enabled = true; action = "hold";
         identities = ( { name = "daniel"; messages = [ "1/1h" ]; } ); };
EOF
rg_reload
ok $? "reload with the guard on (daniel: 1 message an hour)" || diag "$(tail -n 5 "$RG_LOG")"
mq1=guard1-$$-$RANDOM mq2=guard2-$$-$RANDOM
out=$(send "" "$mq1" "${auth_daniel[@]}")
like "$out" '<~ +250 2\.0\.0 .*accepted for delivery' "guard: daniel's first message is accepted"
out=$(send "" "$mq2" "${auth_daniel[@]}")
like "$out" '<~ +250 2\.0\.0 .*accepted for delivery' "guard: his second is accepted too (into the quarantine)"
gqid=$(printf '%s\n' "$out" | sed -n 's/.*250 2\.0\.0 \([A-Za-z0-9]*\) Message accepted.*/\1/p')
wait_until 10 delivered "$mq1" >/dev/null
ok $? "guard: the first is delivered"
qlist=$(_sm_run -C "$SM_CF" -bp -qQ 2>&1)
like "$qlist" "$gqid" "guard: mailq -qQ (sendmail -bp -qQ) lists the second ($gqid)" || diag "$qlist"
like "$qlist" 'QUARANTINE: relayguard guard: messages 2 > 1 in 3600s' "... with relayguard's reason"
like "$(ctl guard held)" " $gqid daniel relayguard guard: messages 2 > 1 in 3600s\$" \
	"guard: relayguardctl guard held lists it"
! delivered "$mq2" >/dev/null
ok $? "guard: the quarantined message is not delivered"
ctl guard release daniel >/dev/null && _sm_run -C "$SM_CF" -qQ -Q >/dev/null 2>&1 &&
	_sm_run -C "$SM_CF" -q >/dev/null 2>&1
ok $? "guard: relayguardctl guard release daniel; sendmail -qQ -Q (unquarantine); sendmail -q"
wait_until 15 delivered "$mq2" >/dev/null
ok $? "guard: the released message is delivered" || diag "$(_sm_run -C "$SM_CF" -bp 2>&1)"
sed -i '/^guard: /,/^         identities = /d' "$RG_CONF"
rg_reload
ok $? "reload with the guard off again" || diag "$(grep -n guard "$RG_CONF")"

# --- the macros come from relayguard's own request (smfi_setsymlist) too:
#     rebuild the .cf with every confMILTER_MACROS_* list cut to {if_name}
sm_stop
minimal=$dir/relayguard-minimal-macros.mc
{
	grep -v confMILTER_MACROS_ "$top_srcdir/etc/sendmail/relayguard.mc"
	for stage in CONNECT HELO ENVFROM ENVRCPT EOH EOM; do
		printf "define(\`confMILTER_MACROS_%s', \`\`{if_name}'')dnl\n" "$stage"
	done
} >"$minimal"
SM_SNIPPET_SRC=$minimal sm_setup "$SM_DIR" && sm_start
ok $? "Sendmail restarted with every confMILTER_MACROS_* list set to {if_name} only" ||
	{ done_testing; exit 1; }
unlike "$(grep '^O Milter.macros' "$SM_CF")" 'auth_authen|tls_version|daemon_name' \
	"... the .cf itself asks for no AUTH, TLS or listener macros"
m7=sym-$$-$RANDOM
out=$(send acme "$m7" "${auth_daniel[@]}")
like "$out" '<~ +250 2\.0\.0 .* Message accepted for delivery' \
	"daniel, X-Tenant: acme: accepted (relayguard got {auth_authen} and the TLS macros it requested)"
m8=sym-$$-$RANDOM
out=$(send globex "$m8" "${auth_daniel[@]}")
like "$out" '<~\* +550 5\.7\.1 .*globex' "daniel, X-Tenant: globex: 550 5.7.1"
like "$(grep 'tenant=globex' "$RG_LOG" | tail -n 1)" 'identity=daniel' "... decided for identity daniel"
out=$(SM_SWAKS_PORT=$SM_MSA_PORT sm_swaks --tls --from someone@relayguard.test --to user@localhost --quit-after RCPT)
like "$out" '<~\* +530 5\.7\.0' "submission listener without AUTH: 530 5.7.0 ({daemon_name} from the request)"

# --- sender ownership through Sendmail: reload into the same config with
#     senders checked; daniel holds daniel@relayguard.test (a static grant)
sed -i 's|{ name = "daniel"; password = "\([^"]*\)"; }|{ name = "daniel"; password = "\1"; senders = [ "daniel@relayguard.test" ]; }|' \
	"$RG_CONF"
printf 'senders: { check_envelope = true; check_from = true; };\n' >>"$RG_CONF"
rg_reload
ok $? "reload into the config with sender ownership on" || diag "$(tail -n 5 "$RG_LOG")"
m9=own-$$-$RANDOM
out=$(send "" "$m9" "${auth_daniel[@]}" --header "From: Daniel <daniel@relayguard.test>")
like "$out" '<~ +250 2\.0\.0 .* Message accepted for delivery' "daniel, his own envelope and From: accepted"
m10=env-$$-$RANDOM
out=$(sm_swaks --local-interface 127.0.0.2 --from ceo@globex.example --to "rcpt-$m10@remote.example" \
	"${auth_daniel[@]}" --quit-after RCPT)
# (Sendmail puts "<address>... " before the text of a reply to MAIL FROM)
like "$out" '<~\* +553 5\.7\.1 (<ceo@globex\.example>\.\.\. )?<ceo@globex\.example>: Sender address rejected: not owned by user daniel' \
	"daniel, MAIL FROM:<ceo@globex.example>: 553 5.7.1 with Postfix's text, through Sendmail"
m11=hdr-$$-$RANDOM
out=$(send "" "$m11" "${auth_daniel[@]}" --header "From: CEO <ceo@globex.example>")
like "$out" '<~\* +550 5\.7\.1 From: address <ceo@globex\.example> not owned by user daniel' \
	"daniel, From: ceo@globex.example: 550 5.7.1 at end of data"
m12=two-$$-$RANDOM
out=$(send "" "$m12" "${auth_daniel[@]}" --header "From: daniel@relayguard.test, ceo@globex.example")
like "$out" '<~\* +550 5\.6\.0' "daniel, two mailboxes in From:: 550 5.6.0"
sleep 1
for m in "$m10" "$m11" "$m12"; do
	delivered "$m" >/dev/null && { fail "refused message $m was delivered"; continue; }
	pass "refused message $m was not delivered"
done

# --- relayguard down: the milter is unreachable (F=T) and so is the socket
rg_stop
out=$(sm_swaks --from someone@relayguard.test --to user@localhost --quit-after RCPT)
like "$out" '<\*\* +451 4\.3\.2' "relayguard stopped: MAIL FROM gets 451 4.3.2 (F=T: tempfail, never accept unchecked)"

# --- stop everything; nothing of ours may be left running
smpid=$SM_PID
smkids=$(_sm_children "$SM_PID")
sm_stop
left=""
for p in $smpid $(cat "$rg/relayguard.pid" 2>/dev/null); do kill -0 "$p" 2>/dev/null && left="$left $p"; done
for p in $smkids $(_sm_children "$smpid"); do kill -0 "$p" 2>/dev/null && left="$left $p"; done
ok "$([ -z "$left" ] && echo 0 || echo 1)" "Sendmail and relayguard stopped, no process left${left:+ (left:$left)}"
done_testing
