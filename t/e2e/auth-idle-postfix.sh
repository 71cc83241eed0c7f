#!/usr/bin/env bash
# auth-idle-postfix.sh — auth.idle_timeout through a real, private Postfix:
# one smtpd process (maxproc 1) serves two SMTP sessions; between their
# AUTHs relayguard closes that process's idle Dovecot-protocol connection
# (auth.idle_timeout = 2 s, proven by relayguard's log); the second AUTH
# still gets 235, because Postfix's xsasl_dovecot_server_first reconnects
# when writing the request on the closed connection fails.  A LOGIN exchange
# cut by the timeout (client silent at the prompt) ends with 454, temporary.
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir auth-idle) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

h_daniel=$(rg_hash 'daniel-Secret-1') ||
	bail_out "relayguardctl hash failed"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { enabled = false; };
auth: {
  dovecot_socket = "$rg/auth";
  saslauthd_socket = "";
  failure_delay_ms = 0;
  max_failure_delay_ms = 0;
  idle_timeout = 2;
};
stores = (
  { type = "static"; users = ( { name = "daniel"; password = "$h_daniel"; } ); }
);
EOF
RG_LOG=$rg/relayguard.log
rg_start "$rg/relayguard.conf" "$RG_LOG" "$rg/auth"
ok $? "relayguard -f starts with auth.idle_timeout = 2" || { done_testing; exit 1; }

# one smtpd process for every session; verbose logging for our client (the
# SASL client's connects and reconnects are logged only at that level)
PF_SASL_PATH=$rg/auth PF_TLS_AUTH_ONLY=yes \
	PF_SMTPD_OPTS="  -o debug_peer_list=127.0.0.1 -o debug_peer_level=1" pf_setup "$dir/pf" &&
	"$PF_POSTCONF" -c "$PF_CONF" -F "127.0.0.1:$PF_PORT/inet/process_limit=1" &&
	pf_start
ok $? "private Postfix (smtpd maxproc 1, smtpd_sasl_path = $rg/auth) starts" ||
	{ done_testing; exit 1; }

# smtpd pids that logged "connect from" (one per session)
smtpd_pids() { grep -E 'postfix/smtpd\[[0-9]+\]: connect from' "$PF_MAILLOG" |
	sed -E 's/.*smtpd\[([0-9]+)\].*/\1/'; }
idle_lines() { grep -c 'connection idle for 2 s (auth.idle_timeout); closing' "$RG_LOG"; }

out=$(smtp_session ehlo starttls ehlo plain::daniel:daniel-Secret-1 quit)
like "$out" '^plain 235 ' "first session: AUTH PLAIN 235"
ok_before=$(grep -c 'user=daniel .*result=ok' "$RG_LOG")

# relayguard closes the idle connection of that smtpd process
for i in $(seq 1 100); do [ "$(idle_lines)" -ge 1 ] && break; sleep 0.1; done
ok "$([ "$(idle_lines)" = 1 ] && echo 0 || echo 1)" \
	"relayguard closes the smtpd process's idle connection after 2 s (its log says so)"

out=$(smtp_session ehlo starttls ehlo plain::daniel:daniel-Secret-1 quit)
like "$out" '^plain 235 ' "second session, after the idle close: AUTH PLAIN 235"
pids=$(smtpd_pids | sort -u)
# (pf_start's port probe is a session too: at least 2 "connect from", one pid)
ok "$([ "$(smtpd_pids | wc -l)" -ge 2 ] && [ "$(echo "$pids" | wc -l)" = 1 ] && echo 0 || echo 1)" \
	"both sessions were served by the same smtpd process (pid $(echo $pids))"
log_order=$(grep -E 'user=daniel .*result=ok|connection idle for 2 s' "$RG_LOG" |
	sed -E 's/.*(result=ok|connection idle).*/\1/' | tr '\n' ' ')
like "$log_order" '^result=ok connection idle result=ok $' \
	"relayguard's log: login, idle close, login (in that order)"
ok "$([ "$(grep -c 'user=daniel .*result=ok' "$RG_LOG")" = $((ok_before + 1)) ] && echo 0 || echo 1)" \
	"the second login was decided by relayguard"
connects=$(grep -E "smtpd\[$(echo $pids)\]: xsasl_dovecot_server_connect: Connecting" "$PF_MAILLOG" | wc -l)
ok "$([ "$connects" = 2 ] && echo 0 || echo 1)" \
	"Postfix's smtpd logs that it connected to the auth socket twice (reconnected): $connects" ||
	diag "$(grep -E 'xsasl_dovecot' "$PF_MAILLOG" | tail -n 10)"
unlike "$(cat "$PF_MAILLOG")" 'Connection lost to authentication server|454 4\.7\.0' \
	"no temporary failure in Postfix's log (the reconnect is invisible to the SMTP client)"

# --- a LOGIN exchange whose SMTP client waits longer than idle_timeout at the
# Username: prompt: relayguard closes the connection with the request pending,
# Postfix answers 454 (temporary), never 235 or 535
out=$(python3 - "$PF_PORT" <<'PY'
import base64, smtplib, ssl, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.ehlo()
s.starttls(context=ctx)
s.ehlo()
print("auth %d" % s.docmd("AUTH", "LOGIN")[0])
time.sleep(4)
code, msg = s.docmd(base64.b64encode(b"daniel").decode())
print("user %d %s" % (code, msg.decode()))
PY
)
like "$out" '^user 454 4\.7\.0 .*Connection lost to authentication server' \
	"LOGIN left at the Username: prompt for longer than idle_timeout: 454, a temporary failure"
out=$(smtp_session ehlo starttls ehlo login:daniel:daniel-Secret-1 quit)
like "$out" '^login 235 ' "the next AUTH LOGIN logs in again (235)"

rg_stop
pf_stop
ok $? "everything stopped"
done_testing
