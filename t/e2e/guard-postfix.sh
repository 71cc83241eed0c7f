#!/usr/bin/env bash
# guard-postfix.sh — the stolen-account guard through a private Postfix.
#
# dave may send from 10 client addresses an hour (guard.addresses = 10): swaks
# logs in from 127.0.0.2 .. 127.0.0.11 (--local-interface), all delivered; the
# message from the 11th address goes to Postfix's hold queue with
# relayguard's reason in its log (postqueue -j shows it held; Postfix's maillog
# says "milter triggers HOLD action" without the text), and
# `relayguardctl guard held` lists it with the reason.  `relayguardctl guard release dave`, then
# `postsuper -H ALL`, delivers it.  gina may send 1 message an hour; two guard
# actions suspend her: her next login gets 535, and a session that logged in
# before the suspension gets 550 at its next MAIL FROM.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools
rg_require
command -v python3 >/dev/null || skip_all "python3 not installed"

dir=$(e2e_tmpdir guard) || skip_all "cannot make a folder under $top_builddir/t/tmp"
rg=$dir/rg
mkdir -p "$rg" && chmod 755 "$rg"
tap_at_exit pf_stop

h_dave=$(rg_hash 'dave-Secret-1') && h_gina=$(rg_hash 'gina-Secret-2') ||
	bail_out "relayguardctl hash failed"
cat >"$rg/relayguard.conf" <<EOF
$(rg_conf_head "$rg")
milter: { socket = "unix:$rg/milter.sock"; require_tls_for_auth = true; };
auth: { dovecot_socket = "$rg/auth"; saslauthd_socket = ""; failure_delay_ms = 0; };
stores = ( { type = "static"; users = (
  { name = "dave"; password = "$h_dave"; },
  { name = "gina"; password = "$h_gina"; }
); } );
guard: {
  enabled = true;
  action = "hold";
  addresses = 10;
  messages = [ "100/1h" ];
  suspend_after = 2;
  identities = ( { name = "gina"; messages = [ "1/1h" ]; } );
};
EOF
RG_CONF=$rg/relayguard.conf
RG_LOG=$rg/relayguard.log
rg_start "$RG_CONF" "$RG_LOG" "$rg/auth" "$rg/milter.sock"
ok $? "relayguard starts (SASL service, milter, guard)" || { done_testing; exit 1; }

PF_SASL_PATH=$rg/auth PF_MILTER=unix:$rg/milter.sock pf_setup "$dir/pf" || bail_out "pf_setup"
pf_start
ok $? "private Postfix with relayguard's SASL service and milter" || { done_testing; exit 1; }

