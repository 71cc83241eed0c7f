#!/usr/bin/env bash
# postfix-harness.sh — the private Postfix of postfix-lib.sh on its own (no
# relayguard): it starts under the build tree, offers STARTTLS, delivers to
# the sink, refuses relaying, and leaves no process behind when stopped.
. "${top_srcdir:-$(dirname "$0")/../..}/t/e2e/e2e-lib.sh"

e2e_require_postfix_tools

dir=$(e2e_tmpdir harness) || skip_all "cannot make a folder under $top_builddir/t/tmp"
tap_at_exit pf_stop
sys_before=$(ls -la --time-style=full-iso /etc/postfix /var/spool/postfix 2>/dev/null | md5sum)

pf_setup "$dir/pf"
ok $? "pf_setup writes a private config in $dir/pf/etc"
pf_start
ok $? "postfix -c DIR start: master runs and listens on 127.0.0.1:$PF_PORT" || {
	done_testing; exit 1; }
pf_wait_log "daemon started .*configuration $PF_CONF" 10
ok $? "master logs that it uses the private config dir"

out=$(swaks_run --quit-after EHLO)
like "$out" '250-STARTTLS' "EHLO offers STARTTLS"
unlike "$out" '250-AUTH' "no AUTH offered without SASL configured"

marker="harness-$$-$RANDOM"
out=$(swaks_run --tls --from sender@relayguard.test --to someone@$PF_DOMAIN \
	--header "Subject: $marker" --body "body $marker")
like "$out" '<~ +250 2\.0\.0 Ok: queued' "a message over STARTTLS is queued"
pf_wait_delivered 1 20
ok $? "it reaches the sink ($PF_SINK/new)"
msg=$(cat $(pf_sink_files | tail -n 1) 2>/dev/null)
like "$msg" "Subject: $marker" "the delivered message is the one sent"
like "$msg" 'using TLSv1\.[23]' "Postfix recorded the TLS session in Received:"

out=$(swaks_run --from sender@relayguard.test --to someone@elsewhere.test)
like "$out" '<\*\* +554 5\.7\.1 .*Relay access denied' "relaying for an unauthenticated client is refused"

pf_stop
ok $? "pf_stop stops the master by its pid file"
left=$(pf_instance_pids)
ok "$([ -z "$left" ] && echo 0 || echo 1)" "no process of the instance is left"
pf_listening
ok "$([ $? != 0 ] && echo 0 || echo 1)" "port $PF_PORT is closed"
sys_after=$(ls -la --time-style=full-iso /etc/postfix /var/spool/postfix 2>/dev/null | md5sum)
ok "$([ "$sys_before" = "$sys_after" ] && echo 0 || echo 1)" \
	"/etc/postfix and /var/spool/postfix are untouched"
done_testing
