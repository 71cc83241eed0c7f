#!/usr/bin/env bash
# auth-postfix.sh — issue 3's proof through a real, private Postfix:
# smtpd_sasl_type = dovecot pointed at relayguard's Dovecot-protocol socket,
# STARTTLS with a certificate made here, clients swaks and smtp_session.py.
#
#  - AUTH is not offered before STARTTLS and is refused there
#  - PLAIN and LOGIN: right password 235, wrong password 535, unknown user 535
#  - authzid: mallory may not act as daniel; boss (act_as daniel) may, and
#    Postfix then knows the session as daniel
#  - a store that breaks (SQLite locked by another process) while the service
#    runs: 454 and the lost connection in Postfix's log, also for a user whose
#    password is cached; after the repair the next login succeeds
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir auth) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

# --- users: a static store (hashes from `relayguardctl hash`) first, then SQLite
h_daniel=$(rg_hash 'daniel-Secret-1') &&
	h_mallory=$(rg_hash 'mallory-Secret-2') &&
	h_boss=$(rg_hash 'boss-Secret-3') ||
	bail_out "relayguardctl hash failed"

cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { enabled = false; };
auth: {
  dovecot_socket = "$rg/auth";
  saslauthd_socket = "";
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
EOF
RG_CONF=$rg/relayguard.conf
out=$(ctl db init 2>&1) &&
	out=$(printf '%s\n' 'carol-Secret-4' | ctl user add carol 2>&1)
ok $? "relayguardctl db init; user add carol (SQLite)" || diag "$out"

out=$("$RG" -n -c "$RG_CONF" 2>&1)
ok $? "relayguard -n accepts the test config" || diag "$out"

RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth"
ok $? "relayguard -f starts and creates $rg/auth" || { done_testing; exit 1; }

PF_SASL_PATH=$rg/auth PF_TLS_AUTH_ONLY=yes pf_setup "$dir/pf" &&
	pf_start
ok $? "private Postfix with smtpd_sasl_path = $rg/auth starts" || { done_testing; exit 1; }

# --- AUTH needs TLS
out=$(swaks_run --quit-after EHLO)
unlike "$out" '250[- ]AUTH' "EHLO before STARTTLS does not offer AUTH"
out=$(swaks_run --tls --quit-after EHLO)
like "$out" '250[- ]AUTH PLAIN LOGIN' "after STARTTLS, EHLO offers AUTH PLAIN LOGIN (from relayguard's MECH lines)"

# --- the AUTH cases shared with Sendmail (t/e2e/auth-cases.txt): before
#     STARTTLS, right / wrong / unknown, PLAIN and LOGIN, authzid
auth_cases postfix "$PF_PORT" "235=2.7.0 535=5.7.8 503=5.5.1"

# --- authzid: the effective identity reaches Postfix
auth_try() { # MECH USER PASSWORD — the AUTH reply line from swaks
	swaks_run --tls --auth "$1" --auth-user "$2" --auth-password "$3" --quit-after AUTH
}
msgf=$dir/msg.txt
printf 'Subject: authz %s\n\nbody\n' "$$" >"$msgf"
out=$(smtp_session ehlo starttls ehlo plain:daniel:boss:boss-Secret-3 \
	mail:boss@relayguard.test rcpt:someone@elsewhere.test data:"$msgf" quit)
like "$out" '^plain 235 ' "authc boss + authzid daniel (act_as): 235"
like "$out" '^rcpt 250 ' "... and Postfix relays for the authenticated session"
pf_wait_log 'sasl_method=PLAIN, sasl_username=daniel' 10
ok $? "Postfix logs the effective identity: sasl_username=daniel" ||
	diag "$(grep sasl_ "$PF_MAILLOG" | tail -n 3)"

# --- a store that breaks while the service runs
# carol logs in once more so that her password is cached (the failure above
# dropped the entry); then an admin transaction holds an exclusive lock on
# the database: the store cannot answer, and the cache must not either.
out=$(auth_try PLAIN carol 'carol-Secret-4')
like "$out" '<~ +235 2\.7\.0' "carol logs in (her password is now in the auth cache)"
lockfifo=$dir/lock.fifo
mkfifo "$lockfifo"
python3 - "$rg/auth.db" "$lockfifo" "$dir/locked" <<'EOF' &
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=DELETE")  # rollback journal: EXCLUSIVE blocks readers
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[3], "w").close()    # tell the test the lock is held
open(sys.argv[2]).read()          # hold the lock until the test writes to the fifo
db.execute("ROLLBACK")
EOF
lockpid=$!
tap_at_exit "kill $lockpid 2>/dev/null"
for i in $(seq 1 50); do [ -e "$dir/locked" ] && break; sleep 0.1; done
ok "$([ -e "$dir/locked" ] && echo 0 || echo 1)" "another process holds an exclusive lock on the SQLite store"
out=$(auth_try PLAIN carol 'carol-Secret-4')
like "$out" '<~\* +454 4\.7\.0' "store locked: cached SQLite user gets 454, not a stale 235"
pf_wait_log 'Connection lost to authentication server' 5
ok $? "Postfix logs the lost connection to the authentication server"
out=$(auth_try LOGIN nobody 'whatever')
like "$out" '<~\* +454 4\.7\.0' "store locked: unknown user gets 454, not 535"
out=$(auth_try PLAIN daniel 'daniel-Secret-1')
like "$out" '<~ +235 2\.7\.0' "store locked: a user of the static store (asked first) still logs in"

timeout 5 bash -c "echo release >\"$lockfifo\"" || kill "$lockpid" 2>/dev/null
wait "$lockpid"
out=$(auth_try PLAIN carol 'carol-Secret-4')
like "$out" '<~ +235 2\.7\.0' "lock released: the next login succeeds (Postfix reconnected)"
out=$(auth_try PLAIN carol 'wrong-password')
like "$out" '<~\* +535 5\.7\.8' "lock released: a wrong password is 535 again"

# --- relayguard's log: one line per decision, never a password
unlike "$(cat "$RG_LOG")" 'Secret-[0-9]|wrong-password' "relayguard's log holds no password"

rg_stop
pf_stop
ok $? "everything stopped"
done_testing
