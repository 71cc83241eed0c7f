#!/usr/bin/env bash
# guard-policyd-postfix.sh — relayguard's guard side by side with Debian's
# policyd-rate-limit on one private Postfix, both limiting paul to 3 messages
# an hour.  policyd-rate-limit answers at RCPT; its fail_action here is WARN
# (Postfix logs "warn: RCPT ... rate limit reached" and goes on), so every
# message also reaches relayguard, which holds the ones over its limit.  The
# first message relayguard holds must be the first one policyd-rate-limit
# flags, and so must every later one.
#
# Deliberate differences, not exercised here (one recipient per message):
# policyd-rate-limit counts each RCPT as a mail, and records nothing for a
# message it defers; relayguard counts messages and recipients apart, and
# counts a held message.  policyd-rate-limit answers "dunno" (accept) when its
# database fails; relayguard tempfails (guard.state_error).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
PRL=$(command -v policyd-rate-limit || true)
[ -n "$PRL" ] || skip_all "policyd-rate-limit not installed (apt-get install policyd-rate-limit)"

dir=$(e2e_tmpdir guard-policyd) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg prl=$dir/prl
mkdir -p "$rg" "$prl" && chmod 755 "$rg" && chown postfix:postfix "$prl"
tap_at_exit pf_stop

h_paul=$(rg_hash 'paul-Secret-1') || bail_out "relayguardctl hash failed"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { socket = "unix:$rg/milter.sock"; require_tls_for_auth = true; };
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = ( { name = "paul"; password = "$h_paul"; } ); } );
guard: { enabled = true; action = "hold"; messages = [ "3/1h" ]; };
EOF
RG_CONF=$rg/relayguard.conf
RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts (guard: 3 messages an hour)" || { done_testing; exit 1; }

cat >"$prl/policyd-rate-limit.yaml" <<EOF
debug: True
user: "postfix"
group: "postfix"
pidfile: "$prl/policyd-rate-limit.pid"
sqlite_config:
    database: "$prl/db.sqlite3"
backend: 0
SOCKET: "$prl/policy"
socket_permission: 0666
limits:
    - [3, 3600]
limits_by_id: {}
limit_by_sasl: True
limit_by_sender: False
limit_by_ip: False
limited_networks: []
success_action: "dunno"
fail_action: "WARN policyd-rate-limit: rate limit reached"
db_error_action: "dunno"
report: False
delay_to_close: 300
EOF
"$PRL" --file "$prl/policyd-rate-limit.yaml" >"$prl/out.log" 2>&1 &
prl_pid=$!
track $prl_pid
wait_until 10 test -S "$prl/policy"
ok $? "policyd-rate-limit listens on $prl/policy (pid $prl_pid, 3 mails an hour)" ||
	diag "$(cat "$prl/out.log")"

PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock pf_setup "$dir/pf" || bail_out "pf_setup"
pf_set "smtpd_recipient_restrictions = check_policy_service unix:$prl/policy, permit_sasl_authenticated, reject_unauth_destination" &&
	pf_start
ok $? "private Postfix: policyd-rate-limit at RCPT, relayguard as milter" || { done_testing; exit 1; }

# six messages, one recipient each: which does each of them flag?
prl_flags= rg_flags=
for i in 1 2 3 4 5 6; do
	out=$(swaks_run --tls -a PLAIN -au paul -ap paul-Secret-1 --from paul@example.test \
		--to "sink@$PF_DOMAIN" --header "Subject: paul-$i")
	qid=$(printf '%s\n' "$out" | sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p')
	[ -n "$qid" ] || diag "message $i not queued: $out"
	# the WARN line precedes the queue id's creation: find it by the session's order
	pf_wait_log "milter-hold: END-OF-MESSAGE|$qid: " 5
	wait_until 5 grep -q "$qid: milter accept" "$RG_LOG"
	grep -q "queue_id=$qid" "$RG_LOG" && rg_flags="$rg_flags $i"
	[ "$(grep -c 'warn: RCPT from .*policyd-rate-limit: rate limit reached' "$PF_MAILLOG")" -gt \
	  "$(echo "$prl_flags" | wc -w)" ] && prl_flags="$prl_flags $i"
done
is "$prl_flags" " 4 5 6" "policyd-rate-limit flags messages 4, 5 and 6 (3 an hour)"
is "$rg_flags" " 4 5 6" "relayguard holds messages 4, 5 and 6: the same first message, and the same ones after it"
like "$(cat "$RG_LOG")" 'guard: action=hold identity=paul tenant=- signal=messages count=4 limit=3 window=3600s' \
	"relayguard's first action: count 4 of limit 3"

pf_stop && rg_stop && kill "$prl_pid" 2>/dev/null
wait "$prl_pid" 2>/dev/null
ok $(gone "$prl_pid" && [ -z "$RG_PID" ]; echo $?) "everything stopped"
done_testing