send() { # USER PW FROM-ADDRESS MARKER
	swaks_run --tls -a PLAIN -au "$1" -ap "$2" --local-interface "$3" --from "$1@example.test" \
		--to "sink@$PF_DOMAIN" --header "Subject: $4"
}
postqueue_json() { postqueue -c "$PF_CONF" -j 2>/dev/null; }
held_ids() { postqueue_json | python3 -c 'import json,sys
for l in sys.stdin:
    q = json.loads(l)
    if q.get("queue_name") == "hold": print(q["queue_id"])'; }

# ---- 10 client addresses, then an 11th ----
all_queued=0
for i in $(seq 2 11); do
	out=$(send dave dave-Secret-1 "127.0.0.$i" "dave-$i")
	printf '%s\n' "$out" | grep -Eq '<~ +250 2\.0\.0 Ok: queued' || { all_queued=1; diag "$out"; }
done
ok $all_queued "dave from 10 client addresses (127.0.0.2-11): every message queued"
pf_wait_delivered 10 30
ok $? "... and delivered to the sink (10)" || diag "$(pf_log | tail -n 5)"
is "$(held_ids | grep -c .)" 0 "nothing in the hold queue"

out=$(send dave dave-Secret-1 127.0.0.12 dave-12)
like "$out" '<~ +250 2\.0\.0 Ok: queued' "the 11th address (127.0.0.12): accepted by Postfix"
wait_until 10 test -n "$(held_ids)"
qid=$(held_ids | head -n 1)
ok $([ -n "$qid" ]; echo $?) "postqueue -j: the message is in the hold queue ($qid)" ||
	diag "$(postqueue_json)"
# Postfix logs the hold but not the milter's reason text: relayguard's log
# line and `guard held` pair the queue id with it
pf_wait_log "$qid: milter-hold: END-OF-MESSAGE from unknown\[127\.0\.0\.12\]: milter triggers HOLD action"
ok $? "the maillog has the milter hold for $qid" || diag "$(pf_log | grep -i hold)"
like "$(cat "$RG_LOG")" "guard: action=hold identity=dave tenant=- signal=addresses count=11 limit=10 window=3600s client=127\\.0\\.0\\.12 queue_id=$qid" \
	"relayguard logs the action: identity, counts, window, client, queue id"
like "$(ctl guard held)" "^[0-9]+ $qid dave relayguard guard: addresses 11 > 10 in 3600s\$" \
	"relayguardctl guard held lists it"
like "$(ctl guard show dave)" '^addresses 11 limit 10 window 3600s$' "guard show dave: 11 addresses"
is "$(pf_sink_count)" 10 "the held message did not reach the sink"

# ---- release ----
like "$(ctl guard release dave)" '^released dave' "relayguardctl guard release dave"
like "$(ctl guard show dave)" '^addresses 0 limit 10' "... his counts start again"
postsuper -c "$PF_CONF" -H ALL >/dev/null 2>&1
ok $? "postsuper -H ALL"
postqueue -c "$PF_CONF" -f >/dev/null 2>&1
pf_wait_delivered 11 30
ok $? "the released message reached the sink" || diag "$(pf_log | tail -n 5)"
out=$(send dave dave-Secret-1 127.0.0.13 dave-13)
like "$out" '<~ +250 2\.0\.0 Ok: queued' "dave from another address after the release: queued"
pf_wait_delivered 12 30
ok $? "... and delivered, not held" || diag "$(held_ids)"

# ---- suspension: gina may send 1 message an hour; 2 actions suspend her ----
# a session that logs in before the suspension, and stays open across it
cat >"$dir/msg" <<EOF
From: gina@example.test
To: sink@$PF_DOMAIN
Subject: gina

hello
EOF
# two more messages in other sessions: over her limit, both held (two actions)
cat >"$dir/burst.sh" <<EOF
for i in 2 3; do
	"$SWAKS" --server 127.0.0.1 --port $PF_PORT --timeout 20 --helo client.relayguard.test \
		--tls -a PLAIN -au gina -ap gina-Secret-2 --from gina@example.test \
		--to sink@$PF_DOMAIN --header "Subject: gina-\$i" >>"$dir/burst.out" 2>&1 || exit 1
done
EOF
out=$(smtp_session ehlo starttls ehlo plain::gina:gina-Secret-2 \
	"mail:gina@example.test" "rcpt:sink@$PF_DOMAIN" "data:$dir/msg" \
	"shell:sh $dir/burst.sh" \
	"mail:gina@example.test" quit)
like "$out" 'data 250 2\.0\.0 Ok: queued' "gina's first message: queued"
like "$out" 'shell rc 0' "meanwhile, two more messages in other sessions (both held: two actions)"
like "$out" 'mail 550 5\.7\.1 Sender identity is suspended' \
	"the session that logged in before the suspension: 550 at its next MAIL FROM"
like "$(cat "$RG_LOG")" 'guard: suspend identity=gina actions=2 window=86400s' "the suspension is logged"
out=$(swaks_run --tls -a PLAIN -au gina -ap gina-Secret-2 --from gina@example.test \
	--to "sink@$PF_DOMAIN" --quit-after AUTH)
like "$out" '<~\* +535 5\.7\.8' "a new login as gina: 535"
like "$(cat "$RG_LOG")" 'user=gina .*result=fail reason="identity suspended by the guard"' \
	"... logged as a guard suspension"
like "$(ctl guard show)" '^suspended gina until lifted \(2 guard actions in 86400s\)$' \
	"guard show lists the suspension"
like "$(ctl guard unsuspend gina)" '^unsuspended gina' "relayguardctl guard unsuspend gina"
out=$(swaks_run --tls -a PLAIN -au gina -ap gina-Secret-2 --from gina@example.test \
	--to "sink@$PF_DOMAIN" --quit-after AUTH)
like "$out" '<~ +235 2\.7\.0' "gina logs in again"
grep -q -e 'dave-Secret-1' -e 'gina-Secret-2' "$RG_LOG" && fail "a password in relayguard's log" ||
	pass "no password in relayguard's log"

pf_stop
rg_stop
ok $? "everything stopped"
done_testing
